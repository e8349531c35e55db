"""netcheck over a simulated wide-area link, counted in round trips.

The demo lab (an MCP server that requires a client certificate, its authorization server, a
Basic-auth CONNECT proxy, a DNS responder) runs on loopback; a :class:`relay.DelayRelay` in
front of the proxy delays every chunk by RTT/2 in each direction, so each round trip a client
makes through the proxy costs one RTT. At each RTT, over interleaved repetitions:

  netcheck       ``netcheck check URL`` of the full flow through the proxy with the client
                 certificate (report written, --quiet)
  curl sequence  one curl per request of that flow (7 requests), same proxy, certificate, CA
  floor          the round trips the flow cannot do without, times the RTT: the resource
                 request on a new connection (CONNECT, TLS 1.3, request: 3), protected-resource
                 metadata on the same connection (1), authorization-server metadata on a new
                 connection (3), then registration, authorization, token and refresh side by
                 side (3): 10 RTT

and prints the medians, the ratios, and the CPU time netcheck's process used (user + system,
every thread): where that is close to its wall time, the check waits on the interpreter, not
on round trips, and a slower machine moves the ratios. Nothing leaves loopback.

    python bench/wan.py [--runs 7] [--rtt 0 20 50 150] [--against DIR]

``--against DIR`` adds another netcheck (a checkout, e.g. ``git worktree add DIR COMMIT``) as a
contender, interleaved with this one: a change's before and after in one run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from compare import (
    _run,
    bench_environment,
    curl_sequence,
    netcheck_command,
    run_all,
    timed_with_cpu,
)
from relay import DelayRelay

from netcheck.lab.lab import running_lab

FLOOR_RTTS = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions at each RTT (default 7)")
    parser.add_argument("--rtt", type=float, nargs="+", default=[0, 20, 50, 150],
                        help="round-trip times in ms (default 0 20 50 150)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="another netcheck checkout to time beside this one")
    args = parser.parse_args(argv)
    curl = shutil.which("curl")
    if curl is None:
        sys.exit("bench: curl is not installed (apt-get install curl)")
    workdir = Path(tempfile.mkdtemp(prefix="netcheck-wan-"))
    times: dict[tuple[float, str], list[float]] = {}
    cpu: dict[tuple[float, str], list[float]] = {}
    try:
        with running_lab(None) as lab:
            relay = DelayRelay(("127.0.0.1", lab.proxy.port))
            try:
                env = bench_environment(lab)
                env["HTTPS_PROXY"] = env["HTTPS_PROXY"].replace(
                    f"127.0.0.1:{lab.proxy.port}", f"127.0.0.1:{relay.port}")
                report = workdir / "report.json"
                check = netcheck_command(lab, report)
                sequence = curl_sequence(lab, curl)
                contenders: dict[str, Callable[[], None]] = {
                    "netcheck": lambda: _run(check, env),
                    "curl sequence": run_all(sequence, env)}
                if args.against is not None:
                    other = {**env, "PYTHONPATH": str(args.against.resolve())}
                    contenders["against"] = lambda: _run(check, other)
                for run in contenders.values():  # warm caches (pyc files, page cache) once
                    run()
                for _ in range(args.runs):  # interleaved: drift hits every RTT and contender
                    for rtt in args.rtt:
                        relay.rtt_ms = rtt
                        for name, run in contenders.items():
                            wall, used = timed_with_cpu(run)
                            times.setdefault((rtt, name), []).append(wall)
                            cpu.setdefault((rtt, name), []).append(used)
            finally:
                relay.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{args.runs} runs at each RTT, interleaved; the demo lab through a Basic-auth proxy "
          "with a client certificate; floor = "
          f"{FLOOR_RTTS} RTT")
    print(f"{'RTT':>6}  {'netcheck':>10}  {'curl seq':>10}  {'floor':>7}  "
          f"{'netcheck/curl':>13}  {'netcheck/floor':>14}  {'netcheck CPU':>12}")
    for rtt in args.rtt:
        ours = statistics.median(times[rtt, "netcheck"]) * 1000
        curls = statistics.median(times[rtt, "curl sequence"]) * 1000
        floor = FLOOR_RTTS * rtt
        versus_floor = f"{ours / floor:13.2f}x" if floor else f"{'-':>14}"
        used = statistics.median(cpu[rtt, "netcheck"]) * 1000
        print(f"{rtt:4g} ms  {ours:7.0f} ms  {curls:7.0f} ms  {floor:4.0f} ms  "
              f"{ours / curls:12.2f}x  {versus_floor}  {used:9.0f} ms")
    if args.against is not None:
        print(f"against {args.against} (interleaved with the runs above):")
        print(f"{'RTT':>6}  {'this':>10}  {'against':>10}  {'this CPU':>9}  {'against CPU':>11}")
        for rtt in args.rtt:
            this, them = (statistics.median(times[rtt, n]) * 1000 for n in ("netcheck",
                                                                           "against"))
            this_cpu, them_cpu = (statistics.median(cpu[rtt, n]) * 1000 for n in (
                "netcheck", "against"))
            print(f"{rtt:4g} ms  {this:7.0f} ms  {them:7.0f} ms  {this_cpu:6.0f} ms  "
                  f"{them_cpu:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
