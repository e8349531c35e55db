"""Parsing a proxy URL as given in a variable or flag: scheme, host, port and credentials."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote

from netcheck.net.address import DEFAULT_PORTS, bracketed, digits, port_problem
from netcheck.redaction import Secret

PROXY_SCHEMES = ("http", "https", "socks", "socks4", "socks4a", "socks5", "socks5h")


# The WHATWG URL standard's forbidden host code points (the Node clients' proxy values)
FORBIDDEN_HOST = frozenset(" #%/:<>?@[\\]^|\t\n\r\x00")


def authority_host(authority: str) -> str | None:
    """The host of a URL's ``authority`` (``user@host:port``) as the WHATWG parser takes it,
    lower case, an IPv6 address in its brackets; None when it has none or no valid port (an
    approximation, enough for proxy values)."""
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return None
        host, tail = authority[: end + 1], authority[end + 1:]
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
    else:
        host, colon, port = authority.partition(":")
        tail = colon + port
        if not host or FORBIDDEN_HOST.intersection(host):
            return None
    if tail:
        port = tail[1:]
        if not tail.startswith(":") or (port and (not digits(port) or int(port) > 65535)):
            return None
    return host.lower()


class ProxyURLError(ValueError):
    """The value is not a usable proxy URL; the message says why (never echoing a password)."""


@dataclass(frozen=True)
class ProxyURL:
    scheme: str
    host: str  # without IPv6 brackets
    port: int
    username: str | None = None
    password: Secret | None = None

    @property
    def hostport(self) -> str:
        host = bracketed(self.host)
        return f"{host}:{self.port}"

    @property
    def display(self) -> str:
        """The URL without credentials, the way reports show it."""
        return f"{self.scheme}://{self.hostport}"

    @property
    def has_credentials(self) -> bool:
        return self.username is not None

    @classmethod
    def parse(cls, value: str, default_scheme: str = "http") -> ProxyURL:
        """Parse ``value``; a value without ``://`` gets ``default_scheme``.

        Credentials come from the userinfo, split from the host at the *last* ``@`` and
        percent-decoded, as curl, undici and Go do.
        """
        text = value.strip()
        if not text:
            raise ProxyURLError("the value is empty")
        if any(c.isspace() for c in text):
            raise ProxyURLError("the value contains white space")
        if "://" in text:
            scheme, _, rest = text.partition("://")
            scheme = scheme.lower()
        else:
            scheme, rest = default_scheme, text
        if scheme not in PROXY_SCHEMES:
            raise ProxyURLError(f"unsupported proxy scheme {scheme!r} (expected http:// or https://)")
        authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        username: str | None = None
        password: Secret | None = None
        if "@" in authority:
            userinfo, _, authority = authority.rpartition("@")
            user, sep, pw = userinfo.partition(":")
            username = unquote(user)
            password = Secret(unquote(pw)) if sep else None
        host, port = _split_hostport(authority, DEFAULT_PORTS[scheme])
        return cls(scheme=scheme, host=host, port=port, username=username, password=password)


def _split_hostport(authority: str, default_port: int) -> tuple[str, int]:
    if not authority:
        raise ProxyURLError("no proxy host")
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise ProxyURLError("unclosed '[' in an IPv6 proxy address")
        host, tail = authority[1:end], authority[end + 1 :]
        if tail and not tail.startswith(":"):
            raise ProxyURLError("unexpected text after the IPv6 proxy address")
        port_text = tail[1:]
    else:
        host, sep, port_text = authority.rpartition(":")
        if not sep:
            host, port_text = authority, ""
    if not host:
        raise ProxyURLError("no proxy host")
    if port_text == "":
        return host.lower(), default_port
    if port_problem(port_text) is not None:
        raise ProxyURLError(f"invalid proxy port {port_text!r}")
    return host.lower(), int(port_text)
