"""Start-up cost and the benchmark script (its figures are in docs/speed.md, not asserted here:
timing a whole check against curl on a shared CI machine would make a flaky test)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

import pytest

from tests.servers import REPO

HEAVY = ("httpx", "OpenSSL", "cryptography", "dns", "rich", "h11", "certifi")


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["check", "--help"]])
def test_version_and_help_import_no_network_library(argv):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "netcheck", *argv],
                          env=_env(), capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_version_costs_at_most_three_times_a_bare_python():
    def median_of(cmd: list[str]) -> float:
        return statistics.median(samples[tuple(cmd)])

    bare = [sys.executable, "-c", "pass"]
    ours = [sys.executable, "-m", "netcheck", "--version"]
    samples: dict[tuple[str, ...], list[float]] = {tuple(bare): [], tuple(ours): []}
    for _ in range(9):  # interleaved, so a busy moment hits both alike
        for cmd in (bare, ours):
            started = time.perf_counter()
            subprocess.run(cmd, env=_env(), capture_output=True, timeout=30, check=True)
            samples[tuple(cmd)].append(time.perf_counter() - started)
    assert median_of(ours) <= 3 * median_of(bare), samples


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_bench_prints_medians_and_the_ratio():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "compare.py"), "--runs", "1"],
                          env={**_env(), "HOME": os.environ.get("HOME", "/tmp")},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("netcheck", "netcheck-no-reuse", "curl sequence", "import floor",
                 "first-hello imports"):
        assert re.search(rf"{name}\s+median\s+\d+\.\d ms.*CPU\s+\d+\.\d$", done.stdout,
                         re.M), done.stdout
    assert re.search(r"ratio netcheck / curl sequence: \d+\.\d\dx", done.stdout)
    assert re.search(r"when the first ClientHello leaves \d+\.\d\dx\)$", done.stdout, re.M)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_wan_bench_prints_a_row_per_rtt():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "wan.py"), "--runs", "1",
                           "--rtt", "0", "20"],
                          env={**_env(), "HOME": os.environ.get("HOME", "/tmp")},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s+0 ms\s+\d+ ms\s+\d+ ms\s+0 ms\s+\d+\.\d\dx\s+-\s+\d+ ms$",
                     done.stdout, re.M), done.stdout
    assert re.search(r"^\s+20 ms\s+\d+ ms\s+\d+ ms\s+200 ms\s+\d+\.\d\dx\s+\d+\.\d\dx"
                     r"\s+\d+ ms$", done.stdout, re.M), done.stdout


def test_relay_delays_each_round_trip_by_the_rtt():
    """The bench's relay: one request and its answer through it take one RTT, not less."""
    sys.path.insert(0, str(REPO / "bench"))
    from relay import DelayRelay

    echo = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = echo.accept()
        with conn:
            while data := conn.recv(100):
                conn.sendall(data)
    threading.Thread(target=serve, daemon=True).start()
    relay = DelayRelay(echo.getsockname()[:2], rtt_ms=80)
    try:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as sock:
            for _ in range(2):
                started = time.perf_counter()
                sock.sendall(b"ping")
                assert sock.recv(100) == b"ping"
                elapsed = time.perf_counter() - started
                assert 0.075 <= elapsed < 0.4, elapsed
    finally:
        relay.close()
        echo.close()


OPENING_PROBE = """
import sys
import netcheck.runner as runner
seen = []
original = runner.open_ahead
def recording(*args, **kwargs):
    seen.append(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(","))))
    return original(*args, **kwargs)
runner.open_ahead = recording
from netcheck.cli import main
status = main(["check", "https://127.0.0.1:1/mcp", "--no-json", "--quiet", "--timeout", "2"])
print(status, seen)
"""


def test_the_first_connection_opens_before_tls_is_imported():
    """The MCP server's connection starts opening before cryptography and pyOpenSSL (and the
    rendering and the other clients' models) are imported: over a real network, their import
    time then overlaps its round trips instead of preceding them."""
    heavy = ("OpenSSL", "cryptography", "rich", "httpx", "dns", "certifi")
    done = subprocess.run([sys.executable, "-c", OPENING_PROBE, ",".join(heavy)], env=_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.splitlines()[-1] == "1 [[]]", done.stdout + done.stderr


FIRST_FLIGHT_PROBE = """
import socket, sys, threading, time
import netcheck.settings.check as check
listener = socket.create_server(("127.0.0.1", 0))
hello = []
def serve():
    conn, _ = listener.accept()
    conn.settimeout(5)
    if conn.recv(5)[:1] == b"\\x16":  # a TLS handshake record: the ClientHello
        hello.append((time.monotonic(), "netcheck.settings.trust" in sys.modules))
    time.sleep(0.5)
    conn.close()
threading.Thread(target=serve, daemon=True).start()
original = check._check_trust
read_at = []
def slow_trust(settings):
    read_at.append(time.monotonic())
    time.sleep(0.5)  # a large system store on a slow disk
    return original(settings)
check._check_trust = slow_trust
from netcheck.cli import main
main(["check", f"https://127.0.0.1:{listener.getsockname()[1]}/mcp", "--no-json", "--quiet",
      "--timeout", "3"])
# before the read ends: sent first (the listener's clock may see it a moment after the read
# began); a handshake that waited for the stores would arrive 0.5 s after
print(bool(hello) and bool(read_at) and hello[0][0] < read_at[0] + 0.25, hello and hello[0][1])
"""


def test_the_first_client_hello_leaves_before_the_trust_stores_are_read():
    """The handshake does not verify, so its ClientHello goes out before the trust stores are
    read (a slow read here: 0.5 s); reading them, CPU the sending thread would wait for,
    starts once it is out and is done while the server's answer travels. Nor are the
    modules that read and judge against them (the system store's reader, ssl, subprocess)
    loaded before it."""
    env = {k: v for k, v in _env().items() if "proxy" not in k.lower()}
    done = subprocess.run([sys.executable, "-c", FIRST_FLIGHT_PROBE], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    # and the modules that judge a chain against the stores are not loaded before it either
    assert done.stdout.splitlines()[-1:] == ["True False"], done.stdout + done.stderr
