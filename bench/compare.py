"""netcheck against the curl sequence a support engineer would run for the same requests.

Starts the demo's loopback lab (an MCP server that requires a client certificate, its OAuth
authorization server, a Basic-auth CONNECT proxy, a DNS responder), then times, over repeated
interleaved runs:

  netcheck           ``netcheck check URL`` of the full flow through the proxy with the
                     client certificate (report written, as a user runs it)
  netcheck-no-reuse  the same with ``--no-reuse`` (a new connection for every request)
  curl sequence      one curl per request of that flow (initialize POST, protected-resource
                     metadata, authorization-server metadata, registration probe,
                     authorization, token, refresh), with the same proxy, certificate and CA
  import floor       ``python -c "import <the libraries a check uses>"``: pyOpenSSL,
                     cryptography, dnspython, h11, rich
  first-hello imports
                     ``python -c`` importing every module netcheck holds when its first
                     TLS ClientHello leaves (recorded by one probe run): the CPU before that
                     handshake, which no round trip hides

and prints the medians (with the CPU time the contender's processes used: user + system, on
every core) and the ratio netcheck / curl sequence. Nothing leaves loopback.

    python bench/compare.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from netcheck.lab.lab import Lab, running_lab

IMPORTS = "import OpenSSL.SSL, cryptography.x509, dns.resolver, h11, rich.console"

# Run as ``python -c PROBE OUT ARGS...``: netcheck's check with ARGS, writing to OUT the modules
# it has imported when its first TLS ClientHello goes out (a record starting 16 03 01).
PROBE = """
import runpy, socket, sys
out, sys.argv = sys.argv[1], ["netcheck", *sys.argv[2:]]
send, seen = socket.socket.send, []
def watching(self, data, *args):
    if bytes(data[:3]) == b"\\x16\\x03\\x01" and not seen:
        seen.append(data)
        with open(out, "w") as fh:
            fh.write("\\n".join(sys.modules))
    return send(self, data, *args)
