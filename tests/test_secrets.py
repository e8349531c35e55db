"""Planted secrets appear nowhere: not in the JSON report, not on the terminal, not in --verbose,
even when a hostile server echoes them back."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from tests.conftest import PASSPHRASE, PROXY_PASSWORD, PROXY_USER
from tests.servers import Request

TOKEN = "tok-9f8e7d6c5b4a-planted"


def echo_headers(req: Request):  # type: ignore[no-untyped-def]
    """A hostile server: a 403 page that repeats every request header."""
    text = "\n".join(f"{k}: {v}" for k, v in req.headers.items())
    return 403, [("Content-Type", "text/html"), ("X-Echo", req.headers.get("authorization", "")),
                 ("WWW-Authenticate", f'Bearer error="{req.headers.get("authorization", "")}"')], \
        f"<html><title>Denied</title><body><pre>{text}</pre></body></html>".encode()


def forbidden_forms() -> list[str]:
    basic = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
    return [PROXY_PASSWORD, quote(PROXY_PASSWORD, safe=""), PASSPHRASE, TOKEN, basic,
            "BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY"]


@pytest.fixture
def echo_server(pki, serve):  # type: ignore[no-untyped-def]
    return serve(echo_headers, client_ca=pki.path("client-ca.pem"))


@pytest.mark.parametrize("verbose", [False, True])
def test_no_secret_leaves_through_any_output(run_cli, pki, base_args, echo_server, basic_proxy,
                                             verbose):
    env = {"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD),
           "CLAUDE_CODE_CLIENT_CERT": pki.path("client.pem"),
           "CLAUDE_CODE_CLIENT_KEY": pki.path("client-pkcs8-encrypted.key"),
           "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": PASSPHRASE}
    args = ["--header", f"Authorization: Bearer {TOKEN}"] + (["--verbose"] if verbose else [])
    result = run_cli("check", echo_server.url("mcp.test"), *base_args, *args, env=env)
    # the request really carried the secrets: the proxy accepted us and the server saw the token
    assert echo_server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert result.hop("resource", "proxy_connect")["status"] == "ok"
    # ... the failure category stays visible ...
    assert result.verdict == ("resource", "http", "http_unexpected_status")
    # ... and no form of any secret appears anywhere
    outputs = {"json": json.dumps(result.report), "stdout": result.stdout,
               "stderr": result.stderr}
    for where, text in outputs.items():
        for secret in forbidden_forms():
            assert secret not in text, f"{secret!r} leaked into {where}"
    assert "<redacted>" in outputs["json"]


def test_proxy_password_redacted_in_failure_paths(run_cli, base_args, plain_tls, basic_proxy):
    wrong = "Wr0ng-pass-planted"
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--verbose",
                     env={"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, wrong)})
    assert result.verdict == ("resource", "proxy_connect", "proxy_auth_rejected")
    for text in (json.dumps(result.report), result.stdout, result.stderr):
        assert wrong not in text
    variables = result.report["environment"]["variables"]
    assert variables["HTTPS_PROXY"] == f"http://{PROXY_USER}:<redacted>@127.0.0.1:" \
                                       f"{basic_proxy.port}"


def test_json_to_stdout_keeps_human_output_on_stderr(run_cli, base_args, plain_tls):
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--json", "-",
                     "--header", f"X-Api-Key: {TOKEN}")
    assert result.report is not None and result.report["ok"] is True
    assert "every hop passed" in result.stderr
    assert TOKEN not in result.stdout and TOKEN not in result.stderr
    assert result.report["settings"]["headers"] == ["X-Api-Key"]


@pytest.mark.parametrize(("value", "secret"), [
    ("http://u:pa/ss-planted@proxy.corp:8080", "pa/ss-planted"),  # unencoded '/'
    ("http://u:p@ss:w0rd-planted@proxy.corp:99999", "w0rd-planted"),  # '@' and a bad port
    ("u:hunter2-planted@proxy.corp:8080", "hunter2-planted"),  # no scheme
    ("http://tok3n-planted@proxy.corp:8080", "tok3n-planted"),  # a token as user name
])
def test_malformed_proxy_values_are_still_redacted(run_cli, base_args, value, secret):
    result = run_cli("check", "https://mcp.test/mcp", *base_args, "--verbose",
                     env={"HTTPS_PROXY": value, "ALL_PROXY": value})
    assert result.report is not None
    for text in (json.dumps(result.report), result.stdout, result.stderr):
        assert secret not in text


def test_mcp_remote_arguments_that_carry_secrets_are_never_shown(run_cli, base_args, plain_tls):
    """A header given as mcp-remote's --header, and a client secret in its
    --static-oauth-client-info: sent as the client sends them, shown nowhere."""
    token, secret = "Bearer hdr-T0ken-never-shown", "cl1ent-S3cret-never-shown"
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--client", "mcp-remote",
                     "--client-arg=--header", f"--client-arg=Authorization: {token}",
                     "--client-arg=--static-oauth-client-info",
                     f'--client-arg={{"client_id": "c1", "client_secret": "{secret}"}}',
                     "-v")
    assert result.status == 0, result.stdout
    shown = json.dumps(result.report) + result.stdout + result.stderr
    assert "hdr-T0ken" not in shown and secret not in shown
    assert result.report["settings"]["client_arguments"] == [
        "--header", "Authorization: <redacted>", "--static-oauth-client-info", "<redacted>"]
    assert plain_tls.requests[-1].headers.get("authorization") == token
