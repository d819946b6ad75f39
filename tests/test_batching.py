"""BatchingEncoder: concurrent questions share model calls, each caller gets its own rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from helpers import RecordingEncoder, build, write_files

from index import HashingEncoder
from qa import Retriever
from qa.background import BackgroundSync
from qa.batching import BatchingEncoder


class GatedEncoder(RecordingEncoder):
    """Records each model call; the first one blocks until ``gate`` is set, so that other
    callers pile up behind it. Raises for any text in ``poison``; calls ``on_call`` with the
    texts of each call."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.poison: set[str] = set()
        self.on_call: Callable[[list[str]], None] = lambda texts: None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        first = not self.calls
        self.calls.append(list(texts))
        self.on_call(list(texts))
        if first:
            self.entered.set()
            assert self.gate.wait(10)
        if self.poison & set(texts):
            raise RuntimeError("model failed")
        return self._inner.embed(texts)


def expected(texts: Sequence[str]) -> np.ndarray:
    return RecordingEncoder().embed(texts)


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the callers to queue"
        time.sleep(0.002)


def in_threads(calls: dict[str, Callable[[], np.ndarray]]) -> dict[str, threading.Thread]:
    """Start each call in its own thread; its result (or exception) lands in ``results``."""
    threads = {}
    for key, call in calls.items():

        def run(key: str = key, call: Callable[[], np.ndarray] = call) -> None:
            try:
                results[key] = call()
            except Exception as exc:
                results[key] = exc

        threads[key] = threading.Thread(target=run, daemon=True)
        threads[key].start()
    return threads


results: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _clear_results() -> None:
    results.clear()


def join(threads: dict[str, threading.Thread]) -> None:
    for t in threads.values():
        t.join(10)
        assert not t.is_alive()


def blocked_first_call(enc: BatchingEncoder, model: GatedEncoder) -> dict[str, threading.Thread]:
    """Start one call that holds the model, so the next callers have to wait."""
    first = in_threads({"first": lambda: enc.embed(["first question"])})
    assert model.entered.wait(10)
    return first


def test_lone_call_goes_straight_to_the_model() -> None:
    model = RecordingEncoder()
    enc = BatchingEncoder(model)
    out = enc.embed(["where are backups kept?", "how do I sync?"])
    assert model.calls == [["where are backups kept?", "how do I sync?"]]
    np.testing.assert_array_equal(out, expected(["where are backups kept?", "how do I sync?"]))
    assert out.shape == (2, enc.dimension)
    assert enc.embed([]).shape == (0, enc.dimension)
    assert model.calls == [["where are backups kept?", "how do I sync?"]]  # none for no texts
    assert (enc.name, enc.dimension, enc.max_tokens) == (model.name, 32, 64)
    assert enc.count_tokens("three little words") == 3


def test_callers_waiting_together_share_one_model_call() -> None:
    model = GatedEncoder()
    enc = BatchingEncoder(model)
    first = blocked_first_call(enc, model)
    asks = {f"q{i}": [f"question {i}"] * (1 + i % 2) + [f"extra {i}"] for i in range(8)}
    threads = in_threads({k: (lambda t=t: enc.embed(t)) for k, t in asks.items()})
    wait_until(lambda: enc.waiting == 8)
    model.gate.set()
    join({**first, **threads})
    assert [len(c) for c in model.calls] == [1, sum(len(t) for t in asks.values())]
    for key, texts in asks.items():
        np.testing.assert_array_equal(results[key], expected(texts))
    np.testing.assert_array_equal(results["first"], expected(["first question"]))


def test_a_model_call_holds_at_most_max_batch_texts() -> None:
    model = GatedEncoder()
    enc = BatchingEncoder(model, max_batch=4)
    first = blocked_first_call(enc, model)
    threads = in_threads({f"q{i}": (lambda i=i: enc.embed([f"q {i}"])) for i in range(6)})
    wait_until(lambda: enc.waiting == 6)
    long = in_threads({"long": lambda: enc.embed([f"long {i}" for i in range(6)])})
    wait_until(lambda: enc.waiting == 7)
    model.gate.set()
    join({**first, **threads, **long})
    # the first call; the six single texts, four and two (the long call does not fit beside
    # the two, so it waits for the next call); the long call, four texts at a time
    assert [len(c) for c in model.calls] == [1, 4, 2, 4, 2]
    np.testing.assert_array_equal(results["long"], expected([f"long {i}" for i in range(6)]))
    for i in range(6):
        np.testing.assert_array_equal(results[f"q{i}"], expected([f"q {i}"]))


