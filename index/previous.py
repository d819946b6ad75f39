"""The index a sync starts from: the current generation, when its manifest and data can be
reused with the model in use; otherwise nothing, and the sync builds from scratch."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import IndexCorruptError, IndexNotFoundError, IndexPointerError
from .generations import current_generation, newest_intact_generation
from .legacy import LegacyVectors
from .manifest import FORMAT_VERSION, Manifest, read_manifest
from .paragraphs import CHUNKER_VERSION
from .store import IndexSnapshot

__all__ = ["Previous", "open_previous"]

log = logging.getLogger(__name__)


@dataclass
class Previous:
    """The current generation as a sync sees it: its manifest (less the files of damaged
    segments) and its data, or neither (a build from scratch)."""

    manifest: Manifest | None = None
    data: IndexSnapshot | LegacyVectors | None = None

    @property
    def snapshot(self) -> IndexSnapshot | None:
        """The current generation when it has this docqa's format (not one to upgrade)."""
        return self.data if isinstance(self.data, IndexSnapshot) else None

    @property
    def damaged(self) -> bool:
        """Whether segments were found damaged: the files they held are read again."""
        return self.snapshot is not None and bool(self.snapshot.damaged)

    @property
    def recut(self) -> bool:
        """Whether its files were cut into passages by other rules, so every one is cut again."""
        m = self.manifest
        return m is not None and (
            m.chunker_version != CHUNKER_VERSION or m.format_version != FORMAT_VERSION
        )

    def close(self) -> None:
        if self.data is not None:
            self.data.close()
        self.manifest = self.data = None


def open_previous(index_dir: Path, model: str, *, verify: bool) -> Previous:
    """The current generation of ``index_dir`` if built with ``model`` and readable; with
    ``verify`` every byte of its segments is checked, and damaged segments are set apart."""
    folder = _generation(index_dir)
    old = _reusable_manifest(folder, model) if folder is not None else None
    if folder is None or old is None:
        return Previous()
    data = _open(folder, old, verify)
    if data is None:  # the manifest read, its data did not
        return Previous()
    if isinstance(data, IndexSnapshot) and data.damaged:
        log.warning(
            "index segments %s are damaged; reading the files they held again (%s)",
            ", ".join(data.damaged),
            next(iter(data.damaged.values())),
        )
        old = data.manifest
    return Previous(old, data)


def _generation(index_dir: Path) -> Path | None:
    """The generation a sync starts from: the current one, or none yet. With a damaged
    ``CURRENT`` (only a dry run sees one: a sync repairs it first), the newest intact
    generation, which the sync would repair ``CURRENT`` to."""
    try:
        return current_generation(index_dir)
    except IndexNotFoundError:
        return None
    except IndexPointerError as exc:
        log.warning("%s; a sync repairs it", str(exc).split(";")[0])
        return newest_intact_generation(index_dir)
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None


def _reusable_manifest(folder: Path, model: str) -> Manifest | None:
    """The generation's manifest when its vectors can be reused with ``model`` (its passages
    too, unless it was cut by another chunker version or format: see :attr:`Previous.recut`)."""
    try:
        old = read_manifest(folder)
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None
    if old.model != model:
        log.info("model changed (%s -> %s): re-embedding everything", old.model, model)
        return None
    return old


def _open(folder: Path, manifest: Manifest, verify: bool) -> IndexSnapshot | LegacyVectors | None:
    """The generation in ``folder``, whose ``manifest`` was read (its damaged segments set
    apart, every byte checked with ``verify``), or the vectors of an old-format one (to
    upgrade it); None when it cannot be read at all."""
    try:
        if manifest.format_version != FORMAT_VERSION:
            return LegacyVectors(folder, manifest)
        return IndexSnapshot(folder, verify=verify, tolerate=True, manifest=manifest)
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None
