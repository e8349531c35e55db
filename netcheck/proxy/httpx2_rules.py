"""How httpx2 2.16 (the HTTP client of the MCP Python SDK 2.x) picks a proxy from the environment.

A transcription of ``httpx2._utils.get_environment_proxies``, ``URLPattern`` and the client's
mount table, checked against httpx2 itself and against the measured routes of the SDK's client
(``tests/real_clients/py-sdk-proxy-routes.json``). What differs from httpx 0.28:

- everything is decided when the client is created: a proxy URL httpx2 cannot use (bad port,
  unknown scheme) or a NO_PROXY entry with an ``xn--`` label (its host decoder rejects the
  ``*`` it prefixes) fails every request, whatever its URL; other unparsable NO_PROXY entries
  are dropped silently;
- ``*.suffix`` matches subdomains, an IPv4/IPv6 CIDR matches the addresses in it, a
  bracketed IPv6 address is accepted;
- the most specific mount wins (a port, then a host, then a network, then no host).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from netcheck.net.address import bracketed, digits
from netcheck.proxy.models import (
    Env,
    ProxyDecision,
    Target,
    _direct,
    _proxied,
    _python_getproxies,
    _python_variable,
    httpx_without_cli,
)

MODEL = "python-httpx2"
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


class ClientCreationError(Exception):
    """What ``httpx2.AsyncClient()`` raises for this environment."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


def _host(url: Any) -> str:
    """httpx2's ``URL.host``: lower case, and IDNA-decoded when ``xn--`` appears anywhere
    (which raises for hosts that are no valid IDNA, e.g. the ``*`` of a NO_PROXY pattern)."""
    import idna

    host: str = url.raw_host.decode("ascii")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if "xn--" in host:
        try:
            host = idna.decode(host)
        except (idna.IDNAError, UnicodeError) as exc:
            raise ClientCreationError(f"{type(exc).__module__}.{type(exc).__name__}: "
                                      f"{exc}") from None
    return host


def _is_ip(text: str, version: int) -> bool:
    try:
        address = ipaddress.ip_address(text.split("/")[0])
    except ValueError:
        return False
    return address.version == version


@dataclass(frozen=True)
class _Pattern:
    """``httpx2._utils.URLPattern``."""

    key: str
    scheme: str
    host: str
    port: int | None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    regex: re.Pattern[str] | None

    @classmethod
    def parse(cls, key: str) -> _Pattern:
        """Raises ``InvalidURL`` (from httpx's URL parser, which httpx2 shares) for keys
        httpx2 drops, :class:`ClientCreationError` for keys that fail the client."""
        httpx_without_cli()
        import httpx

        url = httpx.URL(key)
        host = _host(url)
        network = None
        prefix = url.path.removeprefix("/")
        if prefix and (_is_ip(host, 4) or _is_ip(host, 6)):
            shown = bracketed(host)
            if "@" in key or "%" in key or not digits(prefix) or \
                    not key.endswith(f"{shown}/{prefix}"):
                raise httpx.InvalidURL(f"Invalid network in {key!r}")
            try:
                network = ipaddress.ip_network(f"{host}/{prefix}", strict=False)
            except ValueError as exc:
                raise httpx.InvalidURL(f"Invalid network in {key!r}") from exc
        regex = None
        if network is None and host and host != "*":
            if host.startswith("*."):
                regex = re.compile(f"^.+\\.{re.escape(host[2:])}$")
            elif host.startswith("*"):
                regex = re.compile(f"^(.+\\.)?{re.escape(host[1:])}$")
            else:
                regex = re.compile(f"^{re.escape(host)}$")
        return cls(key=key, scheme="" if url.scheme == "all" else url.scheme,
                   host="" if host == "*" else host, port=url.port, network=network,
                   regex=regex)

    def matches(self, scheme: str, host: str, port: int | None) -> bool:
        if self.scheme and self.scheme != scheme:
            return False
        if self.network is not None:
            try:
                if ipaddress.ip_address(host) not in self.network:
                    return False
            except ValueError:
                return False
        elif self.host and self.regex is not None and not self.regex.match(host):
            return False
        return self.port is None or self.port == port

    @property
    def priority(self) -> tuple[int, int, int, int, int]:
        return (0 if self.port is not None else 1,
                1 if self.network is not None else 0 if self.host else 2,
                self.network.num_addresses if self.network is not None else 0,
                -len(self.host) if self.network is None else 0,
                -len(self.scheme))


