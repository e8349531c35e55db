"""The command line as a user meets it: the installed entry point, exit statuses, usage errors
without tracebacks, the proxy table and its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from netcheck.proxy.registry import MODELS


def netcheck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run([sys.executable, "-m", "netcheck", *args], capture_output=True,
                          text=True, env={**base, **(env or {})}, timeout=60)


def test_version():
    result = netcheck("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("netcheck ")


@pytest.mark.parametrize("args", [
    ["check", "not a url"],
    ["check", "ftp://example.test/"],
    ["check", "https://mcp.test:99999/mcp"],
    ["check", "https://[bad/mcp"],
    ["check", "https://mcp.test/", "--client", "lynx"],
    ["check", "https://mcp.test/", "--timeout", "0"],
    ["check", "https://mcp.test/", "--timeout", "soon"],
    ["check", "https://mcp.test/", "--dns-server", "dns.example"],
    ["check", "https://mcp.test/", "--key-passphrase-env", "NOT_SET_ANYWHERE"],
    ["check", "https://mcp.test/", "--header", "no colon here"],
    ["check", "https://mcp.test/", "--client-metadata-url", "not-a-url"],
    ["check", "https://mcp.test/", "--auth-server-metadata", "ftp://auth.test/x"],
    ["check"],
    ["frobnicate"],
])
def test_usage_errors_exit_2_without_traceback(args):
    result = netcheck(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "netcheck" in result.stderr


def test_failure_exits_1_with_a_diagnosis_and_report(tmp_path, pki):
    report = tmp_path / "r.json"
    # curl stops on an unreadable certificate (Claude Code would skip it and go on)
    result = netcheck("check", "https://mcp.test/mcp", "--cert", pki.path("missing.pem"),
                      "--client", "curl", "--json", str(report))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "FAILED at settings › client_cert [cert_file_unreadable]" in result.stdout
    assert json.loads(report.read_text())["verdict"]["code"] == "cert_file_unreadable"


def test_plain_output_when_not_a_terminal(pki):
    result = netcheck("check", "https://mcp.test/mcp", "--cert", pki.path("missing.pem"),
                      "--client", "curl", "--no-json")
    assert "\x1b[" not in result.stdout  # no colour codes in a pipe


def test_proxy_json_lists_all_models():
    env = {"HTTPS_PROXY": "http://user:pw-planted@proxy.corp:8080", "NO_PROXY": "corp.example"}
    result = netcheck("proxy", "https://mcp.corp.example/mcp", "--json", "-", env=env)
    assert result.returncode == 0
    payload = json.loads(result.stdout)
    assert payload["url"] == "https://mcp.corp.example/mcp"
    assert set(payload["decisions"]) == set(MODELS)
    for decision in payload["decisions"].values():
        assert set(decision) == {"proxy", "error", "reason"}
    assert payload["decisions"]["node-undici"]["proxy"] is None
    assert payload["decisions"]["go"]["proxy"] is None
    assert payload["decisions"]["node-proxy-from-env"]["proxy"] == "http://proxy.corp:8080"
    assert "pw-planted" not in result.stdout


def test_proxy_flags_override_environment():
    result = netcheck("proxy", "https://a.example/", "--proxy", "http://flag:1", "--json", "-",
                      env={"HTTPS_PROXY": "http://env:2"})
    decisions = json.loads(result.stdout)["decisions"]
    # mcp-remote without --enable-proxy reads no proxy variable at all (measured)
    ignoring = decisions.pop("mcp-remote")
    assert ignoring["proxy"] is None and "--enable-proxy" in ignoring["reason"]
    assert {d["proxy"] for d in decisions.values()} == {"http://flag:1"}


def test_proxy_table():
    result = netcheck("proxy", "https://a.example/", env={"https_proxy": "proxy:3128",
                                                          "COLUMNS": "200"})
    assert result.returncode == 0
    assert "claude-code (claude-code)" in result.stdout
    assert "refuses" in result.stdout


def test_proxy_json_file_is_checked_first_and_written_whole(tmp_path):
    """netcheck proxy --json FILE follows the report's rules: a folder is a usage error, an
    existing symlink is replaced, not followed."""
    folder = netcheck("proxy", "https://mcp.corp.example/mcp", "--json", str(tmp_path))
    assert folder.returncode == 2 and "folder" in folder.stderr
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "decisions.json"
    link.symlink_to(target)
    done = netcheck("proxy", "https://mcp.corp.example/mcp", "--json", str(link),
                    env={"HTTPS_PROXY": "http://proxy.corp:8080"})
    assert done.returncode == 0, done.stderr
    assert target.read_text() == "keep me" and not link.is_symlink()
    assert json.loads(link.read_text())["url"] == "https://mcp.corp.example/mcp"
