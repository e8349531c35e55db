"""Codex CLI's route for its MCP requests and their OAuth requests.

Measured on Codex CLI 0.171.0 (the native Rust binary of npm ``@openai/codex``, reqwest on
hyper-util's proxy matcher) with ``codex mcp list --json``, ``codex mcp login`` and the app
server's ``mcpServerStatus/list``, which all route alike; the measured table is
``tests/real_clients/codex-proxy-routes.json`` (made with ``tests/real_clients/codex_routes.py``).
Rules:

1. Variables are read UPPER case first, and a variable that is set counts even when empty:
   ``HTTPS_PROXY`` else ``https_proxy`` for https: URLs, ``HTTP_PROXY`` else ``http_proxy`` for
   http: URLs, ``ALL_PROXY`` else ``all_proxy`` for both, ``NO_PROXY`` else ``no_proxy``. So
   ``HTTPS_PROXY=""`` hides ``https_proxy`` (and ``NO_PROXY=""`` hides ``no_proxy``).
2. A value that is not a URI with a host (``not a url``, ``http://``, ``host:bad:port``), or has
   a scheme other than http, https, socks4(a), socks5(h), is ignored as if unset, and the
   scheme's variable then falls back to the ALL_PROXY one; a bare ``host:port`` means
   ``http://host:port``, a bare host port 80; ``https://`` proxies get TLS.
3. ``REQUEST_METHOD`` set (even empty, as in a CGI program) turns every proxy off.
4. NO_PROXY: entries split at commas only, each trimmed; an entry that parses as an IP address
   or CIDR network matches IP-literal hosts in it; any other entry matches host names only:
   itself, its subdomains (``corp.example`` and ``.corp.example`` both match
   ``a.corp.example``; ``.corp.example`` also ``corp.example``), and ``*`` anywhere in the list
   matches every host name (never an IP literal). Names compare case-insensitively; no ports
   (``host:port`` never matches), no ``*.`` wildcards, no trailing-dot folding, and a
   bracketed ``[::1]`` never matches.
5. Nothing else is special: ``localhost``, 127.0.0.1 and [::1] go through the proxy too.
6. socks proxies are refused: every request that would use one fails without contacting it
   (this build of reqwest has no SOCKS support), whatever variable named it.

Codex says the same for every transport failure (dead proxy, 407, socks, TLS): ``error
sending request for url (URL)``. It never stops at start over a proxy value; a CA variable
naming an unusable file fails every request before any connection (:func:`start_error`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path

from netcheck.proxy.models import ProxyDecision, Target, _direct, _proxied

Env = Mapping[str, str]

MODEL = "codex"
RELEASE = "0.171.0"

SOCKS_SCHEMES = ("socks4", "socks4a", "socks5", "socks5h")
SOCKS_UNSUPPORTED = "socks proxies are not supported"
SEND_ERROR = "error sending request for url"  # Codex's words for any transport failure

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,63})://")
# RFC 3986 characters the http crate's URI parser takes (no spaces, quotes, braces...).
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def _first_set(env: Env, *names: str) -> tuple[str, str] | None:
    """The first of ``names`` that is set, even to an empty value (hyper-util's rule)."""
    for name in names:
        if name in env:
            return name, env[name]
    return None


def parse_proxy(value: str) -> tuple[str, str] | None:
    """``(scheme, authority)`` of a proxy value as hyper-util's matcher takes it, or None
    when it ignores the value (an approximation of the http crate's URI parser)."""
    if not value or not _URI_CHARS.match(value):
        return None
    found = _SCHEME.match(value)
    if found:
        scheme, rest = found.group(1).lower(), value[found.end():]
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    elif value.startswith("/"):
        return None
    else:  # authority form: the whole value must be host[:port]
        scheme, authority = "http", value
        if re.search(r"[/?#]", authority):
            return None
    if scheme not in ("http", "https", *SOCKS_SCHEMES):
        return None
    if not _authority_ok(authority):
        return None
    return scheme, authority


def _authority_ok(authority: str) -> bool:
    host_port = authority.rpartition("@")[2]
    if not host_port:
        return False
    if host_port.startswith("["):
        end = host_port.find("]")
        if end < 0:
            return False
        try:
            ipaddress.IPv6Address(host_port[1:end])
        except ValueError:
            return False
        tail = host_port[end + 1:]
        if tail and not tail.startswith(":"):
            return False
        port = tail[1:] if tail else None
    else:
        if host_port.count(":") > 1:
            return False
        host, _, port_text = host_port.partition(":")
        if not host:
            return False
        port = port_text if ":" in host_port else None
    return not port or (port.isdigit() and int(port) <= 65535)


def _chosen(env: Env, scheme: str) -> tuple[str, str, str, str] | None:
    """``(variable, raw, proxy scheme, authority)`` hyper-util picks for ``scheme`` URLs."""
    own = ("HTTPS_PROXY", "https_proxy") if scheme == "https" else ("HTTP_PROXY", "http_proxy")
    for names in (own, ("ALL_PROXY", "all_proxy")):
        found = _first_set(env, *names)
        if found is None:
            continue
        parsed = parse_proxy(found[1])
        if parsed is not None:
            return found[0], found[1], parsed[0], parsed[1]
    return None


def no_proxy_match(no_proxy: str, target: Target) -> str | None:
    """The NO_PROXY entry (hyper-util's matcher) that sends ``target`` direct, if any."""
    ips: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    domains: list[tuple[str, str]] = []  # (as written, lower case)
    for part in (p.strip() for p in no_proxy.split(",")):
        if not part:
            continue
        try:
            ips.append((part, ipaddress.ip_network(part, strict=False) if "/" in part
                        else ipaddress.ip_network(ipaddress.ip_address(part))))
        except ValueError:
            domains.append((part, part.lower()))
    host = target.hostname  # lower case, brackets stripped
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return next((p for p, net in ips if address in net), None)
    for written, entry in domains:  # hyper-util's DomainMatcher, branch for branch
        if entry == host or (entry.startswith(".") and entry[1:] == host):
            return written
        if host.endswith(entry):
            if entry.startswith(".") or host[len(host) - len(entry) - 1] == ".":
                return written
        elif entry == "*":
            return written
    return None


def decide(env: Env, target: Target) -> ProxyDecision:
    """The route Codex 0.171.0 takes to ``target`` (see the module docstring)."""
    if "REQUEST_METHOD" in env:
        return _direct(MODEL, "REQUEST_METHOD is set (a CGI environment): Codex uses no proxy")
    found = _first_set(env, "NO_PROXY", "no_proxy")
    if found is not None:
        entry = no_proxy_match(found[1], target)
        if entry is not None:
            return _direct(MODEL, f"{found[0]} entry {entry!r}", entry)
    if target.scheme not in ("http", "https"):
        return _direct(MODEL, f"no proxy for {target.scheme}: URLs")
    chosen = _chosen(env, target.scheme)
    if chosen is None:
        return _direct(MODEL, f"no usable proxy variable for {target.scheme}: URLs")
    name, raw, scheme, authority = chosen
    if scheme in SOCKS_SCHEMES:
        return ProxyDecision(model=MODEL, error=SOCKS_UNSUPPORTED, variable=name,
                             reason=f"{name} is a {scheme}:// proxy; Codex's HTTP client "
                                    "cannot use SOCKS proxies, so every such request fails")
    normalised = f"{scheme}://{authority}"
    return _proxied(MODEL, raw, name, normalised)


def start_error(env: Env) -> tuple[str | None, str] | None:
    """``(variable, error)`` when Codex's CA variable names a file it cannot use: then every
    request fails before it connects (Codex keeps running and prints no other cause)."""
    found = next(((n, env[n]) for n in ("CODEX_CA_CERTIFICATE", "SSL_CERT_FILE") if env.get(n)),
                 None)
    if found is None:
        return None
    name, path = found
    hint = ("If you set CODEX_CA_CERTIFICATE or SSL_CERT_FILE, ensure it points to a PEM file "
            "containing one or more CERTIFICATE blocks, or unset it to use system roots.")
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        return name, (f"Failed to read CA certificate file {path} selected by {name}: "
                      f"{exc.strerror} (os error {exc.errno}). {hint}")
    if not re.search(rb"-----BEGIN (TRUSTED )?CERTIFICATE-----", text):
        return name, (f"Failed to load CA certificates from {path} selected by {name}: "
                      f"no certificates found in PEM file. {hint}")
    return None
