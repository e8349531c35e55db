"""mcp-remote's proxy routes over random environments: the generator of the measured table
(``mcp-remote-proxy-routes.json``) and what "the model agrees with a measured row" means.

The environments are :func:`claude_routes.random_environment`'s (each of the six proxy
variables names its own recording proxy, or is unset, empty, scheme-less, https://, socks,
garbage; random NO_PROXY lists); each is run through :class:`RouteLab` with
:data:`mcp_remote.MCP_REMOTE` (one ``mcp-remote-client`` per lab URL, side by side) as a Claude
Desktop entry with ``--enable-proxy``, and every third one also without it. One table; each
row says which in ``enable_proxy``.

    python -m tests.real_clients.mcp_remote_routes --environments 160 --seed 1

(inside a network namespace holding only loopback, as every run of a real client).
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

from netcheck.proxy import mcp_remote as model
from netcheck.proxy.models import ProxyDecision, Target
from tests.real_clients import mcp_remote
from tests.real_clients.claude_routes import random_environment
from tests.real_clients.claude_routes import rows_of as claude_rows_of
from tests.real_clients.proxy_routes import EXTENDED_URLS, RouteLab, RunResult

HERE = Path(__file__).resolve().parent
TABLE = HERE / "mcp-remote-proxy-routes.json"
FLAG = "--enable-proxy"
FIELDS = {
    "enable_proxy": "whether --enable-proxy was among mcp-remote's arguments",
    "route": "DIRECT (server reached, no proxy saw it) | PROXY <port> | FAILED",
    "via": "the variable whose proxy carried the requests (PROXY rows)",
    "state": "needs_auth (the authorization URL printed) / connected / failed / missing "
             "(mcp-remote stopped at start, before any request)",
    "reason": "mcp-remote's words (Fatal error ... <- causes [codes]), or 'exit N: <words>' "
              "when it stopped at start",
    "proxy_contacts_not_http": "non-HTTP connections to the proxies in that run, as "
                               "VARIABLE:kind (tls = a TLS ClientHello, socks5 = a SOCKS "
                               "greeting)",
}


def rows_of(result: RunResult, lab: RouteLab, enable_proxy: bool) -> list[dict[str, Any]]:
    return [{"enable_proxy": enable_proxy, **row} for row in claude_rows_of(result, lab)]


def decision_for(row: dict[str, Any]) -> ProxyDecision:
    return model.decide(row["env"], Target.parse(row["url"]),
                        enable_proxy=bool(row["enable_proxy"]))


def agrees(row: dict[str, Any], decision: ProxyDecision) -> bool:
    """A measured row and the model agree: both stop at start over the same kind of value; both
    DIRECT; the same variable's proxy; or the model's proxy cannot carry the request in the lab
    and the run failed at it (TLS sent to a plain recording proxy for an https:// value, a
    SOCKS greeting for socks5://)."""
    route, via, reason, state = row["route"], row.get("via"), row["reason"], row["state"]
    kind = "DIRECT" if route == "DIRECT" else "PROXY" if route.startswith("PROXY") and via \
        else "FAILED"
    if decision.error is not None:
        return state == "missing" and f"Fatal error: {_ERROR_TEXT[decision.error]}" in reason
    if state == "missing":
        return False
    if decision.raw is None:
        return kind == "DIRECT"
    if kind == "PROXY":
        return bool(via == decision.variable)
    if kind != "FAILED":
        return False
    shown = (decision.proxy_url or "").lower()
    contacts = row["proxy_contacts_not_http"]
    if shown.startswith("https://"):
        return f"{decision.variable}:tls" in contacts
    if shown.startswith(("socks5://", "socks://")):
        return f"{decision.variable}:socks5" in contacts
    return False


_ERROR_TEXT = {model.INVALID_URL: "TypeError: Invalid URL",
               model.INVALID_PROTOCOL: "InvalidArgumentError: Invalid URL protocol"}


def measure(environments: int, seed: int, out: Path = TABLE, timeout: float = 10,
            without_every: int = 3) -> None:
    """Draw ``environments`` distinct environments (seeded), run each with
    ``--enable-proxy``, and every ``without_every``-th one also without it (without the flag
    0.15.1 reads no proxy variable, so those rows are all DIRECT: a third of them is plenty);
    the table is rewritten after each environment, so an interrupted run keeps its rows."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with RouteLab(urls=EXTENDED_URLS) as lab:
        urls = sorted(lab.urls.values())
        seen: set[str] = set()
        drawn = 0
        while len(seen) < environments:
            env = random_environment(rng, lab)
            drawn += 1
            key = json.dumps(env, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            for enable in (True, False):
                if not enable and (len(seen) - 1) % without_every:
                    continue
                result = lab.run(env, client=mcp_remote.MCP_REMOTE,
                                 args=(FLAG,) if enable else (), timeout=timeout)
                batch_rows = [{"batch": seed, **r} for r in rows_of(result, lab, enable)]
                rows += batch_rows
                bad = [r for r in batch_rows if not agrees(r, decision_for(r))]
                print(f"{len(seen):4} {'on ' if enable else 'off'} {result.seconds:5.1f} s "
                      f"{'DISAGREE ' + str(len(bad)) if bad else 'ok'}", flush=True)
                for r in bad:
                    print("     ", json.dumps(r)[:600], flush=True)
            _write(out, rows, seed, drawn, len(seen), urls, time.monotonic() - started)


def _write(out: Path, rows: list[dict[str, Any]], seed: int, drawn: int, distinct: int,
           urls: list[str], seconds: float) -> None:
    doc = {
        "what": "The route the real mcp-remote took to each MCP server URL (the GET probes, "
                "its OAuth discovery, the MCP POST, registration: every request up to the "
                "authorization URL), per environment of proxy variables, with and without "
                "--enable-proxy.",
        "client": "mcp-remote (npm), mcp-remote-client URL [--enable-proxy] [--allow-http]",
        "release": mcp_remote.RELEASE,
        "runtime": "Node 20.20.2; npm undici 7.30.3 (EnvHttpProxyAgent with --enable-proxy)",
        "how": "tests/real_clients/proxy_routes.py RouteLab (every URL's host resolves to "
               "127.0.0.1 in a sandbox; each proxy variable names its own recording proxy.py, "
               "so 'via' is the variable whose proxy carried the request) with "
               "tests/real_clients/mcp_remote.py McpRemoteCheck (one mcp-remote-client per "
               "URL, the lab CA in NODE_EXTRA_CA_CERTS, --allow-http for the http:// URL); "
               "every environment with --enable-proxy, every third also without; generator "
               "tests/real_clients/mcp_remote_routes.py",
        "fields": FIELDS,
        "batches": [{"seed": seed, "environments_drawn": drawn,
                     "distinct_environments": distinct, "urls": urls,
                     "seconds": round(seconds), "date": dt.date.today().isoformat()}],
        "rows": rows,
    }
    out.write_text(json.dumps(doc, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--environments", type=int, default=160)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    missing = mcp_remote.missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    measure(args.environments, args.seed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
