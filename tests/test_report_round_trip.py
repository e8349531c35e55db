"""The report's round trip to the support desk, against the lab on loopback: ``show`` reproduces
what the user's terminal showed, ``diff`` names the setting and the hop where two runs part,
``--label``/host name tell reports apart, and unusable files are diagnoses (exit 2)."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from netcheck.report import SCHEMA_VERSION, load_schema

DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens on the discard port of loopback
WRITTEN = "Report written to "


def terminal(stdout: str) -> str:
    """What check printed, without the closing line saying where the report went."""
    return stdout[:stdout.rindex(WRITTEN)]


def check(run_cli, tmp_path: Path, name: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Run check writing the report to ``name``.json; the result carries the report, checked
    against the schema."""
    path = tmp_path / f"{name}.json"
    result = run_cli("check", *args, "--json", str(path), env=env)
    result.report = json.loads(path.read_text())
    jsonschema.validate(result.report, load_schema())
    return result, path


@pytest.mark.parametrize(("env", "flags"), [
    ({}, []),
    ({}, ["--verbose"]),
    ({"HTTPS_PROXY": DEAD_PROXY}, []),
    ({"HTTPS_PROXY": DEAD_PROXY}, ["--verbose"]),
    ({"HTTPS_PROXY": DEAD_PROXY}, ["--quiet"]),
])
def test_show_reproduces_the_terminal_output(run_cli, tmp_path, base_args, plain_tls, env,
                                             flags):
    ran, path = check(run_cli, tmp_path, "r", plain_tls.url("mcp.test"), *base_args, *flags,
                      "--label", "office VPN", env=env)
    shown = run_cli("show", str(path), *flags)
    assert shown.stdout == terminal(ran.stdout)
    assert shown.status == ran.status
    assert "office VPN" in shown.stdout or "--quiet" in flags
    assert "Traceback" not in shown.stderr


@pytest.mark.parametrize("flags", [[], ["--verbose"]])
def test_show_reproduces_a_full_oauth_run(run_cli, tmp_path, pki, dns_server, flags):
    from tests.conftest import client_cert_args
    from tests.sdk_lab import SdkLab, Variant

    lab = SdkLab(pki, Variant())
    try:
        ran, path = check(run_cli, tmp_path, "oauth", lab.mcp_url, "--public-roots",
                          pki.path("public-ca.pem"), "--dns-server", dns_server.address,
                          "--timeout", "3", *client_cert_args(pki), *flags)
    finally:
        lab.close()
    assert len(ran.report["steps"]) > 5, ran.stdout  # the OAuth steps ran
    shown = run_cli("show", str(path), *flags)
    assert shown.stdout == terminal(ran.stdout)
    assert shown.status == ran.status


def test_label_host_name_and_schema_version(run_cli, tmp_path, base_args, plain_tls):
    result, _ = check(run_cli, tmp_path, "r", plain_tls.url("mcp.test"), *base_args,
                      "--label", "home")
    assert result.report["schema_version"] == SCHEMA_VERSION == "1.6"
    assert result.report["label"] == "home"
    assert result.report["environment"]["host_name"] == platform.node()
    unlabelled, _ = check(run_cli, tmp_path, "u", plain_tls.url("mcp.test"), *base_args)
    assert unlabelled.report["label"] is None


def _write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


@pytest.fixture
def a_report(run_cli, tmp_path, base_args, plain_tls) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result, _ = check(run_cli, tmp_path, "base", plain_tls.url("mcp.test"), *base_args,
                      env={"HTTPS_PROXY": DEAD_PROXY})
    report: dict[str, Any] = result.report
    return report