def test_a_failing_model_call_fails_every_caller_in_it_and_no_other() -> None:
    model = GatedEncoder()
    model.poison = {"bad"}
    enc = BatchingEncoder(model, max_batch=3)
    first = blocked_first_call(enc, model)
    threads = in_threads({"a": lambda: enc.embed(["a"]), "bad": lambda: enc.embed(["bad"])})
    wait_until(lambda: enc.waiting == 2)
    later = in_threads({"c": lambda: enc.embed(["c", "d"])})  # does not fit: next call
    wait_until(lambda: enc.waiting == 3)
    model.gate.set()
    join({**first, **threads, **later})
    assert isinstance(results["a"], RuntimeError) and isinstance(results["bad"], RuntimeError)
    np.testing.assert_array_equal(results["c"], expected(["c", "d"]))
    np.testing.assert_array_equal(enc.embed(["after"]), expected(["after"]))  # still usable


def test_a_wrong_shaped_result_is_an_error_not_mixed_up_rows() -> None:
    class Short(RecordingEncoder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return super().embed(texts)[:-1]

    with pytest.raises(ValueError, match=r"shape \(1, 32\) for 2 texts"):
        BatchingEncoder(Short()).embed(["a", "b"])


def test_bulk_calls_run_in_chunks_taking_turns_with_questions() -> None:
    model = GatedEncoder()
    enc = BatchingEncoder(model, bulk_batch=3)
    passages = [f"passage {i}" for i in range(8)]
    later: dict[str, threading.Thread] = {}

    def ask_again(texts: list[str]) -> None:  # a question arrives while q1 is embedded
        if texts == ["q1"]:
            later.update(in_threads({"q2": lambda: enc.embed(["q2"])}))
            wait_until(lambda: enc.waiting == 2)

    model.on_call = ask_again
    bulk = in_threads({"bulk": lambda: enc.bulk.embed(passages)})
    assert model.entered.wait(10)  # the first chunk holds the model
    asked = in_threads({"q1": lambda: enc.embed(["q1"])})
    wait_until(lambda: enc.waiting == 2)
    model.gate.set()
    join({**bulk, **asked})
    join(later)
    assert model.calls == [passages[0:3], ["q1"], passages[3:6], ["q2"], passages[6:8]]
    np.testing.assert_array_equal(results["bulk"], expected(passages))
    np.testing.assert_array_equal(results["q2"], expected(["q2"]))
    assert enc.bulk.count_tokens("two words") == 2
    assert (enc.bulk.name, enc.bulk.dimension) == (enc.name, enc.dimension)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="max_batch and bulk_batch must be at least 1"):
        BatchingEncoder(HashingEncoder(), max_batch=0)


def test_retriever_with_batching_answers_the_same(hashing_index: Path) -> None:
    plain = Retriever(hashing_index).retrieve("how do I rebuild the index?", k=3)
    retriever = Retriever(hashing_index, batching=True)
    assert isinstance(retriever.encoder, BatchingEncoder)
    assert retriever.retrieve("how do I rebuild the index?", k=3) == plain


def test_background_sync_embeds_through_the_low_priority_chunks(tmp_path: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a.md": "first paragraph\n"})
    index_dir = tmp_path / "index"
    model = RecordingEncoder()
    build(docs, index_dir, model)
    enc = BatchingEncoder(model, bulk_batch=2)
    retriever = Retriever(index_dir, encoder=enc)
    words = "with enough words of its own that the chunker keeps it as a passage apart from"
    paragraphs = "\n\n".join(
        f"Paragraph {i} is about topic t{i}, {words} the others." for i in range(5)
    )
    write_files(docs, {"b.md": paragraphs + "\n"})
    model.calls.clear()
    sync = BackgroundSync(retriever)
    assert sync.start()
    status = sync.wait(30)
    assert status.error is None and status.summary is not None
    assert status.summary.embedded == 5
    assert [len(c) for c in model.calls] == [2, 2, 1]
