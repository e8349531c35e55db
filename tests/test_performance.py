"""Start-up cost and the benchmark script (its figures are in the README, not asserted here:
timing a whole check against curl on a shared CI machine would make a flaky test)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
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
    for name in ("netcheck", "netcheck-no-reuse", "curl sequence", "import floor"):
        assert re.search(rf"{name}\s+median\s+\d+\.\d ms", done.stdout), done.stdout
    assert re.search(r"ratio netcheck / curl sequence: \d+\.\d\dx", done.stdout)
