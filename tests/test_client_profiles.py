"""The measured rules of Codex, Gemini CLI, Copilot CLI and mcp-remote, each against the MCP
Python SDK's own servers on loopback (the real clients' agreement with these verdicts is
``tests/test_agreement.py``; these run without them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from netcheck.profiles.codex import callback_id
from netcheck.profiles.mcp_remote import default_callback_port
from tests.conftest import client_cert_args
from tests.sdk_lab import SdkLab, Variant

DEAD = "http://127.0.0.1:9"


@pytest.fixture
def make_lab(pki):  # type: ignore[no-untyped-def]
    labs: list[SdkLab] = []

    def make(**variant: Any) -> SdkLab:
        lab = SdkLab(pki, Variant(**{"require_client_cert": False, **variant}))
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.close()


@pytest.fixture
def args(pki, dns_server) -> list[str]:  # type: ignore[no-untyped-def]
    """The lab's CA as the public roots and as an extra CA (Codex and Copilot CLI trust the
    system store and their CA variables, not a bundle of their own), the tests' resolver."""
    return ["--public-roots", pki.path("public-ca.pem"), "--cacert", pki.path("public-ca.pem"),
            "--dns-server", dns_server.address, "--timeout", "3"]


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["steps"] if s["step"] == name)


def hop(report: dict[str, Any], step_name: str, hop_name: str) -> dict[str, Any]:
    return next(h for h in step(report, step_name)["hops"] if h["hop"] == hop_name)


@pytest.mark.parametrize("client", ["codex", "copilot", "gemini", "mcp-remote"])
def test_a_client_that_cannot_present_a_certificate_fails_the_gateway_and_says_so(
        run_cli, pki, args, make_lab, client):
    lab = make_lab(require_client_cert=True)
    result = run_cli("check", lab.mcp_url, *args, *client_cert_args(pki), "--client", client)
    assert result.diagnosis == ("resource", "client_cert", "client_cert_required")
    settings = hop(result.report, "settings", "client_cert")
    assert settings["status"] == "warning" and "no way to present" in settings["message"]
    hint = result.report["verdict"]["hint"]
    assert "cannot send a client certificate at all" in hint and "stunnel" in hint
    assert lab.served == []  # the gateway let no request through


def test_codex_without_metadata_takes_the_mcp_origin_and_its_default_endpoints(
        run_cli, args, make_lab):
    lab = make_lab(prm="missing")
    result = run_cli("check", lab.mcp_url, *args, "--client", "codex")
    assert result.diagnosis[:2] == ("client_registration", "http")
    assert step(result.report, "protected_resource_metadata")["status"] == "warning"
    origin = f"https://mcp.test:{lab.mcp_port}"
    tried = [a["url"] for a in step(result.report, "authorization_server_metadata")["attempts"]]
    assert tried and all(url.startswith(origin) for url in tried)
    assert step(result.report, "client_registration")["url"] == f"{origin}/register"
    prm = [a["url"] for a in step(result.report, "protected_resource_metadata")["attempts"]]
    assert prm == [f"{origin}/.well-known/oauth-protected-resource/mcp",
                   f"{origin}/mcp/.well-known/oauth-protected-resource",
                   f"{origin}/.well-known/oauth-protected-resource"]
    # Claude Code stops where the metadata is missing
    claude = run_cli("check", lab.mcp_url, *args)
    assert claude.diagnosis[0] == "protected_resource_metadata"


def test_copilot_ignores_metadata_for_another_resource_and_stops_at_the_origin_s(
        run_cli, args, make_lab):
    lab = make_lab(prm_resource="https://other.test/mcp")
    result = run_cli("check", lab.mcp_url, *args, "--client", "copilot")
    assert result.diagnosis[0] == "authorization_server_metadata"
    assert step(result.report, "protected_resource_metadata")["status"] == "warning"
    codex = run_cli("check", lab.mcp_url, *args, "--client", "codex")
    assert codex.diagnosis == ("protected_resource_metadata", "oauth", "oauth_resource_mismatch")


