"""``docqa status``: what an index holds, read from its manifest alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from index import Manifest, current_generation, read_manifest, skipped_report

from .group import cli, index_option, json_option, resolve_index, verbose_option
from .output import echo, echo_json
from .skipped import skipped_lines

__all__ = ["status_cmd"]


@cli.command("status")
@index_option("Index folder (or give --docs).")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Documents folder whose default index to show."
)
@verbose_option
@json_option
def status_cmd(index_dir: Path | None, docs: Path | None, verbose: bool, as_json: bool) -> None:
    """Show what an index holds: files, passages, model, build time."""
    folder = resolve_index(index_dir, docs)
    generation = current_generation(folder)
    m = read_manifest(generation)  # the manifest only: no vectors loaded
    data = _status(folder, generation, m)
    if as_json:
        echo_json(data)
        return
    echo(f"index     {folder} (generation {generation.name})")
    echo(f"documents {m.docs_root}")
    echo(f"files     {len(m.files)} indexed, {len(m.skipped)} skipped")
    echo(f"passages  {m.passages}")
    echo(f"model     {m.model} ({m.dimension} dimensions)")
    echo(f"built     {m.built_at} in {m.build_seconds:.1f} s")
    kinds = sorted({s.vector_index for s in m.segments})
    deleted = sum(len(s.deleted) for s in m.segments)
    echo(
        f"segments  {len(m.segments)} ({', '.join(kinds) or 'none'}; {deleted} deleted passages "
        "awaiting a merge)"
    )
    for line in skipped_lines(data["files_skipped"], verbose=verbose):
        echo(line)


def _status(folder: Path, generation: Path, m: Manifest) -> dict[str, Any]:
    """What ``docqa status --json`` prints."""
    return {
        "index_dir": str(folder),
        "generation": generation.name,
        "docs_root": m.docs_root,
        "files": len(m.files),
        "passages": m.passages,
        "model": m.model,
        "dimension": m.dimension,
        "built_at": m.built_at,
        "build_seconds": m.build_seconds,
        "files_skipped": skipped_report(m.skipped, m.files),
        "format_version": m.format_version,
        "chunker_version": m.chunker_version,
        "segments": [
            {
                "name": s.name,
                "passages": s.live,
                "deleted": len(s.deleted),
                "vector_index": s.vector_index,
            }
            for s in m.segments
        ],
    }
