"""Skipped files: one record type with a stable code, kept in the manifest and the JSON output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import ClassVar

import pytest
from helpers import RecordingEncoder

from index import IndexConfig, SkipCode, Skipped, build_index
from index.generations import current_generation
from index.manifest import read_manifest

PAST = 1_600_000_000_000_000_000  # older than the racy window of any scan


def test_codes_are_the_short_stable_values_the_json_promises() -> None:
    assert {c.value for c in SkipCode} == {
        "bad_name",
        "not_a_file",
        "unsupported",
        "unreadable",
        "empty",
        "binary",
        "no_text",
        "no_paragraphs",
        "unextractable",
        "reader_failed",
        "degraded",
    }
    assert {c for c in SkipCode if c.retried} == {SkipCode.UNREADABLE, SkipCode.READER_FAILED}


def test_an_unknown_code_is_refused_where_the_record_is_made() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        Skipped("a.txt", "nonsense", "why")  # type: ignore[arg-type]


def test_a_record_round_trips_with_its_code_and_content_identity() -> None:
    skip = Skipped("a.md", SkipCode.EMPTY, "empty file", 0, 123, "ab" * 32)
    record = skip.record()
    assert record == {
        "path": "a.md",
        "code": "empty",
        "reason": "empty file",
        "size": 0,
        "mtime_ns": 123,
        "sha256": "ab" * 32,
    }
    assert Skipped.from_record(json.loads(json.dumps(record))) == skip
    assert Skipped("b.md", SkipCode.UNREADABLE, "cannot read: x").record().keys() == {
        "path",
        "code",
        "reason",
    }


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("file name is not valid UTF-8; rename the file", SkipCode.BAD_NAME),
        ("broken symbolic link", SkipCode.NOT_A_FILE),
        ("unsupported file type '.xlsx'; docqa reads .md", SkipCode.UNSUPPORTED),
        ("cannot read: Permission denied", SkipCode.UNREADABLE),
        ("cannot read this PDF file (KeyError: 'x')", SkipCode.READER_FAILED),
        ("empty file", SkipCode.EMPTY),
        ("binary file (contains NUL bytes), not text", SkipCode.BINARY),
        ("no text (only whitespace)", SkipCode.NO_TEXT),
        ("no paragraphs (only headings or markup)", SkipCode.NO_PARAGRAPHS),
        ("encrypted PDF (AES)", SkipCode.UNEXTRACTABLE),
    ],
)
def test_a_record_from_before_codes_gets_the_code_of_its_reason(
    reason: str, code: SkipCode
) -> None:
    assert Skipped.from_record({"path": "x", "reason": reason}).code is code


def _write(root: Path, files: dict[str, str]) -> None:
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
        os.utime(root / name, ns=(PAST, PAST))


def test_an_index_whose_manifest_has_no_codes_syncs_and_reports_codes(tmp_path: Path) -> None:
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    _write(docs, {"good.md": "A paragraph of text.\n", "heads.md": "# Only\n\n## Headings\n"})
    config = IndexConfig(index_dir=index_dir, model="hashing")
    build_index(docs, config, encoder=RecordingEncoder())
    path = current_generation(index_dir) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for record in data["skipped"]:
        del record["code"]  # as an older docqa wrote it
    path.write_text(json.dumps(data), encoding="utf-8")

    assert [s.code for s in read_manifest(path.parent).skipped] == [SkipCode.NO_PARAGRAPHS]
    again = build_index(docs, config, encoder=RecordingEncoder())
    assert again.files_skipped == [
        {
            "path": "heads.md",
            "reason": "no paragraphs (only headings or markup)",
            "code": "no_paragraphs",
        }
    ]
    manifest = read_manifest(current_generation(index_dir))
    assert [s.record()["code"] for s in manifest.skipped] == ["no_paragraphs"]


def test_a_file_indexed_with_a_problem_is_reported_as_degraded(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bad.txt").write_bytes(b"Caf\xe9 au lait is a drink made with coffee.\n")
    config = IndexConfig(index_dir=tmp_path / "index", model="hashing")
    summary = build_index(docs, config, encoder=RecordingEncoder())
    assert [(s["path"], s["code"], s.get("indexed")) for s in summary.files_skipped] == [
        ("bad.txt", "degraded", True)
    ]


class _Refusing:
    """Stands in for the reader of new files: every file is refused with ``code``."""

    code = SkipCode.UNEXTRACTABLE
    reads: ClassVar[list[str]] = []

    def __init__(self, fp, count_tokens, max_tokens):  # type: ignore[no-untyped-def]
        self.fp, self.skipped = fp, None

    def __iter__(self):  # type: ignore[no-untyped-def]
        type(self).reads.append(self.fp.path)
        self.skipped = Skipped(self.fp.path, type(self).code, f"refused as {type(self).code}")
        return iter(())


@pytest.mark.parametrize(
    ("code", "read_again"),
    [
        (SkipCode.UNEXTRACTABLE, False),
        (SkipCode.NO_TEXT, False),
        (SkipCode.UNREADABLE, True),
        (SkipCode.READER_FAILED, True),
    ],
)
def test_the_code_alone_decides_whether_the_next_sync_reads_a_skipped_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: SkipCode, read_again: bool
) -> None:
    import index.assemble

    docs, config = tmp_path / "docs", IndexConfig(index_dir=tmp_path / "index", model="hashing")
    _write(docs, {"good.md": "A paragraph of text.\n"})
    build_index(docs, config, encoder=RecordingEncoder())
    _write(docs, {"odd.md": "Text the reader refuses.\n"})
    monkeypatch.setattr(_Refusing, "code", code)
    monkeypatch.setattr(_Refusing, "reads", [])
    monkeypatch.setattr(index.assemble, "FilePassages", _Refusing)
    first = build_index(docs, config, encoder=RecordingEncoder())
    assert [(s["path"], s["code"]) for s in first.files_skipped] == [("odd.md", code.value)]
    again = build_index(docs, config, encoder=RecordingEncoder())
    assert _Refusing.reads == (["odd.md", "odd.md"] if read_again else ["odd.md"])
    assert [(s["path"], s["code"]) for s in again.files_skipped] == [("odd.md", code.value)]
