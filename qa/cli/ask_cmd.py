"""``docqa ask QUESTION``: the passages that best answer a question, with citations."""

from __future__ import annotations

from pathlib import Path

import click

from ..confidence import WEAK_ANSWER
from ..results import Result
from ..retriever import MODES, Retriever
from .group import cli, index_option, json_option, model_option, resolve_index
from .output import echo, echo_json

__all__ = ["ask_cmd"]


@cli.command("ask")
@click.argument("question")
@index_option("Index folder to ask (or give --docs).")
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
@model_option
@json_option
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
    retriever = Retriever(resolve_index(index_dir, docs), model=model)
    results = retriever.retrieve(
        question, k, mode=mode, per_file=per_file, folders=folders, types=types
    )
    if as_json:
        echo_json([r.to_dict() for r in results])
    elif not results:
        echo(_no_results(retriever.manifest.passages, mode, folders, types))
    else:
        _print_results(results, explain=explain)


def _print_results(results: list[Result], *, explain: bool) -> None:
    top = results[0]
    if top.confident:
        echo(top.answer_line, bold="Answer: ")
        echo(f"        ({top.citation})")
        echo()
    else:
        echo(bold=WEAK_ANSWER)
        echo()
    for r in results:
        flag = "  [source changed since indexing]" if r.stale else ""
        echo(f"  (score {r.score:.3f}){flag}", bold=f"{r.rank}. {r.citation}")
        if explain:
            echo("   " + _explanation(r))
        for place in r.also_in:
            echo(f"   also in {place}")
        # A passage keeps its line breaks; every other control is shown escaped.
        echo("   " + r.text.replace("\n", "\n   ") + "\n", keep="\n")


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
