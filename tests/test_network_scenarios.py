"""Every network scenario of the core pipeline, against real loopback servers and proxies.

Each test checks what a user and a support engineer rely on: ``ok``, the verdict's step, hop
and code, and the exit status.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import servers
from tests.conftest import PROXY_PASSWORD, PROXY_USER, client_cert_args
from tests.servers import closed_port


def check(run_cli, url, *args, env=None):  # type: ignore[no-untyped-def]
    return run_cli("check", url, *args, env=env)


# --- healthy paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["mtls13", "mtls12"])
def test_mtls_server_with_our_certificate_passes(run_cli, request, pki, base_args, server):
    srv = request.getfixturevalue(server)
    result = check(run_cli, srv.url("mcp.test"), *base_args, *client_cert_args(pki))
    assert result.status == 0, result.stdout
    assert result.report["ok"] is True and result.verdict is None
    assert result.hop("resource", "client_cert")["status"] == "ok"
    assert result.hop("resource", "client_cert")["details"]["requested"] is True
    http = result.hop("resource", "http")
    assert http["details"]["status"] == 401 and http["status"] == "ok"
    assert http["details"]["www_authenticate"][0]["scheme"] == "Bearer"
    assert srv.requests[-1].client_cert_subject is not None


def test_through_authenticating_proxy(run_cli, pki, base_args, mtls13, basic_proxy):
    result = check(run_cli, mtls13.url("mcp.test"), *base_args, *client_cert_args(pki),
                   "--proxy", basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.status == 0, result.stdout
    connect = result.hop("resource", "proxy_connect")
    assert connect["status"] == "ok"
    assert connect["details"]["credentials_sent"] is True
    dns = result.hop("resource", "dns")
    assert dns["details"]["role"] == "proxy"
    assert result.hop("resource", "proxy_resolve")["details"]["proxy"] == basic_proxy.url


def test_no_proxy_sends_request_direct(run_cli, pki, base_args, mtls13, basic_proxy):
    env = {"HTTPS_PROXY": basic_proxy.url, "NO_PROXY": "mcp.test"}
    result = check(run_cli, mtls13.url("mcp.test"), *base_args, *client_cert_args(pki), env=env)
    assert result.status == 0, result.stdout
    resolve = result.hop("resource", "proxy_resolve")
    assert resolve["details"]["proxy"] is None
    assert resolve["details"]["no_proxy_entry"] == "mcp.test"
    assert result.hop("resource", "proxy_connect")["status"] == "skipped"


# --- client certificates ---------------------------------------------------------------------


@pytest.mark.parametrize("server", ["mtls13", "mtls12"])
def test_missing_client_certificate(run_cli, request, base_args, server):
    srv = request.getfixturevalue(server)
    result = check(run_cli, srv.url("mcp.test"), *base_args)
    assert result.status == 1
    assert result.report["ok"] is False
    assert result.diagnosis == ("resource", "client_cert", "client_cert_required")
    assert "CLAUDE_CODE_CLIENT_CERT" in result.report["verdict"]["hint"]


def test_certificate_from_a_ca_the_server_does_not_name(run_cli, pki, base_args, mtls13):
    result = check(run_cli, mtls13.url("mcp.test"), *base_args,
                   *client_cert_args(pki, "other-client"))
    assert result.status == 1
    assert result.diagnosis == ("resource", "client_cert", "client_cert_ca_mismatch")
    details = result.hop("resource", "client_cert")["details"]
    assert any("Corp Client CA" in n for n in details["acceptable_ca_names"])


def test_certificate_from_the_named_ca_with_a_comma_and_an_email_in_its_name(
        run_cli, pki, base_args, serve):
    """'O=Acme, Inc.' and an emailAddress attribute: the names are compared as encoded, so
    the certificate of the very CA the server names is not called a mismatch."""
    server = serve(servers.mcp_401(), client_ca=pki.path("acme-client-ca.pem"),
                   send_ca_names=True)
    result = check(run_cli, server.url("mcp.test"), *base_args,
                   *client_cert_args(pki, "acme-client"))
    assert result.status == 0, result.stdout
    cert = result.hop("resource", "client_cert")
    assert cert["status"] == "ok", cert["message"]
    assert cert["details"]["issuer_in_acceptable_names"] is True
    assert any("Acme, Inc." in n for n in cert["details"]["acceptable_ca_names"])


def test_certificate_rejected_without_ca_names(run_cli, pki, base_args, mtls12):
    result = check(run_cli, mtls12.url("mcp.test"), *base_args,
                   *client_cert_args(pki, "other-client"))
    assert result.status == 1
    assert result.diagnosis == ("resource", "client_cert", "client_cert_rejected")
    assert "unknown ca" in result.report["verdict"]["message"]


def test_reverse_proxy_answering_400_for_missing_certificate(run_cli, base_args,
                                                              reverse_proxy_style):
    result = check(run_cli, reverse_proxy_style.url("mcp.test"), *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "client_cert", "client_cert_required")
    assert "No required SSL certificate" in result.report["verdict"]["message"]


def test_reverse_proxy_accepts_a_good_certificate(run_cli, pki, base_args, reverse_proxy_style):
    result = check(run_cli, reverse_proxy_style.url("mcp.test"), *base_args,
                   *client_cert_args(pki))
    assert result.status == 0, result.stdout


# --- proxies ---------------------------------------------------------------------------------


def test_proxy_without_credentials(run_cli, base_args, plain_tls, basic_proxy):
    result = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--proxy", basic_proxy.url)
    assert result.status == 1
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_auth_required")
    assert result.hop("resource", "proxy_connect")["details"]["auth_schemes"] == ["Basic"]


def test_proxy_with_wrong_password(run_cli, base_args, plain_tls, basic_proxy):
    result = check(run_cli, plain_tls.url("mcp.test"), *base_args,
                   "--proxy", basic_proxy.url_with(PROXY_USER, "wrong-password"))
    assert result.status == 1
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_auth_rejected")


def test_proxy_wanting_negotiate_or_ntlm(run_cli, base_args, plain_tls, negotiate_proxy):
    result = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--proxy",
                   negotiate_proxy.url)
    assert result.status == 1
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_auth_unsupported")
    assert result.hop("resource", "proxy_connect")["details"]["auth_schemes"] == [
        "Negotiate", "NTLM"]
    assert "Basic" in result.report["verdict"]["message"]
    # the way out, with the proxy's own address: a local relay answering for the user
    hint = result.report["verdict"]["hint"]
    upstream = negotiate_proxy.url.split("://", 1)[1].rstrip("/")
    assert f"px --proxy={upstream} --port=3128" in hint
    assert f"Proxy {upstream}" in hint and "cntlm" in hint
    assert "HTTPS_PROXY=http://127.0.0.1:3128" in hint


def test_proxy_block_page(run_cli, base_args, plain_tls, blocking_proxy):
    url = f"https://blocked.test:{plain_tls.port}/mcp"
    result = check(run_cli, url, *base_args, "--proxy", blocking_proxy.url)
    assert result.status == 1
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_forbidden")
    page = result.hop("resource", "proxy_connect")["details"]["page"]
    assert page["title"] == "Website blocked - Access Denied"
    assert "policy does not allow" in page["text"]


def test_intercepting_proxy_with_untrusted_root(run_cli, base_args, plain_tls,
                                                 intercepting_proxy):
    result = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--proxy",
                   intercepting_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.status == 1
    assert result.diagnosis == ("resource", "tls", "tls_interception_untrusted")
    assert "Zscaler" in result.report["verdict"]["message"]
    assert "NODE_EXTRA_CA_CERTS=" in result.report["verdict"]["hint"]


def test_a_private_ca_seen_through_a_proxy_that_does_not_inspect_is_not_called_inspection(
        run_cli, base_args, serve, pki, basic_proxy):
    """The server's own certificate from the company's CA, through a plain proxy: fetched
    directly it is the same, so the verdict is the server's CA, not the proxy's inspection
    (which sent users to IT for a proxy root that does not exist)."""
    server = serve(servers.mcp_401(), cert_file=pki.path("server-private-ca.pem"))
    result = check(run_cli, server.url("mcp.test"), *base_args, "--proxy",
                   basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.diagnosis == ("resource", "tls", "tls_untrusted")
    verdict = result.report["verdict"]
    assert "Acme Internal Server CA" in verdict["message"]
    assert "the proxy does not inspect TLS" in verdict["message"]
    assert "NODE_EXTRA_CA_CERTS=" in verdict["hint"] and "proxy is not the cause" in verdict["hint"]
    assert result.hop("resource", "tls")["details"]["direct_chain"]["same_as_through_proxy"]


def test_an_inspecting_proxy_whose_root_names_no_product_is_confirmed_by_the_direct_chain(
        run_cli, base_args, plain_tls, egress_proxy):
    result = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--proxy",
                   egress_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.diagnosis == ("resource", "tls", "tls_interception_untrusted")
    tls = result.hop("resource", "tls")
    assert tls["details"]["interception_product"] is None
    assert tls["details"]["direct_chain"]["same_as_through_proxy"] is False
    assert any("the proxy replaces it, so it inspects TLS" in n for n in tls["notes"])


def test_an_untrusted_chain_through_a_proxy_with_no_direct_path_names_both_readings(
        run_cli, base_args, serve, pki, basic_proxy):
    """auth2.test resolves only at the proxy: netcheck cannot compare, so it says both
    readings are possible, and how to tell them apart."""
    server = serve(servers.mcp_401(), cert_file=pki.path("server-private-ca.pem"))
    result = check(run_cli, server.url("auth2.test"), *base_args, "--proxy",
                   basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.diagnosis == ("resource", "tls", "tls_interception_untrusted")
    verdict = result.report["verdict"]
    assert "either the proxy inspects TLS or the server's own certificate" in verdict["message"]
    tls = result.hop("resource", "tls")
    assert tls["details"]["direct_chain"]["same_as_through_proxy"] is None
    assert any("openssl s_client -connect auth2.test:" in n for n in tls["notes"])


def test_intercepting_proxy_trusted_through_node_extra_ca_certs(run_cli, pki, base_args,
                                                                 plain_tls, intercepting_proxy):
    env = {"NODE_EXTRA_CA_CERTS": pki.path("inspection-ca.pem")}
    result = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--proxy",
                   intercepting_proxy.url_with(PROXY_USER, PROXY_PASSWORD), env=env)
    assert result.status == 0, result.stdout
    tls = result.hop("resource", "tls")
    assert tls["status"] == "warning"
    assert tls["details"]["interception_product"] == "Zscaler"
    accepted = {t["source"]: t["accepts"] for t in tls["details"]["trust"]}
    assert accepted == {"bundled": False, "system": False, "NODE_EXTRA_CA_CERTS": True}
    assert any("Zscaler" in w["message"] for w in result.report["warnings"])


# --- DNS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), [("nx.test", "dns_nxdomain"),
                                            ("fail.test", "dns_servfail")])
def test_dns_failures(run_cli, base_args, name, code):
    result = check(run_cli, f"https://{name}/mcp", *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "dns", code)


def test_silent_dns_server_is_reported_within_the_timeout(run_cli, base_args):
    result = check(run_cli, "https://silent.test/mcp", *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "dns", "dns_timeout")
    assert result.seconds < 3 + 1


def test_unreachable_resolver(run_cli, pki):
    port = closed_port()
    result = check(run_cli, "https://mcp.test/mcp", "--public-roots", pki.path("public-ca.pem"),
                   "--dns-server", f"127.0.0.1:{port}", "--timeout", "2")
    assert result.status == 1
    assert result.diagnosis[:2] == ("resource", "dns")
    assert result.verdict[2] in ("dns_timeout", "dns_no_resolver", "dns_error")
    assert result.seconds < 2 + 1


def test_proxy_host_is_resolved_not_the_target(run_cli, base_args, plain_tls, basic_proxy,
                                               dns_server):
    proxy = f"http://{PROXY_USER}:{PROXY_PASSWORD}@proxy.test:{basic_proxy.port}"
    result = check(run_cli, f"https://nx.test:{plain_tls.port}/mcp", *base_args,
                   "--proxy", proxy)
    # the proxy resolves the target itself; it cannot, so it answers 502
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_upstream_failed")
    dns = result.hop("resource", "dns")
    assert dns["details"]["host"] == "proxy.test" and dns["status"] == "ok"
    assert any("does not resolve locally" in n for n in dns["notes"])


# --- TCP, TLS, HTTP --------------------------------------------------------------------------


def test_closed_port(run_cli, base_args):
    result = check(run_cli, f"https://127.0.0.1:{closed_port()}/mcp", *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "tcp", "tcp_refused")


def test_silent_listener_over_tls(run_cli, base_args, silent_listener):
    result = check(run_cli, f"https://127.0.0.1:{silent_listener.port}/mcp", *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "tls", "tls_timeout")
    assert result.seconds < 3 + 1


def test_silent_listener_over_http(run_cli, base_args, silent_listener):
    result = check(run_cli, f"http://127.0.0.1:{silent_listener.port}/mcp", *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "http", "http_timeout")
    assert result.seconds < 3 + 1


def test_silent_proxy(run_cli, base_args, silent_listener):
    result = check(run_cli, "https://mcp.test/mcp", *base_args, "--proxy",
                   f"http://127.0.0.1:{silent_listener.port}")
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_timeout")
    assert result.seconds < 3 + 1


def test_untrusted_server_certificate(run_cli, dns_server, plain_tls):
    result = check(run_cli, plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                   "--timeout", "3")
    assert result.status == 1
    assert result.diagnosis == ("resource", "tls", "tls_untrusted")


def test_expired_server_certificate(run_cli, serve, pki, base_args):
    from tests.servers import mcp_401

    server = serve(mcp_401(), cert_file=pki.path("server-expired.pem"))
    result = check(run_cli, server.url("mcp.test"), *base_args)
    assert result.diagnosis == ("resource", "tls", "tls_expired")
    assert "clock" in result.report["verdict"]["message"]


def test_wrong_host_name(run_cli, serve, pki, base_args):
    from tests.servers import mcp_401

    server = serve(mcp_401(), cert_file=pki.path("server-wrong-name.pem"))
    result = check(run_cli, server.url("mcp.test"), *base_args)
    assert result.diagnosis == ("resource", "tls", "tls_hostname_mismatch")
    assert "other.example" in result.report["verdict"]["message"]


def test_plain_http_port_behind_https_url(run_cli, serve, base_args):
    from tests.servers import mcp_401

    server = serve(mcp_401(), cert_file=None)
    result = check(run_cli, f"https://127.0.0.1:{server.port}/mcp", *base_args)
    assert result.diagnosis == ("resource", "tls", "tls_protocol_error")


@pytest.mark.parametrize(("status", "code"), [(404, "http_not_found"),
                                              (405, "http_method_not_allowed"),
                                              (503, "http_server_error")])
def test_http_status_failures(run_cli, serve, base_args, status, code):
    server = serve(lambda req: (status, [("Content-Type", "text/html")], b"<title>nope</title>"))
    result = check(run_cli, server.url("mcp.test"), *base_args)
    assert result.status == 1
    assert result.diagnosis == ("resource", "http", code)


def test_server_needing_no_auth_passes(run_cli, serve, base_args):
    server = serve(lambda req: (200, [("Content-Type", "application/json")],
                                b'{"jsonrpc":"2.0","id":1,"result":{}}'))
    result = check(run_cli, server.url("mcp.test"), *base_args)
    assert result.status == 0
    request = server.requests[-1]
    assert request.method == "POST"
    assert request.headers["accept"] == "application/json, text/event-stream"
    assert b'"method": "initialize"' in request.body


def test_redirect_is_followed_without_forwarding_headers(run_cli, serve, base_args, plain_tls):
    target = plain_tls.url("auth.test")
    first = serve(lambda req: (307, [("Location", target)], b""))
    before = len(plain_tls.requests)
    result = check(run_cli, first.url("mcp.test"), *base_args,
                   "--header", "Authorization: Bearer tok-redirect-secret")
    assert result.status == 0, result.stdout
    steps = [s for s in result.report["steps"] if s["step"] == "resource"]
    assert [s["url"] for s in steps] == [first.url("mcp.test"), target]
    assert first.requests[-1].headers["authorization"] == "Bearer tok-redirect-secret"
    assert "authorization" not in plain_tls.requests[before].headers


def test_redirect_loop(run_cli, serve, base_args):
    holder = {}
    server = serve(lambda req: (302, [("Location", holder["url"])], b""))
    holder["url"] = server.url("mcp.test")
    result = check(run_cli, holder["url"], *base_args)
    assert result.diagnosis == ("resource", "http", "http_too_many_redirects")


# --- other client profiles -------------------------------------------------------------------


def test_curl_ignores_node_extra_ca_certs(run_cli, pki, base_args, plain_tls,
                                          intercepting_proxy):
    """The same network, the same variables: Claude Code passes, curl does not (and the hint
    names curl's own variable)."""
    env = {"NODE_EXTRA_CA_CERTS": pki.path("inspection-ca.pem"),
           "https_proxy": intercepting_proxy.url_with(PROXY_USER, PROXY_PASSWORD)}
    claude = check(run_cli, plain_tls.url("mcp.test"), *base_args, env=env)
    assert claude.status == 0, claude.stdout
    curl = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--client", "curl", env=env)
    assert curl.diagnosis == ("resource", "tls", "tls_interception_untrusted")
    assert "CURL_CA_BUNDLE=" in curl.report["verdict"]["hint"]
    assert curl.report["client_profile"]["proxy_model"] == "curl"


def test_python_profile_uses_ssl_cert_file(run_cli, pki, base_args, plain_tls,
                                           intercepting_proxy):
    proxy = intercepting_proxy.url_with(PROXY_USER, PROXY_PASSWORD)
    bare = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--client", "python",
                 "--proxy", proxy)
    assert bare.diagnosis == ("resource", "tls", "tls_interception_untrusted")
    assert "SSL_CERT_FILE=" in bare.report["verdict"]["hint"]
    trusted = check(run_cli, plain_tls.url("mcp.test"), *base_args, "--client", "python",
                    "--proxy", proxy, env={"SSL_CERT_FILE": pki.path("inspection-ca.pem")})
    assert trusted.status == 0, trusted.stdout


