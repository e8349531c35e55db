"""mcp-remote's route for its MCP requests and their OAuth requests.

Measured on mcp-remote 0.15.1 (npm; Node 20.20.2, npm undici 7.30.3, the MCP TypeScript SDK
``@modelcontextprotocol/client`` 2.0.0 bundled in its ``dist``) with ``mcp-remote-client URL``,
which makes the same requests through the same code as the stdio bridge ``mcp-remote URL`` that
Claude Desktop, Cursor and Windsurf entries run (measured side by side); the measured table is
``tests/real_clients/mcp-remote-proxy-routes.json`` (made with
``tests/real_clients/mcp_remote_routes.py``). Rules:

1. Without ``--enable-proxy`` among its arguments, mcp-remote reads no proxy variable at all:
   every request goes direct, whatever ``HTTPS_PROXY``, ``https_proxy``, ``HTTP_PROXY``,
   ``ALL_PROXY``, ``NO_PROXY`` or Node's ``NODE_USE_ENV_PROXY`` say, and no value, however
   broken, stops it.
2. With ``--enable-proxy`` it installs undici's ``EnvHttpProxyAgent`` as the global dispatcher
   at start, and every request it makes (the npm undici ``fetch`` of its MCP transport and
   probes, and Node's own global ``fetch`` of its metadata discovery, which shares undici's
   global dispatcher) takes undici 7.30's route: ``https_proxy ?? HTTPS_PROXY`` for https: URLs,
   falling back to ``http_proxy ?? HTTP_PROXY``; ``http_proxy ?? HTTP_PROXY`` for http: URLs; a
   lower-case variable that is set wins even when empty (then no proxy); ``ALL_PROXY`` is not
   read; ``no_proxy ?? NO_PROXY``, split at commas and white space, ``*`` as the whole value
   matches everything, a leading ``.`` or ``*.`` dropped, a name matches itself and its
   subdomains, ``:port`` restricts to that port, no CIDR, no IP ranges, ``localhost`` and
   loopback addresses are proxied like any host.
3. Both proxy agents are built at start: a value in either variable that is not a URL
   (``127.0.0.1:3128``, ``not a url``) stops mcp-remote before any request with ``Fatal error:
   TypeError: Invalid URL``; one with another scheme (``proxy.test:3128``, ``socks5h://``) with
   ``Fatal error: InvalidArgumentError: Invalid URL protocol: the URL must start with `http:` or
   `https:`.``, whatever the URL and NO_PROXY (:func:`start_error`). ``socks5://`` and
   ``socks://`` are taken (undici's experimental SOCKS5); ``https://`` proxies get TLS.
4. mcp-remote does not resolve the server's name itself when a proxy carries the request
   (CONNECT by name; measured with a name only the proxy could resolve).
"""

from __future__ import annotations

from collections.abc import Mapping

from netcheck.proxy.models import (
    UNDICI_PROTOCOL_ERROR,
    ProxyDecision,
    Target,
    _direct,
    decide_node_undici,
    undici_creation_error,
)

Env = Mapping[str, str]

MODEL = "mcp-remote"
MODEL_ENABLED = "mcp-remote-enable-proxy"
RELEASE = "0.15.1"
FLAG = "--enable-proxy"

INVALID_URL = "Invalid URL"
INVALID_PROTOCOL = UNDICI_PROTOCOL_ERROR


def decide(env: Env, target: Target, *, enable_proxy: bool = False) -> ProxyDecision:
    """The route mcp-remote 0.15.1 takes to ``target`` (see the module docstring);
    ``enable_proxy``: ``--enable-proxy`` is among its arguments."""
    if not enable_proxy:
        return _direct(MODEL, f"mcp-remote reads no proxy variable without {FLAG}")
    decision = decide_node_undici(env, target)
    return ProxyDecision(model=MODEL_ENABLED, raw=decision.raw, proxy_url=decision.proxy_url,
                         error=decision.error, reason=decision.reason,
                         variable=decision.variable, no_proxy_entry=decision.no_proxy_entry)


def decide_default(env: Env, target: Target) -> ProxyDecision:
    """An entry without ``--enable-proxy`` (mcp-remote's default)."""
    return decide(env, target, enable_proxy=False)


def decide_enabled(env: Env, target: Target) -> ProxyDecision:
    """An entry with ``--enable-proxy``."""
    return decide(env, target, enable_proxy=True)


def start_error(env: Env, *, enable_proxy: bool = True) -> tuple[str | None, str] | None:
    """``(variable, error)`` when mcp-remote stops at start over a proxy variable (only with
    ``--enable-proxy``); the error is what follows ``Fatal error:`` in its words."""
    if not enable_proxy:
        return None
    broken = undici_creation_error(env)
    if broken is None:
        return None
    variable, error = broken
    kind = "TypeError" if error == INVALID_URL else "InvalidArgumentError"
    return variable, f"{kind}: {error}"
