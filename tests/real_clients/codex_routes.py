"""Codex's proxy routes over random environments: the generator of the measured table
(``codex-proxy-routes.json``), and what "the model agrees with a measured row" means.

The environments are Claude Code's (:func:`claude_routes.random_environment`: each of the six
proxy variables names its own recording proxy, or is unset, empty, scheme-less, https://,
socks, or garbage; no_proxy / NO_PROXY get random lists of entry shapes); one
``codex mcp list --json`` per environment gives the route of every lab URL
(:class:`tests.real_clients.codex.CodexList` in :class:`proxy_routes.RouteLab`).

    python -m tests.real_clients.codex_routes 400 --seed 7   # appends a batch to the table
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

from netcheck.proxy.codex import SOCKS_UNSUPPORTED
from netcheck.proxy.models import ProxyDecision

TABLE = Path(__file__).resolve().parent / "codex-proxy-routes.json"
LAB_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")

FIELDS = {
    "route": "DIRECT (server reached, no proxy saw it) | PROXY <port> | FAILED",
    "via": "the variable whose proxy carried the request (PROXY rows)",
    "state": "codex mcp list health state: needs_auth (auth_status not_logged_in) / failed "
             "(unknown: a discovery request failed) / no_oauth (unsupported)",
    "reason": "Codex's auth_status for the server (it prints no other words)",
    "proxy_contacts_not_http": "non-HTTP connections to the proxies in that run, as "
                               "VARIABLE:kind (tls = a TLS ClientHello)",
}


def measure(count: int, seed: int, root: Path | None = None) -> tuple[list[dict[str, Any]],
                                                                      dict[str, Any]]:
    """``count`` random environments, one ``codex mcp list`` each: the rows and the batch."""
    from tests.real_clients.claude_routes import random_environment, rows_of
    from tests.real_clients.codex import CODEX_LIST
    from tests.real_clients.proxy_routes import EXTENDED_URLS, route_lab

    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    started = time.monotonic()
    with route_lab(urls=EXTENDED_URLS, root=root) as lab:
        for _ in range(count):
            env = random_environment(rng, lab)
            seen.add(json.dumps(env, sort_keys=True))
            rows += rows_of(lab.run(env, client=CODEX_LIST, timeout=60), lab)
        urls = sorted(lab.urls.values())
    batch = {"seed": seed, "generator": "claude_routes.random_environment",
             "environments_drawn": count, "distinct_environments": len(seen), "urls": urls,
             "seconds": round(time.monotonic() - started, 1),
             "date": dt.date.today().isoformat()}
    return rows, batch


def write(rows: list[dict[str, Any]], batch: dict[str, Any], release: str,
          table: Path = TABLE) -> None:
    doc: dict[str, Any] = json.loads(table.read_text()) if table.exists() else {
        "what": "The route the real Codex CLI took to each MCP server URL in `codex mcp list "
                "--json` (its OAuth discovery requests: GET of the MCP URL, protected-resource "
                "and authorization-server metadata), per environment of proxy variables.",
        "client": "codex", "release": release,
        "how": "tests/real_clients/proxy_routes.py RouteLab with tests/real_clients/codex.py "
               "CodexList: every URL's host resolves to 127.0.0.1 in a sandbox; each proxy "
               "variable names its own recording proxy.py (127.0.0.1:PORT), so 'via' is the "
               "variable whose proxy carried the request; the lab CA is given in "
               "CODEX_CA_CERTIFICATE. Environments drawn by tests/real_clients/codex_routes.py.",
        "fields": FIELDS, "batches": [], "rows": []}
    doc["release"] = release
    doc["batches"].append(batch)
    doc["rows"] += [{"batch": len(doc["batches"]), **row} for row in rows]
    table.write_text(json.dumps(doc, indent=1) + "\n")


def agrees(row: dict[str, Any], decision: ProxyDecision) -> bool:
    """A measured row and the model agree: DIRECT both; the same variable's proxy; or both
    failing (a SOCKS proxy, refused without a word to it). A proxy the model routes through
    that cannot carry the request in the lab is a failure measured at that proxy: TLS sent to
    a plain recording proxy, or a port where no recording proxy listens (a bare host: 80)."""
    route, via = row["route"], row.get("via")
    kind = "DIRECT" if route == "DIRECT" else "PROXY" if route.startswith("PROXY") and via \
        else "FAILED"
    if decision.error is not None:
        return decision.error == SOCKS_UNSUPPORTED and kind == "FAILED" and \
            row["state"] == "failed"
    if decision.raw is None:
        return kind == "DIRECT"
    if kind == "PROXY":
        return bool(via == decision.variable)
    if kind != "FAILED" or row["state"] != "failed":
        return False
    shown = decision.proxy_url or ""
    if shown.startswith("https://"):
        return f"{decision.variable}:tls" in row["proxy_contacts_not_http"]
    port = int(shown.rsplit(":", 1)[1]) if shown.count(":") == 2 else 80
    values = " ".join(v for k, v in row["env"].items() if k.lower() in LAB_PROXY_VARIABLES)
    return port not in {int(p) for p in re.findall(r":(\d+)", values)}


def main(argv: list[str] | None = None) -> int:
    from tests.confine import confine_or_exit

    confine_or_exit()  # before any thread: nothing Codex does leaves loopback
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--table", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    import tempfile

    from tests.real_clients.codex import missing, version
    from tests.real_clients.sandbox import Sandbox

    gone = missing()
    if gone:
        raise SystemExit(gone)
    with tempfile.TemporaryDirectory() as tmp:
        release = version(Sandbox(Path(tmp)))
    rows, batch = measure(args.count, args.seed)
    write(rows, batch, release, args.table)
    print(f"{len(rows)} rows ({args.count} environments, {batch['seconds']} s) -> {args.table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