def test_profiles_route_differently_and_say_so(run_cli, pki, base_args, plain_tls,
                                               basic_proxy):
    # Go never proxies loopback; Claude Code (undici) does: the warning names the difference.
    # Go trusts the system store, which SSL_CERT_FILE replaces.
    env = {"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD),
           "SSL_CERT_FILE": pki.path("public-ca.pem")}
    url = f"https://127.0.0.1:{plain_tls.port}/mcp"
    go = check(run_cli, url, *base_args, "--client", "go", env=env)
    assert go.status == 0, go.stdout
    resolve = go.hop("resource", "proxy_resolve")
    assert resolve["details"]["proxy"] is None
    assert "node-undici" in " ".join(resolve["notes"])
    assert resolve["status"] == "warning"


def test_ipv6_loopback_server(run_cli, serve, base_args):
    from tests.servers import mcp_401

    try:
        server = serve(mcp_401(), host="::1")
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    result = check(run_cli, f"https://[::1]:{server.port}/mcp", *base_args)
    # the test certificate names 127.0.0.1 and localhost, not ::1
    assert result.diagnosis == ("resource", "tls", "tls_hostname_mismatch")
    assert result.hop("resource", "tcp")["details"]["attempts"][0]["family"] == "IPv6"


@pytest.mark.parametrize("location", ["http://[bad/x", "ftp://files.example/", "https://h:99999/"])
def test_redirect_to_an_unusable_url(run_cli, serve, base_args, location):
    server = serve(lambda req: (302, [("Location", location)], b""))
    result = check(run_cli, server.url("mcp.test"), *base_args)
    assert result.diagnosis == ("resource", "http", "http_unexpected_status")
    assert "unusable URL" in result.report["verdict"]["message"]


