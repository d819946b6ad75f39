"""Segments: a sync writes only what changed, deletions hide what it replaced, merges keep the
segment count small, and a search over several segments ranks as one over a single segment."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import RecordingEncoder, build, paragraph

import index.merging
import index.wordsearch
import qa
from index.generations import current_generation
from index.manifest import SegmentEntry, read_manifest
from index.merging import EXACT_BUDGET, FACTOR, plan_merge
from index.store import open_snapshot

TOPICS = ["glaciers", "volcanoes", "rivers", "deserts", "forests", "oceans", "caves", "islands"]


def text_of(topic: str, n: int = 6, edit: str = "") -> str:
    paras = [paragraph(f"Note {i} about {topic} and the {topic} {i} survey.") for i in range(n)]
    if edit:
        paras[2] = paragraph(edit)
    return "# " + topic.title() + "\n\n" + "\n\n".join(paras) + "\n"


def age(docs: Path) -> None:
    past = 1_600_000_000_000_000_000  # outside the racy window of any later scan
    for path in docs.rglob("*.md"):
        os.utime(path, ns=(past, past))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for topic in TOPICS:
        (docs / f"{topic}.md").write_text(text_of(topic), encoding="utf-8")
    age(docs)
    return docs


def segments(index_dir: Path) -> list[SegmentEntry]:
    return read_manifest(current_generation(index_dir)).segments


def test_an_edit_writes_only_the_edited_file_and_deletes_what_it_replaced(
    corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    (first,) = segments(index_dir)
    old = {p.id: p for p in open_snapshot(index_dir).all_passages()}
    (corpus / "caves.md").write_text(text_of("caves", edit="Stalactites grow down."), "utf-8")
    age(corpus)
    encoder = RecordingEncoder()
    summary = build(corpus, index_dir, encoder)
    assert summary.embedded == 1 and summary.removed == 1
    big, new = segments(index_dir)
    assert big.name == first.name and new.rows == 6
    assert sorted(big.deleted) == sorted(pid for pid, p in old.items() if p.source == "caves.md")
    snap = open_snapshot(index_dir)
    try:
        assert len(snap) == len(old)
        texts = {p.text for p in snap.all_passages()}
        assert paragraph("Stalactites grow down.") in texts
        assert paragraph("Note 2 about caves and the caves 2 survey.") not in texts
        # A deleted passage is returned by no search, whatever the mode or filter.
        gone = set(big.deleted)
        query = encoder.embed(["Note 2 about caves and the caves 2 survey."])[0]
        assert not gone & {pid for pid, _ in snap.search(query, 50)}
        assert not gone & {pid for pid, _ in snap.search(query, 50, exact=True)}
        assert not gone & {h.id for h in snap.lexical_search("caves survey", 50)}
        within = snap.subset(["caves.md"])
        assert len(within) == 6 and not gone & set(within.ids.tolist())
        assert not gone & {pid for pid, _ in snap.search(query, 50, within=within)}
        assert not gone & {h.id for h in snap.lexical_search("caves", 50, within=within)}
    finally:
        snap.close()


def test_ranking_over_several_segments_matches_one_segment(corpus: Path, tmp_path: Path) -> None:
    # The same files indexed in one sync and in three: the word search uses BM25 statistics
    # of all segments together, so the rankings agree.
    whole = tmp_path / "whole"
    build(corpus, whole, RecordingEncoder())
    parts = tmp_path / "parts"
    staged = tmp_path / "staged"
    staged.mkdir()
    for lo in range(0, len(TOPICS), 3):
        for topic in TOPICS[lo : lo + 3]:
            (staged / f"{topic}.md").write_text(text_of(topic), encoding="utf-8")
        age(staged)
        build(staged, parts, RecordingEncoder())
    assert len(segments(parts)) == 3
    one, three = qa.Retriever(whole), qa.Retriever(parts)
    for question in ["caves survey", "note about rivers", "glaciers and deserts 4", "islands"]:
        for mode in ("lexical", "hybrid", "dense"):
            a = one.retrieve(question, k=60, mode=mode, per_file=0)
            b = three.retrieve(question, k=60, mode=mode, per_file=0)
            # Every match, best first; equal scores may come in either order (ties break by
            # id, and the ids differ).
            assert {r.citation for r in a} == {r.citation for r in b}, (question, mode)
            np.testing.assert_allclose(
                [r.score for r in a], [r.score for r in b], rtol=0.05, atol=1e-6
            )
            by_citation = {r.citation: r.score for r in b}
            np.testing.assert_allclose(
                [r.score for r in a], [by_citation[r.citation] for r in a], rtol=0.05, atol=1e-6
            )


def test_small_segments_are_merged_a_tier_at_a_time(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    retriever = qa.Retriever(index_dir)
    before = [r.citation for r in retriever.retrieve("caves", k=5, mode="lexical")]
    docs_count = []
    for n in range(FACTOR + 1):
        (corpus / f"extra{n}.md").write_text(text_of(f"extra{n}", n=1), encoding="utf-8")
        age(corpus)
        build(corpus, index_dir, RecordingEncoder())
        docs_count.append(len(segments(index_dir)))
    # One segment more per sync until a tier holds FACTOR of them; then they become one.
    assert docs_count[: FACTOR - 2] == list(range(2, FACTOR))
    assert docs_count[FACTOR - 2] == 1 and max(docs_count) < FACTOR
    assert [r.citation for r in retriever.retrieve("caves", k=5, mode="lexical")] == before
    assert retriever.retrieve("extra3", k=1, mode="lexical")[0].source == "extra3.md"
    on_disk = {p.name for p in (index_dir / "segments").iterdir()}
    listed = {
        s.name for g in (index_dir / "generations").iterdir() for s in read_manifest(g).segments
    }
    assert on_disk == listed, "merged-away segments are removed once no kept generation lists them"


def test_merge_policy() -> None:
    def seg(name: int, live: int, deleted: int = 0) -> SegmentEntry:
        kind = "hnsw" if live + deleted > 10_000 else "flat"
        return SegmentEntry(f"{name:06d}", live + deleted, list(range(deleted)), kind)

    assert plan_merge([seg(1, 100_000)] + [seg(i, 50) for i in range(2, FACTOR + 1)]) == []
    small = [seg(i, 50 + i) for i in range(2, FACTOR + 2)]
    assert plan_merge([seg(1, 100_000), *small]) == [s.name for s in small]
    # A segment that lost most of its passages is rewritten without them.
    assert plan_merge([seg(1, 100_000), seg(2, 400, deleted=600)]) == ["000002"]
    assert plan_merge([seg(1, 100_000, deleted=10)]) == []
    # Exactly searched segments are merged once together they cost too much to scan.
    hnsw = seg(1, 100_000)
    flats = [replace(seg(n, EXACT_BUDGET // 2), vector_index="flat") for n in (2, 3)]
    flats.append(seg(4, 10))
    assert plan_merge([hnsw, *flats]) == ["000002", "000003", "000004"]
    assert plan_merge([hnsw, *flats[1:]]) == []


def test_an_open_retriever_reuses_the_segments_a_new_generation_keeps(
    corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    retriever = qa.Retriever(index_dir)
    retriever.retrieve("caves", k=1)
    (big,) = retriever.snapshot().segments
    (corpus / "caves.md").write_text(text_of("caves", edit="Stalactites grow down."), "utf-8")
    age(corpus)
    build(corpus, index_dir, RecordingEncoder())
    hits = retriever.retrieve("Stalactites grow down", k=1, mode="lexical")
    assert hits[0].text == paragraph("Stalactites grow down.")
    assert retriever.snapshot().segments[0] is big, "the kept segment was not opened again"


def test_segment_names_are_never_reused(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    seen = {s.name for s in segments(index_dir)}
    for n in range(4):
        (corpus / "caves.md").write_text(text_of("caves", edit=f"Edit {n} of caves."), "utf-8")
        age(corpus)
        build(corpus, index_dir, RecordingEncoder())
        names = {s.name for s in segments(index_dir)}
        fresh = names - seen
        assert all(int(name) > max(int(s) for s in seen) for name in fresh)
        seen |= names


def test_a_merge_that_finds_a_damaged_input_repairs_it(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    (corpus / "extra.md").write_text(text_of("extra", n=1), encoding="utf-8")
    age(corpus)
    build(corpus, index_dir, RecordingEncoder())
    small = segments(index_dir)[-1]
    vectors = index_dir / "segments" / small.name / "vectors.f32"
    data = bytearray(vectors.read_bytes())
    data[3] ^= 0x01  # bit rot the size check cannot see
    vectors.write_bytes(bytes(data))
    monkeypatch.setattr(index.merging, "FACTOR", 2)  # the next sync merges the two segments
    (corpus / "more.md").write_text(text_of("more", n=1), encoding="utf-8")
    age(corpus)
    encoder = RecordingEncoder()
    build(corpus, index_dir, encoder)
    assert small.name not in {s.name for s in segments(index_dir)}
    assert paragraph("Note 0 about extra and the extra 0 survey.") in [
        text.split("\n\n")[-1] for text in encoder.embedded
    ], "what the damaged segment held was embedded again"
    snap = open_snapshot(index_dir)
    try:
        sources = {p.source for p in snap.all_passages()}
        assert {"extra.md", "more.md", "caves.md"} <= sources
        _, matrix = snap.all_vectors()
        np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    finally:
        snap.close()


def test_a_term_too_frequent_for_the_row_budget_is_left_out_of_a_large_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    snap = open_snapshot(index_dir)
    try:
        full = snap.lexical_search("survey stalactites caves", 10)
        # "survey" is in every passage (48 rows), "caves" in 6: within a budget of 10 rows,
        # only the rarer term is searched, and the answer still leads with it.
        monkeypatch.setattr(index.wordsearch, "ROW_BUDGET", 10)
        assert snap.lexical_search("survey stalactites caves", 10) == full  # a small index
        monkeypatch.setattr(index.wordsearch, "BUDGET_FROM", 40)
        pruned = snap.lexical_search("survey stalactites caves", 10)
        assert all(h.terms == ("caves",) for h in pruned) and len(pruned) == 6
        assert {h.id for h in pruned} <= {h.id for h in full}
        monkeypatch.setattr(index.wordsearch, "ROW_BUDGET", 1000)
        assert snap.lexical_search("survey stalactites caves", 10) == full
        assert all("survey" in h.terms for h in full)
    finally:
        snap.close()


def test_a_subset_of_excluded_files_never_brings_deleted_passages_back(
    corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    encoder = RecordingEncoder()
    build(corpus, index_dir, encoder)
    before = open_snapshot(index_dir)
    old_caves = {p.id for p in before.source_passages("caves.md")}
    caves_vector = before.vectors(sorted(old_caves))[0]
    before.close()
    (corpus / "caves.md").write_text(text_of("caves", edit="Stalactites grow down."), "utf-8")
    age(corpus)
    build(corpus, index_dir, encoder)
    snap = open_snapshot(index_dir)
    try:
        deleted = {pid for entry in snap.manifest.segments for pid in entry.deleted}
        assert old_caves <= deleted  # the edit deleted the old passages of caves.md
        # Everything but one other file: a subset of excluded ids, as filters build for
        # a filter that keeps most passages.
        within = snap.subset(["glaciers.md"], excluded=True)
        dense = [pid for pid, _ in snap.search(caves_vector, 50, within=within)]
        words = [h.id for h in snap.lexical_search("caves survey", 50, within=within)]
        for found in (dense, words):
            assert found and not set(found) & deleted
            assert set(found) & {p.id for p in snap.source_passages("caves.md")}
        exact = snap.search(caves_vector, 50, within=within, exact=True)  # all that pass
        assert set(dense) == {pid for pid, _ in exact}
    finally:
        snap.close()
