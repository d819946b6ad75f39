"""Failures a user can cause or meet, each one line naming the file and the fix, exit status 1:
missing permissions on the index folder, the documents folder or the index's files."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import failures_helpers
import pytest
from failures_helpers import BANANAS, ROOT, one_line_error

from index import IndexConfig, build_index

# Fixtures from failures_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
indexed = failures_helpers.indexed

# -- permissions ------------------------------------------------------------------------------


def test_lock_permission_injected(
    indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only index folder, as a root test can see it: the lock cannot be opened."""
    docs, index_dir = indexed
    real = os.open

    def deny(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    line = one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert f"cannot write index {str(index_dir)!r}" in line
    assert f"permission denied on {str(index_dir / 'lock')!r}" in line
    assert "chown -R $USER" in line and "--index elsewhere" in line


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A folder another user can reach (pytest's own temporary folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="docqa-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    """``docqa ARGS`` run by an unprivileged user, so that file permissions apply."""
    if os.geteuid() != 0:
        prefix: list[str] = []
    elif shutil.which("setpriv"):
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    else:
        pytest.skip("running as root without setpriv: permissions are not enforced")
    env = {**os.environ, "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "qa.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _denied(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docqa: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_index_folder_not_writable(shared: Path) -> None:
    docs, index_dir = shared / "docs", shared / "index"
    docs.mkdir()
    (docs / "fruit.md").write_text(BANANAS, encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))  # owned by root
    proc = _as_nobody("index", str(docs), "--index", str(index_dir), "--model", "hashing")
    _denied(proc, f"cannot write index {str(index_dir)!r}", "lock", "write access", "chown")
    proc = _as_nobody("ask", "bananas", "--index", str(index_dir))  # reading is allowed
    assert proc.returncode == 0 and "fruit.md" in proc.stdout, proc.stderr


def test_documents_folder_not_readable(shared: Path) -> None:
    docs, index_dir = shared / "docs", shared / "index"
    docs.mkdir(mode=0o700)
    (docs / "fruit.md").write_text(BANANAS, encoding="utf-8")
    index_dir.mkdir()
    os.chown(index_dir, 65534, 65534)
    proc = _as_nobody("index", str(docs), "--index", str(index_dir), "--model", "hashing")
    _denied(
        proc, f"cannot read documents folder {str(docs)!r}", "read access", f"chmod -R a+rX {docs}"
    )


@pytest.mark.parametrize(
    ("command", "private", "mode"),
    [
        ("ask", ".", 0o700),
        ("ask", "generations", 0o700),
        ("ask", "segments", 0o700),
        ("ask", "segments/000001/vectors.f32", 0o600),
        ("status", ".", 0o700),
        ("status", "CURRENT", 0o600),
        ("status", "generations/000001/manifest.json", 0o600),
    ],
)
def test_index_not_readable(shared: Path, command: str, private: str, mode: int) -> None:
    docs, index_dir = shared / "docs", shared / "index"
    docs.mkdir()
    (docs / "fruit.md").write_text(BANANAS, encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    (index_dir / private).chmod(mode)
    args = ["bananas"] if command == "ask" else []
    proc = _as_nobody(command, *args, "--index", str(index_dir))
    _denied(
        proc,
        f"cannot read index {str(index_dir)!r}",
        "permission denied",
        f"chmod -R a+rX {index_dir}",
    )
