"""An index written before the word (FTS5) index: an older format says how to upgrade, and a sync
upgrades it reusing every vector."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import RecordingEncoder, build
from lexical_helpers import in_step

import qa
from index import open_snapshot
from index.errors import IndexFormatError
from index.manifest import FORMAT_VERSION, read_manifest, write_manifest
from index.verify import verify_index


def make_legacy(index_dir: Path, version: int) -> None:
    """Turn the published generation into what formats 2 and 3 wrote: one passages.sqlite
    (format 2: without the word index) and one vectors.faiss in the generation folder."""
    import shutil

    import faiss

    snap = open_snapshot(index_dir)
    folder, manifest = snap.folder, snap.manifest
    (seg,) = snap.segments
    ids, vectors = snap.all_vectors()
    shutil.copy(seg.folder / "passages.sqlite", folder / "passages.sqlite")
    snap.close()
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(manifest.dimension))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(folder / "vectors.faiss"))
    if version == 2:
        db = sqlite3.connect(folder / "passages.sqlite")
        db.execute("DROP TABLE lexical")
        db.commit()
        db.execute("VACUUM")
        db.close()
    sizes = {n: (folder / n).stat().st_size for n in ("passages.sqlite", "vectors.faiss")}
    write_manifest(folder, replace(manifest, format_version=version, segments=[], data_sizes=sizes))
    shutil.rmtree(index_dir / "segments")


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_format_says_how_to_upgrade_and_a_sync_upgrades_it_reusing_every_vector(
    corpus: Path, tmp_path: Path, version: int
) -> None:
    index_dir = tmp_path / "index"
    build(corpus, index_dir, RecordingEncoder())
    before = {(p.source, p.text) for p in open_snapshot(index_dir).all_passages()}
    make_legacy(index_dir, version)
    with pytest.raises(IndexFormatError, match=rf"older docqa \(format {version}\).*docqa index"):
        qa.Retriever(index_dir)
    assert any("older docqa" in p for p in verify_index(index_dir).problems)

    encoder = RecordingEncoder()
    summary = build(corpus, index_dir, encoder)
    assert encoder.embedded == []  # the sync re-cuts and reuses every vector
    assert summary.embedded == 0 and summary.removed == 0
    assert read_manifest(open_snapshot(index_dir).folder).format_version == FORMAT_VERSION
    assert {(p.source, p.text) for p in open_snapshot(index_dir).all_passages()} == before
    in_step(index_dir)
    retriever = qa.Retriever(index_dir)
    assert retriever.retrieve("bananas", k=1, mode="lexical")[0].source == "sub/notes.txt"
