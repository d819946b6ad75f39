"""The next generation, file by file, streamed into a :class:`index.writer.GenerationWriter`.

Kept files carry their passages and vectors over; renamed and copied files take those of the
file they match; new content is read, cut into passages and embedded, once per distinct passage
(a passage the old or the new generation already holds is never embedded again). Text flows
through a batch at a time, so memory does not grow with the size of a file or of the corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

import numpy as np

from .documents import Fingerprint, Skipped
from .encoders import Encoder
from .manifest import FileEntry
from .passage import Passage
from .reading import FilePassages
from .store import IndexSnapshot
from .sync import SyncPlan
from .writer import GenerationWriter

__all__ = ["Assembly", "assemble"]

# progress(stage, done, total); here stage is "embedding", counted in bytes of new files.
Progress = Callable[[str, int, int], None]

# Passages cut, looked up and embedded together.
_BATCH = 256
_NO_PARAGRAPHS = "no paragraphs (only headings or markup)"


@dataclass
class Assembly:
    """What went into the writer: an entry per indexed file, and the files that yielded nothing."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    embedded: int = 0  # distinct passages sent to the model (or that would be, in a dry run)
    next_id: int = 1


def assemble(
    plan: SyncPlan,
    writer: GenerationWriter,
    previous: IndexSnapshot | None,
    encoder: Callable[[], Encoder],
    progress: Progress | None = None,
) -> Assembly:
    """Write every file of ``plan`` into ``writer`` in path order. ``encoder`` is called only
    when a file has to be read; without vectors in ``writer`` nothing is embedded (dry run)."""
    return _Assembler(plan, writer, previous, encoder, progress).run()


class _Assembler:
    def __init__(
        self,
        plan: SyncPlan,
        writer: GenerationWriter,
        previous: IndexSnapshot | None,
        encoder: Callable[[], Encoder],
        progress: Progress | None,
    ) -> None:
        self.plan, self.writer, self.previous = plan, writer, previous
        self.encoder, self.progress = encoder, progress
        self.out = Assembly(next_id=previous.manifest.next_id if previous is not None else 1)
        self.total = sum(fp.size for fp in plan.to_chunk)
        self.done = 0

    def run(self) -> Assembly:
        fresh = {fp.path: fp for fp in self.plan.to_chunk}
        groups = self.previous.by_source() if self.previous is not None else iter(())
        group = next(groups, None)
        self._report(0)
        for path in sorted(self.plan.kept.keys() | fresh.keys()):
            while group is not None and group[0] < path:
                group = next(groups, None)
            old = group[1] if group is not None and group[0] == path else []
            if path in fresh:
                self._read(fresh[path], old)
            else:
                self._carry(path, old)
        return self.out

    def _carry(self, path: str, old: list[Passage]) -> None:
        """A file whose content the old generation holds, under this path or another."""
        source = self.plan.reuse_from.get(path)
        if source is None:
            passages = originals = old
        else:
            assert self.previous is not None  # a plan reuses passages only from an old index
            originals = self.previous.source_passages(source)
            free = _free(old)
            passages = [replace(p, source=path, id=self._id(free, p)) for p in originals]
        vectors = self._old_vectors([p.id for p in originals])
        self.writer.add(passages, vectors)
        self.out.files[path] = replace(self.plan.kept[path], passages=len(passages))

    def _read(self, fp: Fingerprint, old: list[Passage]) -> None:
        """A file with new content: cut, embedded where needed, written a batch at a time."""
        enc = self.encoder()
        reader = FilePassages(fp, enc.count_tokens, enc.max_tokens)
        free = _free(old)
        count = 0
        for batch in _batched(iter(reader), _BATCH):
            passages = [replace(p, id=self._id(free, p)) for p, _ in batch]
            self.writer.add(passages, self._vectors(batch, enc))
            count += len(batch)
            self._report(min(fp.size, passages[-1].end))
        self.done += fp.size
        self._report(0)
        if reader.skipped is not None or count == 0:
            reason = reader.skipped.reason if reader.skipped else _NO_PARAGRAPHS
            if reason.startswith("cannot read"):  # a read error may not last: try again next time
                self.out.skipped.append(Skipped(fp.path, reason))
            else:
                skip = Skipped(fp.path, reason, fp.size, fp.ref.mtime_ns, fp.sha256)
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

    def _id(self, free: dict[str, list[int]], p: Passage) -> int:
        """The id the file's passage with this content had, else the next new one."""
        ids = free.get(p.content_hash)
        if ids:
            return ids.pop(0)
        self.out.next_id += 1
        return self.out.next_id - 1

    def _vectors(self, batch: Sequence[tuple[Passage, str]], enc: Encoder) -> np.ndarray | None:
        """One vector per passage of ``batch``: found in this or the old generation, or embedded."""
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

    def _old_vectors(self, ids: list[int]) -> np.ndarray | None:
        if not self.writer.has_vectors:
            return None
        assert self.previous is not None  # kept files exist only beside an old index
        return self.previous.vectors(ids)

    def _report(self, within: int) -> None:
        if self.progress and self.total:
            self.progress("embedding", min(self.total, self.done + within), self.total)


def _free(old: list[Passage]) -> dict[str, list[int]]:
    """The ids of a file's old passages by content, for its new passages to keep."""
    free: dict[str, list[int]] = {}
    for p in old:
        free.setdefault(p.content_hash, []).append(p.id)
    return free


def _batched(pairs: Iterator[tuple[Passage, str]], n: int) -> Iterator[list[tuple[Passage, str]]]:
    while batch := list(islice(pairs, n)):
        yield batch
