"""docqa verify: an index that disagrees with itself or with its folder is reported, exit 1."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from index.checksums import checksum
from index.generations import current_generation
from index.manifest import read_manifest, write_manifest
from index.verify import verify_index
from qa.cli import cli


def segment(index_dir: Path) -> Path:
    """The folder of the index's (first) segment."""
    entry = read_manifest(current_generation(index_dir)).segments[0]
    return index_dir / "segments" / entry.name


def reseal(index_dir: Path) -> None:
    """Record the segment files' current checksums, as if a faulty docqa had written them so:
    what is checked then is the content itself."""
    folder = current_generation(index_dir)
    m = read_manifest(folder)
    entry = m.segments[0]
    sums = {name: checksum(segment(index_dir) / name) for name in entry.checksums}
    write_manifest(folder, replace(m, segments=[replace(entry, checksums=sums), *m.segments[1:]]))


def verify_cli(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = CliRunner().invoke(cli, ["verify", *args, "--json"])
    return res.exit_code, json.loads(res.stdout)


def test_a_fresh_index_verifies(hashing_index: Path, corpus: Path) -> None:
    code, report = verify_cli("--index", str(hashing_index), "--docs", str(corpus))
    assert code == 0
    assert report["ok"] and report["problems"] == []
    assert report["passages"] == 7 and report["files"] == 2


def test_bit_rot_in_a_segment_fails_its_checksum(hashing_index: Path) -> None:
    path = segment(hashing_index) / "vectors.f32"
    data = bytearray(path.read_bytes())
    data[5] ^= 0x10  # one flipped bit, same size
    path.write_bytes(bytes(data))
    code, report = verify_cli("--index", str(hashing_index))
    assert code == 1
    assert len(report["problems"]) == 1
    assert "vectors.f32" in report["problems"][0] and "checksum" in report["problems"][0]
    assert "docqa index --repair" in report["problems"][0]


def test_edited_passage_text_breaks_its_hash(hashing_index: Path) -> None:
    db = segment(hashing_index) / "passages.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE passages SET text = 'tampered' WHERE id = 1")
    assert any("checksum" in p for p in verify_index(hashing_index).problems)
    reseal(hashing_index)
    report = verify_index(hashing_index)
    assert not report.ok
    assert any("content hash does not match" in p for p in report.problems)


def test_manifest_count_that_disagrees_is_reported(hashing_index: Path) -> None:
    manifest = current_generation(hashing_index) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"]["guide.md"]["passages"] += 1
    manifest.write_text(json.dumps(data), encoding="utf-8")
    code, report = verify_cli("--index", str(hashing_index))
    assert code == 1
    assert report["problems"] == ["guide.md: manifest counts 5 passages, metadata has 4"]


def test_damaged_vectors_are_reported(hashing_index: Path) -> None:
    path = segment(hashing_index) / "vectors.f32"
    vectors = np.fromfile(path, dtype="<f4")
    (vectors * 2.0).astype("<f4").tofile(path)
    reseal(hashing_index)
    report = verify_index(hashing_index)
    dim = read_manifest(current_generation(hashing_index)).dimension
    assert report.problems == [f"{len(vectors) // dim} vectors are not unit length"]


def test_files_changed_on_disk_are_listed(hashing_index: Path, corpus: Path) -> None:
    (corpus / "guide.md").write_text("# Changed\n\nNew text.\n", encoding="utf-8")
    (corpus / "sub" / "notes.txt").unlink()
    (corpus / "new.txt").write_text("Another file.\n", encoding="utf-8")
    code, report = verify_cli("--index", str(hashing_index), "--docs", str(corpus))
    assert code == 1
    assert (report["added"], report["changed"], report["removed"]) == (
        ["new.txt"],
        ["guide.md"],
        ["sub/notes.txt"],
    )
    assert report["problems"] == []


def test_unreadable_generation_is_a_problem_not_a_crash(hashing_index: Path) -> None:
    (segment(hashing_index) / "vectors.f32").write_bytes(b"junk")
    code, report = verify_cli("--index", str(hashing_index))
    assert code == 1
    assert "docqa index --repair" in report["problems"][0]


def test_missing_index_is_a_one_line_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["verify", "--index", str(tmp_path / "none")])
    assert res.exit_code == 1
    assert res.stderr.startswith("docqa: error: no index at")


def test_split_paragraphs_and_tables_with_context_verify(tmp_path: Path) -> None:
    from index import IndexConfig, build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    lead = "Zebras live in Africa."
    (docs / "long.txt").write_text(
        lead + " " + " ".join(f"They eat grass number {i}." for i in range(40)) + "\n",
        encoding="utf-8",
    )
    rows = "".join(f"<tr><td>row {i}</td><td>{i}</td></tr>" for i in range(40))
    (docs / "t.html").write_text(
        f"<table><tr><th>a</th><th>b</th></tr>{rows}</table>", encoding="utf-8"
    )
    build_index(docs, IndexConfig(index_dir=tmp_path / "i", model="hashing:max_tokens=30"))
    report = verify_index(tmp_path / "i", docs=docs)
    assert report.ok, report.problems
    assert report.passages > 4


def test_a_span_that_no_longer_holds_its_text_is_reported(
    hashing_index: Path, corpus: Path
) -> None:
    db = segment(hashing_index) / "passages.sqlite"
    with sqlite3.connect(db) as conn:
        source, start, end = conn.execute(
            'SELECT source, start, "end" FROM passages WHERE source = ? ORDER BY start LIMIT 1 OFFSET 1',
            ("guide.md",),
        ).fetchone()
        conn.execute(
            'UPDATE passages SET start = start + 1, "end" = "end" + 1 WHERE source = ? AND start = ?',
            (source, start),
        )
    reseal(hashing_index)
    report = verify_index(hashing_index, docs=corpus)
    assert not report.ok
    assert (
        [p for p in report.problems if "are not the passage text" in p]
        == [p for p in report.problems if f"characters {start + 1}-{end + 1} of the file" in p]
        != []
    )
