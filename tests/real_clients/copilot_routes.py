"""GitHub Copilot CLI's proxy routes over random environments: the generator of the measured
table (``copilot-proxy-routes.json``), and what "the model agrees with a measured row" means.

One prompt run (:class:`tests.real_clients.copilot.CopilotPrompt`) per environment of
:func:`tests.real_clients.claude_routes.random_environment` (the six proxy variables, each
naming its own recording proxy or unset / empty / scheme-less / https:// / socks / garbage, and
random NO_PROXY lists) gives the route of every lab URL (:class:`proxy_routes.RouteLab`).

    cd /work/main && unshare --net -- sh -c 'ip link set lo up && exec .venv/bin/python \\
        -m tests.real_clients.copilot_routes --environments 200 --seed 1'

(in a network namespace holding only loopback, as every run of a real client).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netcheck.proxy.models import ProxyDecision
from tests.real_clients import copilot
from tests.real_clients.claude_routes import random_environment, rows_of
from tests.real_clients.proxy_routes import EXTENDED_URLS, route_lab

TABLE = Path(__file__).resolve().parent / "copilot-proxy-routes.json"


def measure(count: int, seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``count`` random environments, one prompt run each: (batch, rows)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    started = time.monotonic()
    with route_lab(urls=EXTENDED_URLS) as lab:
        for i in range(count):
            env = random_environment(rng, lab)
            seen.add(json.dumps(env, sort_keys=True))
            result = lab.run(env, client=copilot.COPILOT_PROMPT)
            rows += rows_of(result, lab)
            print(f"{i + 1}/{count} {result.seconds:4.1f} s {json.dumps(env)[:150]}", flush=True)
        urls = sorted(lab.urls.values())
    batch = {"seed": seed, "generator": "claude_routes.random_environment",
             "environments_drawn": count, "distinct_environments": len(seen), "urls": urls,
             "date": dt.date.today().isoformat(),
             "seconds": round(time.monotonic() - started)}
    return batch, rows


def write(batch: dict[str, Any], rows: list[dict[str, Any]], path: Path = TABLE) -> None:
    """Add one batch to the table (created when missing)."""
    if path.exists():
        doc = json.loads(path.read_text())
    else:
        doc = {"what": "The route the real GitHub Copilot CLI took to each MCP server URL in a "
                       "prompt run (`copilot -p`, the MCP request and its protected-resource "
                       "metadata request), per environment of proxy variables.",
               "client": "@github/copilot", "release": copilot.RELEASE,
               "runtime": "native linux-x64 program (Node 24 SEA; HTTP in its Rust runtime)",
               "how": "tests/real_clients/copilot_routes.py: every URL's host resolves to "
                      "127.0.0.1 in a sandbox; each proxy variable names its own recording "
                      "proxy.py (127.0.0.1:PORT), so 'via' is the variable whose proxy "
                      "carried the request; the lab CA in NODE_EXTRA_CA_CERTS.",
               "fields": {"route": "DIRECT | PROXY <port> | FAILED",
                          "via": "the variable whose proxy carried the request",
                          "state": "the server's state in the prompt run (needs_auth / "
                                   "failed / missing)",
                          "reason": "Copilot's words (error [errorClassification])",
                          "proxy_contacts_not_http": "non-HTTP connections to the proxies, "
                                                     "as VARIABLE:kind"},
               "batches": [], "rows": []}
    doc["batches"].append(batch)
    number = len(doc["batches"])
    doc["rows"] += [{"batch": number, **row} for row in rows]
    path.write_text(json.dumps(doc, indent=1) + "\n")


def agrees(row: dict[str, Any], decision: ProxyDecision) -> bool:
    """A measured row and the model agree: DIRECT both; the same variable's proxy; or the
    model routes through a proxy that cannot carry the request in the lab and the row failed:
    an ``https://`` proxy URL given to a plain recording proxy (the row shows the TLS
    ClientHello it received), or a port where no recording proxy listens (a value without a
    port)."""
    route, via = row["route"], row.get("via")
    kind = "DIRECT" if route == "DIRECT" else "PROXY" if route.startswith("PROXY") and via \
        else "FAILED"
    if decision.error is not None:
        return kind == "FAILED"
    if decision.raw is None:
        return kind == "DIRECT"
    if kind == "PROXY":
        return bool(via == decision.variable)
    return kind == "FAILED" and _fails_in_lab(row, decision)


def _fails_in_lab(row: dict[str, Any], decision: ProxyDecision) -> bool:
    shown = decision.proxy_url or ""
    if shown.startswith("https://"):
        return f"{decision.variable}:tls" in row["proxy_contacts_not_http"]
    values = " ".join(v for k, v in row["env"].items() if k.lower().endswith("_proxy"))
    lab_ports = {int(p) for p in re.findall(r":(\d+)", values)}
    return urlsplit(shown).port not in lab_ports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--environments", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    batch, rows = measure(args.environments, args.seed)
    write(batch, rows, args.out)
    print(f"{len(rows)} rows added to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
