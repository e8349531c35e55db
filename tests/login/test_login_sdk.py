"""netcheck login against the MCP Python SDK's own authorization-server and protected-resource
routes (tests/sdk_lab.py with a provider that completes logins): a real third-party OAuth
server, over TLS that requires the client certificate, through a real forward proxy with Basic
auth (proxy.py). The browser stand-in goes through the same proxy."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netcheck.cli import main
from tests import servers
from tests.conftest import PROXY_PASSWORD, PROXY_USER, client_cert_args
from tests.login.test_login_lab import STAND_IN
from tests.pki import Pki
from tests.sdk_lab import LoginProvider, SdkLab, Variant


@pytest.fixture
def login_lab(pki: Pki) -> Iterator[SdkLab]:
    lab = SdkLab(pki, Variant(login=True))
    yield lab
    lab.close()


def test_a_login_against_the_sdk_s_auth_routes_through_a_proxy_completes(
        login_lab: SdkLab, pki: Pki, dns_server: servers.DnsServer,
        basic_proxy: servers.ProxyProcess, tmp_path: Path) -> None:
    proxy = basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD)
    env = {"HTTPS_PROXY": proxy, "PATH": os.environ.get("PATH", ""),
           "BROWSER": f"{sys.executable} {STAND_IN}",
           "NETCHECK_TEST_BROWSER_PROXY": proxy,
           "NETCHECK_TEST_BROWSER_CA": pki.path("public-ca.pem"),
           "NETCHECK_TEST_BROWSER_CERT": pki.path("client.pem"),
           "NETCHECK_TEST_BROWSER_KEY": pki.path("client.key")}
    report = tmp_path / "report.json"
    out = io.StringIO()
    status = main(["login", login_lab.mcp_url, "--public-roots", pki.path("public-ca.pem"),
                   "--dns-server", dns_server.address, *client_cert_args(pki), "--json",
                   str(report), "--callback-wait", "20"], env, out, io.StringIO())
    text = report.read_text(encoding="utf-8")
    saved = json.loads(text)
    assert status == 0, out.getvalue()
    steps = {s["step"]: s for s in saved["steps"]}
    called = next(h for h in steps["authorized_request"]["hops"] if h["hop"] == "oauth")
    assert called["details"]["tools"] == 1 and called["details"]["server_name"] == "sdk-lab"
    assert steps["token_refresh"]["status"] == "passed"
    # the SDK's revocation handler wants a client_secret field even from a public client
    # (RevocationRequest.client_secret has no default): a warning naming its words
    revocation = next(h for h in steps["token_revocation"]["hops"] if h["hop"] == "oauth")
    assert revocation["status"] == "warning"
    assert "answered 400" in revocation["message"] and "client_secret" in revocation["message"]
    provider = login_lab.provider
    assert isinstance(provider, LoginProvider)
    assert provider.tokens_issued == 2  # the exchange and the refresh
    for secret in provider.handed_out:
        assert secret not in text and secret not in out.getvalue()