socket.socket.send = watching
runpy.run_module("netcheck", run_name="__main__")
"""


def bench_environment(lab: Lab) -> dict[str, str]:
    """The environment every contender runs in: the lab's proxy and certificate variables, and
    Python allowed to keep the bytecode it compiles (an installed netcheck has its .pyc files
    from the install; with PYTHONDONTWRITEBYTECODE set, as on some machines, every run would
    compile netcheck's modules again and the bench would time the compiler)."""
    env = {**os.environ, **lab.env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed_with_cpu(run: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock seconds of ``run`` and the CPU seconds (user + system) its child processes
    used: a check whose CPU is close to its wall time is bound by CPU, not by round trips."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _run(cmd: list[str], env: dict[str, str], expect: int = 0) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=60, check=False)
    if done.returncode != expect:
        sys.exit(f"bench: {cmd[0]} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}")


def imports_at_first_client_hello(lab: Lab, env: dict[str, str], workdir: Path) -> str:
    """A ``python -c`` program importing what a check has imported when its first ClientHello
    leaves, beyond a bare interpreter's modules: the CPU no round trip can hide, since that
    handshake cannot start before them."""
    listed = workdir / "modules.txt"
    check = netcheck_command(lab, workdir / "probe-report.json")
    arguments = check[check.index("netcheck") + 1:]  # after python -m netcheck
    _run([sys.executable, "-c", PROBE, str(listed), *arguments], env)
    if not listed.exists():
        sys.exit("bench: the probe run of netcheck sent no TLS ClientHello")
    bare = subprocess.run([sys.executable, "-c", "import sys; print(*sys.modules)"], env=env,
                          capture_output=True, text=True, timeout=60, check=True).stdout.split()
    wanted = [name for name in listed.read_text().split()
              if name not in bare and name not in ("__main__", "runpy")
              and not name.startswith("__editable__")]
    return ("import importlib\n"
            f"for name in {wanted!r}:\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except ImportError:\n"  # names an extension registers under its own name
            "        pass\n")


def run_all(commands: list[list[str]], env: dict[str, str]) -> Callable[[], None]:
    """One contender that runs ``commands`` one after another (the curl sequence)."""
    def run() -> None:
        for command in commands:
            _run(command, env)
    return run


def netcheck_command(lab: Lab, report: Path, *extra: str) -> list[str]:
    options = lab.options()
    assert options.public_roots and options.dns_server
    return [sys.executable, "-m", "netcheck", "check", options.url, "--public-roots",
            options.public_roots, "--dns-server", options.dns_server, "--json", str(report),
            "--quiet", *extra]


def curl_sequence(lab: Lab, curl: str) -> list[list[str]]:
    """The requests netcheck makes, as curl commands (HTTPS_PROXY comes from the environment,
    as netcheck's does)."""
    options = lab.options()
    assert options.public_roots
    mcp = options.url
    origin = mcp.rsplit("/", 1)[0]
    issuer = lab.issuer.rstrip("/")
    common = [curl, "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert",
              options.public_roots, "--cert", lab.client_pem, "--key", lab.client_pem]
    initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"}}})
    return [
        [*common, "-H", "Content-Type: application/json",
         "-H", "Accept: application/json, text/event-stream", "--data", initialize, mcp],
        [*common, f"{origin}/.well-known/oauth-protected-resource/mcp"],
        [*common, f"{issuer}/.well-known/oauth-authorization-server"],
        [*common, "-H", "Content-Type: application/json", "--data",
         '{"redirect_uris": "not-a-list", "client_name": "probe"}', f"{issuer}/register"],
        [*common, f"{issuer}/authorize?response_type=code&client_id=probe"
                  "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_challenge=x"
                  "&code_challenge_method=S256"],
        [*common, "--data", "grant_type=authorization_code&code=probe&client_id=probe"
                            "&code_verifier=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb",
         f"{issuer}/token"],
        [*common, "--data", "grant_type=refresh_token&refresh_token=probe&client_id=probe",
         f"{issuer}/token"],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (default 15)")
    args = parser.parse_args(argv)
    curl = shutil.which("curl")
    if curl is None:
        sys.exit("bench: curl is not installed (apt-get install curl)")
    workdir = Path(tempfile.mkdtemp(prefix="netcheck-bench-"))
    try:
        with running_lab(None) as lab:
            env = bench_environment(lab)
            report = workdir / "report.json"
            sequence = curl_sequence(lab, curl)
            at_hello = imports_at_first_client_hello(lab, env, workdir)
            contenders: dict[str, Callable[[], None]] = {
                "netcheck": lambda: _run(netcheck_command(lab, report), env),
                "netcheck-no-reuse": lambda: _run(netcheck_command(lab, report, "--no-reuse"),
                                                  env),
                "curl sequence": run_all(sequence, env),
                "import floor": lambda: _run([sys.executable, "-c", IMPORTS], env),
                "first-hello imports": lambda: _run([sys.executable, "-c", at_hello], env),
            }
            for run in contenders.values():  # warm caches (pyc files, page cache) once
                run()
            times: dict[str, list[float]] = {name: [] for name in contenders}
            cpu: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(args.runs):  # interleaved, so drift hits every contender alike
                for name, run in contenders.items():
                    wall, used = timed_with_cpu(run)
                    times[name].append(wall)
                    cpu[name].append(used)
            steps = json.loads(report.read_text())["steps"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.runs} runs each, {len(sequence)} requests per check "
          f"({len(steps) - 1} steps after settings), lab on loopback")
    for name, values in times.items():
        print(f"  {name:<20} median {medians[name] * 1000:7.1f} ms   "
              f"min {min(values) * 1000:7.1f}   max {max(values) * 1000:7.1f}   "
              f"CPU {statistics.median(cpu[name]) * 1000:7.1f}")
    ratio = medians["netcheck"] / medians["curl sequence"]
    print(f"ratio netcheck / curl sequence: {ratio:.2f}x "
          f"(without reuse {medians['netcheck-no-reuse'] / medians['curl sequence']:.2f}x; "
          f"import floor alone {medians['import floor'] / medians['curl sequence']:.2f}x; "
          "what is imported when the first ClientHello leaves "
          f"{medians['first-hello imports'] / medians['curl sequence']:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