@pytest.mark.parametrize(("mutate", "says"), [
    (lambda r: {**r, "schema_version": "2.0"}, "newer netcheck (report schema 2.0"),
    (lambda r: {k: v for k, v in r.items() if k != "schema_version"}, "not a netcheck report"),
    (lambda r: {"name": "x", "version": "1.0"}, "not a netcheck report"),
    (lambda r: [r], "not a netcheck report: not a JSON object"),
    (lambda r: "{not json", "not a netcheck report: not JSON (line 1)"),
    (lambda r: {k: v for k, v in r.items() if k != "steps"}, "missing or malformed: steps"),
    (lambda r: {"servers": []}, "not a netcheck report (no schema_version, and no server"),
    (lambda r: {"servers": [{"name": "x", "report": {**r, "schema_version": "2.1"}}]},
     "(server 'x') was written by a newer netcheck"),
    (lambda r: {**r, "steps": [{**r["steps"][0], "hops": [{"hop": "tcp"}]}]}, "hops[].status"),
    (lambda r: {**r, "steps": [{**r["steps"][0], "hops": [{**r["steps"][0]["hops"][0],
                                                          "status": 7}]}]}, "damaged"),
])
def test_show_refuses_what_it_cannot_read(run_cli, tmp_path, a_report, mutate, says):
    path = _write(tmp_path, "received.json", mutate(a_report))
    result = run_cli("show", path)
    assert result.status == 2, result.stdout
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_show_missing_file_is_a_usage_error(run_cli, tmp_path):
    result = run_cli("show", str(tmp_path / "nowhere.json"))
    assert result.status == 2
    assert "no such file" in result.stderr


def test_show_reads_a_newer_minor_and_says_so(run_cli, tmp_path, a_report):
    newer = {**a_report, "schema_version": "1.99", "added_later": {"x": 1}}
    result = run_cli("show", _write(tmp_path, "newer.json", newer))
    assert result.status == 1
    assert "newer netcheck (report schema 1.99)" in result.stderr
    assert "FAILED at resource › tcp [tcp_refused]" in result.stdout


@pytest.mark.parametrize("flags", [[], ["--verbose"], ["--quiet"]])
def test_show_reproduces_a_several_servers_run(run_cli, tmp_path, base_args, plain_tls, flags):
    path = tmp_path / "many.json"
    ran = run_cli("check", plain_tls.url("mcp.test"), plain_tls.url("nx.test"), *base_args,
                  *flags, "--label", "office VPN", "--json", str(path))
    assert ran.status == 1, ran.stdout + ran.stderr
    document = json.loads(path.read_text())
    jsonschema.validate(document, load_schema())
    assert document["label"] == "office VPN"
    assert {s["report"]["label"] for s in document["servers"]} == {"office VPN"}
    shown = run_cli("show", str(path), *flags)
    assert shown.stdout == terminal(ran.stdout)
    assert shown.status == 1
    assert "MCP servers checked" in shown.stdout


def test_several_servers_run_writes_markdown_and_anonymizes(run_cli, tmp_path, base_args,
                                                            plain_tls):
    path, md = tmp_path / "many.json", tmp_path / "many.md"
    ran = run_cli("check", plain_tls.url("mcp.test"), plain_tls.url("nx.test"), *base_args,
                  "--anonymize", "--json", str(path), "--markdown", str(md))
    assert ran.status == 1
    for text in (ran.stdout, path.read_text(), md.read_text()):
        assert "mcp.test" not in text and "nx.test" not in text and "127.0.0.1" not in text
    assert md.read_text().startswith("## netcheck: 1 of 2 server(s) failed")


def test_show_renders_each_configured_server_with_its_name(run_cli, tmp_path, base_args,
                                                           plain_tls, a_report):
    ok, _ = check(run_cli, tmp_path, "ok", plain_tls.url("mcp.test"), *base_args)
    document = {"ok": False, "servers": [
        {"name": "docs", "client": "claude-code", "config_file": "~/.claude.json",
         "scope": "user", "url": ok.report["target"], "report": ok.report},
        {"name": "tickets", "client": "cursor", "config_file": ".cursor/mcp.json",
         "scope": "project", "url": a_report["target"], "report": a_report},
        {"name": "local", "client": "vscode", "config_file": ".vscode/mcp.json",
         "scope": "project", "url": None, "report": None}]}
    result = run_cli("show", _write(tmp_path, "servers.json", document))
    assert result.status == 1
    out = result.stdout
    assert out.index("── docs") < out.index("OK: every hop passed") < out.index("── tickets") \
        < out.index("FAILED at resource › tcp [tcp_refused]") < out.index("── local")
    assert "(cursor, .cursor/mcp.json, project)" in out


