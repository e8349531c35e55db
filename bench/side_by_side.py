"""Several configured servers checked side by side (:func:`netcheck.many.check_many`).

N loopback MCP servers over TLS answer ``initialize`` after a delay each (0.1 s, 0.15 s, ...);
every run is the resource step only (``--no-oauth``). Over repetitions it prints the median wall
time of checking all N at ``max_workers`` 8, 4 and 1, and of the slowest server alone: with
enough workers, N servers should take about as long as the slowest. Nothing leaves loopback.

    python bench/side_by_side.py [--servers 8] [--runs 3] [--workers 8 4 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netcheck.configs.model import ConfiguredServer
from netcheck.many import CheckTarget, check_many, target_for
from netcheck.settings.gather import Options
from tests.pki import build
from tests.servers import Handler, Request, TlsHttpServer

ANSWER = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "serverInfo": {"name": "bench", "version": "1"}}}).encode()


def slow(delay: float) -> Handler:
    def handle(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        time.sleep(delay)
        return 200, [("Content-Type", "application/json")], ANSWER
    return handle


def timed(targets: list[CheckTarget], workers: int, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.monotonic()
        checks = check_many(targets, workers, environ={})
        seconds.append(time.monotonic() - started)
        assert all(c.run is not None and c.run.steps[-1].ok for c in checks)
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[8, 4, 1],
                        help="max_workers values to time (default 8 4 1; 8 is --parallel's)")
    args = parser.parse_args()
    pki = build(Path(tempfile.mkdtemp(prefix="netcheck-bench-")))
    delays = [0.1 + 0.05 * i for i in range(args.servers)]
    servers = [TlsHttpServer(slow(d), cert_file=pki.path("server.pem")) for d in delays]
    base = Options(url="", public_roots=pki.path("public-ca.pem"),
                   cacert=(pki.path("public-ca.pem"),), oauth=False)
    targets = [target_for(ConfiguredServer(f"s{i}", "Claude Code", "bench", "user", "http",
                                           s.url("127.0.0.1")), base)
               for i, s in enumerate(servers)]
    check_many(targets[:1], 1, environ={})  # imports and first loads out of the way
    alone = timed(targets[-1:], 1, args.runs)
    print(f"slowest server alone ({delays[-1] * 1000:.0f} ms delay): {alone:.0f} ms")
    for workers in args.workers:
        took = timed(targets, workers, args.runs)
        print(f"{args.servers} servers, max_workers {workers}: {took:.0f} ms "
              f"({took / alone:.2f}x the slowest alone)")
    for server in servers:
        server.close()


if __name__ == "__main__":
    main()
