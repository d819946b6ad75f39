"""``docqa index DOCS``: build an index, or sync it with its folder."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from index import AUTO_BACKEND as AUTO
from index import (
    BACKENDS,
    DEFAULT_MODEL,
    BuildSummary,
    IndexConfig,
    IndexCorruptError,
    IndexNotFoundError,
    IndexPointerError,
    build_index,
    current_generation,
    default_index_dir,
    newest_intact_generation,
    read_manifest,
)

from .group import cli, index_option, json_option, model_option, verbose_option
from .output import echo, echo_json, listing
from .progress import progress_bars
from .skipped import skipped_lines

__all__ = ["build", "index_cmd"]

# File changes listed one per line before the rest are summed up.
_LIST_AT_MOST = 20


@cli.command("index")
@click.argument("docs", type=click.Path(readable=False, path_type=Path))  # see --index
@index_option("Index folder (default: one per documents folder under ~/.local/share/docqa).")
@model_option
@click.option(
    "--full", is_flag=True, help="Re-embed everything instead of reusing unchanged passages."
)
@click.option(
    "--dry-run", is_flag=True, help="Show what a sync would add, change and embed; write nothing."
)
@click.option(
    "--repair",
    is_flag=True,
    help="Check every index file against its checksum first; re-embed what a damaged one held.",
)
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--backend",
    envvar="DOCQA_BACKEND",
    type=click.Choice([AUTO, *BACKENDS]),
    default=AUTO,
    show_default=True,
    help="Engine that embeds passages: auto picks the fastest one that gives fp32's vectors.",
)
@verbose_option
@json_option
def index_cmd(
    docs: Path,
    index_dir: Path | None,
    model: str | None,
    full: bool,
    dry_run: bool,
    repair: bool,
    batch_size: int,
    backend: str,
    verbose: bool,
    as_json: bool,
) -> None:
    """Index DOCS, or bring an existing index in step with it: only what changed is embedded."""
    summary = build(
        docs,
        index_dir,
        model,
        full=full,
        dry_run=dry_run,
        repair=repair,
        batch_size=batch_size,
        backend=backend,
    )
    if as_json:
        echo_json(_summary_json(summary))
        return
    for line in _summary_lines(summary, verbose=verbose):
        echo(line)


def build(
    docs: Path,
    index_dir: Path | None,
    model: str | None,
    *,
    full: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    batch_size: int = 32,
    backend: str = AUTO,
) -> BuildSummary:
    """Build or sync the index of ``docs`` with progress bars on stderr."""
    index_dir = index_dir or default_index_dir(docs)
    config = IndexConfig(
        index_dir=index_dir,
        model=model or _model_of(index_dir),
        batch_size=batch_size,
        backend=backend,
    )
    with progress_bars() as progress:
        return build_index(
            docs, config, full=full, dry_run=dry_run, repair=repair, progress=progress
        )


def _model_of(index_dir: Path) -> str:
    """The model an existing index was built with, so re-indexing never switches models silently."""
    try:
        return read_manifest(current_generation(index_dir)).model
    except IndexPointerError:  # the sync repairs CURRENT from this generation: keep its model
        intact = newest_intact_generation(index_dir)
        return read_manifest(intact).model if intact is not None else DEFAULT_MODEL
    except (IndexNotFoundError, IndexCorruptError):
        return DEFAULT_MODEL


def _summary_json(summary: BuildSummary) -> dict[str, Any]:
    data = asdict(summary)
    ordered = {
        k: data.pop(k)
        for k in ("files_indexed", "files_skipped", "passages", "embedded", "seconds")
    }
    return ordered | data


def _summary_lines(summary: BuildSummary, *, verbose: bool) -> list[str]:
    verb = "would index" if summary.dry_run else "indexed"
    lines = [
        f"{verb} {summary.files_indexed} files into {summary.index_dir}: {summary.passages} passages, "
        f"{summary.embedded} embedded ({summary.reused} reused) in {summary.seconds:.1f} s",
        f"  files: {summary.files_added} added, {summary.files_changed} changed, "
        f"{summary.files_renamed} renamed, {summary.files_removed} removed; "
        f"{summary.removed} passages removed"
        + ("" if summary.published or summary.dry_run else "; index already up to date"),
    ]
    changes = [
        f"  {kind} {path}"
        for kind in ("added", "changed", "removed")
        for path in summary.changes[kind]
    ]
    changes += [f"  renamed {m['from']} -> {m['to']}" for m in summary.changes["renamed"]]
    at_most = None if verbose else _LIST_AT_MOST
    lines += listing(changes, at_most=at_most, more="--verbose or --json lists them all")
    return lines + skipped_lines(summary.files_skipped, verbose=verbose)
