"""Claude Code's proxy routes over random environments: the generator of the measured table
(``claude-code-proxy-routes.json``), and what "the model agrees with a measured row" means.

Each of the six proxy variables names its own recording proxy (or is unset, empty, scheme-less,
https://, socks, or garbage), and no_proxy / NO_PROXY get random lists of entry shapes; one
``claude mcp list`` per environment gives the route of every lab URL (:mod:`proxy_routes`).
"""

from __future__ import annotations

import random
import re
from typing import Any
from urllib.parse import urlsplit

from netcheck.proxy.claude_code import INVALID_PROXY_URL, UNSUPPORTED_PROXY_PROTOCOL
from netcheck.proxy.models import ProxyDecision
from tests.real_clients.proxy_routes import RouteLab, RunResult

PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                   "ALL_PROXY")
GARBAGE = ("not a url", "http://", "proxy:bad:port", "127.0.0.1")
LAB_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def random_environment(rng: random.Random, lab: RouteLab) -> dict[str, str]:
    """One environment of the six proxy variables and the two NO_PROXY lists."""
    env: dict[str, str] = {}
    port = {n: urlsplit(u).port for n, u in lab.urls.items()}
    for i, var in enumerate(PROXY_VARIABLES):
        r = rng.random()
        if r < 0.45:
            continue
        if r < 0.60:
            env[var] = ""
            continue
        p = lab.proxies[f"p{i + 1}"].port
        f = rng.random()
        if f < 0.70:
            env[var] = f"http://127.0.0.1:{p}"
        elif f < 0.80:
            env[var] = f"127.0.0.1:{p}"
        elif f < 0.84:
            env[var] = f"https://127.0.0.1:{p}"
        elif f < 0.92:
            env[var] = rng.choice([f"socks5://127.0.0.1:{p}", f"socks5h://127.0.0.1:{p}",
                                   f"HTTP://127.0.0.1:{p}"])
        else:
            env[var] = rng.choice(GARBAGE)
    shapes = ["mcp.netcheck.test", ".netcheck.test", "*.netcheck.test", "netcheck.test",
              "etcheck.test", ".corp.example", "corp.example", "*.corp.example",
              "corp.example.", ".a.corp.example", "a.corp.example.", "*", "localhost",
              "LOCALHOST", "127.0.0.1", "127.0.0.0/8", "127.0.0.1/32", "127.0.0.0/24",
              "10.0.0.0/8", "::1", "[::1]", "::1/128", f"[::1]:{port.get('ip6')}",
              f"corp.example:{port.get('bare')}", f"a.corp.example:{port['corp']}",
              "a.corp.example:443", f"127.0.0.1:{port['ip']}", f"localhost:{port['localhost']}",
              "plain.netcheck.test", f"plain.netcheck.test:{port['plain']}",
              "plain.netcheck.test:80", "intranet", ".intranet", "*.test", ".test", "test",
              "other.example", "*netcheck.test", "mcp.*"]
    for var in ("no_proxy", "NO_PROXY"):
        r = rng.random()
        if r < 0.35:
            continue
        if r < 0.45:
            env[var] = ""
            continue
        entries = rng.sample(shapes, rng.choice([1, 1, 2, 2, 3, 4]))
        env[var] = rng.choice([",", ",", ", ", " ", ",,", "\t", " , "]).join(entries)
    return env


def rows_of(result: RunResult, lab: RouteLab) -> list[dict[str, Any]]:
    """The table's rows for one run: per URL, the route and the variable that carried it."""
    variable_of = {lab.proxies[f"p{i + 1}"].port: var for i, var in enumerate(PROXY_VARIABLES)}
    not_http = sorted({f"{variable_of.get(c['port'], c['port'])}:{c['kind']}"
                       for c in result.contacts if c.get("kind") != "http"})
    rows = []
    for url, route in result.routes.items():
        via = None
        if route.route.startswith("PROXY ") and "+" not in route.route:
            via = variable_of.get(int(route.route.split()[1]))
        rows.append({"env": result.env, "url": url, "route": route.route, "via": via,
                     "state": route.state, "reason": route.reason,
                     "proxy_contacts_not_http": not_http})
    return rows


def agrees(row: dict[str, Any], decision: ProxyDecision) -> bool:
    """A measured row and the model agree: DIRECT both; the same variable's proxy; or both
    failing (stopping at start over the same variable, or a refused scheme). A proxy the model
    routes through that cannot carry the request in the lab is a failure measured at that
    proxy: TLS sent to a plain recording proxy, or port 80 where nothing listens."""
    route, via, reason = row["route"], row.get("via"), row["reason"]
    kind = "DIRECT" if route == "DIRECT" else "PROXY" if route.startswith("PROXY") and via \
        else "FAILED"
    if decision.error is not None:
        if kind != "FAILED":
            return False
        if decision.error.startswith(INVALID_PROXY_URL):
            return bool(reason.startswith(f"exit 1: {decision.error}:"))
        if decision.error == UNSUPPORTED_PROXY_PROTOCOL:
            return bool(reason.startswith("UnsupportedProxyProtocol"))
        return True
    if decision.raw is None:
        return kind == "DIRECT"
    if kind == "PROXY":
        return bool(via == decision.variable)
    if kind != "FAILED":
        return False
    shown = decision.proxy_url or ""
    if shown.startswith("https://"):
        return f"{decision.variable}:tls" in row["proxy_contacts_not_http"]
    port = int(shown.rsplit(":", 1)[1]) if shown.count(":") == 2 else None
    values = " ".join(v for k, v in row["env"].items() if k.lower() in LAB_PROXY_VARIABLES)
    lab_ports = {int(p) for p in re.findall(r":(\d+)", values)}
    return port not in lab_ports and bool(reason.startswith("ECONNREFUSED"))
