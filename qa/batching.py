"""Questions that arrive together share one model call.

A server answers many questions at once, each in its own thread, and each needs its question
embedded. One model call for eight short questions costs little more than a call for one
(all-MiniLM-L6-v2 on 2 CPU cores: 1 question 15-18 ms, 8 questions 30-34 ms), so
:class:`BatchingEncoder` merges the ``embed`` calls that wait while the model is busy into the
next call. Nothing sleeps to gather a batch: a lone question goes straight to the model, and a
batch forms only from the calls that queued behind a running one.

A background sync embeds passages through the same model. Its calls go through
:attr:`BatchingEncoder.bulk`, which runs them ``bulk_batch`` texts at a time; while questions
wait, questions and passages take turns. A question waits for at most one small chunk of
passages, not for a whole batch of a sync, and a sync still ends while questions keep coming.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index import Encoder

__all__ = ["BatchingEncoder"]


@dataclass(eq=False)
class _Request:
    """One ``embed`` call: its texts, how far the model has got, and its outcome."""

    texts: list[str]
    parts: list[np.ndarray] = field(default_factory=list)
    next: int = 0  # first text not yet handed to the model
    done: int = 0  # texts with a vector in ``parts``
    error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.error is not None or self.done == len(self.texts)


class BatchingEncoder:
    """An :class:`~index.encoders.Encoder` that merges concurrent ``embed`` calls into shared
    model calls of at most ``max_batch`` texts; only one model call runs at a time.

    The thread whose call finds the model idle makes the model calls, for its own texts and
    for whatever queued meanwhile, until its own are done; then a waiting thread takes over.
    Each caller gets exactly the rows of its own texts, in order; when a model call raises,
    every caller whose texts were in it gets the exception. Calls through :attr:`bulk` run
    ``bulk_batch`` texts at a time, taking turns with waiting ``embed`` calls.
    """

    def __init__(self, encoder: Encoder, *, max_batch: int = 32, bulk_batch: int = 4) -> None:
        if max_batch < 1 or bulk_batch < 1:
            raise ValueError(
                f"max_batch and bulk_batch must be at least 1, got {max_batch}, {bulk_batch}"
            )
        self.encoder = encoder
        self.name = encoder.name
        self.dimension = encoder.dimension
        self.max_tokens = encoder.max_tokens
        self.max_batch = max_batch
        self.bulk_batch = bulk_batch
        self.bulk: Encoder = _Bulk(self)
        self._cond = threading.Condition()
        self._asked: deque[_Request] = deque()
        self._background: deque[_Request] = deque()
        self._busy = False
        self._bulk_turn = False  # the next call goes to a waiting bulk call, if any

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``, sharing a model call with other callers waiting at the same time."""
        return self._submit(texts, self._asked)

    @property
    def backend(self) -> str:
        """The wrapped encoder's engine for passages (see :mod:`index.backends`), if it has one."""
        return str(getattr(self.encoder, "backend", ""))

    def count_tokens(self, text: str) -> int:
        # Not queued: a sync's chunking counts tokens between its embed calls, and must not
        # wait for questions. The wrapped encoder counts safely beside a running embed call
        # (SentenceTransformerEncoder counts with a tokenizer of its own).
        return self.encoder.count_tokens(text)

    @property
    def waiting(self) -> int:
        """Calls (``embed`` and :attr:`bulk`) with texts not yet handed to the model."""
        with self._cond:
            return len(self._asked) + len(self._background)

    def _submit(self, texts: Sequence[str], queue: deque[_Request]) -> np.ndarray:
        request = _Request(list(texts))
        if not request.texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._cond:
            queue.append(request)
            while self._busy and not request.finished:
                self._cond.wait()
            lead = not request.finished  # the model is idle: this caller makes the calls
            if lead:
                self._busy = True
        if lead:
            try:
                while not request.finished:
                    self._run_one()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if request.error is not None:
            raise request.error
        return np.concatenate(request.parts) if len(request.parts) > 1 else request.parts[0]

    def _take(self) -> list[tuple[_Request, int, int]]:
        """The next model call's texts as ``(request, start, stop)``: waiting ``embed`` calls,
        whole, up to ``max_batch`` texts (a longer one a slice at a time), or a slice of the
        oldest bulk call; when both wait they take turns."""
        with self._cond:
            if self._asked and not (self._background and self._bulk_turn):
                queue, room = self._asked, self.max_batch
            elif self._background:
                queue, room = self._background, self.bulk_batch
            else:
                return []
            self._bulk_turn = queue is self._asked
            batch: list[tuple[_Request, int, int]] = []
            while queue and room > 0:
                request = queue[0]
                if batch and len(request.texts) - request.next > room:
                    break  # kept whole for the next call
                start = request.next
                request.next = stop = min(len(request.texts), start + room)
                batch.append((request, start, stop))
                room -= stop - start
                if stop == len(request.texts):
                    queue.popleft()
            return batch

    def _run_one(self) -> None:
        batch = self._take()
        if not batch:  # cannot happen while the caller's own request is unfinished
            return
        texts = [t for request, start, stop in batch for t in request.texts[start:stop]]
        try:
            vectors = self.encoder.embed(texts)
            if vectors.shape != (len(texts), self.dimension):
                raise ValueError(
                    f"encoder {self.name!r} returned an array of shape {vectors.shape} for "
                    f"{len(texts)} texts; expected ({len(texts)}, {self.dimension})"
                )
        except BaseException as exc:
            with self._cond:
                for request, _, _ in batch:
                    request.error = exc
                    for queue in (self._asked, self._background):
                        if request in queue:
                            queue.remove(request)
                self._cond.notify_all()
            if not isinstance(exc, Exception):
                raise
            return
        with self._cond:
            row = 0
            for request, start, stop in batch:
                request.parts.append(vectors[row : row + stop - start])
                request.done += stop - start
                row += stop - start
            self._cond.notify_all()


class _Bulk:
    """The low-priority view of a :class:`BatchingEncoder`, for background syncs."""

    def __init__(self, owner: BatchingEncoder) -> None:
        self._owner = owner
        self.name = owner.name
        self.dimension = owner.dimension
        self.max_tokens = owner.max_tokens

    @property
    def backend(self) -> str:
        return self._owner.backend

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` ``bulk_batch`` at a time, taking turns with waiting questions."""
        return self._owner._submit(texts, self._owner._background)

    def count_tokens(self, text: str) -> int:
        return self._owner.count_tokens(text)
