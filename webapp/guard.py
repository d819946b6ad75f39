"""The checks every request to the chat app passes, as one ASGI middleware (``Guard``).

In order, ``Guard`` refuses

1. a request whose ``Host`` header names no allowed host (400): a DNS-rebinding page reaches
   the server under the attacker's name, so it is refused before any route runs;
2. a state-changing request (any method but GET/HEAD/OPTIONS) whose ``Origin`` is another
   site (403): a page elsewhere cannot post questions, uploads or syncs with the user's login;
3. with a login set, any request without a signed-in session except the login page and the
   static files it needs (401): no route, public or private, is reachable without the login;
4. a request body over the cap (413). Uploads are checked per file by Gradio as they stream
   (``max_file_size``); every other route refuses a body larger than the upload cap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from .access import HostPolicy

__all__ = ["Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UPLOAD_PATH = "/gradio_api/upload"

# Reachable without a login: the page (Gradio shows its login form there), the login itself
# and the static files the login form loads. Everything else needs a signed-in session.
_PUBLIC_EXACT = frozenset(
    {
        ("GET", "/"),
        ("HEAD", "/"),
        ("POST", "/login"),
        ("POST", "/login/"),
        ("GET", "/logout"),
        ("GET", "/favicon.ico"),
        ("GET", "/theme.css"),
        ("GET", "/gradio_api/theme.css"),
        ("GET", "/manifest.json"),
        ("GET", "/robots.txt"),
    }
)
_PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")


class Guard:
    """ASGI middleware applying the checks listed in the module docstring.

    ``signed_in(scope)`` says whether a request carries a valid login session; None means the
    app has no login. ``max_body`` caps every request body except uploads (checked per file).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: HostPolicy,
        signed_in: Callable[[Scope], bool] | None,
        max_body: int,
    ) -> None:
        self.app = app
        self.policy = policy
        self.signed_in = signed_in
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # the app uses no websockets: refuse them all
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        host = headers.get("host", "")
        origin = headers.get("origin")
        refusal: tuple[int, str] | None = None
        if not self.policy.host_ok(_authority_name(host)):
            refusal = (400, "Invalid host header")
        elif (
            method not in _SAFE_METHODS
            and origin is not None  # scripts and gradio_client send none; browsers always do
            and not self.policy.origin_ok(origin, host)
        ):
            refusal = (403, "Cross-site request refused")
        elif self.signed_in is not None and not _public(method, path) and not self.signed_in(scope):
            refusal = (401, "Not authenticated")
        elif path != _UPLOAD_PATH and _length(headers) > self.max_body:
            refusal = (413, "Request body too large")
        if refusal is not None:
            await _plain(send, *refusal)
        elif path == _UPLOAD_PATH or method in _SAFE_METHODS:
            await self.app(scope, receive, send)
        else:
            await self._buffered(scope, receive, send)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body first (a chunked one has no Content-Length to check) and refuse
        it past the cap; the routes that get here take small JSON or form bodies."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                await _plain(send, 413, "Request body too large")
                return
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _public(method: str, path: str) -> bool:
    if (method, path) in _PUBLIC_EXACT:
        return True
    return method in ("GET", "HEAD") and path.startswith(_PUBLIC_PREFIXES)


def _length(headers: dict[str, str]) -> int:
    try:
        return int(headers.get("content-length") or 0)
    except ValueError:
        return 1 << 62  # unreadable: treated as too large


def _authority_name(host: str) -> str:
    """The host name of a ``Host`` header ('' when malformed, which no policy allows)."""
    if not host or any(c in host for c in "/?#@\\ \t"):
        return ""
    try:
        parts = urlsplit("//" + host)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return ""
    return parts.hostname or ""


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
