"""The ``docqa`` command: a thin click layer over ``index`` and ``qa``.

docqa's own errors become one-line messages with exit status 1; nothing prints a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from index import __version__
from index.backends import AUTO, BACKENDS
from index.builder import BuildSummary, build_index, skipped_report
from index.config import IndexConfig, default_index_dir
from index.errors import DocqaError
from index.generations import current_generation
from index.manifest import read_manifest
from webapp.access import check_exposure, read_auth
from webapp.server import DEFAULT_MAX_UPLOAD_MB, ServeOptions

from .confidence import WEAK_ANSWER
from .guide import bundled_guide
from .results import Result
from .retriever import MODES, Retriever

__all__ = ["main"]

# File changes listed one per line before the rest are summed up.
_LIST_AT_MOST = 20

BUNDLED_DOCS = bundled_guide()

_model_option = click.option(
    "--model",
    envvar="DOCQA_MODEL",
    default=None,
    help="Embedding model: a local folder, a cached hub name, or 'hashing' (tests). "
    "Default: the model the index was built with; all-MiniLM-L6-v2 for a new index.",
)
_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON value on stdout."
)


def _index_option(required_help: str) -> Callable[[Any], Any]:
    return click.option(
        "--index",
        "index_dir",
        envvar="DOCQA_INDEX",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=required_help,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docqa")
def cli() -> None:
    """Ask questions of your own documents, fully offline, with citations you can check."""
    # docqa never needs the network: keep Hugging Face libraries from trying it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@cli.command("index")
@click.argument("docs", type=click.Path(path_type=Path))
@_index_option("Index folder (default: one per documents folder under ~/.local/share/docqa).")
@_model_option
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
@_json_option
def index_cmd(
    docs: Path,
    index_dir: Path | None,
    model: str | None,
    full: bool,
    dry_run: bool,
    repair: bool,
    batch_size: int,
    backend: str,
    as_json: bool,
) -> None:
    """Index DOCS, or bring an existing index in step with it: only what changed is embedded."""
    with _errors():
        summary = _build(
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
        click.echo(json.dumps(_summary_json(summary), ensure_ascii=False))
        return
    verb = "would index" if summary.dry_run else "indexed"
    click.echo(
        f"{verb} {summary.files_indexed} files into {summary.index_dir}: {summary.passages} passages, "
        f"{summary.embedded} embedded ({summary.reused} reused) in {summary.seconds:.1f} s"
    )
    click.echo(
        f"  files: {summary.files_added} added, {summary.files_changed} changed, "
        f"{summary.files_renamed} renamed, {summary.files_removed} removed; "
        f"{summary.removed} passages removed"
        + ("" if summary.published or summary.dry_run else "; index already up to date")
    )
    lines = [
        f"  {kind} {path}"
        for kind in ("added", "changed", "removed")
        for path in summary.changes[kind]
    ]
    lines += [f"  renamed {m['from']} -> {m['to']}" for m in summary.changes["renamed"]]
    for line in lines[:_LIST_AT_MOST]:
        click.echo(line)
    if len(lines) > _LIST_AT_MOST:
        click.echo(f"  ... and {len(lines) - _LIST_AT_MOST} more (--json lists them all)")
    for item in summary.files_skipped:
        click.echo(_skip_line(item))


def _build(
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
    index_dir = index_dir or default_index_dir(docs)
    config = IndexConfig(
        index_dir=index_dir,
        model=model or _model_of(index_dir),
        batch_size=batch_size,
        backend=backend,
    )
    with _progress_bars() as progress:
        return build_index(
            docs, config, full=full, dry_run=dry_run, repair=repair, progress=progress
        )


def _model_of(index_dir: Path) -> str:
    """The model an existing index was built with, so re-indexing never switches models silently."""
    from index.encoders import DEFAULT_MODEL
    from index.errors import IndexCorruptError, IndexNotFoundError

    try:
        return read_manifest(current_generation(index_dir)).model
    except (IndexNotFoundError, IndexCorruptError):
        return DEFAULT_MODEL


def _summary_json(summary: BuildSummary) -> dict[str, Any]:
    data = asdict(summary)
    ordered = {
        k: data.pop(k)
        for k in ("files_indexed", "files_skipped", "passages", "embedded", "seconds")
    }
    return ordered | data


@cli.command("ask")
@click.argument("question")
@_index_option("Index folder to ask (or give --docs).")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Documents folder whose default index to ask."
)
@click.option(
    "-k", "k", default=5, show_default=True, type=click.IntRange(min=1), help="How many passages."
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="hybrid",
    show_default=True,
    help="Rank by meaning and words fused (hybrid), by meaning (dense) or by words (lexical).",
)
@click.option(
    "--per-file",
    default=3,
    show_default=True,
    type=click.IntRange(min=0),
    help="At most this many passages from one file; 0: no limit.",
)
@click.option(
    "--folder",
    "folders",
    multiple=True,
    metavar="FOLDER",
    help="Answer only from files under FOLDER, relative to the documents folder "
    "(e.g. guides/advanced). Repeat for several folders.",
)
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    help="Answer only from files of TYPE: a suffix (.md, .pdf) or a format "
    "(markdown, html, text, pdf, docx). Repeat for several types.",
)
@click.option(
    "--explain", is_flag=True, help="Show each result's dense and lexical score, rank and terms."
)
@_model_option
@_json_option
def ask_cmd(
    question: str,
    index_dir: Path | None,
    docs: Path | None,
    k: int,
    mode: str,
    per_file: int,
    folders: tuple[str, ...],
    types: tuple[str, ...],
    explain: bool,
    model: str | None,
    as_json: bool,
) -> None:
    """Print the passages that best answer QUESTION, with citations."""
    with _errors():
        retriever = Retriever(_resolve_index(index_dir, docs), model=model)
        results = retriever.retrieve(
            question, k, mode=mode, per_file=per_file, folders=folders, types=types
        )
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False))
        return
    if not results:
        click.echo(_no_results(retriever.manifest.passages, mode, folders, types))
    elif results[0].confident:
        top = results[0]
        click.echo(click.style("Answer: ", bold=True) + top.answer_line)
        click.echo(f"        ({top.citation})\n")
    else:
        click.echo(click.style(WEAK_ANSWER, bold=True) + "\n")
    for r in results:
        flag = "  [source changed since indexing]" if r.stale else ""
        click.echo(
            click.style(f"{r.rank}. {r.citation}", bold=True) + f"  (score {r.score:.3f}){flag}"
        )
        if explain:
            click.echo("   " + _explanation(r))
        for place in r.also_in:
            click.echo(f"   also in {place}")
        click.echo("   " + r.text.replace("\n", "\n   ") + "\n")


def _no_results(passages: int, mode: str, folders: tuple[str, ...], types: tuple[str, ...]) -> str:
    """Why ``docqa ask`` found nothing: an empty index, a filter no passage passes, or (in
    lexical mode) no passage sharing a word with the question."""
    if not passages:
        return "the index has no passages"
    if not (folders or types):
        return "no passage shares a word with the question; try --mode hybrid"
    if mode != "lexical":
        return "no indexed passage is in the folders and types asked for; widen --folder or --type"
    return (
        "no passage in the folders and types asked for shares a word with the question; "
        "try --mode hybrid or widen --folder/--type"
    )


def _explanation(r: Result) -> str:
    """How each ranking saw a result: ``dense 0.612 (#3) · lexical 12.4 (#1: zebras, river) · ...``."""

    def seen(score: float | None, rank: int | None, fmt: str) -> str:
        return "not found" if score is None else f"{score:{fmt}} (#{rank})"

    bits = []
    if r.mode != "lexical":
        bits.append("dense " + seen(r.dense_score, r.dense_rank, ".3f"))
    if r.mode != "dense":
        terms = ", ".join(r.matched_terms) or "no terms"
        bits.append("lexical " + seen(r.lexical_score, r.lexical_rank, ".2f") + f" [{terms}]")
    if r.mode == "hybrid":
        bits.append(f"fused {r.score:.3f} (#{r.rank})")
    return " · ".join(bits)


@cli.command("status")
@_index_option("Index folder (or give --docs).")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Documents folder whose default index to show."
)
@_json_option
def status_cmd(index_dir: Path | None, docs: Path | None, as_json: bool) -> None:
    """Show what an index holds: files, passages, model, build time."""
    with _errors():
        folder = _resolve_index(index_dir, docs)
        generation = current_generation(folder)
        m = read_manifest(generation)  # the manifest only: no vectors loaded
    data = {
        "index_dir": str(folder),
        "generation": generation.name,
        "docs_root": m.docs_root,
        "files": len(m.files),
        "passages": m.passages,
        "model": m.model,
        "dimension": m.dimension,
        "built_at": m.built_at,
        "build_seconds": m.build_seconds,
        "files_skipped": (skipped := skipped_report(m.skipped, m.files)),
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
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"index     {folder} (generation {generation.name})")
    click.echo(f"documents {m.docs_root}")
    click.echo(f"files     {len(m.files)} indexed, {len(m.skipped)} skipped")
    click.echo(f"passages  {m.passages}")
    click.echo(f"model     {m.model} ({m.dimension} dimensions)")
    click.echo(f"built     {m.built_at} in {m.build_seconds:.1f} s")
    kinds = sorted({s.vector_index for s in m.segments})
    deleted = sum(len(s.deleted) for s in m.segments)
    click.echo(
        f"segments  {len(m.segments)} ({', '.join(kinds) or 'none'}; {deleted} deleted passages "
        "awaiting a merge)"
    )
    for item in skipped:
        click.echo(_skip_line(item))


