"""Claude Code's route for its MCP HTTP requests and their OAuth discovery requests.

Measured on Claude Code 2.1.332 (native build, Bun 1.4.6 runtime) with ``claude mcp list``,
stdin and stdout not a terminal, and again on 2.1.337 (120 new random environments, the same
rules); the measured table is
``tests/real_clients/claude-code-proxy-routes.json`` (made with
``tests/real_clients/proxy_routes.py``). Rules: (1) Claude Code takes the first non-empty of
``https_proxy``, ``HTTPS_PROXY``, ``http_proxy``, ``HTTP_PROXY`` for every URL, http: or https:
(a bare ``host:port`` in ``https_proxy``/``HTTPS_PROXY`` gets ``http://`` when no terminal is
attached; any other value that is not a URL with a host stops Claude Code at start, "Invalid
proxy URL in VAR"), and hands it to the request unless its NO_PROXY test matches: ``no_proxy``
and ``NO_PROXY`` merged, ``*`` as a whole value matches everything, entries split at commas and
white space, case-insensitive, ``host:port`` exact (default port filled in), ``.domain`` the
domain and its subdomains, anything else the exact host. (2) Without a proxy from Claude Code,
Bun picks its own: ``https_proxy``, ``HTTPS_PROXY`` for https:, ``http_proxy``, ``HTTP_PROXY``
for http:, then ``all_proxy``, ``ALL_PROXY`` (first non-empty; a bare value means ``http://``;
a non-http(s) ``ALL_PROXY`` is ignored). (3) Whoever picked the proxy, Bun's own NO_PROXY then
sends the request direct: the first non-empty of ``no_proxy``, ``NO_PROXY`` (not merged), split
at commas and white space, case-insensitive, ``*`` anywhere matches everything, a leading ``*.``
or ``.`` and a trailing ``.`` dropped, a name matches itself and its subdomains, ``:port``
restricts to that port, IP addresses and CIDR ranges match IP-literal hosts. (4) The proxy must
be ``http://`` or ``https://`` (TLS to the proxy); ``socks5://`` fails the request
("UnsupportedProxyProtocol"), a value without a usable host fails it too (ENOTFOUND).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from netcheck.net.address import covered_by
from netcheck.proxy.models import ProxyDecision, Target, _direct, _first_set, _proxied
from netcheck.proxy.url import authority_host

Env = Mapping[str, str]

MODEL = "claude-code"
RELEASE = "2.1.337"

CLAUDE_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
_REPAIRED_VARIABLES = ("https_proxy", "HTTPS_PROXY")
_BUN_SCHEME_VARIABLES = {"https": ("https_proxy", "HTTPS_PROXY"),
                         "http": ("http_proxy", "HTTP_PROXY")}

INVALID_PROXY_URL = "Invalid proxy URL"  # Claude Code stops at start; nothing is requested
UNSUPPORTED_PROXY_PROTOCOL = "UnsupportedProxyProtocol"
UNUSABLE_PROXY = "ENOTFOUND"  # Bun looks up whatever host it makes of an unusable value

# Claude Code's scheme repair: a bare host:port (at most 300 characters) in https_proxy or
# HTTPS_PROXY is used as http://host:port.
_HOST_PORT = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
                        r"(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*):[1-9]\d{0,4}/?$", re.I)
_SPECIAL = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}



def decide_claude_code(env: Env, target: Target, *, terminal: bool = False) -> ProxyDecision:
    """The route Claude Code 2.1.337 takes to ``target`` (see the module docstring).

    ``terminal``: Claude Code runs with a terminal on stdin or stdout (an interactive session);
    then it does not repair a scheme-less HTTPS_PROXY but stops at start. The measured table is
    of ``claude mcp list`` without a terminal."""
    chosen = _first_set(env, *CLAUDE_PROXY_VARIABLES)
    claude_proxy: tuple[str, str] | None = None
    if chosen is not None:
        name, raw = chosen
        value = raw if terminal else _repair(env, name, raw)
        if _whatwg_host(value) is None:
            return ProxyDecision(
                model=MODEL, error=f"{INVALID_PROXY_URL} in {name}", variable=name,
                reason=f"{name} is not a URL with a host: Claude Code stops at start")
        claude_proxy = (name, value)
    bun_no_proxy = _first_set(env, "no_proxy", "NO_PROXY")
    if bun_no_proxy is not None:
        entry = _bun_no_proxy_match(bun_no_proxy[1], target)
        if entry is not None:
            return _direct(MODEL, f"{bun_no_proxy[0]} entry {entry!r} (Bun's NO_PROXY test)",
                           entry)
    if claude_proxy is not None:
        name, value = claude_proxy
        merged = _claude_no_proxy(env)
        entry = _claude_no_proxy_match(merged, target) if merged else None
        if entry is None:
            scheme = value.split(":", 1)[0].lower()
            if scheme not in ("http", "https"):
                return ProxyDecision(
                    model=MODEL, error=UNSUPPORTED_PROXY_PROTOCOL, variable=name,
                    reason=f"{name} is a {scheme}:// proxy; Claude Code takes http:// and "
                           "https:// proxies only")
            return _proxied(MODEL, value, name, value)
        why = f"NO_PROXY entry {entry!r} (Claude Code's test, no_proxy and NO_PROXY merged)"
    else:
        entry = None
        why = "no https_proxy, HTTPS_PROXY, http_proxy or HTTP_PROXY"
    return _bun_choice(env, target, why, entry)


def start_error(env: Env, *, terminal: bool = True) -> tuple[str | None, str] | None:
    """``(variable, error)`` when Claude Code stops at start over its proxy variable."""
    probe = Target.parse("https://start.invalid/")
    decision = decide_claude_code(env, probe, terminal=terminal)
    if decision.error is None or not decision.error.startswith(INVALID_PROXY_URL):
        return None
    error = f"{decision.error}: it cannot be parsed as a URL"
    if terminal and decide_claude_code(env, probe, terminal=False).error is None:
        error += (" (without a terminal, as in `claude mcp list` or `claude -p` in a pipe, "
                  "Claude Code reads a bare host:port as http://host:port)")
    return decision.variable, error


def decide_session(env: Env, target: Target) -> ProxyDecision:
    """The interactive session's route (a terminal attached), which netcheck models."""
    return decide_claude_code(env, target, terminal=True)


