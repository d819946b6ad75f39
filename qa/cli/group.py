"""The ``docqa`` command group and what its subcommands share: options, finding the index."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from index import __version__, default_index_dir

from .failures import user_errors
from .output import safe_logging

__all__ = [
    "cli",
    "from_env",
    "index_option",
    "json_option",
    "model_option",
    "resolve_index",
    "verbose_option",
]


class _Group(click.Group):
    """A click group whose every command runs inside :func:`~qa.cli.failures.user_errors`."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with user_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        # The subcommand's own options are parsed in here too, so their errors pass the edge.
        with user_errors():
            return super().invoke(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docqa")
def cli() -> None:
    """Ask questions of your own documents, fully offline, with citations you can check."""
    # docqa never needs the network: keep Hugging Face libraries from trying it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    safe_logging()


model_option = click.option(
    "--model",
    envvar="DOCQA_MODEL",
    default=None,
    help="Embedding model: a local folder, a cached hub name, or 'hashing' (tests). "
    "Default: the model the index was built with; all-MiniLM-L6-v2 for a new index.",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON value on stdout."
)
verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="List every changed and skipped file, not a summary."
)


def index_option(required_help: str) -> Callable[[Any], Any]:
    """The ``--index DIR`` option (``DOCQA_INDEX``), with the command's own help text."""
    return click.option(
        "--index",
        "index_dir",
        envvar="DOCQA_INDEX",
        # readable=False: docqa's own one-line error names the permission and the fix
        type=click.Path(file_okay=False, readable=False, path_type=Path),
        default=None,
        help=required_help,
    )


def from_env(param: str) -> bool:
    """Whether the current command's ``param`` came from its environment variable."""
    source = click.get_current_context().get_parameter_source(param)
    return source == click.core.ParameterSource.ENVIRONMENT


def resolve_index(index_dir: Path | None, docs: Path | None) -> Path:
    """--index wins; --docs given on the command line wins over DOCQA_INDEX from the environment."""
    if docs is not None and from_env("index_dir"):
        return default_index_dir(docs)
    if index_dir is not None:
        return index_dir
    if docs is not None:
        return default_index_dir(docs)
    raise click.UsageError("say which index: --index DIR (or DOCQA_INDEX), or --docs DOCS")
