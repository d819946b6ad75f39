"""The guarded server's settings: serve() and its console line, the exposure rule, login parsing,
and the CLI options that set them."""

from __future__ import annotations

import _thread
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from server_helpers import LOGIN, tiny_demo

from index.errors import AuthConfigError, ExposureError
from qa.cli import cli
from webapp.access import check_exposure, host_policy, read_auth
from webapp.server import ServeOptions, serve, start

# --- serve() and the console ---------------------------------------------------------------


@pytest.mark.app
def test_serve_prints_one_line_and_no_share_hint(capfd: pytest.CaptureFixture[str]) -> None:
    seen: dict[str, int] = {}

    def visit_then_stop() -> None:
        out = ""
        for _ in range(200):  # wait for the address line
            out += capfd.readouterr().out
            if "serving on" in out:
                break
            threading.Event().wait(0.05)
        url = out.split("serving on ", 1)[1].split()[0]
        seen["status"] = httpx.get(url + "/config").status_code
        seen["printed"] = out.count("\n")
        _thread.interrupt_main()  # Ctrl+C

    port = _free_port()
    threading.Thread(target=visit_then_stop, daemon=True).start()
    serve(tiny_demo(), ServeOptions(port=port))
    rest = capfd.readouterr()
    assert seen == {"status": 200, "printed": 1}
    assert "share" not in rest.out + rest.err
    assert "Running on" not in rest.out + rest.err


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.app
def test_a_taken_port_is_an_oserror() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(OSError):
            start(tiny_demo(), ServeOptions(port=s.getsockname()[1]))


# --- Exposure rule and login parsing (no server) -------------------------------------------


def test_loopback_needs_no_login_and_prints_nothing() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert check_exposure(host, auth=None, no_auth=False) is None


def test_a_non_loopback_host_without_login_is_refused() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20"):
        with pytest.raises(ExposureError) as err:
            check_exposure(host, auth=None, no_auth=False)
        assert f"--host {host}" in str(err.value)
        assert "--auth USER:PASS" in str(err.value) and "--no-auth" in str(err.value)
    with pytest.raises(ExposureError, match="contradict"):
        check_exposure("127.0.0.1", auth=LOGIN, no_auth=True)


def test_a_non_loopback_host_warns() -> None:
    warning = check_exposure("0.0.0.0", auth=LOGIN, no_auth=False)
    assert warning is not None and warning.startswith("docqa: warning: serving on every network")
    assert "unencrypted" in warning
    warning = check_exposure("192.168.1.20", auth=None, no_auth=True)
    assert warning is not None and "192.168.1.20 without a login (--no-auth)" in warning
    assert "read every indexed document" in warning
    with pytest.raises(ExposureError):  # start() applies the rule too, not only the CLI
        start(tiny_demo(), ServeOptions(host="0.0.0.0", port=0))


def test_host_policy() -> None:
    import socket

    loop = host_policy("127.0.0.1")
    assert all(loop.host_ok(h) for h in ("127.0.0.1", "LOCALHOST", "[::1]", "localhost."))
    assert not loop.host_ok("evil.example") and not loop.host_ok("10.0.0.5")
    assert not loop.host_ok(socket.gethostname()) or socket.gethostname() == "localhost"
    wild = host_policy("0.0.0.0", ["docs.example"])
    assert wild.host_ok("10.0.0.5") and wild.host_ok(socket.gethostname())
    assert wild.host_ok("docs.example") and not wild.host_ok("evil.example")
    # Any address may be the Host, but only the app's own origin may post.
    assert wild.origin_ok("http://10.0.0.5:7860", "10.0.0.5:7860")
    assert not wild.origin_ok("http://10.0.0.6:7860", "10.0.0.5:7860")
    assert wild.origin_ok("https://docs.example", "127.0.0.1:7860")  # trusted proxy name
    assert not loop.origin_ok("http://127.0.0.1:7861", "127.0.0.1:7860")
    assert not loop.origin_ok("null", "127.0.0.1:7860")
    assert not loop.origin_ok("http://127.0.0.1:99999", "127.0.0.1:7860")


def test_read_auth(tmp_path: Path) -> None:
    assert read_auth(None, None) is None
    assert read_auth("alice:pa:ss", None) == ("alice", "pa:ss")
    good = tmp_path / "login"
    good.write_text("\nbob:pw\n", encoding="utf-8")
    assert read_auth(None, good) == ("bob", "pw")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("justapassword", "--auth has no ':'; write it as USER:PASS"),
        (":pw", "--auth has an empty user name"),
        (" bob:pw", "--auth has spaces around the user name"),
        ("bob:", "--auth has an empty password"),
    ],
)
def test_read_auth_refuses_bad_values(value: str, message: str) -> None:
    with pytest.raises(AuthConfigError) as err:
        read_auth(value, None)
    assert str(err.value).startswith(message)
    assert "justapassword" not in str(err.value)  # a password is never echoed


