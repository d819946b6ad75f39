"""The chat app's HTTP server: the Gradio Blocks mounted on our own FastAPI app, run by uvicorn.

Serving it ourselves rather than with ``Blocks.launch`` puts every request behind ``Guard``
(host, origin, login and size checks; see ``webapp.access``) and prints one line of our own
instead of Gradio's banner and share-link hint.

    from webapp.server import ServeOptions, serve
    serve(demo, ServeOptions(port=8000, auth=("alice", "s3cret")), css=CSS)
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index import DocqaError

from .access import check_exposure, host_policy
from .guard import Guard

if TYPE_CHECKING:
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "DEFAULT_MAX_UPLOAD_MB",
    "RunningServer",
    "ServeOptions",
    "build_server",
    "serve",
    "start",
]

DEFAULT_MAX_UPLOAD_MB = 50
DEFAULT_MAX_UPLOAD_BYTES = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
# Gradio's temporary copies of uploads and outputs: swept every hour, removing those older
# than an hour, and all of them when the server stops (used unless the Blocks sets its own).
_DELETE_CACHE = (3600, 3600)
# Seconds to wait for open connections (event streams) when stopping.
_GRACE = 2


@dataclass(frozen=True)
class ServeOptions:
    """Where and how the chat app is served.

    ``auth``: the one login every request needs, or None. ``no_auth``: serve a non-loopback
    ``host`` without a login, on purpose. ``allowed_hosts``: extra names requests may be
    addressed to (a DNS name or a reverse proxy's public name). ``max_upload_bytes``: the largest
    file one upload may hold; also the largest body any other request may send.
    """

    host: str = "127.0.0.1"
    port: int = 7860
    auth: tuple[str, str] | None = field(default=None, repr=False)
    no_auth: bool = False
    allowed_hosts: tuple[str, ...] = ()
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range; use 0-65535")
        if self.max_upload_bytes < 1:
            raise ValueError(f"upload cap of {self.max_upload_bytes} bytes; use at least 1")


def build_server(
    demo: gr.Blocks, options: ServeOptions, *, css: str | None = None, head: str | None = None
) -> FastAPI:
    """The ASGI app: ``demo`` mounted at ``/`` behind ``Guard``. Raises ExposureError like
    ``check_exposure``."""
    check_exposure(options.host, auth=options.auth, no_auth=options.no_auth)

    import gradio as gr
    from fastapi import FastAPI
    from gradio.routes import App
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Mount

    from .theme import offline_theme

    if demo.delete_cache is None:
        demo.delete_cache = _DELETE_CACHE
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=options.host,
        server_port=options.port,
        auth=options.auth,
        max_file_size=options.max_upload_bytes,
        css=css,
        head=head,
        theme=offline_theme(),
        footer_links=["api"],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
    )
    gradio_app = next(r.app for r in app.routes if isinstance(r, Mount) and isinstance(r.app, App))
    # A CORS policy of our own (no other site may read responses) replaces Gradio's, which
    # lets any site read the app with the user's cookies when the Host is not "localhost".
    app.add_middleware(CORSMiddleware, allow_origins=[])
    app.add_middleware(
        Guard,
        policy=host_policy(options.host, options.allowed_hosts),
        signed_in=_session_check(gradio_app) if options.auth else None,
        max_body=options.max_upload_bytes,
    )
    return app


def _session_check(gradio_app: Any) -> Callable[[Any], bool]:
    """Whether a request carries a session cookie from Gradio's login (Gradio's own check,
    applied to every route instead of the routes Gradio guards)."""
    from starlette.requests import HTTPConnection

    names = (
        f"access-token-{gradio_app.cookie_id}",
        f"access-token-unsecure-{gradio_app.cookie_id}",
    )

    def signed_in(scope: Any) -> bool:
        cookies = HTTPConnection(scope).cookies
        tokens = gradio_app.tokens
        return any(cookies.get(n) in tokens for n in names if cookies.get(n))

    return signed_in


@dataclass
class RunningServer:
    """A server started by ``start``: its ``url``; ``close()`` stops it and waits."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=_GRACE + 10)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start(
    demo: gr.Blocks, options: ServeOptions, *, css: str | None = None, head: str | None = None
) -> RunningServer:
    """Serve ``demo`` in a background thread and return once it answers requests.

    ``options.port`` 0 picks a free port (see ``.url``). Raises OSError when the address
    cannot be bound, ExposureError as ``check_exposure``.
    """
    import uvicorn

    app = build_server(demo, options, css=css, head=head)
    sock = _bind(options.host, options.port)
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the process's logging alone; errors still reach stderr
        log_level="warning",
        access_log=False,
        ws="none",
        server_header=False,
        timeout_graceful_shutdown=_GRACE,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise DocqaError("the server stopped while starting; see the messages above")
        thread.join(0.02)
    return RunningServer(url=_url(sock), server=server, thread=thread)


def serve(
    demo: gr.Blocks, options: ServeOptions, *, css: str | None = None, head: str | None = None
) -> None:
    """Serve ``demo`` until Ctrl+C (or SIGTERM): the exposure warning, if any, goes to stderr,
    then one line with the address to stdout."""
    warning = check_exposure(options.host, auth=options.auth, no_auth=options.no_auth)
    running = start(demo, options, css=css, head=head)
    if warning:
        print(warning, file=sys.stderr)
    print(f"docqa: serving on {running.url} (Ctrl+C to stop)", flush=True)
    # Ctrl+C arrives as KeyboardInterrupt; SIGTERM (a service manager) stops it the same way.
    main = threading.current_thread() is threading.main_thread()
    stop = lambda *_: setattr(running.server, "should_exit", True)  # noqa: E731
    previous = signal.signal(signal.SIGTERM, stop) if main else None
    try:
        while running.thread.is_alive():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host``:``port``, so a taken port fails here as OSError."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