@cli.command("verify")
@_index_option("Index folder to check (or give --docs).")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Also check the index against this folder."
)
@_json_option
def verify_cmd(index_dir: Path | None, docs: Path | None, as_json: bool) -> None:
    """Check an index: manifest, passages and vectors agree; with --docs, files changed on disk.

    Exits 1 when anything disagrees or a file changed since indexing.
    """
    from index.verify import verify_index

    with _errors():
        report = verify_index(_resolve_index(index_dir, docs), docs=docs)
    if as_json:
        click.echo(json.dumps(asdict(report) | {"ok": report.ok}, ensure_ascii=False))
    else:
        click.echo(
            f"index {report.index_dir} (generation {report.generation}): "
            f"{report.files} files, {report.passages} passages"
        )
        for problem in report.problems:
            click.echo(f"  problem: {problem}")
        for kind in ("added", "changed", "removed"):
            for path in getattr(report, kind):
                click.echo(f"  {kind} on disk since indexing: {path}")
        click.echo("ok" if report.ok else "NOT OK")
    if not report.ok:
        sys.exit(1)


@cli.command("serve")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Documents folder (default: docqa's own guide)."
)
@_index_option("Index folder (default: one per documents folder).")
@_model_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; any other than loopback needs --auth or --no-auth.",
)
@click.option("--port", default=7860, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--auth",
    "auth_value",
    envvar="DOCQA_AUTH",
    metavar="USER:PASS",
    help="Require this login for the page, questions, uploads and sync.",
)
@click.option(
    "--auth-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the login from this file: one line USER:PASS.",
)
@click.option(
    "--no-auth", is_flag=True, help="Serve a non-loopback --host without a login, on purpose."
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also accept requests addressed to NAME (DNS or proxy name); repeatable.",
)
@click.option(
    "--max-upload-mb",
    default=DEFAULT_MAX_UPLOAD_MB,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest file one upload may hold, in MB.",
)
def serve_cmd(
    docs: Path | None,
    index_dir: Path | None,
    model: str | None,
    host: str,
    port: int,
    auth_value: str | None,
    auth_file: Path | None,
    no_auth: bool,
    allow_hosts: tuple[str, ...],
    max_upload_mb: int,
) -> None:
    """Start the chat app. With --docs (or by default) the index is brought up to date first."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio recomputes its monitoring summary (a pandas table of the last 10,000 events) after
    # every event by default: 2-10 ms of CPU per question, for a dashboard docqa never opens.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    with _errors():
        if auth_file is not None and _from_env("auth_value"):
            auth_value = None  # --auth-file on the command line wins over DOCQA_AUTH
        auth = read_auth(auth_value, auth_file)
        options = ServeOptions(
            host=host,
            port=port,
            auth=auth,
            no_auth=no_auth,
            allowed_hosts=allow_hosts,
            max_upload_bytes=max_upload_mb * 1024 * 1024,
        )
        check_exposure(host, auth=auth, no_auth=no_auth)  # refuse before a long index build
        if docs is None and index_dir is None:
            if not BUNDLED_DOCS.is_dir():
                raise click.UsageError("docqa's own guide is not installed here; pass --docs DOCS")
            docs = BUNDLED_DOCS
        if docs is not None:
            index_dir = _resolve_index(index_dir, docs)
            click.echo(f"bringing the index of {docs} up to date in {index_dir} ...", err=True)
            _build(docs, index_dir, model)
        assert index_dir is not None
        from app import launch

        try:
            launch(index_dir, model=model, options=options)
        except OSError as exc:
            raise DocqaError(f"cannot serve on {host}:{port}: {exc}; try another --port") from exc


def _skip_line(item: dict[str, Any]) -> str:
    return f"  {'warning' if item.get('indexed') else 'skipped'} {item['path']}: {item['reason']}"


def _from_env(param: str) -> bool:
    source = click.get_current_context().get_parameter_source(param)
    return source == click.core.ParameterSource.ENVIRONMENT


def _resolve_index(index_dir: Path | None, docs: Path | None) -> Path:
    """--index wins; --docs given on the command line wins over DOCQA_INDEX from the environment."""
    if docs is not None and _from_env("index_dir"):
        return default_index_dir(docs)
    if index_dir is not None:
        return index_dir
    if docs is not None:
        return default_index_dir(docs)
    raise click.UsageError("say which index: --index DIR (or DOCQA_INDEX), or --docs DOCS")


@contextmanager
def _errors() -> Iterator[None]:
    """docqa's errors and bad values as one line on stderr, exit status 1."""
    try:
        yield
    except (DocqaError, ValueError) as exc:
        click.echo(f"docqa: error: {exc}", err=True)
        sys.exit(1)


@contextmanager
def _progress_bars() -> Iterator[Callable[[str, int, int], None]]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            # "reading" counts files checked; "embedding" the bytes of new files cut and embedded.
            by_bytes = stage != "reading"
            bar = bars[stage] = tqdm(
                total=total,
                desc=stage,
                unit="B" if by_bytes else "file",
                unit_scale=by_bytes,
                unit_divisor=1024,
                file=sys.stderr,
                leave=True,
                dynamic_ncols=True,
            )
        bar.update(done - bar.n)
        if done >= total:
            bar.close()  # now, so its time is the stage's, not the whole command's

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()


def main() -> None:
    cli(prog_name="docqa")


if __name__ == "__main__":
    main()