def test_read_auth_refuses_bad_files(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError, match=r"cannot read the password file .*nope: No such"):
        read_auth(None, tmp_path / "nope")
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe:\x00")
    with pytest.raises(AuthConfigError, match="cannot read the password file"):
        read_auth(None, binary)
    two = tmp_path / "two"
    two.write_text("a:1\nb:2\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match="holds 2 lines; it must hold one line USER:PASS"):
        read_auth(None, two)
    nocolon = tmp_path / "nocolon"
    nocolon.write_text("secret\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match=f"the line in {nocolon} has no ':'"):
        read_auth(None, nocolon)
    with pytest.raises(AuthConfigError, match="not both"):
        read_auth("a:b", nocolon)
    if os.geteuid() != 0:  # root reads any file
        locked = tmp_path / "locked"
        locked.write_text("a:b\n", encoding="utf-8")
        locked.chmod(0)
        with pytest.raises(AuthConfigError, match="Permission denied"):
            read_auth(None, locked)


# --- CLI -----------------------------------------------------------------------------------


class _Stopped:
    """A stand-in for a started server whose thread has ended: serve() returns at once."""

    url = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.thread = threading.Thread(target=lambda: None)
        self.thread.start()
        self.thread.join()

    def close(self) -> None:
        pass


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[ServeOptions]:
    """Run ``docqa serve`` through app.launch and serve(), recording what would be started."""
    calls: list[ServeOptions] = []

    def fake_start(demo: Any, options: ServeOptions, **_: Any) -> _Stopped:
        calls.append(options)
        return _Stopped()

    monkeypatch.setattr("webapp.server.start", fake_start)
    monkeypatch.delenv("DOCQA_AUTH", raising=False)
    return calls


def _serve_cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["serve", *args], env=env, catch_exceptions=False)


def test_cli_refuses_a_non_loopback_host_without_login(
    started: list[ServeOptions], corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "never-built"
    result = _serve_cli("--docs", str(corpus), "--index", str(index), "--host", "0.0.0.0")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [
        "docqa: error: --host 0.0.0.0 makes the app reachable from other machines; require a "
        "login with --auth USER:PASS (or --auth-file FILE), or pass --no-auth to serve without one"
    ]
    assert not index.exists()  # refused before the index build
    assert started == []


def test_cli_no_auth_warns_and_serves(started: list[ServeOptions], hashing_index: Path) -> None:
    result = _serve_cli("--index", str(hashing_index), "--host", "0.0.0.0", "--no-auth")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("docqa: warning: serving on every network interface without")
    assert "docqa: serving on http://127.0.0.1:1" in result.stdout
    (options,) = started
    assert options.host == "0.0.0.0" and options.no_auth and options.auth is None


def test_cli_passes_login_hosts_and_cap(
    started: list[ServeOptions], hashing_index: Path, tmp_path: Path
) -> None:
    result = _serve_cli(
        "--index",
        str(hashing_index),
        "--allow-host",
        "docs.example",
        "--allow-host",
        "proxy.lan",
        "--max-upload-mb",
        "3",
        env={"DOCQA_AUTH": "carol:pw"},
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # loopback: no warning
    options = started[-1]
    assert options.auth == ("carol", "pw")
    assert options.allowed_hosts == ("docs.example", "proxy.lan")
    assert options.max_upload_bytes == 3 * 1024 * 1024
    assert options.host == "127.0.0.1" and options.port == 7860
    # --auth-file on the command line wins over DOCQA_AUTH.
    login = tmp_path / "login"
    login.write_text("dave:pw2\n", encoding="utf-8")
    args = ("--index", str(hashing_index), "--auth-file", str(login))
    result = _serve_cli(*args, env={"DOCQA_AUTH": "carol:pw"})
    assert result.exit_code == 0, result.stderr
    assert started[-1].auth == ("dave", "pw2")


def test_cli_bad_auth_is_one_line(started: list[ServeOptions], hashing_index: Path) -> None:
    result = _serve_cli("--index", str(hashing_index), "--auth", "nocolon")
    assert result.exit_code == 1
    assert result.stderr == (
        "docqa: error: --auth has no ':'; write it as USER:PASS, e.g. alice:s3cret\n"
    )
    result = _serve_cli("--index", str(hashing_index), "--auth", "a:b", "--no-auth")
    assert result.exit_code == 1
    assert "contradict" in result.stderr
    assert started == []
