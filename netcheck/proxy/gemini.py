"""Gemini CLI's route for its MCP HTTP requests and for its OAuth requests.

Measured on Gemini CLI 0.61.0 (npm ``@google/gemini-cli``, Node 20) with a prompt run's MCP
start-up (``gemini -p hi --debug``) and ``gemini mcp list``, which route alike; the measured
table is ``tests/real_clients/gemini-proxy-routes.json`` (``tests/real_clients/gemini_routes.py``).
Gemini CLI has two proxy layers, and which one carries the MCP request depends on NO_PROXY:

(1) With ``NO_PROXY`` or ``no_proxy`` set (the first non-empty of the two, in that order: an
empty ``NO_PROXY`` falls through to ``no_proxy``), the MCP transport gets its own undici
``EnvHttpProxyAgent`` with that list: ``http_proxy`` else ``HTTP_PROXY`` for http: URLs,
``https_proxy`` else ``HTTPS_PROXY`` for https: URLs, falling back to the http: proxy; "else"
means *unset*, so an empty lower-case variable hides its upper-case twin. A value that is not a
URL fails every request of that server (the agent cannot be built: "Invalid URL"). The list is
split at commas and white space, lower-cased; an entry matches its host exactly, or as a suffix
when it starts with ``.`` or ``*`` (``*`` stripped: ``.x`` matches subdomains only, ``*`` alone
matches everything), ``host:port`` only on that port; IPv6 hosts are compared with their
brackets (``[::1]``), and IP ranges are not understood.

(2) Otherwise the session's own proxy carries it: the first non-empty of ``HTTPS_PROXY``,
``https_proxy``, ``HTTP_PROXY``, ``http_proxy`` (this order, upper case first) for every URL,
http: or https:, loopback included. A value that is not a URL is dropped ("Invalid proxy
configuration detected") and the request goes direct.

Either way the proxy URL must be ``http://`` (``https://`` speaks TLS to the proxy); Basic
credentials in it are sent. ``ALL_PROXY`` / ``all_proxy`` are never read.

The OAuth requests (protected-resource and authorization-server metadata, registration, token)
always use the session's proxy of (2), with the NO_PROXY list ``NO_PROXY``, else ``no_proxy``
(here an empty ``NO_PROXY`` wins), matched as in (1): :func:`decide_oauth`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from netcheck.proxy.models import ProxyDecision, Target, _direct, _first_set, _proxied

Env = Mapping[str, str]

MODEL = "gemini"
RELEASE = "0.61.0"

SESSION_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
INVALID_URL = "Invalid URL"  # the MCP transport's proxy agent cannot be built
INVALID_PROTOCOL = "Invalid URL protocol"  # the same, for a URL that is not http(s)
# what Gemini CLI prints (and exits 1) when its session proxy is not an http(s) URL
INVALID_PROXY_CONFIGURATION = "Invalid proxy configuration detected"


def decide(env: Env, target: Target) -> ProxyDecision:
    """The route Gemini CLI 0.61.0 takes to the MCP server ``target`` (the module docstring)."""
    stopped = start_error(env)
    if stopped is not None:
        return ProxyDecision(model=MODEL, error=stopped[1], variable=stopped[0],
                             reason=f"{stopped[0]} is not an http(s) URL: Gemini CLI stops at "
                                    "start")
    http = _first_defined(env, "http_proxy", "HTTP_PROXY")
    https = _first_defined(env, "https_proxy", "HTTPS_PROXY")
    for found in (http, https):
        if found is not None and found[1] and not _usable(found[1]):
            error = INVALID_URL if not _parses(found[1]) else INVALID_PROTOCOL
            return ProxyDecision(
                model=MODEL, error=error, variable=found[0],
                reason=f"{found[0]} is not an http(s) URL: the MCP transport's own proxy agent "
                       "cannot be built, so every request to the server fails")
    listed = _first_set(env, "NO_PROXY", "no_proxy")
    if listed is not None:
        return _transport_agent(target, listed, http, https)
    return _session_proxy(env, target, "", "no NO_PROXY/no_proxy: the session's proxy")


def decide_oauth(env: Env, target: Target) -> ProxyDecision:
    """The route of Gemini CLI's OAuth requests to ``target`` (always the session's proxy)."""
    stopped = start_error(env)
    if stopped is not None:
        return ProxyDecision(model=MODEL, error=stopped[1], variable=stopped[0])
    name = next((n for n in ("NO_PROXY", "no_proxy") if n in env), None)
    return _session_proxy(env, target, env[name] if name else "",
                          f"the session's proxy (NO_PROXY list from {name or 'nothing'})")


def agent_error(env: Env) -> tuple[str | None, str] | None:
    """``(variable, error)`` when the MCP transport's own proxy agent cannot be built (an
    unusable ``http_proxy ?? HTTP_PROXY`` or ``https_proxy ?? HTTPS_PROXY``): built for every
    server, with or without NO_PROXY, so every request fails before it goes out."""
    for lower, upper in (("http_proxy", "HTTP_PROXY"), ("https_proxy", "HTTPS_PROXY")):
        found = _first_defined(env, lower, upper)
        if found is not None and found[1] and not _usable(found[1]):
            return found[0], INVALID_URL if not _parses(found[1]) else INVALID_PROTOCOL
    return None


def unusable_at_start(env: Env) -> tuple[str | None, str] | None:
    """What fails every request before one goes out: the session's proxy (Gemini CLI then
    stops), or the MCP transport's agent (every server fails)."""
    return start_error(env) or agent_error(env)


