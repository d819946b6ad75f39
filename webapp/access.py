"""Who may reach the chat app: the exposure rule, the login, and the host names requests may
be addressed to. ``webapp.guard`` applies them to every request."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from index import AuthConfigError, ExposureError

__all__ = [
    "LOOPBACK_NAMES",
    "HostPolicy",
    "check_exposure",
    "host_policy",
    "is_loopback",
    "read_auth",
]

# The names a browser on this machine uses for a server bound to a loopback address.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = ("", "0.0.0.0", "::")


def _name(host: str) -> str:
    """A host name as compared: lower case, no IPv6 brackets, no trailing dot."""
    return host.strip().lower().removeprefix("[").removesuffix("]").removesuffix(".")


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the app on this machine (127.0.0.0/8, ::1, localhost)."""
    name = _name(host)
    if name in _WILDCARDS:
        return False
    if name == "localhost":
        return True
    ip = _ip(name)
    if ip is not None:
        return ip.is_loopback
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


@dataclass(frozen=True)
class HostPolicy:
    """The host names requests may be addressed to, and which of them other sites may post from.

    ``names``: accepted in the ``Host`` header. ``any_ip``: also any IP address (a wildcard bind;
    an address cannot be rebound to another site, only a name can). ``trusted``: names given
    with ``--allow-host``, whose pages may post to the app, e.g. a reverse proxy's public name.
    """

    names: frozenset[str]
    any_ip: bool = False
    trusted: frozenset[str] = frozenset()

    def host_ok(self, host: str) -> bool:
        name = _name(host)
        return name in self.names or (self.any_ip and _ip(name) is not None)

    def origin_ok(self, origin: str, host: str) -> bool:
        """A browser's ``Origin`` is acceptable when it is the app's own origin (same host and
        port as the request's ``Host``) or a trusted name."""
        try:
            o = urlsplit(origin)
            h = urlsplit("//" + host)
            if o.scheme not in ("http", "https") or not o.hostname or not h.hostname:
                return False
            default = 443 if o.scheme == "https" else 80
            same = (_name(o.hostname), o.port or default) == (_name(h.hostname), h.port or default)
        except ValueError:  # a malformed port
            return False
        return same or _name(o.hostname) in self.trusted


def host_policy(bind: str, allow: Iterable[str] = ()) -> HostPolicy:
    """The policy for a server bound to ``bind``: the bound name; for a loopback or wildcard
    bind, the loopback names; for any other bind, this machine's host name; plus ``allow``."""
    trusted = frozenset(_name(a) for a in allow if _name(a))
    names = set(trusted)
    bound = _name(bind)
    wildcard = bound in _WILDCARDS
    if not wildcard:
        names.add(bound)
    if wildcard or is_loopback(bind):
        names.update(LOOPBACK_NAMES)
    if not is_loopback(bind):
        names.update(_name(n) for n in (socket.gethostname(), socket.getfqdn()) if n)
    return HostPolicy(names=frozenset(names), any_ip=wildcard, trusted=trusted)


def check_exposure(host: str, *, auth: tuple[str, str] | None, no_auth: bool) -> str | None:
    """The warning to print for a ``host`` reachable from other machines, or None for loopback.

    Raises ExposureError when ``host`` is not loopback and neither a login (``auth``) nor an
    explicit ``no_auth`` is given, or when both are given.
    """
    if auth is not None and no_auth:
        raise ExposureError("--auth and --no-auth contradict each other; drop one")
    if is_loopback(host):
        return None
    where = "every network interface" if _name(host) in _WILDCARDS else host
    if auth is None and not no_auth:
        raise ExposureError(
            f"--host {host} makes the app reachable from other machines; require a login with "
            "--auth USER:PASS (or --auth-file FILE), or pass --no-auth to serve without one"
        )
    if no_auth:
        return (
            f"docqa: warning: serving on {where} without a login (--no-auth): anyone who can "
            "reach this port can read every indexed document and upload files"
        )
    return (
        f"docqa: warning: serving on {where}: other machines can reach the app; the login "
        "and passwords travel unencrypted over plain http, so use a trusted network or a TLS proxy"
    )


def read_auth(value: str | None, file: Path | None) -> tuple[str, str] | None:
    """The login ``(user, password)`` from ``--auth USER:PASS`` or from a password file holding
    one line ``USER:PASS``; None when neither is given. The password may contain ':'."""
    if value is not None and file is not None:
        raise AuthConfigError("give --auth or --auth-file, not both")
    if file is not None:
        try:
            lines = [ln for ln in file.read_text(encoding="utf-8").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise AuthConfigError(
                f"cannot read the password file {file}: {reason}; give a readable file "
                "holding one line USER:PASS"
            ) from None
        if len(lines) != 1:
            raise AuthConfigError(
                f"the password file {file} holds {len(lines)} lines; it must hold one line USER:PASS"
            )
        return _split_login(lines[0], f"the line in {file}")
    if value is not None:
        return _split_login(value, "--auth")
    return None


def _split_login(text: str, what: str) -> tuple[str, str]:
    # The text is never echoed: it may be a password typed without its user name.
    user, colon, password = text.partition(":")
    if not colon:
        raise AuthConfigError(f"{what} has no ':'; write it as USER:PASS, e.g. alice:s3cret")
    if not user.strip():
        raise AuthConfigError(f"{what} has an empty user name before ':'; write it as USER:PASS")
    if user != user.strip():
        raise AuthConfigError(f"{what} has spaces around the user name; write it as USER:PASS")
    if not password:
        raise AuthConfigError(f"{what} has an empty password after ':'; write it as USER:PASS")
    return user, password
