"""Gemini CLI's proxy routes over random environments: the generator of the measured table
(``gemini-proxy-routes.json``), and what "the model agrees with a measured row" means.

The environments are Claude Code's (``claude_routes.random_environment``: each of the six proxy
variables names its own recording proxy, or is unset, empty, scheme-less, https://, socks or
garbage; no_proxy / NO_PROXY get random lists of entry shapes). Each environment costs one
prompt run's MCP start-up (``gemini.GeminiSession``, the session's route, about 2.5 s); every
``list_every``-th environment also one ``gemini mcp list`` (``gemini.GeminiList``), whose route
is kept in the row as ``list_route`` to show the two probes route alike.

    cd /work/main && unshare --net -- sh -c 'ip link set lo up && exec .venv/bin/python -m \
        tests.real_clients.gemini_routes 200 --seed 1'
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from netcheck.proxy.gemini import INVALID_PROTOCOL, INVALID_PROXY_CONFIGURATION, INVALID_URL
from netcheck.proxy.models import ProxyDecision
from tests.real_clients import gemini
from tests.real_clients.claude_routes import PROXY_VARIABLES, random_environment, rows_of
from tests.real_clients.proxy_routes import EXTENDED_URLS, RouteLab, route_lab

HERE = Path(__file__).resolve().parent
TABLE = HERE / "gemini-proxy-routes.json"
WHAT = ("The route the real Gemini CLI took to each MCP server URL at the start of a session "
        "(a prompt run's MCP connections: `gemini -p hi --debug`, stopped once MCP start-up is "
        "over), per environment of proxy variables; list_route: the route of `gemini mcp "
        "list` in the same environment, where it was run.")
FIELDS = {
    "route": "DIRECT (server reached, no proxy saw it) | PROXY <port> | FAILED",
    "via": "the variable whose proxy carried the request (PROXY rows)",
    "state": "the session's state for the server (needs_auth / connected / failed / missing = "
             "no line: the run stopped before)",
    "reason": "what Gemini CLI said (the error and its [cause])",
    "proxy_contacts_not_http": "non-HTTP connections to the proxies in that run, as "
                               "VARIABLE:kind (tls = a TLS ClientHello)",
    "list_route": "the route `gemini mcp list` took in the same environment (when run)",
    "list_state": "what `gemini mcp list` said (connected / failed = Disconnected / missing)",
}


def session_environment(rng: random.Random, lab: RouteLab) -> dict[str, str]:
    """Claude Code's random environments, leaned towards what reaches Gemini CLI's session
    proxy: half without any NO_PROXY, and most garbage proxy values made working ones (with
    Claude Code's generator more than half of Gemini CLI's runs stop at start)."""
    env = random_environment(rng, lab)
    if rng.random() < 0.5:
        env.pop("NO_PROXY", None)
        env.pop("no_proxy", None)
    for i, var in enumerate(PROXY_VARIABLES):
        value = env.get(var)
        if value and not value.startswith(("http://", "https://")) and rng.random() < 0.75:
            env[var] = f"http://127.0.0.1:{lab.proxies[f'p{i + 1}'].port}"
    return env


GENERATORS = {"claude_routes.random_environment": random_environment,
              "gemini_routes.session_environment": session_environment}


def measure(lab: RouteLab, count: int, seed: int, list_every: int = 4, log: bool = True,
            generator: str = "claude_routes.random_environment") -> list[dict[str, Any]]:
    """``count`` random environments; the table's rows."""
    rng = random.Random(seed)
    draw = GENERATORS[generator]
    rows: list[dict[str, Any]] = []
    for i in range(count):
        env = draw(rng, lab)
        started = time.monotonic()
        result = lab.run(env, client=gemini.GEMINI_SESSION, timeout=40)
        mine = rows_of(result, lab)
        if list_every and i % list_every == 0:
            listed = lab.run(env, client=gemini.GEMINI_LIST, timeout=40)
            for row, (_, route) in zip(mine, listed.routes.items(), strict=True):
                row["list_route"] = route.route
                row["list_state"] = route.state
        rows += mine
        if log:
            print(f"{i + 1}/{count} {time.monotonic() - started:4.1f} s {json.dumps(env)}",
                  flush=True)
    return rows


def write(rows: list[dict[str, Any]], seed: int, count: int, urls: list[str],
          path: Path = TABLE, generator: str = "claude_routes.random_environment") -> None:
    """Add one batch of rows to the table (a new table if there is none)."""
    doc: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {
        "what": WHAT, "client": "gemini-cli", "release": gemini.RELEASE,
        "runtime": "Node 20 (the machine's node on PATH)", "fields": FIELDS,
        "how": "tests/real_clients/gemini_routes.py with proxy_routes.RouteLab: every URL's "
               "host resolves to 127.0.0.1 in a sandbox; each proxy variable names its own "
               "recording proxy.py, so 'via' is the variable whose proxy carried the request.",
        "batches": [], "rows": []}
    doc["batches"].append({"seed": seed, "generator": generator,
                           "environments_drawn": count, "urls": sorted(urls),
                           "date": dt.date.today().isoformat()})
    batch = len(doc["batches"])
    doc["rows"] += [{"batch": batch, **row} for row in rows]
    lines = [json.dumps({k: v for k, v in doc.items() if k != "rows"}, indent=1)[:-2] + ",",
             ' "rows": [']
    lines += ["  " + json.dumps(row, ensure_ascii=False) + ","
              for row in doc["rows"]]
    lines[-1] = lines[-1].rstrip(",")
    path.write_text("\n".join([*lines, " ]", "}"]) + "\n")


def agrees(row: dict[str, Any], decision: ProxyDecision) -> bool:
    """A measured row and the model agree: DIRECT both; the same variable's proxy; or both
    failing for the same reason: Gemini CLI stopped at start ("Invalid proxy configuration
    detected", no line for any server), or the server's transport could not be built ("Invalid
    URL", "Invalid URL protocol"). A proxy the model routes through that cannot carry the
    request in the lab is a failure measured at that proxy: TLS sent to a plain recording
    proxy (an ``https://`` value)."""
    route, via, reason = row["route"], row.get("via"), row["reason"]
    kind = "DIRECT" if route == "DIRECT" else "PROXY" if route.startswith("PROXY") and via \
        else "FAILED"
    if decision.error is not None:
        if kind != "FAILED":
            return False
        if decision.error == INVALID_PROXY_CONFIGURATION:
            return row["state"] == "missing" and INVALID_PROXY_CONFIGURATION in reason
        if decision.error == INVALID_PROTOCOL:
            return bool(reason.startswith(INVALID_PROTOCOL))
        if decision.error == INVALID_URL:
            return reason.startswith(INVALID_URL) and not reason.startswith(INVALID_PROTOCOL)
        return False
    if decision.raw is None:
        return kind == "DIRECT"
    if kind == "PROXY":
        return bool(via == decision.variable)
    if kind != "FAILED":
        return False
    shown = (decision.proxy_url or "").lower()
    if shown.startswith("https://"):
        return f"{decision.variable}:tls" in row["proxy_contacts_not_http"]
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--list-every", type=int, default=4)
    parser.add_argument("--out", type=Path, default=TABLE)
    parser.add_argument("--generator", choices=sorted(GENERATORS),
                        default="claude_routes.random_environment")
    args = parser.parse_args(argv)
    with route_lab(urls=EXTENDED_URLS) as lab:
        rows = measure(lab, args.count, args.seed, args.list_every, generator=args.generator)
        write(rows, args.seed, args.count, list(lab.urls.values()), args.out, args.generator)
    print(f"{len(rows)} rows added to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
