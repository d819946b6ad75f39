"""docqa verify on indexes damaged the way each of its checks exists for.

Each test breaks one thing, re-records the segment checksums where the damage would otherwise
be caught by them first (as if a faulty docqa had written the damage itself), and asserts that
verify reports exactly that problem and that ``docqa verify`` exits 1 with a line naming it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import qa
from index import HashingEncoder
from index.checksums import checksum
from index.generations import current_generation
from index.manifest import read_manifest, write_manifest
from index.verify import verify_index
from qa.cli import cli


def segment_dir(index_dir: Path, n: int = 0) -> Path:
    entry = read_manifest(current_generation(index_dir)).segments[n]
    return index_dir / "segments" / entry.name


def reseal(index_dir: Path) -> None:
    """Record every segment's current file checksums in the published manifest."""
    folder = current_generation(index_dir)
    m = read_manifest(folder)
    entries = []
    for entry in m.segments:
        seg = index_dir / "segments" / entry.name
        entries.append(replace(entry, checksums={n: checksum(seg / n) for n in entry.checksums}))
    write_manifest(folder, replace(m, segments=entries))


def edit_manifest(index_dir: Path, **changes: object) -> None:
    folder = current_generation(index_dir)
    write_manifest(folder, replace(read_manifest(folder), **changes))  # type: ignore[arg-type]


def verify_text(*args: str) -> tuple[int, list[str]]:
    """``docqa verify`` in human form: exit code and output lines."""
    res = CliRunner().invoke(cli, ["verify", *args])
    return res.exit_code, res.stdout.splitlines()


def write_ids(index_dir: Path, ids: list[int]) -> None:
    np.asarray(ids, dtype="<i8").tofile(segment_dir(index_dir) / "ids.i64")


def test_a_passage_id_held_by_two_segments_is_a_duplicate(hashing_index: Path) -> None:
    # A merge that published its output but still listed one of its inputs: every passage
    # of that input is then found twice, once in each segment.
    folder = current_generation(hashing_index)
    m = read_manifest(folder)
    first = m.segments[0]
    copy = replace(first, name=f"{m.next_segment:06d}")
    shutil.copytree(hashing_index / "segments" / first.name, hashing_index / "segments" / copy.name)
    files = {path: replace(e, passages=2 * e.passages) for path, e in m.files.items()}
    write_manifest(
        folder,
        replace(
            m,
            segments=[first, copy],
            passages=2 * m.passages,
            files=files,
            next_segment=m.next_segment + 1,
        ),
    )
    report = verify_index(hashing_index)
    assert report.problems == ["duplicate ids among the vectors"]
    code, lines = verify_text("--index", str(hashing_index))
    assert code == 1
    assert "  problem: duplicate ids among the vectors" in lines and lines[-1] == "NOT OK"


def test_a_repeated_id_within_one_segment_marks_it_damaged(hashing_index: Path) -> None:
    ids = np.fromfile(segment_dir(hashing_index) / "ids.i64", dtype="<i8").tolist()
    write_ids(hashing_index, [ids[0], ids[0], *ids[2:]])
    reseal(hashing_index)
    report = verify_index(hashing_index)
    assert len(report.problems) == 1
    assert "ids.i64: the ids do not ascend" in report.problems[0]
    assert "run docqa index to repair it" in report.problems[0]
    code, lines = verify_text("--index", str(hashing_index))
    assert code == 1
    assert [line for line in lines if line.startswith("  problem: ")] == [
        f"  problem: {report.problems[0]}"
    ]


def test_ids_that_do_not_match_the_rows_are_reported(hashing_index: Path) -> None:
    # The last vector is filed under an id no passage has: that passage has no vector.
    ids = np.fromfile(segment_dir(hashing_index) / "ids.i64", dtype="<i8").tolist()
    write_ids(hashing_index, [*ids[:-1], ids[-1] + 1000])
    reseal(hashing_index)
    report = verify_index(hashing_index)
    assert report.problems == ["ids differ: 1 passages have no vector, 1 vectors have no passage"]
    code, lines = verify_text("--index", str(hashing_index))
    assert code == 1
    assert "  problem: ids differ: 1 passages have no vector, 1 vectors have no passage" in lines


