"""What a sync writes: one new segment with the passages of new, changed, renamed and copied
files, and the ids of the old passages those files replace or that left with deleted files.

Untouched files keep their passages where they are: nothing of them is read or written. Renamed
and copied files take the passages and vectors of the file they match; new content is read, cut
into passages and embedded, once per distinct passage (a passage whose content any segment
already holds is never embedded again). Text flows through a batch at a time, so memory does
not grow with the size of a file or of the corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Protocol

import numpy as np

from .documents import Fingerprint
from .encoders import Encoder
from .legacy import LegacyVectors
from .manifest import FileEntry, Manifest
from .passage import Passage
from .reading import FilePassages
from .skips import SkipCode, Skipped
from .store import IndexSnapshot
from .sync import SyncPlan
from .writer import SegmentWriter

__all__ = ["Assembly", "VectorSource", "assemble"]

# progress(stage, done, total); here stage is "embedding", counted in bytes of new files.
Progress = Callable[[str, int, int], None]

# Passages cut, looked up and embedded together.
_BATCH = 256
_NO_PARAGRAPHS = "no paragraphs (only headings or markup)"


class VectorSource(Protocol):
    """Where vectors already made are found by content: an open snapshot or an old-format index."""

    manifest: Manifest

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]: ...

    def vectors(self, ids: Sequence[int]) -> np.ndarray: ...


@dataclass
class Assembly:
    """What the sync wrote and deletes: an entry per indexed file (kept ones included), the
    files that yielded nothing, the old passages deleted (ids by segment)."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    deleted: dict[str, list[int]] = field(default_factory=dict)
    embedded: int = 0  # distinct passages sent to the model (or that would be, in a dry run)
    removed: int = 0  # passages that left the index: deleted, with no same content written
    next_id: int = 1


def assemble(
    plan: SyncPlan,
    writer: SegmentWriter,
    previous: VectorSource | None,
    encoder: Callable[[], Encoder],
    progress: Progress | None = None,
) -> Assembly:
    """Write the new and moved files of ``plan`` into ``writer`` in path order and collect the
    deletions. ``encoder`` is called only when a file has to be read; without vectors in
    ``writer`` nothing is embedded (dry run). ``previous`` is the current generation (its
    untouched files stay) or an old-format index (vectors reused, every file written anew)."""
    return _Assembler(plan, writer, previous, encoder, progress).run()


class _Assembler:
    def __init__(
        self,
        plan: SyncPlan,
        writer: SegmentWriter,
        previous: VectorSource | None,
        encoder: Callable[[], Encoder],
        progress: Progress | None,
    ) -> None:
        self.plan, self.writer, self.previous = plan, writer, previous
        self.snapshot = previous if isinstance(previous, IndexSnapshot) else None
        self.encoder, self.progress = encoder, progress
        self.out = Assembly(next_id=previous.manifest.next_id if previous is not None else 1)
        self.total = sum(fp.size for fp in plan.to_chunk)
        self.done = 0

    def run(self) -> Assembly:
        old_files = self.snapshot.manifest.files if self.snapshot is not None else {}
        fresh = {fp.path: fp for fp in self.plan.to_chunk}
        untouched = {
            path
            for path in self.plan.kept
            if path in old_files and path not in self.plan.reuse_from
        }
        self.out.files = {path: self.plan.kept[path] for path in untouched}
        self._report(0)
        for path in sorted((self.plan.kept.keys() - untouched) | fresh.keys()):
            if path in fresh:
                self._read(fresh[path])
            else:
                self._carry(path)
        if self.snapshot is not None:
            self.out.deleted = self.snapshot.deleted_ids(old_files.keys() - untouched)
            gone = Counter(self.snapshot.hashes(self.out.deleted))
            gone.subtract(Counter(self.writer.hashes()))
            self.out.removed = sum(n for n in gone.values() if n > 0)
        elif isinstance(self.previous, LegacyVectors):  # an upgrade writes every file anew
            gone = Counter(self.previous.hashes())
            gone.subtract(Counter(self.writer.hashes()))
            self.out.removed = sum(n for n in gone.values() if n > 0)
        return self.out

    def _carry(self, path: str) -> None:
        """A file whose content the current generation holds under another path."""
        assert self.snapshot is not None  # a plan reuses passages only from an open index
        originals = self.snapshot.source_passages(self.plan.reuse_from[path])
        passages = [replace(p, source=path, id=self._id()) for p in originals]
        vectors = (
            self.snapshot.vectors([p.id for p in originals]) if self.writer.has_vectors else None
        )
        self.writer.add(passages, vectors)
        self.out.files[path] = replace(self.plan.kept[path], passages=len(passages))

    def _read(self, fp: Fingerprint) -> None:
        """A file with new content: cut, embedded where needed, written a batch at a time."""
        enc = self.encoder()
        reader = FilePassages(fp, enc.count_tokens, enc.max_tokens)
        count = 0
        for batch in _batched(iter(reader), _BATCH):
            passages = [replace(p, id=self._id()) for p, _ in batch]
            self.writer.add(passages, self._vectors(batch, enc))
            count += len(batch)
            self._report(min(fp.size, passages[-1].end))
        self.done += fp.size
        self._report(0)
        if reader.skipped is not None or count == 0:
            skip = reader.skipped or Skipped(fp.path, SkipCode.NO_PARAGRAPHS, _NO_PARAGRAPHS)
            if not skip.code.retried:  # the content is the reason: skipped unread until it changes
                skip = replace(skip, size=fp.size, mtime_ns=fp.ref.mtime_ns, sha256=fp.sha256)
            self.out.skipped.append(skip)
            return
        self.out.files[fp.path] = FileEntry(
            reader.sha256,
            reader.size,
            fp.ref.mtime_ns,
            count,
            fp.format,
            reader.warning,
            reader.title,
        )

    def _id(self) -> int:
        """The next new passage id: ids are never reused, so they ascend within a segment."""
        self.out.next_id += 1
        return self.out.next_id - 1

    def _vectors(self, batch: Sequence[tuple[Passage, str]], enc: Encoder) -> np.ndarray | None:
        """One vector per passage of ``batch``: found in this sync or the old index, or embedded."""
        texts = {p.content_hash: text for p, text in batch}
        found: dict[str, np.ndarray] = {}
        new_ids = self.writer.ids_by_hash(texts)
        if self.writer.has_vectors:
            found.update(zip(new_ids, self.writer.vectors(list(new_ids.values())), strict=True))
        todo = [h for h in texts if h not in new_ids]
        if self.previous is not None and todo:
            old_ids = self.previous.ids_by_hash(todo)
            if self.writer.has_vectors:
                found.update(
                    zip(old_ids, self.previous.vectors(list(old_ids.values())), strict=True)
                )
            todo = [h for h in todo if h not in old_ids]
        self.out.embedded += len(todo)
        if not self.writer.has_vectors:
            return None
        if todo:
            found.update(zip(todo, enc.embed([texts[h] for h in todo]), strict=True))
        return np.stack([found[p.content_hash] for p, _ in batch]).astype(np.float32)

    def _report(self, within: int) -> None:
        if self.progress and self.total:
            self.progress("embedding", min(self.total, self.done + within), self.total)


def _batched(pairs: Iterator[tuple[Passage, str]], n: int) -> Iterator[list[tuple[Passage, str]]]:
    while batch := list(islice(pairs, n)):
        yield batch