def test_client_metadata_documents_as_each_client_uses_them(run_cli, args, make_lab):
    """No registration endpoint, documents advertised, no public clients (the SDK's server
    offers client_secret_post): Claude Code and Copilot CLI use theirs; Codex needs "none"
    among the auth methods; mcp-remote never uses one without --client-metadata-url."""
    lab = make_lab(registration=False, metadata_edit=lambda d: {
        **d, "client_id_metadata_document_supported": True})
    outcomes = {client: run_cli("check", lab.mcp_url, *args, "--client", client).verdict
                for client in ("claude-code", "copilot", "codex", "mcp-remote")}
    assert outcomes["claude-code"] is None and outcomes["copilot"] is None
    for client in ("codex", "mcp-remote"):
        assert outcomes[client] == ("client_registration", "oauth", "oauth_no_registration")
    public = make_lab(registration=False, metadata_edit=lambda d: {
        **d, "client_id_metadata_document_supported": True,
        "token_endpoint_auth_methods_supported": ["none"]})
    assert run_cli("check", public.mcp_url, *args, "--client", "codex").verdict is None


def test_codex_refuses_an_authorization_endpoint_on_another_origin(run_cli, args, make_lab):
    lab = make_lab(metadata_edit=lambda d: {**d, "authorization_endpoint": str(
        d["authorization_endpoint"]).replace("auth.test", "mcp.test")})
    codex = run_cli("check", lab.mcp_url, *args, "--client", "codex")
    assert codex.diagnosis == ("authorization_server_metadata", "oauth",
                               "oauth_endpoint_other_origin")
    claude = run_cli("check", lab.mcp_url, *args)
    assert claude.status == 0
    assert any("Codex CLI 0.171.0 refuse" in w["message"] for w in claude.report["warnings"])
    sent = make_lab(metadata_edit=lambda d: {**d, "authorization_response_iss_parameter_supported":
                                             True, "authorization_endpoint": str(
                                                 d["authorization_endpoint"]).replace(
                                                 "auth.test", "mcp.test")})
    assert run_cli("check", sent.mcp_url, *args, "--client", "codex").verdict is None


def test_codex_tolerates_the_issuer_s_trailing_slash_copilot_does_not(run_cli, args, make_lab):
    lab = make_lab(metadata_edit=lambda d: {**d, "issuer": str(d["issuer"]).rstrip("/")})
    assert run_cli("check", lab.mcp_url, *args, "--client", "codex").verdict is None
    copilot = run_cli("check", lab.mcp_url, *args, "--client", "copilot")
    assert copilot.diagnosis == ("authorization_server_metadata", "oauth",
                                 "oauth_issuer_mismatch")


def test_gemini_refuses_oauth_endpoints_at_private_addresses(run_cli, args, make_lab):
    """The lab's names are on loopback: Gemini CLI's own lookup refuses the first OAuth
    endpoint, while its MCP request itself went through."""
    lab = make_lab()
    result = run_cli("check", lab.mcp_url, *args, "--client", "gemini")
    assert result.diagnosis == ("protected_resource_metadata", "dns", "dns_private_address")
    assert "127.0.0.1" in result.report["verdict"]["message"]
    assert step(result.report, "resource")["ok"]


def test_mcp_remote_reads_proxy_variables_only_with_enable_proxy(run_cli, args, make_lab):
    lab = make_lab()
    env = {"HTTPS_PROXY": DEAD}
    without = run_cli("check", lab.mcp_url, *args, "--client", "mcp-remote", env=env)
    assert without.status == 0, without.stdout
    resolve = hop(without.report, "resource", "proxy_resolve")
    assert resolve["details"]["proxy"] is None and "--enable-proxy" in resolve["message"]
    enabled = run_cli("check", lab.mcp_url, *args, "--client", "mcp-remote",
                      "--client-arg=--enable-proxy", env=env)
    assert enabled.diagnosis == ("resource", "tcp", "tcp_refused")
    assert enabled.report["settings"]["client_arguments"] == ["--enable-proxy"]


def test_mcp_remote_s_callback_port_is_derived_from_the_url_and_its_host_flag(
        run_cli, args, make_lab):
    lab = make_lab()
    result = run_cli("check", lab.mcp_url, *args, "--client", "mcp-remote", "--client-arg=--host",
                     "--client-arg=127.0.0.1")
    callback = urlsplit(step(result.report, "callback")["url"])
    assert (callback.hostname, callback.path) == ("127.0.0.1", "/oauth/callback")
    assert callback.port == default_callback_port(lab.mcp_url, ("--host", "127.0.0.1"))