def test_passage_ids_past_next_id_are_reported(hashing_index: Path) -> None:
    # The next build would hand out ids already in use.
    edit_manifest(hashing_index, next_id=3)
    report = verify_index(hashing_index)
    assert report.problems == ["passage ids reach past the manifest's next_id 3"]
    code, lines = verify_text("--index", str(hashing_index))
    assert code == 1
    assert "  problem: passage ids reach past the manifest's next_id 3" in lines


def test_a_word_index_missing_a_passage_is_reported(hashing_index: Path) -> None:
    db = segment_dir(hashing_index) / "passages.sqlite"
    with sqlite3.connect(db) as conn:
        table = conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '%_docsize'"
        ).fetchone()[0]
        conn.execute(f"DELETE FROM {table} WHERE rowid = (SELECT min(rowid) FROM {table})")
    reseal(hashing_index)
    report = verify_index(hashing_index)
    assert report.problems == ["the word index holds 6 passages, the metadata 7"]
    code, lines = verify_text("--index", str(hashing_index))
    assert code == 1
    assert "  problem: the word index holds 6 passages, the metadata 7" in lines


def test_passages_of_a_file_the_manifest_does_not_list_are_reported(hashing_index: Path) -> None:
    m = read_manifest(current_generation(hashing_index))
    edit_manifest(hashing_index, files={p: e for p, e in m.files.items() if p != "sub/notes.txt"})
    report = verify_index(hashing_index)
    assert "sub/notes.txt: has passages but is not in the manifest" in report.problems
    # Without its manifest entry the file's title is unknown, so its passages' content hashes
    # (taken over the title too) are reported as well; nothing about any other file is.
    assert all(p.startswith("sub/notes.txt") for p in report.problems)
    code, lines = verify_text("--index", str(hashing_index))
    assert code == 1
    assert "  problem: sub/notes.txt: has passages but is not in the manifest" in lines


def test_a_folder_the_index_was_not_built_from_is_reported(
    hashing_index: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    report = verify_index(hashing_index, docs=other)
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"{str(other)!r} is not the folder this index was built")
    assert (report.added, report.changed, report.removed) == ([], [], [])
    code, lines = verify_text("--index", str(hashing_index), "--docs", str(other))
    assert code == 1
    assert any("is not the folder this index was built from" in line for line in lines)


def test_a_deleted_source_file_is_flagged_stale(hashing_index: Path, corpus: Path) -> None:
    (corpus / "sub" / "notes.txt").unlink()
    report = verify_index(hashing_index, docs=corpus)
    assert (report.added, report.changed, report.removed) == ([], [], ["sub/notes.txt"])
    assert report.problems == [] and not report.ok
    code, lines = verify_text("--index", str(hashing_index), "--docs", str(corpus))
    assert code == 1
    assert "  removed on disk since indexing: sub/notes.txt" in lines
    assert lines[-1] == "NOT OK"
    # A question answered from the deleted file says its source changed since indexing.
    top = qa.Retriever(hashing_index, encoder=HashingEncoder()).retrieve("bananas potassium", k=1)
    assert top[0].source == "sub/notes.txt" and top[0].stale
    res = CliRunner().invoke(
        cli, ["ask", "bananas potassium", "--index", str(hashing_index), "-k", "1", "--json"]
    )
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)
    assert results[0]["source"] == "sub/notes.txt" and results[0]["stale"] is True
    res = CliRunner().invoke(
        cli, ["ask", "bananas potassium", "--index", str(hashing_index), "-k", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "sub/notes.txt" in res.stdout and "[source changed since indexing]" in res.stdout
