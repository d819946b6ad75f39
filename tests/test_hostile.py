"""A hostile folder breaks nothing: every good file is indexed, every bad one is reported."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

import index.plan
from qa.cli import cli


def pdf_bytes(text: str | None, *, encrypt: str | None = None) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption(encrypt) if encrypt else None)
    if text is None:
        c.rect(100, 100, 300, 300, fill=1)  # an image-like page: no text layer
    else:
        c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def docx_bytes(text: str) -> bytes:
    d = docx.Document()
    d.add_heading("Memo", level=1)
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def write_hostile_folder(docs: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Fill ``docs`` with files docqa reads and files it must skip; return (good, bad).

    Besides the bad files, ``loop.md`` is a symbolic link to itself and ``dangling.md`` one to a
    file that does not exist."""
    docs.mkdir()
    good = {
        "good.md": b"# Good\n\nA good markdown paragraph about otters.\n",
        "good.html": b"<h1>Page</h1><p>A good HTML paragraph about beavers.</p>",
        "good.docx": docx_bytes("A good Word paragraph about badgers."),
        "good.pdf": pdf_bytes("A good PDF paragraph about herons."),
        "utf16.txt": "UTF-16 text about moles.\n".encode("utf-16"),
        "latin1.txt": "Caf\xe9 text about voles.\n".encode("latin-1"),
    }
    bad = {
        "binary.txt": b"\x00\x01\x02binary",
        "truncated.pdf": pdf_bytes("cut short")[:200],
        "encrypted.pdf": pdf_bytes("secret", encrypt="pw"),
        "scanned.pdf": pdf_bytes(None),
        "empty.md": b"",
        "notes.xyz": b"unknown extension",
        "vanishing.txt": b"deleted while indexing\n",
    }
    for name, data in {**good, **bad}.items():
        (docs / name).write_bytes(data)
    (docs / "loop.md").symlink_to(docs / "loop.md")
    (docs / "dangling.md").symlink_to(docs / "gone.md")
    return good, bad


def vanish_after_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``vanishing.txt`` disappear once the sync has planned it, before it is read."""
    real_fingerprint = index.plan.fingerprint

    def fingerprint(ref):  # type: ignore[no-untyped-def]
        found = real_fingerprint(ref)
        if ref.path == "vanishing.txt":  # planned as new, gone when its passages are read
            ref.abspath.unlink()
        return found

    monkeypatch.setattr(index.plan, "fingerprint", fingerprint)


def test_hostile_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    good, bad = write_hostile_folder(docs)
    vanish_after_planning(monkeypatch)
    res = CliRunner().invoke(
        cli, ["index", str(docs), "--index", str(tmp_path / "i"), "--model", "hashing", "--json"]
    )
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    reasons = {s["path"]: s["reason"] for s in summary["files_skipped"]}
    assert summary["files_indexed"] == len(good)
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["truncated.pdf"].startswith("not a readable PDF")
    assert reasons["encrypted.pdf"].startswith("encrypted PDF")
    assert reasons["scanned.pdf"].startswith("no text layer")
    assert reasons["empty.md"] == "empty file"
    assert reasons["notes.xyz"].startswith("unsupported file type '.xyz'")
    assert reasons["vanishing.txt"].startswith("cannot read")
    assert reasons["loop.md"] == "symbolic link loop"
    assert reasons["dangling.md"] == "broken symbolic link"
    assert reasons["latin1.txt"].startswith("indexed with a problem: invalid UTF-8")
    assert set(reasons) == {*bad, "loop.md", "dangling.md", "latin1.txt"}

    status = json.loads(
        CliRunner().invoke(cli, ["status", "--index", str(tmp_path / "i"), "--json"]).stdout
    )
    assert {s["path"] for s in status["files_skipped"]} == set(reasons)
    for animal, source in [
        ("otters", "good.md"),
        ("beavers", "good.html"),
        ("badgers", "good.docx"),
        ("herons", "good.pdf"),
        ("moles", "utf16.txt"),
    ]:
        out = CliRunner().invoke(
            cli, ["ask", animal, "--index", str(tmp_path / "i"), "-k", "1", "--json"]
        )
        assert json.loads(out.stdout)[0]["source"] == source, animal


def test_file_without_read_permission_is_skipped_with_the_systems_reason(tmp_path: Path) -> None:
    """A real permission error. Root reads any file, so as root the sync runs in a child
    process without the capabilities that bypass file permissions (util-linux ``setpriv``)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "open.md").write_text("Anyone can read this paragraph.\n", encoding="utf-8")
    (docs / "secret.md").write_text("Nobody may read this one.\n", encoding="utf-8")
    (docs / "secret.md").chmod(0)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    command = ["index", str(docs), "--index", str(tmp_path / "i"), "--model", "hashing", "--json"]
    try:
        res = subprocess.run(
            [*prefix, sys.executable, "-m", "qa.cli", *command],
            capture_output=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
    finally:
        (docs / "secret.md").chmod(0o644)
    assert res.returncode == 0, res.stderr.decode()
    summary = json.loads(res.stdout)
    assert summary["files_indexed"] == 1
    assert summary["files_skipped"] == [
        {"path": "secret.md", "reason": "cannot read: Permission denied", "code": "unreadable"}
    ]


def test_file_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("A good paragraph.\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(docs), b"latin1-caf\xe9.txt"), "wb") as f:
        f.write(b"Named in Latin-1.\n")
    res = CliRunner().invoke(
        cli, ["index", str(docs), "--index", str(tmp_path / "i"), "--model", "hashing", "--json"]
    )
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["files_indexed"] == 1
    assert summary["files_skipped"] == [
        {
            "path": "latin1-caf\ufffd.txt",
            "reason": "file name is not valid UTF-8; rename the file",
            "code": "bad_name",
        }
    ]
