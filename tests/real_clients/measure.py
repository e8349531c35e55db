"""Re-measure what the real clients do, and how far netcheck agrees: run when a client releases.

    python -m tests.real_clients.measure                # every case x client -> measured.json
    python -m tests.real_clients.measure --client claude-code   # one profile's clients only
    python -m tests.real_clients.measure --only pkce-plain healthy
    python -m tests.real_clients.measure --routes 300   # also Claude Code's route table
    python -m tests.real_clients.measure --netcheck-at DIR --no-write   # an older netcheck

Needs the pinned clients (``npm ci --prefix tests/real_clients/node``), tmux, and root (each
run gets a private mount namespace: see sandbox.py). Bump the versions in node/package.json,
pyproject.toml (mcp) and netcheck/profiles/catalog.py together, re-measure, then fix the
profiles until ``tests/test_agreement.py`` passes again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.confine import confine_or_exit
from tests.real_clients import claude_code
from tests.real_clients.agreement import Outcome, agree, netcheck_outcome
from tests.real_clients.cases import CASES, Case
from tests.real_clients.clients import CLIENTS, Client
from tests.real_clients.rig import Rig
from tests.real_clients.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
TABLE = HERE / "measured.json"
ROUTES = HERE / "claude-code-proxy-routes.json"


PINNED = {"claude-code": "@anthropic-ai/claude-code", "codex": "@openai/codex",
          "gemini": "@google/gemini-cli", "copilot": "@github/copilot",
          "mcp-remote": "mcp-remote"}  # profile -> npm package


def releases() -> dict[str, str]:
    deps = json.loads((HERE / "node" / "package.json").read_text())["dependencies"]
    return {**{profile: deps[package] for profile, package in PINNED.items()},
            "@modelcontextprotocol/sdk": deps["@modelcontextprotocol/sdk"],
            "undici": deps["undici"], "mcp": metadata.version("mcp"),
            "httpx2": metadata.version("httpx2")}


# The profile netcheck gave these clients' users before it modelled them (commit 6f8bbbf):
# Codex configurations were checked as curl, mcp-remote bridges as node; Gemini CLI and
# Copilot CLI were not read at all, so their users got the default, claude-code.
BEFORE = {"codex": "curl", "mcp-remote": "node", "gemini": "claude-code",
          "copilot": "claude-code"}


def run_pair(rig: Rig, case: Case, client: Client, netcheck_at: Path | None = None
             ) -> tuple[Outcome, Outcome]:
    """The client and netcheck (its profile) in the same fresh sandbox, for one case (with
    ``netcheck_at``, an older netcheck, with the profile it gave that client: :data:`BEFORE`)."""
    with rig.case(), tempfile.TemporaryDirectory(prefix="netcheck-case-") as tmp:
        box = rig.sandbox(Path(tmp))
        setup = case.build(rig, client)
        got = client.run(box, setup)
        older = BEFORE.get(client.profile) if netcheck_at is not None else None
        report = client.netcheck(box, setup, netcheck_at, older)
        return got, netcheck_outcome(report, client.depth, client.also)


def measure_cases(rig: Rig, only: list[str], netcheck_at: Path | None,
                  profiles: list[str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        if only and case.name not in only:
            continue
        for name in case.clients:
            if profiles and CLIENTS[name].profile not in profiles:
                continue
            started = time.monotonic()
            got, mine = run_pair(rig, case, CLIENTS[name], netcheck_at)
            same = agree(got, mine)
            print(f"{'agree   ' if same else 'DISAGREE'} {case.name:38} {name:22} "
                  f"client {got.step or 'ok':30} netcheck {mine.step or 'ok':30} "
                  f"{time.monotonic() - started:4.1f} s", flush=True)
            rows.append({"case": case.name, "class": case.klass, "about": case.about,
                         "client": name, "profile": CLIENTS[name].profile,
                         "client_outcome": got.to_json(), "netcheck": mine.to_json(),
                         "agree": same})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def tally(key: str) -> dict[str, str]:
        total, good = Counter(), Counter()
        for row in rows:
            total[str(row[key])] += 1
            good[str(row[key])] += row["agree"]
        return {k: f"{good[k]}/{total[k]}" for k in sorted(total)}
    return {"pairs": len(rows), "agree": sum(r["agree"] for r in rows),
            "by_class": tally("class"), "by_client": tally("client")}


def measure_routes(count: int, seed: int) -> None:
    from tests.real_clients.claude_routes import random_environment, rows_of
    from tests.real_clients.proxy_routes import EXTENDED_URLS, route_lab

    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    with route_lab(urls=EXTENDED_URLS) as lab:
        for _ in range(count):
            rows += rows_of(lab.run(random_environment(rng, lab)), lab)
    with tempfile.TemporaryDirectory() as tmp:
        release = claude_code.version(Sandbox(Path(tmp)))
    doc = json.loads(ROUTES.read_text())
    doc["batches"].append({"seed": seed, "generator": "claude_routes.random_environment",
                           "environments_drawn": count, "date": dt.date.today().isoformat(),
                           "release": release})
    doc["claude_code"] = release
    doc["rows"] += [{"batch": len(doc["batches"]), **row} for row in rows]
    ROUTES.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} route rows added to {ROUTES.name}")


def main(argv: list[str] | None = None) -> int:
    confine_or_exit()  # before any thread: nothing a client does leaves loopback
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], metavar="CASE")
    parser.add_argument("--client", nargs="*", default=[], metavar="PROFILE",
                        help="only the real clients these profiles claim to be (the table's "
                             "other rows are kept)")
    parser.add_argument("--routes", type=int, default=0, metavar="N",
                        help="also measure Claude Code's routes in N random environments")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--netcheck-at", type=Path, help="the repository of another netcheck")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rig = Rig()
    try:
        rows = measure_cases(rig, args.only, args.netcheck_at, args.client)
    finally:
        rig.close()
    if args.client and TABLE.exists():  # the other clients' rows, as measured before
        measured = {(r["case"], r["client"]) for r in rows}
        rows = [r for r in json.loads(TABLE.read_text())["rows"]
                if (r["case"], r["client"]) not in measured] + rows
        order = {(c.name, n): i for i, c in enumerate(CASES) for n in c.clients}
        rows.sort(key=lambda r: order.get((r["case"], r["client"]), len(order)))
    result = summary(rows)
    print(json.dumps(result, indent=1))
    if not args.no_write and not args.only and args.netcheck_at is None:
        with tempfile.TemporaryDirectory() as tmp:
            found = claude_code.version(Sandbox(Path(tmp)))
        doc = {"what": "How far each real client got in each case, and how far netcheck (the "
                       "profile claiming to be that client) said it would get: "
                       "tests/real_clients/agreement.py says what agreeing means.",
               "date": dt.date.today().isoformat(), "releases": {**releases(),
                                                                 "claude-code": found},
               "summary": result, "rows": rows}
        if TABLE.exists():  # a comparison with an older netcheck, kept until redone
            doc = {**doc, **{k: v for k, v in json.loads(TABLE.read_text()).items()
                             if k.startswith("before")}}
        TABLE.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {TABLE}")
    if args.routes:
        measure_routes(args.routes, args.seed)
    return 0 if result["agree"] == result["pairs"] else 1


if __name__ == "__main__":
    sys.exit(main())