# --- Claude Code's layer --------------------------------------------------------------------


def _repair(env: Env, name: str, raw: str) -> str:
    """``http://`` added to a bare ``host:port`` in https_proxy/HTTPS_PROXY (not when another
    of https_proxy, HTTPS_PROXY, grpc_proxy, GRPC_PROXY holds a different, unusable value)."""
    if name not in _REPAIRED_VARIABLES or len(raw) > 300 or _whatwg_host(raw) is not None:
        return raw
    match = _HOST_PORT.match(raw)
    if match is None:
        return raw
    repaired = f"http://{raw}"
    if (_whatwg_host(repaired) or "").lower() != match.group(1).lower():
        return raw
    same = {v for v in CLAUDE_PROXY_VARIABLES if env.get(v) == raw}
    for other in ("https_proxy", "HTTPS_PROXY", "grpc_proxy", "GRPC_PROXY"):
        value = env.get(other)
        if other not in same and value and _whatwg_host(value) is None:
            return raw
    return repaired


def _whatwg_host(value: str) -> str | None:
    """The host of ``new URL(value)`` when it parses and has one, else None (an approximation
    of the WHATWG URL parser, enough for proxy values)."""
    text = value.strip(" \t\n\r\x00")
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", text, re.S)
    if not m:
        return None
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme in _SPECIAL:
        rest = rest.replace("\\", "/").lstrip("/")
    elif rest.startswith("//"):
        rest = rest[2:]
    else:
        return None
    return authority_host(re.split(r"[/?#]", rest, maxsplit=1)[0])


def _claude_no_proxy(env: Env) -> str:
    """no_proxy and NO_PROXY as Claude Code merges them ("*" alone in either wins)."""
    lower, upper = env.get("no_proxy"), env.get("NO_PROXY")
    if lower == "*" or upper == "*":
        return "*"
    if lower and upper and lower != upper:
        return f"{lower},{upper}"
    return lower or upper or ""


def _claude_no_proxy_match(no_proxy: str, target: Target) -> str | None:
    if no_proxy == "*":
        return "*"
    host = target.bracketed_host
    hostport = f"{host}:{target.effective_port}"
    for entry in (e for e in re.split(r"[,\s]+", no_proxy.lower()) if e):
        if ":" in entry:
            if entry == hostport:
                return entry
        elif entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return entry
        elif host == entry:
            return entry
    return None


# --- Bun's layer ----------------------------------------------------------------------------


def _bun_choice(env: Env, target: Target, why: str, entry: str | None) -> ProxyDecision:
    """Bun's own proxy for a request Claude Code gave none: the scheme's variables, then
    ALL_PROXY (whose non-http(s) values, e.g. socks5://, Bun ignores)."""
    own = _BUN_SCHEME_VARIABLES.get(target.scheme, ())
    found = _first_set(env, *own)
    fallback = found is None
    if fallback:
        found = _first_set(env, "all_proxy", "ALL_PROXY")
    if found is None:
        return _direct(MODEL, f"{why}; Bun finds no proxy variable for {target.scheme}:", entry)
    name, raw = found
    value = raw if "://" in raw else f"http://{raw}"
    scheme = value.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        if fallback:
            return _direct(MODEL, f"{why}; Bun ignores the {scheme}:// proxy in {name}", entry)
        return ProxyDecision(model=MODEL, error=UNSUPPORTED_PROXY_PROTOCOL, variable=name,
                             reason=f"{name} is a {scheme}:// proxy ({why}; Bun's choice)")
    if _whatwg_host(value) is None:
        return ProxyDecision(model=MODEL, error=UNUSABLE_PROXY, variable=name,
                             reason=f"{name} has no usable proxy host ({why}; Bun's choice)")
    decision = _proxied(MODEL, raw, name, value)
    return ProxyDecision(model=MODEL, raw=decision.raw, proxy_url=decision.proxy_url,
                         reason=f"{name} (Bun's own choice: {why})", variable=name)


def _bun_no_proxy_match(no_proxy: str, target: Target) -> str | None:
    entries = [e for e in re.split(r"[,\s]+", no_proxy) if e]
    if "*" in entries:
        return "*"
    host = target.hostname.rstrip(".")
    for original in entries:
        entry = original.lower()
        port: int | None = None
        m = re.fullmatch(r"(\[[^\]]*\]|[^:]*):(\d+)", entry)
        if m:
            entry, port = m.group(1), int(m.group(2))
        if port is not None and port != target.effective_port:
            continue
        if covered_by(host, entry.strip("[]").rstrip(".")):
            return original
    return None

