"""``docqa serve``: the chat app, on an index brought up to date first."""

from __future__ import annotations

import os
from pathlib import Path

import click

from index import DocqaError
from webapp.access import check_exposure, read_auth
from webapp.server import DEFAULT_MAX_UPLOAD_MB, ServeOptions

from ..guide import bundled_guide
from .group import cli, from_env, index_option, model_option, resolve_index
from .index_cmd import build
from .output import echo

__all__ = ["serve_cmd"]


@cli.command("serve")
@click.option(
    "--docs", type=click.Path(path_type=Path), help="Documents folder (default: docqa's own guide)."
)
@index_option("Index folder (default: one per documents folder).")
@model_option
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
    if auth_file is not None and from_env("auth_value"):
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
        docs = bundled_guide()  # docqa's own: docs/ in a checkout, qa/docs when installed
        if not docs.is_dir():
            raise click.UsageError("docqa's own guide is not installed here; pass --docs DOCS")
    if docs is not None:
        index_dir = resolve_index(index_dir, docs)
        echo(f"bringing the index of {docs} up to date in {index_dir} ...", err=True)
        build(docs, index_dir, model)
    assert index_dir is not None
    from app import launch

    try:
        launch(index_dir, model=model, options=options)
    except OSError as exc:
        raise DocqaError(f"cannot serve on {host}:{port}: {exc}; try another --port") from exc