def test_diff_names_the_proxy_variable_and_the_first_differing_hop(run_cli, tmp_path,
                                                                   base_args, plain_tls):
    direct, a = check(run_cli, tmp_path, "home", plain_tls.url("mcp.test"), *base_args,
                      "--label", "home")
    proxied, b = check(run_cli, tmp_path, "office", plain_tls.url("mcp.test"), *base_args,
                       "--label", "office VPN", env={"HTTPS_PROXY": DEAD_PROXY})
    assert direct.status == 0 and proxied.status == 1
    result = run_cli("diff", str(a), str(b))
    assert result.status == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 16, result.stdout  # a handful of lines, not hundreds
    assert lines[0] == f"A = {a}, B = {b}"
    assert lines[1].startswith('A: "home" ') and lines[1].endswith(": OK")
    assert lines[2].startswith('B: "office VPN" ')
    assert lines[2].endswith(": FAILED at resource › tcp [tcp_refused]")
    differing = [line for line in lines if line.strip().startswith("HTTPS_PROXY")]
    assert len(differing) == 1 and "(not set)" in differing[0]
    assert f"B {DEAD_PROXY} (from env HTTPS_PROXY)" in result.stdout
    assert "outcomes part at resource › tcp:" in result.stdout
    assert "[tcp_refused]" in result.stdout
    assert "proxy_resolve already differs" in result.stdout


def test_diff_of_the_same_outcomes_exits_0(run_cli, tmp_path, base_args, plain_tls):
    _, a = check(run_cli, tmp_path, "one", plain_tls.url("mcp.test"), *base_args)
    _, b = check(run_cli, tmp_path, "two", plain_tls.url("mcp.test"), *base_args)
    result = run_cli("diff", str(a), str(b))
    assert result.status == 0, result.stdout
    assert "settings: the same" in result.stdout
    assert "outcomes: the same at every step and hop" in result.stdout


def test_diff_of_configured_servers_pairs_them_by_name(run_cli, tmp_path, a_report,
                                                       base_args, plain_tls):
    ok, _ = check(run_cli, tmp_path, "ok", plain_tls.url("mcp.test"), *base_args)

    def servers(report: dict[str, Any]) -> dict[str, Any]:
        return {"ok": report["ok"], "servers": [
            {"name": "docs", "client": "claude-code", "config_file": "~/.claude.json",
             "scope": "user", "url": report["target"], "report": report}]}

    a = _write(tmp_path, "a.json", servers(ok.report))
    b = _write(tmp_path, "b.json", servers(a_report))
    result = run_cli("diff", a, b)
    assert result.status == 1
    assert "server docs:" in result.stdout
    assert "outcomes part at resource › tcp:" in result.stdout
    mixed = run_cli("diff", a, _write(tmp_path, "single.json", a_report))
    assert mixed.status == 2
    assert "same kind" in mixed.stderr


def test_diff_unusable_input_exits_2(run_cli, tmp_path, a_report):
    good = _write(tmp_path, "good.json", a_report)
    for bad in ("[]", "{}", json.dumps({**a_report, "schema_version": "3.1"})):
        result = run_cli("diff", good, _write(tmp_path, "bad.json", bad))
        assert result.status == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("netcheck: ")


def test_summarize_counts_and_groups_machines_by_failure(run_cli, tmp_path, a_report):
    folder = tmp_path / "collected"
    (folder / "site-b").mkdir(parents=True)
    ok = {**a_report, "ok": True, "verdict": None}
    auth = {**a_report, "verdict": {**a_report["verdict"], "hop": "proxy_connect",
                                    "code": "proxy_auth_rejected"}}

    def on(report: dict[str, Any], host: str, label: str | None = None) -> dict[str, Any]:
        return {**report, "label": label,
                "environment": {**report["environment"], "host_name": host}}

    _write(folder, "a.json", on(a_report, "pc-1"))
    _write(folder, "b.json", on(a_report, "pc-2", "office"))
    _write(folder, "c.json", on(ok, "pc-3"))
    _write(folder / "site-b", "d.json", on(auth, "pc-4"))
    _write(folder, "notes.json", {"not": "a report"})
    result = run_cli("summarize", str(folder))
    assert result.status == 1
    out = result.stdout
    assert out.startswith("4 report(s) from 5 file(s), 1 skipped")
    assert "verdict:      tcp_refused 2 · ok 1 · proxy_auth_rejected 1" in out
    assert "failing step: resource 3" in out
    assert f"proxy:        {DEAD_PROXY} 4" in out
    assert "resource › tcp [tcp_refused]: 2: pc-1, pc-2 (office)" in out
    assert "resource › proxy_connect [proxy_auth_rejected]: 1: pc-4" in out
    assert "notes.json is not a netcheck report" in result.stderr
    empty = run_cli("summarize", str(folder / "notes.json"))
    assert empty.status == 2


