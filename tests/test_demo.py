"""``netcheck demo``: the README's first command. Every fault is found where it was planted,
the healthy run passes, the report is written and valid, and nothing is left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

import jsonschema
import pytest

from netcheck.lab.faults import FAULTS


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_demo_finds_each_fault(run_cli, tmp_path, schema, fault, monkeypatch):
    report_path = tmp_path / "demo.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = run_cli("demo", "--fault", fault, "--json", str(report_path))
    assert result.status == 0, result.stdout
    report = json.loads(report_path.read_text())
    jsonschema.validate(report, schema)
    verdict = report["verdict"]
    assert (verdict["step"], verdict["hop"], verdict["code"]) == FAULTS[fault].expect
    assert "every hop passed" in result.stdout  # the healthy run
    assert list(scratch.iterdir()) == []  # the lab's certificates and keys are gone


def test_demo_as_a_user_runs_it(tmp_path):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "netcheck", "demo"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert elapsed < 10
    assert (tmp_path / "netcheck-demo-report.json").exists()
    assert "Traceback" not in result.stderr


def test_unknown_fault_is_a_usage_error(run_cli):
    result = run_cli("demo", "--fault", "gremlins")
    assert result.status == 2
    assert "--list-faults" in result.stderr


def test_list_faults(run_cli):
    result = run_cli("demo", "--list-faults")
    assert result.status == 0
    for name in FAULTS:
        assert name in result.stdout