def start_error(env: Env) -> tuple[str | None, str] | None:
    """``(variable, error)`` when Gemini CLI stops at start: the session's proxy (the first
    non-empty of HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy) is not an http(s) URL."""
    chosen = _first_set(env, *SESSION_PROXY_VARIABLES)
    if chosen is None or _usable(chosen[1].strip()):
        return None
    return chosen[0], INVALID_PROXY_CONFIGURATION


# --- (1) the MCP transport's own EnvHttpProxyAgent --------------------------------------------


def _transport_agent(target: Target, listed: tuple[str, str], http: tuple[str, str] | None,
                     https: tuple[str, str] | None) -> ProxyDecision:
    source, no_proxy = listed
    entry = _no_proxy_match(no_proxy, target)
    if entry is not None:
        return _direct(MODEL, f"{source} entry {entry!r} (the MCP transport's own agent)",
                       entry)
    chosen = None
    if target.scheme == "https" and https is not None and https[1]:
        chosen = https
    elif http is not None and http[1]:
        chosen = http
    if chosen is None:
        return _direct(MODEL, f"{source} is set, so the MCP transport uses its own agent, "
                              f"which finds no proxy variable for {target.scheme}:")
    return _decided(chosen[0], chosen[1], f"{chosen[0]} (the MCP transport's own agent: "
                                          f"{source} is set)")


# --- (2) the session's proxy --------------------------------------------------------------------


def _session_proxy(env: Env, target: Target, no_proxy: str, why: str) -> ProxyDecision:
    chosen = _first_set(env, *SESSION_PROXY_VARIABLES)
    if chosen is None:
        return _direct(MODEL, f"{why}: none of HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy")
    name, raw = chosen
    value = raw.strip()
    entry = _no_proxy_match(no_proxy.strip(), target) if no_proxy.strip() else None
    if entry is not None:
        return _direct(MODEL, f"NO_PROXY entry {entry!r} ({why})", entry)
    return _decided(name, value, f"{name} ({why})")


# --- shared ---------------------------------------------------------------------------------------


def _decided(name: str, value: str, reason: str) -> ProxyDecision:
    decision = _proxied(MODEL, value, name, value)
    return ProxyDecision(model=MODEL, raw=decision.raw, proxy_url=decision.proxy_url,
                         reason=reason, variable=name)


def _first_defined(env: Env, *names: str) -> tuple[str, str] | None:
    """The first of ``names`` that is set at all (``??``: an empty value counts)."""
    for name in names:
        if name in env:
            return name, env[name]
    return None


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.S)
_SPECIAL = ("http", "https", "ws", "wss", "ftp", "file")


def _parses(value: str) -> bool:
    """``new URL(value)`` succeeds (an approximation of the WHATWG parser, enough for proxy
    values): a scheme, and for the special schemes a host (with a valid port)."""
    match = _SCHEME.match(value.strip(" \t\n\r\x00"))
    if match is None:
        return False
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in _SPECIAL:
        return True
    authority = re.split(r"[/?#]", rest.replace("\\", "/").lstrip("/"), maxsplit=1)[0]
    host, _, port = authority.rpartition("@")[2].partition(":") if not authority.rpartition(
        "@")[2].startswith("[") else (authority.rpartition("@")[2], "", "")
    if not host or re.search(r"[ #%<>?@\\^|]", host):
        return False
    return not port or (port.isdigit() and int(port) <= 65535)


def _usable(value: str) -> bool:
    """undici's ProxyAgent takes ``value``: it parses, and is http: or https:."""
    return _parses(value) and value.strip().split(":", 1)[0].lower() in ("http", "https")


def _no_proxy_match(no_proxy: str, target: Target) -> str | None:
    """undici's EnvHttpProxyAgent NO_PROXY test; the entry that matched."""
    if no_proxy == "*":
        return "*"
    host = target.bracketed_host
    port = target.effective_port
    for entry in (e for e in re.split(r"[,\s]", no_proxy) if e):
        parsed = re.match(r"^(.+):(\d+)$", entry)
        name = (parsed.group(1) if parsed else entry).lower()
        entry_port = int(parsed.group(2)) if parsed else 0
        if entry_port and entry_port != port:
            continue
        if not re.match(r"^[.*]", name):
            if host == name:
                return entry
        elif host.endswith(re.sub(r"^\*", "", name)):
            return entry
    return None
