"""index.encoders without the real model: HashingEncoder, model specs, and load errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.encoders import DEFAULT_MODEL, Encoder, HashingEncoder, load_encoder, model_name
from index.errors import ModelLoadError

TEXTS = ["Bananas are yellow.", "The capital of France is Paris.", "bananas ARE yellow!", "x"]


def test_hashing_encoder_is_an_encoder() -> None:
    enc = HashingEncoder()
    assert isinstance(enc, Encoder)
    assert (enc.dimension, enc.max_tokens) == (256, 256)
    assert enc.name == "hashing:dim=256,max_tokens=256"


def test_hashing_embeddings_are_deterministic_across_instances_and_batches() -> None:
    a = HashingEncoder(dimension=64).embed(TEXTS)
    b = HashingEncoder(dimension=64).embed(list(reversed(TEXTS)))[::-1]
    one_by_one = np.vstack([HashingEncoder(dimension=64).embed([t]) for t in TEXTS])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, one_by_one)


def test_hashing_embeddings_are_float32_unit_rows_of_the_right_shape() -> None:
    vectors = HashingEncoder(dimension=32).embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 32)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


def test_hashing_embeddings_match_words_not_case_or_punctuation() -> None:
    v = HashingEncoder(dimension=128).embed(TEXTS)
    np.testing.assert_allclose(v[0], v[2])
    assert float(v[0] @ v[1]) < 0.99


def test_hashing_embedding_of_text_without_words_has_no_nan() -> None:
    vectors = HashingEncoder(dimension=8).embed(["", "!!! ...", "🎉"])
    assert np.isfinite(vectors).all()
    assert (np.linalg.norm(vectors, axis=1) <= 1.0 + 1e-6).all()


def test_hashing_embed_of_no_texts_is_an_empty_matrix() -> None:
    assert HashingEncoder(dimension=16).embed([]).shape == (0, 16)


def test_hashing_count_tokens_counts_words() -> None:
    enc = HashingEncoder()
    assert enc.count_tokens("") == 0
    assert enc.count_tokens("Hello, world! It's 2024.") == 5
    assert enc.count_tokens("日本語 テキスト") == 2


@pytest.mark.parametrize(("dimension", "max_tokens"), [(1, 10), (0, 10), (16, 0), (-4, 5)])
def test_hashing_encoder_rejects_bad_sizes(dimension: int, max_tokens: int) -> None:
    with pytest.raises(ModelLoadError, match="dimension"):
        HashingEncoder(dimension=dimension, max_tokens=max_tokens)


# --- specs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "dimension", "max_tokens"),
    [
        ("hashing", 256, 256),
        ("hashing:", 256, 256),
        ("hashing:dim=64", 64, 256),
        ("hashing:max_tokens=20", 256, 20),
        ("hashing:dim=64,max_tokens=20", 64, 20),
        ("hashing:max_tokens=20,dim=64", 64, 20),
    ],
)
def test_hashing_spec(spec: str, dimension: int, max_tokens: int) -> None:
    enc = load_encoder(spec)
    assert isinstance(enc, HashingEncoder)
    assert (enc.dimension, enc.max_tokens) == (dimension, max_tokens)
    assert model_name(spec) == enc.name == f"hashing:dim={dimension},max_tokens={max_tokens}"


def test_equivalent_hashing_specs_name_the_same_model() -> None:
    assert model_name("hashing") == model_name("hashing:dim=256,max_tokens=256")
    assert model_name("hashing:dim=64") != model_name("hashing")


@pytest.mark.parametrize(
    "spec",
    [
        "hashing:dim=abc",
        "hashing:size=64",
        "hashing:dim",
        "hashing:dim=-5",
        "hashing:dim=1",
        "hashing:dim=64,max_tokens=0",
        "hashing:dim=6.5",
    ],
)
def test_bad_hashing_spec_raises_model_load_error(spec: str) -> None:
    with pytest.raises(ModelLoadError):
        load_encoder(spec)
    with pytest.raises(ModelLoadError):
        model_name(spec)


def test_superscript_digit_in_hashing_spec_raises_model_load_error() -> None:
    with pytest.raises(ModelLoadError):
        load_encoder("hashing:dim=²")


@pytest.mark.parametrize("spec", [DEFAULT_MODEL, "all-MiniLM-L6-v2"])
def test_model_name_of_the_packaged_model(spec: str) -> None:
    assert model_name(spec) == DEFAULT_MODEL == "sentence-transformers/all-MiniLM-L6-v2"


def test_model_name_of_a_local_folder_is_its_resolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models" / "mine").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    expected = str((tmp_path / "models" / "mine").resolve())
    assert model_name("models/mine") == expected
    assert model_name("./models/../models/mine") == expected


def test_model_name_of_an_unknown_name_is_the_name() -> None:
    assert model_name("someone/some-model") == "someone/some-model"


@pytest.mark.parametrize("form", ["absolute", "relative", "file"])
def test_load_encoder_for_a_missing_folder_raises_without_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "weights.bin").write_bytes(b"\x00")
    spec = {
        "absolute": str(tmp_path / "no-such-model"),
        "relative": "./no-such-model",
        "file": str(tmp_path / "weights.bin"),
    }[form]
    with pytest.raises(ModelLoadError, match="does not exist or is not a folder") as info:
        load_encoder(spec)
    assert spec in str(info.value)


def test_importing_index_and_hashing_loads_no_model_libraries() -> None:
    code = (
        "import sys, index\n"
        "enc = index.load_encoder('hashing:dim=8')\n"
        "enc.embed(['hello'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'faiss') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    assert out.stdout.strip() == ""
