"""The package is the product: the wheel holds every module of index/, qa/ and webapp/, app.py and
docqa's own guide, and the sdist holds everything the wheel is built from (plus the tests).

The build test makes an sdist from a copy of the checkout, unpacks it and builds the wheel from
that, as ``python -m build`` does, so a file missing from the sdist is missing from the wheel
too. The installed wheel itself is exercised by ``.ci/smoke``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from qa.guide import bundled_guide

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("index", "qa", "webapp")

# Not part of a source tree: caches, the CI venv, build output (copying .venv would take minutes).
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".gradio",
    ".cache",
    "results",
)


def _setuptools_config() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]


def _packages_on_disk() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in TOPS
        for init in (ROOT / top).rglob("__init__.py")
    }


def test_every_package_of_the_checkout_is_in_the_distribution() -> None:
    listed = set(_setuptools_config()["packages"])
    on_disk = _packages_on_disk()
    assert "index.formats" in on_disk
    missing = on_disk - listed
    assert not missing, f"add {sorted(missing)} to packages in pyproject.toml [tool.setuptools]"
    # Nothing else of the checkout (tests, bench) is shipped; qa.docs is the guide (docs/).
    assert listed - on_disk == {"qa.docs"}


def test_the_guide_ships_as_package_data_from_docs() -> None:
    config = _setuptools_config()
    assert config["package-dir"] == {"qa.docs": "docs"}
    assert set(config["package-data"]["qa.docs"]) >= {"*.md", "*.png"}
    assert (ROOT / "docs" / "index.md").is_file()


def test_the_guide_is_found_in_a_checkout() -> None:
    guide = bundled_guide()
    assert guide == ROOT / "docs"
    assert (guide / "index.md").is_file()


def test_the_guide_is_found_in_an_installed_layout(tmp_path: Path) -> None:
    """site-packages/qa/docs, as the wheel installs it, wins; a stray site-packages/docs does not."""
    site = tmp_path / "site-packages"
    # Only the lookup module (qa's own __init__ would import index, numpy, ...): run with -S, so
    # no site-packages and no editable install of another checkout can answer instead.
    (site / "qa").mkdir(parents=True)
    (site / "qa" / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(ROOT / "qa" / "guide.py", site / "qa" / "guide.py")
    (site / "docs").mkdir()  # some packages install a top-level docs/: not docqa's guide
    (site / "docs" / "index.md").write_text("# not docqa\n", encoding="utf-8")
    code = "from qa.guide import bundled_guide; print(bundled_guide())"

    def where() -> Path:
        out = subprocess.run(
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                f"import sys; sys.path[:0] = [{str(site)!r}]; {code}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return Path(out.stdout.strip())

    assert where() == site / "qa" / "docs"  # missing: the caller asks for --docs
    shutil.copytree(ROOT / "docs", site / "qa" / "docs")
    assert where() == site / "qa" / "docs"


def _build(kind: str, source: Path, out: Path) -> Path:
    """Build an sdist or a wheel of ``source`` into ``out`` with setuptools' PEP 517 backend."""
    out.mkdir(parents=True, exist_ok=True)
    code = f"from setuptools import build_meta as b; print(b.build_{kind}({str(out)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=source, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out / done.stdout.strip().splitlines()[-1]


def test_the_wheel_built_from_the_sdist_holds_every_module_and_the_guide(tmp_path: Path) -> None:
    pytest.importorskip("setuptools", minversion="68")
    source = tmp_path / "checkout"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    sdist = _build("sdist", source, tmp_path / "sdist")
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        in_sdist = {n.removeprefix(top + "/") for n in tar.getnames()}
        tar.extractall(tmp_path / "unpacked", filter="data")
    for needed in ("README.md", "constraints.txt", "pyproject.toml", "tests/conftest.py"):
        assert needed in in_sdist
    assert "docs/index.md" in in_sdist

    wheel = _build("wheel", tmp_path / "unpacked" / top, tmp_path / "wheel")
    members = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for top in TOPS for p in (ROOT / top).rglob("*.py")}
    assert modules, "no modules found in the checkout"
    assert modules - members == set()
    assert "app.py" in members
    guide = {f"qa/docs/{p.name}" for p in (ROOT / "docs").iterdir() if p.suffix in {".md", ".png"}}
    assert "qa/docs/index.md" in guide
    assert guide - members == set()
    # Nothing of the checkout beyond the product: no tests, benches or top-level docs/.
    assert {m.split("/")[0] for m in members if ".dist-info/" not in m} == {"app.py", *TOPS}
    entry_points = next(m for m in members if m.endswith("entry_points.txt"))
    assert "docqa = qa.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
