"""``https://`` proxies (TLS to the proxy, CONNECT inside it, TLS to the server inside that)
and SOCKS proxies, end to end against real ones: proxy.py serving its port over TLS, and pproxy
as a SOCKS5/SOCKS4 server. The same hops, bounds and redaction as an ``http://`` proxy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import PROXY_PASSWORD, PROXY_USER, client_cert_args
from tests.servers import SOCKS_PASSWORD, SOCKS_USER


def tls_proxy_url(proxy, password: str = PROXY_PASSWORD) -> str:  # type: ignore[no-untyped-def]
    return proxy.url_with(PROXY_USER, password).replace("http://", "https://")


@pytest.mark.parametrize(("client", "proxy_ca"), [
    ("claude-code", ("--cacert",)), ("curl", ("--cacert", "--proxy-cacert"))])
def test_through_an_https_proxy(run_cli, pki, base_args, mtls13, tls_proxy, client, proxy_ca):
    ca = [arg for flag in proxy_ca for arg in (flag, pki.path("public-ca.pem"))]
    result = run_cli("check", mtls13.url("mcp.test"), *base_args, *client_cert_args(pki),
                     "--client", client, *ca, "--proxy", tls_proxy_url(tls_proxy))
    assert result.status == 0, result.stdout
    proxy_tls = result.hop("resource", "proxy_tls")
    assert proxy_tls["status"] == "ok" and "chain verified" in proxy_tls["message"]
    assert proxy_tls["details"]["sni"] is None  # an IP address: no SNI
    assert result.hop("resource", "proxy_connect")["status"] == "ok"
    tls = result.hop("resource", "tls")
    assert tls["details"]["via_proxy"] is True and tls["details"]["sni"] == "mcp.test"
    assert result.hop("resource", "client_cert")["details"]["requested"] is True
    assert PROXY_PASSWORD not in json.dumps(result.report) + result.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_checks_an_https_proxy_against_proxy_cacert_never_cacert(run_cli, pki, base_args,
                                                                      plain_tls, tls_proxy):
    """Measured with curl itself, the curl profile's oracle: the proxy's CA in --cacert (or
    CURL_CA_BUNDLE) does not make curl trust the proxy (exit 60); in --proxy-cacert it does."""
    ca, url, proxy = pki.path("public-ca.pem"), plain_tls.url("mcp.test"), tls_proxy_url(tls_proxy)

    def curl(*args: str) -> int:
        return subprocess.run(["curl", "-sS", "-o", os.devnull, "--max-time", "5", "--proxy",
                               proxy, *args, url], capture_output=True, timeout=20,
                              env={"PATH": os.environ["PATH"]}).returncode

    assert curl("--cacert", ca) == 60
    result = run_cli("check", url, *base_args, "--client", "curl", "--cacert", ca,
                     "--proxy", proxy)
    assert result.diagnosis == ("resource", "proxy_tls", "tls_untrusted")
    hint = result.report["verdict"]["hint"]
    assert "--proxy-cacert /path/to/that-root.pem" in hint and "never against --cacert" in hint
    assert curl("--cacert", ca, "--proxy-cacert", ca) == 0
    result = run_cli("check", url, *base_args, "--client", "curl", "--cacert", ca,
                     "--proxy-cacert", ca, "--proxy", proxy)
    assert result.status == 0, result.stdout


def test_proxy_cacert_is_for_the_curl_profile_only(run_cli, pki, base_args, plain_tls):
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--proxy-cacert",
                     pki.path("public-ca.pem"))
    assert result.status == 2 and "--cacert" in result.stderr


def test_the_whole_flow_through_an_https_proxy_reuses_its_tunnels(run_cli, pki, tls_proxy,
                                                                   dns_server):
    from tests.sdk_lab import SdkLab

    lab = SdkLab(pki)
    try:
        result = run_cli("check", lab.mcp_url, "--public-roots", pki.path("public-ca.pem"),
                         "--dns-server", dns_server.address, "--timeout", "3",
                         *client_cert_args(pki), "--proxy", tls_proxy_url(tls_proxy))
    finally:
        lab.close()
    assert result.status == 0, result.stdout
    steps = {s["step"]: s for s in result.report["steps"]}
    assert len(steps) == 9  # settings, resource, six OAuth requests and the callback
    # the authorization server's metadata connection is free again when the four requests
    # after it go out over the three opened ahead: one of them takes it, tunnel and all
    reused = [name for name in ("authorization_endpoint", "token_endpoint", "token_refresh")
              if next(h for h in steps[name]["hops"] if h["hop"] == "proxy_tls")["details"]
              .get("reused_from") == "authorization_server_metadata"]
    assert reused, steps


def test_an_https_proxy_whose_certificate_the_client_does_not_trust(run_cli, dns_server,
                                                                    plain_tls, tls_proxy):
    result = run_cli("check", plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                     "--timeout", "3", "--no-oauth", "--proxy", tls_proxy_url(tls_proxy))
    assert result.diagnosis == ("resource", "proxy_tls", "tls_untrusted")
    assert "NODE_EXTRA_CA_CERTS" in result.report["verdict"]["hint"]
    assert result.hop("resource", "proxy_connect")["status"] == "skipped"


def test_https_to_a_plain_proxy_port(run_cli, base_args, plain_tls, basic_proxy):
    url = basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD).replace("http://", "https://")
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--proxy", url)
    step, hop, code = result.diagnosis
    assert (step, hop) == ("resource", "proxy_tls"), result.report["verdict"]
    assert code in ("tls_protocol_error", "tls_closed", "tls_timeout")


def test_wrong_password_inside_the_tls_to_the_proxy(run_cli, base_args, plain_tls, tls_proxy):
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--proxy",
                     tls_proxy_url(tls_proxy, "wrong-pw"))
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_auth_rejected")
    assert result.hop("resource", "proxy_tls")["status"] == "ok"


# --- SOCKS -----------------------------------------------------------------------------------


def socks_url(proxy, scheme: str, listener: str, password: str = SOCKS_PASSWORD) -> str:  # type: ignore[no-untyped-def]
    auth = f"{SOCKS_USER}:{password}@" if listener.endswith("-auth") else ""
    return f"{scheme}://{auth}127.0.0.1:{proxy.ports[listener]}"


@pytest.mark.parametrize(("client", "scheme", "listener", "resolved_by"), [
    ("curl", "socks5h", "socks5-auth", "proxy"),
    ("curl", "socks5", "socks5", "client"),
    ("curl", "socks4", "socks4", "client"),
    ("node", "socks5", "socks5-auth", "proxy"),
    ("python", "socks5", "socks5", "client"),
])
def test_through_a_socks_proxy(run_cli, pki, base_args, plain_tls, socks_proxy, client, scheme,
                               listener, resolved_by):
    """pproxy resolves names with the machine's resolver: the target is ``localhost``."""
    result = run_cli("check", plain_tls.url("localhost"), *base_args, "--client", client,
                     "--cacert", pki.path("public-ca.pem"), "--proxy",
                     socks_url(socks_proxy, scheme, listener))
    assert result.status == 0, result.stdout
    connect = result.hop("resource", "proxy_connect")
    assert connect["status"] == "ok"
    assert connect["details"]["name_resolved_by"] == resolved_by
    assert result.hop("resource", "proxy_tls")["status"] == "skipped"
    assert result.hop("resource", "tls")["details"]["via_proxy"] is True
    assert SOCKS_PASSWORD not in json.dumps(result.report) + result.stdout


def test_a_socks_password_the_proxy_refuses(run_cli, pki, base_args, plain_tls, socks_proxy):
    result = run_cli("check", plain_tls.url("localhost"), *base_args, "--client", "curl",
                     "--cacert", pki.path("public-ca.pem"), "--proxy",
                     socks_url(socks_proxy, "socks5h", "socks5-auth", "wrong-pw"))
    step, hop, _code = result.diagnosis
    assert (step, hop) == ("resource", "proxy_connect")
    assert "wrong-pw" not in json.dumps(result.report) + result.stdout


def test_claude_code_refuses_a_socks_proxy(run_cli, base_args, plain_tls, socks_proxy):
    result = run_cli("check", plain_tls.url("localhost"), *base_args, "--proxy",
                     socks_url(socks_proxy, "socks5h", "socks5"))
    assert result.diagnosis == ("resource", "proxy_resolve", "proxy_scheme_unsupported")
