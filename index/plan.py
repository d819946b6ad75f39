"""Comparing a folder with its index: which files are unchanged, added, changed, renamed, removed.

Only files whose size or mtime differ from the manifest (or that were modified within the racy
window of the last scan) are read, and only to hash them; a file whose SHA-256 matches an indexed
file reuses that file's passages, so unchanged, renamed and copied files need no model at all.
A file skipped last time (unreadable, no text) and unchanged since is skipped again unread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .documents import FileRef, Fingerprint, fingerprint
from .manifest import FileEntry, Manifest
from .progress import Progress
from .skips import Skipped

__all__ = ["SyncPlan", "plan_sync"]

# A file modified this close to (or after) the previous scan may have changed again within the
# same mtime tick, so size and mtime alone do not prove it unchanged: it is read again ("racy
# clean", as git calls it). 2 s covers coarse file-system clocks.
RACY_NS = 2_000_000_000


@dataclass
class SyncPlan:
    """What a sync will do, file by file. Paths are relative to the documents folder."""

    # path -> entry to record; its passages are those of ``reuse_from[path]`` (itself if absent).
    kept: dict[str, FileEntry] = field(default_factory=dict)
    reuse_from: dict[str, str] = field(default_factory=dict)
    to_chunk: list[Fingerprint] = field(default_factory=list)  # new content: cut into passages
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    renamed: list[dict[str, str]] = field(default_factory=list)  # {"from": old, "to": new}
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    touched: bool = False  # an unchanged file got a new size or mtime: the manifest must say so
    # mtimes of files read again only because they were modified close to the last scan, and
    # found unchanged (indexed or skipped): once old enough, recording this scan settles them.
    settling: list[int] = field(default_factory=list)

    @property
    def files_changed_on_disk(self) -> bool:
        return bool(self.added or self.changed or self.renamed or self.removed or self.touched)

    def with_skips(self, skipped: Sequence[Skipped]) -> SyncPlan:
        """This plan once the files ``skipped`` turned out unreadable or empty when read: they
        are reported as skipped, not as added or changed (a changed one as removed), so the
        next sync, finding the same skip, has nothing to do."""
        gone = {s.path for s in skipped}
        return replace(
            self,
            skipped=sorted([*self.skipped, *skipped], key=lambda s: s.path),
            added=[p for p in self.added if p not in gone],
            changed=[p for p in self.changed if p not in gone],
            removed=self.removed + [p for p in self.changed if p in gone],
        )


def plan_sync(
    refs: Sequence[FileRef],
    skipped: Sequence[Skipped],
    old: Manifest | None,
    *,
    recut: bool = False,
    progress: Progress | None = None,
) -> SyncPlan:
    """Decide, for every candidate file, whether its indexed passages can be kept.

    ``recut=True`` (the rules that cut files into passages changed) reads every file and cuts
    it again, whatever its content; passages whose text did not change still keep their vectors.
    """
    old_files = old.files if old is not None else {}
    plan = SyncPlan(skipped=list(skipped))
    fresh = _hash_unsure(refs, old, plan, recut=recut, progress=progress)
    present = {ref.path for ref in refs}
    _match_content(fresh, old_files, present, plan, recut=recut)
    renamed_from = {r["from"] for r in plan.renamed}
    plan.removed = sorted(p for p in old_files if p not in present and p not in renamed_from)
    recutting = {d.path for d in plan.to_chunk}
    plan.removed += sorted(
        p
        for p in old_files
        if p in present and p not in plan.kept and p not in plan.changed and p not in recutting
    )
    plan.skipped.sort(key=lambda s: s.path)
    return plan


def _hash_unsure(
    refs: Sequence[FileRef],
    old: Manifest | None,
    plan: SyncPlan,
    *,
    recut: bool,
    progress: Progress | None,
) -> list[Fingerprint]:
    """Keep (in ``plan``) the files size and mtime prove unchanged, skip again those skipped
    for the same content; hash the others, which are returned."""
    old_files = old.files if old is not None else {}
    scanned_at = old.scanned_at_ns if old is not None and not recut else 0
    old_skips = {
        s.path: s
        for s in (old.skipped if old is not None and not recut else [])
        if s.size is not None and s.mtime_ns is not None
    }
    fresh: list[Fingerprint] = []
    if progress:
        progress("reading", 0, len(refs))
    for done, ref in enumerate(refs, start=1):
        known, skip = old_files.get(ref.path), old_skips.get(ref.path)
        if known is not None and _provably_unchanged(known, ref, scanned_at):
            plan.kept[ref.path] = known
        elif skip is not None and _provably_unchanged(_stat_of(skip), ref, scanned_at):
            plan.skipped.append(replace(skip, size=ref.size, mtime_ns=ref.mtime_ns))
        else:
            doc = fingerprint(ref)
            if isinstance(doc, Skipped):
                plan.skipped.append(doc)
            elif skip is not None and skip.sha256 == doc.sha256:
                # The content it was skipped for: skipped again without being cut.
                plan.skipped.append(replace(skip, size=doc.size, mtime_ns=doc.mtime_ns))
                if (skip.size, skip.mtime_ns) == (doc.size, doc.mtime_ns):
                    plan.settling.append(doc.mtime_ns)
            else:
                fresh.append(doc)
        if progress:
            progress("reading", done, len(refs))
    return fresh


def _match_content(
    fresh: list[Fingerprint],
    old_files: dict[str, FileEntry],
    present: set[str],
    plan: SyncPlan,
    *,
    recut: bool,
) -> None:
    """Sort the hashed files into ``plan``: unchanged after all, renamed or copied (their
    passages reused), or new content to cut."""
    # Same bytes read as the same format give the same passages: keyed by (sha256, format).
    gone_by_sha: dict[tuple[str, str], list[str]] = {}
    for path, e in old_files.items():
        if path not in present:
            gone_by_sha.setdefault((e.sha256, e.format), []).append(path)
    any_by_sha = {(e.sha256, e.format): path for path, e in old_files.items()}
    for doc in fresh:
        entry = old_files.get(doc.path)
        if entry is not None and (entry.sha256, entry.format) == (doc.sha256, doc.format):
            if recut:
                plan.to_chunk.append(doc)
            else:
                plan.kept[doc.path] = _entry(doc, entry)
                if (entry.size, entry.mtime_ns) != (doc.size, doc.mtime_ns):
                    plan.touched = True
                else:
                    plan.settling.append(doc.mtime_ns)
            continue
        (plan.changed if entry is not None else plan.added).append(doc.path)
        twins = gone_by_sha.get((doc.sha256, doc.format))
        moved_from = twins.pop(0) if twins and entry is None else None
        source = moved_from or any_by_sha.get((doc.sha256, doc.format))
        if moved_from is not None:
            plan.renamed.append({"from": moved_from, "to": doc.path})
            plan.added.remove(doc.path)
        if source is None or recut:
            plan.to_chunk.append(doc)
        else:
            plan.kept[doc.path] = _entry(doc, old_files[source])
            plan.reuse_from[doc.path] = source


def _provably_unchanged(entry: FileEntry, ref: FileRef, scanned_at: int) -> bool:
    same = (entry.size, entry.mtime_ns) == (ref.size, ref.mtime_ns)
    return same and entry.mtime_ns < scanned_at - RACY_NS


def _stat_of(skip: Skipped) -> FileEntry:
    return FileEntry("", skip.size or 0, skip.mtime_ns or 0, 0, "")


def _entry(doc: Fingerprint, like: FileEntry) -> FileEntry:
    """``like`` (same content, so the same passages, title and warning) with the file's current
    size and mtime."""
    return FileEntry(
        doc.sha256, doc.size, doc.ref.mtime_ns, like.passages, like.format, like.warning, like.title
    )
