"""index.documents: which files are read, and how bytes become text (or a reason they are not)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import write_files

from index.documents import (
    Document,
    FileRef,
    SkipCode,
    Skipped,
    decode_text,
    read_document,
    walk_folder,
)
from index.errors import DocsNotFoundError


def ref(path: Path, rel: str | None = None) -> FileRef:
    st = path.stat()
    return FileRef(rel or path.name, path, st.st_size, st.st_mtime_ns)


def read_bytes_as(tmp_path: Path, data: bytes, name: str = "doc.txt") -> Document | Skipped:
    path = tmp_path / name
    path.write_bytes(data)
    return read_document(ref(path))


# --- walk_folder -----------------------------------------------------------------------------


def test_walk_lists_supported_files_sorted_with_posix_relative_paths(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"b.md": "b", "a.txt": "a", "sub/deep/c.markdown": "c", "sub/d.text": "d", "E.MD": "e"},
    )
    found, skipped = walk_folder(tmp_path)
    assert [f.path for f in found] == ["E.MD", "a.txt", "b.md", "sub/d.text", "sub/deep/c.markdown"]
    assert skipped == []
    a = found[1]
    assert a.abspath == tmp_path / "a.txt"
    assert a.size == 1
    assert a.mtime_ns == (tmp_path / "a.txt").stat().st_mtime_ns


def test_walk_skips_hidden_files_and_folders(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "seen.md": "x",
            ".hidden.md": "x",
            ".git/notes.md": "x",
            "sub/.cache/deep/notes.txt": "x",
            "sub/.env": "x",
            "sub/ok.txt": "x",
        },
    )
    found, skipped = walk_folder(tmp_path)
    assert [f.path for f in found] == ["seen.md", "sub/ok.txt"]
    assert skipped == [], "hidden files are neither indexed nor reported"


def test_walk_reports_unsupported_files_with_a_reason(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"doc.md": "x", "sheet.xlsx": b"%PDF", "sub/README": "x", "x.tar.gz": b""}
    )
    found, skipped = walk_folder(tmp_path)
    assert [f.path for f in found] == ["doc.md"]
    assert [s.path for s in skipped] == ["sheet.xlsx", "sub/README", "x.tar.gz"]
    reasons = {s.path: s.reason for s in skipped}
    assert "'.xlsx'" in reasons["sheet.xlsx"]
    assert "(none)" in reasons["sub/README"]
    for reason in reasons.values():
        assert "unsupported" in reason
        assert ".md" in reason and ".txt" in reason, "the reason says what docqa can read"


def test_walk_does_not_follow_folder_symlinks(tmp_path: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a.md": "x"})
    write_files(tmp_path / "elsewhere", {"outside.md": "x"})
    (docs / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    found, _ = walk_folder(docs)
    assert [f.path for f in found] == ["a.md"]


def test_walk_of_an_empty_folder_finds_nothing(tmp_path: Path) -> None:
    assert walk_folder(tmp_path) == ([], [])


def test_walk_missing_folder_raises_with_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-docs"
    with pytest.raises(DocsNotFoundError, match="does not exist") as info:
        walk_folder(missing)
    assert str(missing) in str(info.value)


def test_walk_of_a_file_raises_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(DocsNotFoundError, match="not a folder") as info:
        walk_folder(path)
    assert str(path) in str(info.value)


def test_walk_reports_a_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "notes.md").symlink_to(tmp_path / "deleted.md")
    found, skipped = walk_folder(tmp_path)
    assert found == []
    assert [s.path for s in skipped] == ["notes.md"]


# --- read_document ---------------------------------------------------------------------------


def test_read_document_fields(tmp_path: Path) -> None:
    data = "# Title\n\nBody é.\n".encode()
    path = tmp_path / "sub.md"
    path.write_bytes(data)
    doc = read_document(ref(path, "dir/sub.md"))
    assert doc == Document(
        path="dir/sub.md",
        format="markdown",
        text="# Title\n\nBody é.\n",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mtime_ns=path.stat().st_mtime_ns,
        warning=None,
    )


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.txt", "text"), ("a.TEXT", "text"), ("a.Md", "markdown"), ("a.markdown", "markdown")],
)
def test_format_follows_the_extension(tmp_path: Path, name: str, fmt: str) -> None:
    doc = read_bytes_as(tmp_path, b"x", name)
    assert isinstance(doc, Document)
    assert doc.format == fmt


def test_empty_file_is_skipped(tmp_path: Path) -> None:
    assert read_bytes_as(tmp_path, b"") == Skipped("doc.txt", SkipCode.EMPTY, "empty file")


@pytest.mark.parametrize("data", [b" ", b"\n\n", b" \t\r\n \x0b\x0c"])
def test_whitespace_only_file_is_skipped(tmp_path: Path, data: bytes) -> None:
    assert read_bytes_as(tmp_path, data) == Skipped(
        "doc.txt", SkipCode.NO_TEXT, "no text (only whitespace)"
    )


@pytest.mark.parametrize("data", [b"\x00", b"PK\x03\x04\x00\x00binary", b"text\x00more text"])
def test_binary_file_is_skipped(tmp_path: Path, data: bytes) -> None:
    result = read_bytes_as(tmp_path, data)
    assert isinstance(result, Skipped)
    assert "binary" in result.reason
    assert result.code is SkipCode.BINARY


def test_invalid_utf8_is_replaced_with_a_warning(tmp_path: Path) -> None:
    doc = read_bytes_as(tmp_path, b"caf\xe9 ol\xe9\nok")
    assert isinstance(doc, Document)
    assert doc.text == "caf\ufffd ol\ufffd\nok"
    assert doc.warning is not None
    assert "invalid UTF-8" in doc.warning and "byte 3" in doc.warning


def test_invalid_utf8_warning_names_the_file_offset_after_a_bom(tmp_path: Path) -> None:
    doc = read_bytes_as(tmp_path, b"\xef\xbb\xbfab\xffcd")
    assert isinstance(doc, Document)
    assert doc.text == "ab\ufffdcd"
    assert doc.warning is not None and "byte 5" in doc.warning


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, codec: str) -> None:
    text = "Grüße\r\naus 日本\r\n\r\nZweiter Absatz."
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec]
    doc = read_bytes_as(tmp_path, bom + text.encode(codec))
    assert isinstance(doc, Document)
    assert doc.text == "Grüße\naus 日本\n\nZweiter Absatz."
    assert doc.warning is None


def test_invalid_utf16_gets_a_warning(tmp_path: Path) -> None:
    doc = read_bytes_as(tmp_path, b"\xff\xfeh\x00i\x00\x00\xd8x\x00z")
    assert isinstance(doc, Document)
    assert "\ufffd" in doc.text
    assert doc.warning is not None


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbfFirst.\n")
    doc = read_document(ref(path))
    assert isinstance(doc, Document)
    assert doc.text == "First.\n"
    assert doc.size == 10, "size and hash are of the bytes on disk"
    # Offsets therefore match open(..., encoding="utf-8-sig"); plain "utf-8" keeps the BOM.
    with open(path, encoding="utf-8-sig") as fh:
        assert fh.read() == doc.text


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_newlines_are_normalised_like_python_text_mode(tmp_path: Path, newline: bytes) -> None:
    data = b"one" + newline + b"two" + newline + newline + b"three"
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    doc = read_document(ref(path))
    assert isinstance(doc, Document)
    assert doc.text == "one\ntwo\n\nthree"
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == doc.text
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


def test_decode_text_mixed_newlines() -> None:
    assert decode_text(b"a\r\nb\rc\nd\r\r\ne") == ("a\nb\nc\nd\n\ne", None)


def test_file_that_vanished_after_the_walk_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "gone.md"
    path.write_text("x", encoding="utf-8")
    stale = ref(path)
    path.unlink()
    result = read_document(stale)
    assert isinstance(result, Skipped)
    assert result.path == "gone.md"
    assert result.reason.startswith("cannot read")
    assert result.code is SkipCode.UNREADABLE


def test_folder_named_like_a_document_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    assert walk_folder(tmp_path) == ([], [])
    result = read_document(FileRef("folder.md", tmp_path / "folder.md", 0, 0))
    assert isinstance(result, Skipped)
    assert result.reason.startswith("cannot read")


def test_read_error_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_document turns an OSError into a reason (a real permission error, also as root, is
    tested end to end in test_hostile.py)."""
    path = tmp_path / "secret.md"
    path.write_text("x", encoding="utf-8")
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert read_document(ref(path)) == Skipped(
        "secret.md", SkipCode.UNREADABLE, "cannot read: Permission denied"
    )