# --- certificate verification switched off -----------------------------------------------------


@pytest.mark.parametrize(("client", "value", "connects"), [
    ("claude-code", "0", True), ("node", "0", True), ("claude-code", "false", False),
    ("python", "0", False),
])
def test_verification_off_is_what_the_client_does(run_cli, dns_server, plain_tls, client, value,
                                                  connects):
    """NODE_TLS_REJECT_UNAUTHORIZED=0 makes Node clients accept a chain they cannot verify:
    the TLS hop passes with a security warning and what the chain would have needed."""
    args = ["--dns-server", dns_server.address, "--timeout", "3", "--no-oauth",
            "--client", client]  # certifi's roots: the lab's CA is not among them
    result = run_cli("check", plain_tls.url("mcp.test"), *args,
                     env={"NODE_TLS_REJECT_UNAUTHORIZED": value})
    if not connects:
        assert result.diagnosis == ("resource", "tls", "tls_untrusted")
        return
    assert result.status == 0, result.stdout
    tls = result.hop("resource", "tls")
    assert tls["status"] == "warning"
    assert tls["details"]["unverified"]["code"] == "tls_untrusted"
    assert "NOT verified" in tls["message"]
    assert any(n.startswith("SECURITY") for n in tls["notes"])
    assert any("SECURITY" in w["message"] for w in result.report["warnings"]
               if w["step"] == "settings")


@pytest.mark.parametrize("variable", ["SSL_CERT_DIR", "SSL_CERT_FILE"])
def test_claude_code_reads_its_system_store_from_ssl_cert_dir_or_file(run_cli, pki, dns_server,
                                                                     plain_tls, tmp_path,
                                                                     variable):
    """A directory of PEM files (no hash links) is enough for Claude Code (measured)."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "corp-root.pem").write_bytes(Path(pki.path("public-ca.pem")).read_bytes())
    value = str(store) if variable == "SSL_CERT_DIR" else str(store / "corp-root.pem")
    result = run_cli("check", plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                     "--timeout", "3", "--no-oauth", env={variable: value})
    assert result.status == 0, result.stdout
    sources = {s["name"]: s for s in result.hop("settings", "tls")["details"]["sources"]}
    assert sources["system"]["used_by_client"] and sources["system"]["certificates"] >= 1
    assert result.hop("resource", "tls")["details"]["trust"] == [
        t for t in result.hop("resource", "tls")["details"]["trust"]
        if t["source"] != "system" or t["accepts"]]
