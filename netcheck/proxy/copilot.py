"""GitHub Copilot CLI's route for its MCP HTTP requests and their OAuth discovery requests.

Measured on Copilot CLI 1.0.102 (npm ``@github/copilot``, native linux-x64 program; its HTTP
client is in its Rust runtime) with prompt runs (``copilot -p``); the measured table is
``tests/real_clients/copilot-proxy-routes.json`` (``tests/real_clients/copilot_routes.py``),
the notes ``tests/real_clients/notes/copilot.md``. Rules:

(1) The proxy variable: for an https: URL the first non-empty of ``https_proxy``,
``HTTPS_PROXY``, ``http_proxy``, ``HTTP_PROXY``; for an http: URL the first non-empty of
``http_proxy``, ``HTTP_PROXY``, ``https_proxy``, ``HTTPS_PROXY`` (lower case wins, and each
scheme falls back to the other's variables). ``ALL_PROXY`` / ``all_proxy`` are never read;
``REQUEST_METHOD`` changes nothing. When no variable is set, the ``proxyUrl`` of
``~/.copilot/settings.json`` (``$COPILOT_HOME/settings.json``) is used the same way.
(2) The value chosen is used as ``http://VALUE`` when it has no ``://``; if it is not then a
URL with a host (and a valid port), the request goes direct (no fall-through to the next
variable, no message). Any scheme other than ``https`` is spoken to as an HTTP proxy
(``socks5://`` included); ``https://`` means TLS to the proxy.
(3) NO_PROXY: ``no_proxy`` when it is set, even empty (then nothing bypasses the proxy), else
``NO_PROXY`` (never merged), split at commas,
entries trimmed, case-insensitive: ``*`` anywhere bypasses everything; an IP address or CIDR
range matches IP-literal hosts (IPv6 with or without brackets); ``host:port`` matches that host
on that port only (a bracketed IPv6 address with a port, ``[::1]:PORT``, never matches); spaces
do not separate entries; a name (a leading ``*.`` or ``.`` dropped) matches itself and its
subdomains. Loopback is not exempt: ``localhost``, ``127.0.0.1`` and ``[::1]`` are proxied
unless NO_PROXY names them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from netcheck.net.address import covered_by
from netcheck.proxy.models import ProxyDecision, Target, _direct, _first_set, _proxied
from netcheck.proxy.url import authority_host

Env = Mapping[str, str]

MODEL = "copilot"
RELEASE = "1.0.102"

HTTPS_ORDER = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
HTTP_ORDER = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY")
SETTING = "proxyUrl"  # the settings.json key, reported as the decision's variable




def decide(env: Env, target: Target, *, proxy_url_setting: str | None = None) -> ProxyDecision:
    """The route Copilot CLI 1.0.102 takes to ``target`` (see the module docstring);
    ``proxy_url_setting``: the user's ``proxyUrl`` setting, if any."""
    order = HTTPS_ORDER if target.scheme == "https" else HTTP_ORDER
    chosen = _first_set(env, *order)
    if chosen is None and proxy_url_setting:
        chosen = (SETTING, proxy_url_setting)
    if chosen is None:
        return _direct(MODEL, "no https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY or proxyUrl "
                              "(Copilot never reads ALL_PROXY)")
    name, raw = chosen
    value = raw if "://" in raw else f"http://{raw}"
    if _host_of(value) is None:
        return _direct(MODEL, f"{name} is not a URL with a host: Copilot ignores it and goes "
                              "direct (it does not try the next variable)")
    no_proxy = _no_proxy(env)
    if no_proxy is not None:
        entry = no_proxy_match(no_proxy[1], target)
        if entry is not None:
            return _direct(MODEL, f"{no_proxy[0]} entry {entry!r}", entry)
    scheme = value.split("://", 1)[0].lower()
    shown = value if scheme in ("http", "https") else "http://" + value.split("://", 1)[1]
    # the proxy is spoken to as ``shown`` says (a socks5:// value gets HTTP CONNECT)
    decision = _proxied(MODEL, shown, name, shown)
    if scheme not in ("http", "https"):
        return ProxyDecision(model=MODEL, raw=decision.raw, proxy_url=decision.proxy_url,
                             variable=name,
                             reason=f"{name} (a {scheme}:// proxy, which Copilot speaks to as "
                                    "an HTTP proxy)")
    return decision


def _no_proxy(env: Env) -> tuple[str, str] | None:
    """``no_proxy`` when it is set, even empty (then nothing bypasses), else ``NO_PROXY``."""
    name = "no_proxy" if "no_proxy" in env else "NO_PROXY"
    value = env.get(name)
    return (name, value) if value else None


def start_error(env: Env) -> tuple[str | None, str] | None:
    """Copilot never stops at start over its proxy variables (unusable values are ignored)."""
    del env
    return None


def _host_of(value: str) -> str | None:
    """The host of ``value`` as a URL with an authority (WHATWG-style parsing, enough for
    proxy values), or None when it is not one."""
    text = value.strip(" \t\n\r\x00")
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", text, re.S)
    if not m:
        return None
    return authority_host(re.split(r"[/?#]", m.group(2), maxsplit=1)[0])


def no_proxy_match(no_proxy: str, target: Target) -> str | None:
    """The NO_PROXY entry that sends ``target`` direct, else None."""
    entries = [e.strip() for e in no_proxy.split(",")]
    entries = [e for e in entries if e]
    if "*" in entries:
        return "*"
    host = target.hostname.rstrip(".")
    for original in entries:
        entry = original.lower()
        port: int | None = None
        m = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*):(\d+)", entry)
        if m:
            entry, port = m.group(1), int(m.group(2))
            if entry.startswith("["):  # "[::1]:PORT" never matched [::1] (measured)
                continue
        if port is not None and port != target.effective_port:
            continue
        if covered_by(host, entry.strip("[]")):
            return original
    return None
