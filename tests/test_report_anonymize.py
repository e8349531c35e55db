"""``--anonymize``: user names, certificate subjects, internal host names and addresses become
stable placeholders in every output, and the diagnosis survives."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from netcheck.report.anonymize import anonymize
from tests.conftest import PROXY_PASSWORD, PROXY_USER


def _run(run_cli, tmp_path: Path, name: str, *args: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    json_path, md_path = tmp_path / f"{name}.json", tmp_path / f"{name}.md"
    result = run_cli("check", *args, "--json", str(json_path), "--markdown", str(md_path),
                     env=env)
    report = json.loads(json_path.read_text())
    return result, report, {"stdout": result.stdout, "json": json_path.read_text(),
                            "markdown": md_path.read_text()}


def test_anonymize_replaces_identifying_values_everywhere(run_cli, tmp_path, pki, base_args,
                                                          plain_tls, basic_proxy):
    home_ca = tmp_path / "home" / "bob-the-user" / "corp-ca.pem"
    home_ca.parent.mkdir(parents=True)
    home_ca.write_bytes(Path(pki.path("public-ca.pem")).read_bytes())
    env = {"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD),
           "NO_PROXY": ".corp.example.com"}
    args = [plain_tls.url("mcp.test"), *base_args, "--cacert", str(home_ca), "--verbose",
            "--label", "office VPN"]
    _, plain, plain_out = _run(run_cli, tmp_path, "plain", *args, env=env)
    tls = next(h for s in plain["steps"] for h in s["hops"] if h["hop"] == "tls"
               and h["status"] == "ok" and h["details"].get("chain"))
    subject, issuer = tls["details"]["chain"][0]["subject"], tls["details"]["chain"][0]["issuer"]
    identifying = [PROXY_USER, "bob-the-user", "127.0.0.1", "mcp.test", subject, issuer,
                   "corp.example.com", platform.node()]
    # without --anonymize, every one of them is in the outputs (the test plants real ones)
    for value in identifying:
        assert value in plain_out["json"], value

    result, report, outputs = _run(run_cli, tmp_path, "anon", *args, "--anonymize", env=env)
    assert result.status == 0, result.stdout
    for where, text in outputs.items():
        for value in identifying:
            assert value not in text, f"{value!r} left in {where}"
    # the diagnosis and the vocabulary survive; placeholders are stable across the report
    assert report["ok"] is True and report["label"] == "office VPN"
    assert [s["step"] for s in report["steps"]] == [s["step"] for s in plain["steps"]]
    proxy = report["settings"]["proxy_variables"]["HTTPS_PROXY"]["value"]
    assert proxy == f"http://user1:<redacted>@192.0.2.1:{basic_proxy.port}"
    assert report["environment"]["variables"]["HTTPS_PROXY"] == proxy
    assert report["target"] == report["steps"][1]["url"] == \
        f"https://internal-1.example:{plain_tls.port}/mcp"
    assert report["environment"]["host_name"] == "machine-1"
    chain = next(h for s in report["steps"] for h in s["hops"] if h["hop"] == "tls"
                 and h["status"] == "ok" and h["details"].get("chain"))["details"]["chain"][0]
    assert chain["subject"].startswith("CN=subject-") and chain["issuer"].startswith("CN=subject-")
    assert chain["subject"] != chain["issuer"]
    assert "/home/user2/corp-ca.pem" in outputs["json"]


def test_show_anonymizes_a_received_report(run_cli, tmp_path, base_args, plain_tls):
    json_path, out_path = tmp_path / "r.json", tmp_path / "public.json"
    run_cli("check", plain_tls.url("mcp.test"), *base_args, "--json", str(json_path))
    assert "mcp.test" in json_path.read_text()
    result = run_cli("show", str(json_path), "--anonymize", "--json", str(out_path))
    assert result.status == 0
    for text in (result.stdout, out_path.read_text()):
        assert "mcp.test" not in text and "127.0.0.1" not in text
    assert "internal-1.example" in result.stdout
    assert json.loads(out_path.read_text())["verdict"] is None


def _report(**overrides: Any) -> dict[str, Any]:
    dns = {"hop": "dns", "status": "ok", "duration_ms": 1.0, "code": None,
           "message": "mcp.example.com is 93.184.216.34", "hint": None, "notes": [],
           "details": {"host": "mcp.example.com", "addresses": ["93.184.216.34"]}}
    internal = {**dns, "message": "wiki.corp is 10.1.2.3",
                "details": {"host": "wiki.corp", "addresses": ["10.1.2.3"]}}
    tls = {"hop": "tls", "status": "failed", "duration_ms": 1.0, "code": "tls_untrusted",
           "message": "intercepted (issuer CN=Zscaler Root CA,O=Acme\\, Inc.,C=US)",
           "hint": "set NODE_EXTRA_CA_CERTS", "notes": [],
           "details": {"chain": [{"subject": "CN=mcp.example.com",
                                  "issuer": "CN=Zscaler Root CA,O=Acme\\, Inc.,C=US"}]}}
    report = {"schema_version": "1.4", "target": "https://mcp.example.com/mcp",
              "environment": {"host_name": "LAPTOP-7.acme.lan", "os": "Windows 11",
                              "variables": {"NO_PROXY": ".corp.example.com,10.0.0.0/8",
                                            "HTTPS_PROXY": "proxy.acme.lan:3128",
                                            "SSL_CERT_FILE": "C:\\Users\\jdoe\\ca.pem"}},
              "settings": {"public_roots": "/Users/jdoe/roots.pem"},
              "steps": [{"step": "resource", "url": "https://mcp.example.com/mcp", "ok": False,
                         "notes": ["see git.corp.example.com and fe80::1 via LAPTOP-7"],
                         "attempts": [], "hops": [dns, internal, tls]}]}
    report.update(overrides)
    return report


def test_anonymize_keeps_public_names_and_maps_each_value_once():
    out = anonymize(_report())
    text = json.dumps(out)
    for gone in ("jdoe", "LAPTOP-7", "acme.lan", "wiki.corp", "10.1.2.3", "corp.example.com",
                 "fe80::1", "Zscaler Root CA"):
        assert gone not in text, gone
    # public service names and addresses stay: they identify the service, not the user
    assert out["target"] == "https://mcp.example.com/mcp"
    assert "93.184.216.34" in text
    env = out["environment"]
    assert env["host_name"] == "machine-1"
    assert env["variables"]["SSL_CERT_FILE"] == "C:\\Users\\user1\\ca.pem"
    assert out["settings"]["public_roots"] == "/Users/user1/roots.pem"
    assert env["variables"]["NO_PROXY"].startswith(".internal-")
    tls = out["steps"][0]["hops"][2]
    issuer = tls["details"]["chain"][0]["issuer"]
    assert issuer.startswith("CN=subject-") and f"(issuer {issuer})" in tls["message"]
    assert tls["code"] == "tls_untrusted" and tls["status"] == "failed"
    assert "machine-1" in out["steps"][0]["notes"][0]
    assert "2001:db8::" in out["steps"][0]["notes"][0]
    assert anonymize(_report()) == out  # the same input, the same placeholders


def test_the_user_name_goes_whatever_the_home_folder_layout() -> None:
    """HOME=/u/jdoe7 (common on enterprise machines) is no /home/NAME: the name comes from
    HOME's last part and from USER, LOGNAME and USERNAME."""
    from netcheck.report.anonymize import anonymize

    report = {"settings": {"cert": "/u/jdoe7/certs/client.pem",
                           "claude_settings": "/nfs/home2/bsmith/.claude/settings.json"},
              "steps": [{"message": "read /u/jdoe7/.codex/config.toml for JDoe7"}]}
    env = {"HOME": "/u/jdoe7", "USER": "bsmith", "LOGNAME": "jdoe7", "USERNAME": "jdoe7"}
    out = json.dumps(anonymize(report, env))
    assert "jdoe7" not in out.lower() and "bsmith" not in out
    assert "/u/user" in out
    untouched = json.dumps(anonymize(report))  # without the environment: the paths stay
    assert "jdoe7" in untouched