def test_codex_s_redirect_uri_names_the_server(run_cli, args, make_lab):
    lab = make_lab()
    result = run_cli("check", lab.mcp_url, *args, "--client", "codex")
    callback = urlsplit(step(result.report, "callback")["url"])
    assert callback.hostname == "127.0.0.1"
    assert callback.path == f"/callback/{callback_id(lab.mcp_url)}"


def test_copilot_takes_proxy_url_from_its_settings_when_no_variable_is_set(
        run_cli, args, make_lab, tmp_path: Path):
    lab = make_lab()
    home = tmp_path / "home"
    (home / ".copilot").mkdir(parents=True)
    (home / ".copilot" / "settings.json").write_text(json.dumps({"proxyUrl": DEAD}))
    env = {"HOME": str(home)}
    result = run_cli("check", lab.mcp_url, *args, "--client", "copilot", env=env)
    assert result.diagnosis == ("resource", "tcp", "tcp_refused")
    source = hop(result.report, "resource", "proxy_resolve")["details"]["source"]
    assert "settings.json (proxyUrl)" in source
    # a variable wins over the setting
    env["HTTPS_PROXY"] = ""
    env["HTTP_PROXY"] = "http://127.0.0.1:1"
    assert run_cli("check", lab.mcp_url, *args, "--client", "copilot",
                   env=env).diagnosis[:2] == ("resource", "tcp")


def test_gemini_loads_its_dotenv_and_not_what_node_reads_at_start(run_cli, args, make_lab,
                                                                  tmp_path: Path):
    lab = make_lab()
    home = tmp_path / "home"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / ".env").write_text(f"HTTPS_PROXY={DEAD}\nNODE_EXTRA_CA_CERTS=/x.pem\n")
    result = run_cli("check", lab.mcp_url, *args, "--client", "gemini", env={"HOME": str(home)})
    assert result.diagnosis == ("resource", "tcp", "tcp_refused")
    files = result.report["settings"]["client_settings_files"]
    assert files[0]["applied"] == ["HTTPS_PROXY"] and "Node reads it at start" in files[0]["why"]


def test_an_mcp_remote_entry_without_enable_proxy_behind_a_proxy_says_to_add_it(
        run_cli, args, make_lab, tmp_path: Path):
    """A Claude Desktop entry that runs mcp-remote without --enable-proxy, on a network where
    only the proxy gets out (here: a name only the proxy resolves): mcp-remote goes direct and
    fails; the fix named is the flag."""
    lab = make_lab()
    home = tmp_path / "home"
    config = home / ".config" / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    url = lab.mcp_url.replace("mcp.test", "auth2.test")
    config.write_text(json.dumps({"mcpServers": {"tickets": {
        "command": "npx", "args": ["-y", "mcp-remote", url]}}}))
    env = {"HOME": str(home), "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = run_cli("check", "--server", "tickets", *args, "--no-oauth", env=env)
    entry = result.report["servers"][0]
    assert (entry["client"], entry["profile"]) == ("Claude Desktop", "mcp-remote")
    verdict = entry["report"]["verdict"]
    assert (verdict["step"], verdict["hop"]) == ("resource", "dns")
    assert "add \"--enable-proxy\" to the entry's args" in verdict["hint"]


def test_codex_does_not_follow_a_redirect_of_the_mcp_url_to_another_origin(
        run_cli, serve, args, plain_tls):
    """Measured with Codex's app server: 'MCP HTTP redirect to a different origin is not
    allowed'; Claude Code follows it."""
    first = serve(lambda req: (307, [("Location", plain_tls.url("auth.test"))], b""))
    codex = run_cli("check", first.url("mcp.test"), *args, "--no-oauth", "--client", "codex")
    assert codex.diagnosis == ("resource", "http", "http_cross_origin_redirect")
    assert run_cli("check", first.url("mcp.test"), *args, "--no-oauth").status == 0