def _no_proxy_key(entry: str) -> str | None:
    """The mount key ``get_environment_proxies`` makes of one NO_PROXY entry."""
    if "://" in entry:
        return entry
    if _is_ip(entry, 4):
        return f"all://{entry}"
    if _is_ip(entry, 6):
        address, slash, subnet = entry.partition("/")
        return f"all://[{address}]/{subnet}" if slash else f"all://[{entry}]"
    if entry.lower() == "localhost" or entry.startswith("["):
        return f"all://{entry}"
    if entry.startswith("*.") and "/" not in entry:
        return f"all://{entry}"
    if "/" not in entry:
        return f"all://*{entry}"
    return None


@dataclass(frozen=True)
class Mount:
    pattern: _Pattern
    proxy: str | None  # None: direct
    variable: str  # where it came from
    entry: str | None = None  # the NO_PROXY entry, for a direct mount


def mounts(env: Env) -> list[Mount]:
    """The client's mounts, most specific first. Raises :class:`ClientCreationError` as the
    client would."""
    httpx_without_cli()
    import httpx

    proxies = _python_getproxies(env)
    keys: dict[str, tuple[str | None, str, str | None]] = {}
    for scheme in ("http", "https", "all"):
        if proxies.get(scheme):
            value = proxies[scheme]
            keys[f"{scheme}://"] = (value if "://" in value else f"http://{value}",
                                    _python_variable(env, scheme), None)
    no_variable = _python_variable(env, "no")
    for entry in (h.strip() for h in proxies.get("no", "").split(",")):
        if entry == "*":
            return []
        key = _no_proxy_key(entry) if entry else None
        if key is not None:
            keys[key] = (None, no_variable, entry)
    table = []
    for key, (proxy, variable, no_entry) in keys.items():
        try:
            table.append(Mount(_Pattern.parse(key), proxy, variable, no_entry))
        except httpx.InvalidURL:
            continue  # like curl and Go, httpx2 ignores entries it cannot parse
        except ClientCreationError as exc:
            raise ClientCreationError(f"{exc} (the {variable} entry {no_entry!r})",
                                      variable) from None
    for mount in table:
        if mount.proxy is not None:
            _check_proxy(mount.proxy, mount.variable)
    return sorted(table, key=lambda mount: mount.pattern.priority)


def _check_proxy(proxy: str, source: str) -> None:
    """``httpx2.Proxy(url)``: the URL must parse and have a scheme httpx2 tunnels with."""
    httpx_without_cli()
    import httpx

    try:
        url = httpx.URL(proxy)
        _host(url)
    except httpx.InvalidURL as exc:
        raise ClientCreationError(f"httpx2.InvalidURL: {exc} (in {source})", source) from None
    if url.scheme not in PROXY_SCHEMES:
        raise ClientCreationError(f"ValueError: Unknown scheme for proxy URL (in {source})",
                                  source)


def creation_error(env: Env) -> tuple[str | None, str] | None:
    """``(variable, error)`` when creating the client fails for ``env``."""
    try:
        mounts(env)
    except ClientCreationError as exc:
        return exc.variable, str(exc)
    return None


def decide_python_httpx2(env: Env, target: Target) -> ProxyDecision:
    """The route httpx2 2.16 gives ``target`` (see the module docstring)."""
    httpx_without_cli()
    import httpx

    try:
        table = mounts(env)
        url = httpx.URL(target.url)
        host = _host(url)
    except ClientCreationError as exc:
        return ProxyDecision(model=MODEL, error=str(exc), variable=exc.variable,
                             reason="httpx2 fails when the client is created, before any "
                                    "request, whatever its URL")
    for mount in table:
        if mount.pattern.matches(url.scheme, host, url.port):
            if mount.proxy is None:
                return _direct(MODEL, f"{mount.variable} entry {mount.entry!r}", mount.entry)
            return _proxied(MODEL, mount.proxy, mount.variable, mount.proxy)
    return _direct(MODEL, "no proxy variable set" if not table else
                   "no proxy variable for this scheme")
