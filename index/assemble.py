"""What a sync writes: one new segment with the passages of new, changed, renamed and copied
files, and the ids of the old passages those files replace or that left with deleted files.

Untouched files keep their passages where they are: nothing of them is read or written. Renamed
and copied files take the passages and vectors of the file they match; new content is read, cut
into passages and embedded, once per distinct passage (a passage whose content any segment
already holds is never embedded again). Text flows through a batch at a time, so memory does
not grow with the size of a file or of the corpus.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Protocol

import numpy as np

from .documents import Fingerprint
from .encoders import Encoder
from .filepassages import FilePassages
from .generations import new_segment
from .legacy import LegacyVectors
from .manifest import FileEntry, Manifest
from .passage import Passage
from .plan import SyncPlan
from .progress import Progress
from .skips import SkipCode, Skipped
from .store import IndexSnapshot
from .writer import SegmentWriter

__all__ = ["Assembly", "VectorSource", "assemble_changes", "segment_writer"]

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
    written: int = 0  # passages written into the new segment
    removed: int = 0  # passages that left the index: deleted, with no same content written
    next_id: int = 1


@contextmanager
def segment_writer(
    index_dir: Path, dimension: int, *, next_segment: int, dry_run: bool
) -> Iterator[SegmentWriter]:
    """A writer into a new segment folder, or, for a dry run, into a scratch folder that is
    deleted afterwards (a dry run writes nothing to the index). A sync that fails removes its
    folder; one killed leaves it to the next sync's garbage collection."""
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="docqa-dry-run-") as scratch:
            writer = SegmentWriter(Path(scratch), dimension, vectors=False)
            try:
                yield writer
            finally:
                writer.close()
        return
    folder = new_segment(index_dir, next_segment)
    try:
        writer = SegmentWriter(folder, dimension)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield writer
    except BaseException:
        writer.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    writer.close()
    if not writer.count:
        shutil.rmtree(folder, ignore_errors=True)  # only deletions: no segment to list


def assemble_changes(
    plan: SyncPlan,
    writer: SegmentWriter | None,
    previous: VectorSource | None,
    encoder: Callable[[], Encoder],
    progress: Progress | None = None,
) -> Assembly:
    """Write the new and moved files of ``plan`` into ``writer`` in path order and collect the
    deletions. ``encoder`` is called only when a file has to be read; without vectors in
    ``writer`` nothing is embedded (dry run). ``writer`` may be None when the plan has nothing
    to write (no new content, no renamed or copied file): only deletions are collected. ``previous`` is the current generation (its
    untouched files stay) or an old-format index (vectors reused, every file written anew)."""
    return _Assembler(plan, writer, previous, encoder, progress).run()


class _Assembler:
    def __init__(
        self,
        plan: SyncPlan,
        writer: SegmentWriter | None,
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
        self.out.written = self.writer.count if self.writer is not None else 0
        self._count_deletions(old_files.keys() - untouched)
        return self.out

    def _count_deletions(self, gone_paths: set[str]) -> None:
        """The old passages of files changed, removed or re-read, and how many distinct
        contents left the index with them (written again by none of the new passages)."""
        if self.snapshot is not None:
            self.out.deleted = self.snapshot.deleted_ids(gone_paths) if gone_paths else {}
            gone = Counter(self.snapshot.hashes(self.out.deleted))
        elif isinstance(self.previous, LegacyVectors):  # an upgrade writes every file anew
            gone = Counter(self.previous.hashes())
        else:
            return
        if self.writer is not None:
            gone.subtract(Counter(self.writer.hashes()))
        self.out.removed = sum(n for n in gone.values() if n > 0)

    def _carry(self, path: str) -> None:
        """A file whose content the current generation holds under another path."""
        assert self.snapshot is not None  # a plan reuses passages only from an open index
        assert self.writer is not None  # a plan with files to carry gets a writer
        originals = self.snapshot.source_passages(self.plan.reuse_from[path])
        passages = [replace(p, source=path, id=self._id()) for p in originals]
        vectors = (
            self.snapshot.vectors([p.id for p in originals]) if self.writer.has_vectors else None
        )
        self.writer.add(passages, vectors)
        self.out.files[path] = replace(self.plan.kept[path], passages=len(passages))

    def _read(self, fp: Fingerprint) -> None:
        """A file with new content: cut, embedded where needed, written a batch at a time."""
        assert self.writer is not None  # a plan with files to read gets a writer
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
        assert self.writer is not None
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
