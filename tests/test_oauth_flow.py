"""The OAuth flow against the MCP Python SDK's own authorization server and protected-resource
routes, behind TLS that requires client certificates, directly and through proxy.py."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
)

from tests.conftest import PROXY_PASSWORD, PROXY_USER
from tests.sdk_lab import SdkLab, Variant

OAUTH_STEPS = ["protected_resource_metadata", "authorization_server_metadata",
               "client_registration", "authorization_endpoint", "token_endpoint",
               "token_refresh"]  # the steps that send a request
FLOW_STEPS = [*OAUTH_STEPS[:4], "callback", *OAUTH_STEPS[4:]]  # callback: checked locally


@pytest.fixture
def make_lab(pki):  # type: ignore[no-untyped-def]
    labs: list[SdkLab] = []

    def make(**variant: Any) -> SdkLab:
        lab = SdkLab(pki, Variant(**variant))
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.close()


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["steps"] if s["step"] == name)


def attempted(report: dict[str, Any], name: str) -> list[str]:
    return [a["url"] for a in step(report, name)["attempts"]]


def test_healthy_flow_direct(run_cli, lab_args, healthy_lab):
    before = len(healthy_lab.provider.registrations)
    result = run_cli("check", healthy_lab.mcp_url, *lab_args)
    assert result.status == 0, result.stdout
    assert [s["step"] for s in result.report["steps"]] == ["settings", "resource", *FLOW_STEPS]
    assert all(s["ok"] for s in result.report["steps"])
    for name in OAUTH_STEPS:
        hops = {h["hop"]: h["status"] for h in step(result.report, name)["hops"]}
        assert hops["oauth"] in ("ok", "warning"), (name, hops)
    # the default registration probe creates no client, and no token was ever issued
    assert len(healthy_lab.provider.registrations) == before
    assert healthy_lab.provider.tokens_issued == 0


def test_discovery_urls_are_the_sdk_clients(run_cli, lab_args, healthy_lab):
    result = run_cli("check", healthy_lab.mcp_url, *lab_args)
    prm = step(result.report, "protected_resource_metadata")
    challenge = result.hop("resource", "http")["details"]["www_authenticate"][0]["params"]
    expected = build_protected_resource_metadata_discovery_urls(
        challenge["resource_metadata"], healthy_lab.mcp_url)
    assert attempted(result.report, "protected_resource_metadata") == expected[:1]
    assert prm["url"] == expected[0]
    as_urls = build_oauth_authorization_server_metadata_discovery_urls(healthy_lab.issuer,
                                                                       healthy_lab.mcp_url)
    assert attempted(result.report, "authorization_server_metadata") == as_urls[:1]


def test_healthy_flow_through_the_proxy(run_cli, lab_args, healthy_lab, basic_proxy):
    result = run_cli("check", healthy_lab.mcp_url, *lab_args, "--proxy",
                     basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.status == 0, result.stdout
    for name in ["resource", *OAUTH_STEPS]:
        connect = next(h for h in step(result.report, name)["hops"]
                       if h["hop"] == "proxy_connect")
        assert connect["status"] == "ok", name


@pytest.mark.parametrize("client", ["python", "claude-code"])
def test_metadata_only_at_openid_configuration(run_cli, lab_args, make_lab, client):
    """The MCP Python SDK takes an RFC 8414 document found at the OpenID URL; Claude Code (and
    the TypeScript SDK) validate it as OpenID provider metadata, which it is not (measured)."""
    lab = make_lab(metadata_at="oidc")
    result = run_cli("check", lab.mcp_url, *lab_args, "--client", client,
                     env={"SSL_CERT_FILE": lab.pki.path("public-ca.pem")})
    if client == "claude-code":
        assert result.diagnosis == ("authorization_server_metadata", "oauth",
                                    "oauth_missing_field")
        assert "jwks_uri" in result.report["verdict"]["message"]
    else:
        assert result.status == 0, result.stdout
    expected = build_oauth_authorization_server_metadata_discovery_urls(lab.issuer, lab.mcp_url)
    assert attempted(result.report, "authorization_server_metadata") == expected
    outcomes = [a["status"] for a in step(result.report, "authorization_server_metadata")
                ["attempts"]]
    assert outcomes == [404, 200]


def test_prm_missing_and_no_resource_metadata(run_cli, lab_args, make_lab):
    lab = make_lab(prm="missing")
    result = run_cli("check", lab.mcp_url, *lab_args)
    assert result.status == 1
    assert result.diagnosis == ("protected_resource_metadata", "http", "http_not_found")
    expected = build_protected_resource_metadata_discovery_urls(None, lab.mcp_url)
    assert attempted(result.report, "protected_resource_metadata") == expected
    for url in expected:
        assert url in result.report["verdict"]["message"]


def test_prm_resource_on_another_host(run_cli, lab_args, make_lab):
    lab = make_lab(prm_resource="https://elsewhere.test/mcp")
    result = run_cli("check", lab.mcp_url, *lab_args)
    assert result.diagnosis == ("protected_resource_metadata", "oauth", "oauth_resource_mismatch")


@pytest.mark.parametrize(("edit", "code"), [
    (lambda d: {**d, "issuer": 42}, "oauth_wrong_type"),
    (lambda d: {k: v for k, v in d.items() if k != "token_endpoint"}, "oauth_missing_field"),
    (lambda d: {**d, "token_endpoint": "https://"}, "oauth_wrong_type"),
], ids=["issuer-number", "no-token-endpoint", "token-endpoint-no-host"])
def test_broken_authorization_server_metadata(run_cli, lab_args, make_lab, edit, code):
    lab = make_lab(metadata_edit=edit)
    result = run_cli("check", lab.mcp_url, *lab_args)
    assert result.status == 1
    assert result.diagnosis == ("authorization_server_metadata", "oauth", code)


ISSUER_MISMATCH = (lambda d: {**d, "issuer": "https://evil.test/"}, "oauth_issuer_mismatch")
PKCE_PLAIN = (lambda d: {**d, "code_challenge_methods_supported": ["plain"]},
              "oauth_pkce_unsupported")
PKCE_ABSENT = (lambda d: {k: v for k, v in d.items() if k != "code_challenge_methods_supported"},
               "oauth_pkce_unsupported")
PLAIN_HTTP = (lambda d: {**d, "authorization_endpoint": "http://auth.example/authorize"},
              "oauth_insecure_endpoint")


@pytest.mark.parametrize(("deviation", "client", "stops"), [
    (ISSUER_MISMATCH, "claude-code", False), (ISSUER_MISMATCH, "node", False),
    (ISSUER_MISMATCH, "python", True), (ISSUER_MISMATCH, "curl", True),
    (PKCE_PLAIN, "claude-code", True), (PKCE_PLAIN, "node", True),
    (PKCE_PLAIN, "python", False),
    (PKCE_ABSENT, "claude-code", False), (PKCE_ABSENT, "node", False),
    (PKCE_ABSENT, "python", False), (PKCE_ABSENT, "curl", True),
    (PLAIN_HTTP, "claude-code", False), (PLAIN_HTTP, "curl", True),
], ids=lambda v: v if isinstance(v, str) else ("stops" if v is True else "goes-on"
                                               if v is False else v[1]))
def test_metadata_deviations_stop_where_the_profiles_client_stops(run_cli, pki, lab_args,
                                                                  make_lab, deviation, client,
                                                                  stops):
    """A deviation the profile's client refuses is the verdict; one it tolerates is a warning
    that names the rule and the clients that refuse it (measured: tests/real_clients)."""
    edit, code = deviation
    lab = make_lab(metadata_edit=edit)
    result = run_cli("check", lab.mcp_url, *lab_args, "--client", client,
                     "--cacert", pki.path("public-ca.pem"))  # curl trusts the system store
    if stops:
        assert result.diagnosis == ("authorization_server_metadata", "oauth", code)
        return
    hop = step(result.report, "authorization_server_metadata")["hops"][-1]
    assert hop["status"] == "warning", hop
    assert "goes on regardless" in " ".join(hop["notes"])
    assert any(w["step"] == "authorization_server_metadata" for w in result.report["warnings"])
    assert result.report["verdict"] is None or \
        result.report["verdict"]["step"] != "authorization_server_metadata"


def test_no_registration_path(run_cli, lab_args, make_lab):
    lab = make_lab(registration=False)
    result = run_cli("check", lab.mcp_url, *lab_args)
    assert result.diagnosis == ("client_registration", "oauth", "oauth_no_registration")
    assert "--client-id" in result.report["verdict"]["hint"]


def test_pre_registered_client_skips_registration(run_cli, lab_args, make_lab):
    lab = make_lab(registration=False)
    result = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "claude-code-corp")
    assert result.status == 0, result.stdout
    assert "pre-registered" in step(result.report, "client_registration")["hops"][-1]["message"]


def test_token_endpoint_answering_html(run_cli, lab_args, make_lab):
    lab = make_lab(token_html=True)
    result = run_cli("check", lab.mcp_url, *lab_args)
    assert result.diagnosis == ("token_endpoint", "oauth", "oauth_not_oauth_response")
    assert "Corporate SSO" in result.report["verdict"]["message"]


def test_auth_server_only_the_proxy_can_reach(run_cli, lab_args, make_lab, basic_proxy):
    lab = make_lab(auth_host="auth2.test")
    proxy = basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD)
    through_proxy = run_cli("check", lab.mcp_url, *lab_args, env={"HTTPS_PROXY": proxy})
    assert through_proxy.status == 0, through_proxy.stdout
    direct = run_cli("check", lab.mcp_url, *lab_args,
                     env={"HTTPS_PROXY": proxy, "NO_PROXY": "auth2.test"})
    assert direct.diagnosis == ("authorization_server_metadata", "dns", "dns_nxdomain")
    resolve = direct.hop("authorization_server_metadata", "proxy_resolve")
    assert resolve["details"]["no_proxy_entry"] == "auth2.test"


def test_proxy_refusing_connect_to_the_auth_server_only(run_cli, lab_args, make_lab,
                                                         blocking_proxy):
    lab = make_lab(auth_host="blocked.test")
    result = run_cli("check", lab.mcp_url, *lab_args, "--proxy", blocking_proxy.url)
    assert result.diagnosis == ("authorization_server_metadata", "proxy_connect",
                              "proxy_forbidden")
    assert step(result.report, "resource")["ok"] is True


def test_register_creates_a_named_client_and_says_so(run_cli, lab_args, make_lab):
    lab = make_lab()
    result = run_cli("check", lab.mcp_url, *lab_args, "--register")
    assert result.status == 0, result.stdout
    [client] = lab.provider.registrations
    assert "connectivity check" in (client.client_name or "")
    hop = step(result.report, "client_registration")["hops"][-1]
    assert hop["details"]["client_id"] == client.client_id
    assert any("remains registered" in n for n in hop["notes"])  # the SDK has no RFC 7592
    # the token probes now reach the code check: only netcheck's invalid values were sent
    assert lab.provider.codes_tried and all(c.startswith("netcheck-probe-invalid")
                                            for c in lab.provider.codes_tried)
    assert all(t.startswith("netcheck-probe-invalid")
               for t in lab.provider.refresh_tokens_tried)
    assert lab.provider.tokens_issued == 0
    assert client.client_secret is None or client.client_secret not in str(result.report)


def test_server_needing_no_oauth_ends_the_flow(run_cli, serve, base_args):
    result_doc = b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}}'
    server = serve(lambda req: (200, [("Content-Type", "application/json")], result_doc))
    args = [a for a in base_args if a != "--no-oauth"]
    result = run_cli("check", server.url("mcp.test"), *args)
    assert result.status == 0
    assert [s["step"] for s in result.report["steps"]] == ["settings", "resource"]
    assert any("no OAuth flow" in n for n in step(result.report, "resource")["notes"])


@pytest.mark.parametrize(("own_id", "ok"), [(True, True), (False, False)])
def test_client_id_metadata_document(run_cli, serve, lab_args, make_lab, own_id, ok):
    import json

    lab = make_lab(metadata_edit=lambda d: {**d, "client_id_metadata_document_supported": True})
    holder: dict[str, str] = {}

    def document(req):  # type: ignore[no-untyped-def]
        client_id = holder["url"] if own_id else "https://elsewhere.test/client.json"
        body = {"client_id": client_id, "client_name": "Corp MCP client",
                "redirect_uris": ["http://127.0.0.1:33418/callback"]}
        return 200, [("Content-Type", "application/json")], json.dumps(body).encode()

    server = serve(document)
    holder["url"] = server.url("mcp.test", "/oauth/client.json")
    result = run_cli("check", lab.mcp_url, *lab_args, "--client-metadata-url", holder["url"])
    registration = step(result.report, "client_registration")
    assert registration["url"] == holder["url"]
    if ok:
        assert result.status == 0, result.stdout
        assert registration["hops"][-1]["details"]["client_id"] == holder["url"]
        assert lab.provider.registrations == []
    else:
        assert result.diagnosis == ("client_registration", "oauth",
                                    "oauth_client_metadata_invalid")


def test_side_by_side_steps_keep_flow_order(run_cli, lab_args, make_lab):
    """The four requests after the metadata go out at once; the verdict is still the first
    failure in flow order: the authorization endpoint (a listener that never answers, so it
    fails last, at --timeout), not the token endpoint (an HTML page at once), which is then
    reported as not run, as the client never gets there."""
    import socket
    import time

    silent = socket.create_server(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        lab = make_lab(token_html=True, metadata_edit=lambda d: {
            **d, "authorization_endpoint": f"https://127.0.0.1:{port}/authorize"})
        started = time.monotonic()
        result = run_cli("check", lab.mcp_url, *lab_args, "--timeout", "2")
        took = time.monotonic() - started
    finally:
        silent.close()
    assert result.diagnosis == ("authorization_endpoint", "tls", "tls_timeout"), result.stdout
    assert [s["step"] for s in result.report["steps"]][-4:] == [
        "authorization_endpoint", "callback", "token_endpoint", "token_refresh"]
    for name in ("callback", "token_endpoint", "token_refresh"):
        assert step(result.report, name)["notes"] == ["not run: an earlier step failed"]
    assert step(result.report, "client_registration")["ok"]
    assert took < 6  # one timeout, not one per step


def test_register_runs_registration_before_the_rest(run_cli, lab_args, make_lab):
    """With --register the client id comes from the registration, so the requests after it
    carry that id: registration first, the others side by side after it."""
    lab = make_lab()
    result = run_cli("check", lab.mcp_url, *lab_args, "--register")
    assert result.status == 0, result.stdout
    registered = step(result.report, "client_registration")["hops"][-1]["details"]
    authorization = step(result.report, "authorization_endpoint")["hops"][-1]["details"]
    assert authorization["client_known"] is True
    assert authorization["client_id"] == registered["client_id"]
