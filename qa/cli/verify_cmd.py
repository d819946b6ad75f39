"""``docqa verify``: check an index, and with --docs, its files on disk."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from index import verify_index

from .group import cli, index_option, json_option, resolve_index
from .output import echo, echo_json

__all__ = ["verify_cmd"]


@cli.command("verify")
@index_option("Index folder to check (or give --docs).")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Also check the index against this folder."
)
@json_option
def verify_cmd(index_dir: Path | None, docs: Path | None, as_json: bool) -> None:
    """Check an index: manifest, passages and vectors agree; with --docs, files changed on disk.

    Exits 1 when anything disagrees or a file changed since indexing.
    """
    report = verify_index(resolve_index(index_dir, docs), docs=docs)
    if as_json:
        echo_json(asdict(report) | {"ok": report.ok})
    else:
        echo(
            f"index {report.index_dir} (generation {report.generation}): "
            f"{report.files} files, {report.passages} passages"
        )
        for problem in report.problems:
            echo(f"  problem: {problem}")
        for kind in ("added", "changed", "removed"):
            for path in getattr(report, kind):
                echo(f"  {kind} on disk since indexing: {path}")
        echo("ok" if report.ok else "NOT OK")
    if not report.ok:
        sys.exit(1)
