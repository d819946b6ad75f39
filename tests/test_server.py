"""The guarded server: host and origin checks, the login on every route, the upload cap. Raw HTTP
with httpx, as an attacker would. serve(), the exposure rule and the CLI options that set them
are in test_server_options.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import LOGIN, tiny_demo

from webapp.server import RunningServer, ServeOptions, start

CAP = 4096


@dataclass
class Served:
    running: RunningServer
    demo: Any
    uploads: Path  # Gradio's upload folder for this server

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @contextmanager
    def client(self, *, login: tuple[str, str] | None = None) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            if login is not None:
                r = client.post("/login", data={"username": login[0], "password": login[1]})
                assert r.status_code == 200, r.text
            yield client

    def files(self) -> list[Path]:
        return [p for p in self.uploads.rglob("*") if p.is_file()]

    def join(self, client: httpx.Client, **headers: str) -> httpx.Response:
        """Queue the private button event, as the page's script does."""
        fn_index, trigger = next(
            (i, fn.targets[0][0]) for i, fn in self.demo.fns.items() if fn.targets[0][1] == "click"
        )
        body = {"data": [], "fn_index": fn_index, "trigger_id": trigger, "session_hash": "s1"}
        return client.post("/gradio_api/queue/join", json=body, headers=headers)


def _serve(tmp: Path, **options: Any) -> Iterator[Served]:
    uploads = tmp / "gradio-uploads"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(uploads))
        demo = tiny_demo()
        running = start(demo, ServeOptions(port=0, max_upload_bytes=CAP, **options))
    try:
        yield Served(running, demo, uploads)
    finally:
        running.close()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve(tmp_path_factory.mktemp("open"), allowed_hosts=("docs.example",))


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve(tmp_path_factory.mktemp("locked"), auth=LOGIN)


# --- Host header ---------------------------------------------------------------------------


@pytest.mark.app
def test_a_rebinding_host_gets_nothing(open_server: Served) -> None:
    with open_server.client() as c:
        for host in ("evil.example", f"evil.example:{open_server.port}", "127.0.0.1.evil.example"):
            for path in ("/", "/config", "/gradio_api/info"):
                r = c.get(path, headers={"Host": host})
                assert r.status_code == 400, (host, path)
                assert "unique-note-label" not in r.text and "echo" not in r.text
        r = c.post("/gradio_api/call/echo", json={"data": ["x"]}, headers={"Host": "evil.example"})
        assert r.status_code == 400


@pytest.mark.app
def test_loopback_names_and_allowed_hosts_are_served(open_server: Served) -> None:
    port = open_server.port
    with open_server.client() as c:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "docs.example"):
            r = c.get("/config", headers={"Host": host})
            assert r.status_code == 200, host
            assert "unique-note-label" in r.text


# --- Origin --------------------------------------------------------------------------------


@pytest.mark.app
def test_a_post_from_another_site_is_refused(open_server: Served) -> None:
    port = open_server.port
    before = open_server.files()
    with open_server.client() as c:
        for origin in ("http://evil.example", f"http://localhost:{port + 1}", "null"):
            assert open_server.join(c, Origin=origin).status_code == 403, origin
            r = c.post(
                "/gradio_api/upload",
                files={"files": ("a.txt", b"hello")},
                headers={"Origin": origin},
            )
            assert r.status_code == 403
        assert open_server.files() == before
        # The page itself posts with its own origin; gradio_client and scripts send none.
        assert open_server.join(c, Origin=f"http://127.0.0.1:{port}").status_code == 200
        assert open_server.join(c).status_code == 200
        # A name given with --allow-host (a reverse proxy) may post from its https origin.
        r = open_server.join(c, Origin="https://docs.example", Host="docs.example")
        assert r.status_code == 200