@pytest.mark.parametrize("args", [
    ["show"],
    ["diff", "only-one.json"],
    ["summarize"],
    ["show", "r.json", "--markdown", "-", "--json", "-"],
    ["check", "https://mcp.test/", "--markdown", "-", "--json", "-"],
])
def test_report_commands_usage_errors_exit_2(args, tmp_path):
    from tests.test_cli import netcheck

    (tmp_path / "r.json").write_text("{}")
    result = netcheck(*[str(tmp_path / a) if a == "r.json" else a for a in args])
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("usage:") or result.stderr.startswith("netcheck: ")


def test_control_characters_of_a_received_report_never_reach_the_terminal(run_cli, tmp_path,
                                                                          a_report):
    hostile = json.loads(json.dumps(a_report))
    hostile["verdict"]["message"] = "refused\x1b]0;owned\x07\x1b[2J\r"
    hostile["steps"][1]["hops"][2]["message"] = hostile["verdict"]["message"]
    hostile["environment"]["host_name"] = "pc\x1b[31m"
    path = _write(tmp_path, "hostile.json", hostile)
    other = _write(tmp_path, "other.json", a_report)
    outputs = [(run_cli("show", path, "-v"), 1), (run_cli("diff", other, path), 0),
               (run_cli("summarize", path), 1)]
    for result, status in outputs:
        assert result.status == status, result.stderr
        assert "\x1b" not in result.stdout + result.stderr
        assert "\\x1b" in result.stdout


def test_damaged_reports_are_diagnosed_in_diff_and_skipped_by_summarize(run_cli, tmp_path,
                                                                        a_report):
    good = _write(tmp_path, "good.json", a_report)
    damaged = _write(tmp_path, "damaged.json", {**a_report, "settings": ["not", "a", "dict"],
                                                "verdict": "broken"})
    result = run_cli("diff", good, damaged)
    assert result.status == 2
    assert "damaged netcheck report" in result.stderr
    summary = run_cli("summarize", good, damaged)
    assert summary.status == 1
    assert summary.stdout.startswith("1 report(s) from 2 file(s), 1 skipped")
    assert "damaged.json is a damaged netcheck report" in summary.stderr
    anonymized = run_cli("show", damaged, "--anonymize")
    assert anonymized.status == 2 and "Traceback" not in anonymized.stderr


def test_diff_says_when_a_redacted_value_may_be_the_difference(run_cli, tmp_path, base_args,
                                                               plain_tls, basic_proxy):
    from tests.conftest import PROXY_PASSWORD, PROXY_USER

    _, a = check(run_cli, tmp_path, "right", plain_tls.url("mcp.test"), *base_args,
                 env={"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD)})
    _, b = check(run_cli, tmp_path, "wrong", plain_tls.url("mcp.test"), *base_args,
                 env={"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, "Wr0ng-planted")})
    result = run_cli("diff", str(a), str(b))
    assert result.status == 1
    assert "outcomes part at resource › proxy_connect:" in result.stdout
    assert "look the same in both reports but may differ: HTTPS_PROXY" in result.stdout
    assert PROXY_PASSWORD not in result.stdout and "Wr0ng-planted" not in result.stdout


def test_show_reads_a_report_of_an_older_minor(run_cli, tmp_path, a_report):
    older = json.loads(json.dumps(a_report))
    older["schema_version"] = "1.3"
    del older["label"], older["environment"]["host_name"]
    for step in older["steps"]:
        step.pop("status", None)
        step.pop("not_run_reason", None)
    current = run_cli("show", _write(tmp_path, "current.json", a_report))
    result = run_cli("show", _write(tmp_path, "older.json", older))
    assert result.status == 1 and result.stderr == ""
    assert result.stdout == current.stdout