@pytest.mark.app
def test_other_sites_may_not_read_responses(open_server: Served) -> None:
    # Gradio alone answers any Origin with Access-Control-Allow-Origin once the Host is not
    # "localhost"; our CORS policy allows no other site.
    with open_server.client() as c:
        r = c.get("/config", headers={"Host": "docs.example", "Origin": "http://evil.example"})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers
        r = c.options(
            "/gradio_api/queue/join",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in r.headers


# --- Upload cap ----------------------------------------------------------------------------


@pytest.mark.app
def test_an_upload_over_the_cap_is_refused_and_leaves_no_file(open_server: Served) -> None:
    with open_server.client() as c:
        r = c.post("/gradio_api/upload", files={"files": ("small.txt", b"x" * 100)})
        assert r.status_code == 200
        (kept,) = r.json()
        assert Path(kept).read_bytes() == b"x" * 100
        before = open_server.files()
        r = c.post("/gradio_api/upload", files={"files": ("big.txt", b"x" * (CAP + 1))})
        assert r.status_code == 413
        assert open_server.files() == before
        # Other routes take no body larger than the cap either, with or without a length.
        big = {"data": ["x" * CAP], "fn_index": 0, "session_hash": "s"}
        assert c.post("/gradio_api/queue/join", json=big).status_code == 413
        chunks = iter([b'{"data": ["', b"x" * CAP, b'"]}'])
        r = c.post("/gradio_api/call/echo", content=chunks)
        assert r.status_code == 413
    assert open_server.demo.max_file_size == CAP  # the page refuses it before sending, too


@pytest.mark.app
def test_upload_copies_are_swept() -> None:
    demo = tiny_demo()
    with start(demo, ServeOptions(port=0)):
        assert demo.delete_cache == (3600, 3600)


# --- Login ---------------------------------------------------------------------------------


@pytest.mark.app
def test_every_route_needs_the_login(locked_server: Served) -> None:
    with locked_server.client() as c:
        page = c.get("/")
        assert page.status_code == 200  # the login form
        assert "unique-note-label" not in page.text
        for path in ("/config", "/gradio_api/info", "/gradio_api/startup-events"):
            assert c.get(path).status_code == 401, path
        assert locked_server.join(c).status_code == 401
        r = c.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
        assert r.status_code == 401
        assert locked_server.files() == []
        assert c.post("/gradio_api/call/echo", json={"data": ["x"]}).status_code == 401
        # Routes Gradio leaves open are closed too.
        assert c.post("/gradio_api/cancel", json={"event_id": "x"}).status_code == 401
        assert c.post("/gradio_api/reset", json={"event_id": "x"}).status_code == 401
        # A wrong password earns no session.
        r = c.post("/login", data={"username": LOGIN[0], "password": "wrong"})
        assert r.status_code == 400
        assert c.get("/config").status_code == 401


@pytest.mark.app
def test_signed_in_requests_work(locked_server: Served) -> None:
    with locked_server.client(login=LOGIN) as c:
        assert "unique-note-label" in c.get("/").text
        assert c.get("/config").status_code == 200
        assert locked_server.join(c).status_code == 200
        r = c.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
        assert r.status_code == 200


@pytest.mark.app
def test_gradio_client_logs_in(locked_server: Served) -> None:
    from gradio_client import Client

    client = Client(locked_server.url, auth=LOGIN, verbose=False)
    assert client.predict("hi", api_name="/echo") == "HI"
    with pytest.raises(ValueError, match="Could not login"):
        Client(locked_server.url, auth=(LOGIN[0], "wrong"), verbose=False)


@pytest.mark.app
def test_retrieve_api_of_the_real_app_needs_the_login(hashing_index: Path) -> None:
    from gradio_client import Client

    from app import CSS, build_app
    from qa import Retriever

    with start(build_app(Retriever(hashing_index)), ServeOptions(port=0, auth=LOGIN), css=CSS) as s:
        with httpx.Client(base_url=s.url) as c:
            r = c.post("/gradio_api/call/retrieve", json={"data": ["bananas", 1]})
            assert r.status_code == 401
        items = Client(s.url, auth=LOGIN, verbose=False).predict(
            "what colour are bananas", 1, api_name="/retrieve"
        )
        assert items[0]["source"] == "sub/notes.txt"
