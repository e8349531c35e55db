"""Step ``settings``: local validation of client certificates, keys, trust and proxy variables,
before any network. Each bad input is a diagnosis naming the hop, never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSPHRASE, PROXY_PASSWORD, PROXY_USER, client_cert_args


def settings_hop(result, hop):  # type: ignore[no-untyped-def]
    return result.hop("settings", hop)


CURL = ("--client", "curl")  # reads every format, and stops on any it cannot load


@pytest.fixture
def curl_args(pki, base_args):  # type: ignore[no-untyped-def]
    return [*base_args, *CURL, "--cacert", pki.path("public-ca.pem")]


@pytest.mark.parametrize(("cert", "key"), [
    ("client.pem", "client.key"),
    ("client-combined.pem", None),
    ("client.der", "client-key.der"),
])
def test_unencrypted_formats_load(run_cli, pki, curl_args, plain_tls, cert, key):
    args = ["--cert", pki.path(cert)] + (["--key", pki.path(key)] if key else [])
    result = run_cli("check", plain_tls.url("mcp.test"), *curl_args, *args)
    hop = settings_hop(result, "client_cert")
    assert hop["status"] == "ok", hop["message"]
    assert hop["details"]["sha256"] and hop["details"]["serial"]
    assert "Corp Client CA" in hop["details"]["issuer"]
    assert result.status == 0


@pytest.mark.parametrize(("cert", "key"), [
    ("client.pem", "client-pkcs8-encrypted.key"),
    ("client.pem", "client-traditional-encrypted.key"),
    ("client.p12", None),
])
def test_encrypted_material_with_passphrase(run_cli, pki, curl_args, plain_tls, cert, key):
    args = ["--cert", pki.path(cert)] + (["--key", pki.path(key)] if key else [])
    env = {"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": PASSPHRASE}
    result = run_cli("check", plain_tls.url("mcp.test"), *curl_args, *args, env=env)
    assert settings_hop(result, "client_cert")["status"] == "ok"
    assert result.status == 0


def test_passphrase_from_a_named_variable(run_cli, pki, curl_args, plain_tls):
    result = run_cli("check", plain_tls.url("mcp.test"), *curl_args, "--cert",
                     pki.path("client.p12"), "--key-passphrase-env", "MY_PASS",
                     env={"MY_PASS": PASSPHRASE})
    assert result.status == 0
    assert result.report["settings"]["key_passphrase"]["source"].startswith("env MY_PASS")


@pytest.mark.parametrize(("client", "cert", "key", "env", "code"), [
    # Claude Code opens no connection at all with these (measured: FailedToOpenSocket)
    ("claude-code", "client.pem", "client-pkcs8-encrypted.key", {}, "key_passphrase_required"),
    ("claude-code", "client.pem", "client-traditional-encrypted.key", {},
     "key_passphrase_required"),
    ("claude-code", "client.pem", "client-pkcs8-encrypted.key",
     {"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": "wrong"}, "key_passphrase_wrong"),
    ("claude-code", "client.pem", "other-client.key", {}, "key_cert_mismatch"),
    ("curl", "client.p12", None, {}, "key_passphrase_required"),
    ("curl", "client.p12", None, {"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": "wrong"},
     "key_passphrase_wrong"),
    ("curl", "missing.pem", None, {}, "cert_file_unreadable"),
    ("curl", "not-a-cert.pem", "client.key", {}, "cert_invalid"),
    ("curl", "client.pem", None, {}, "key_missing"),
    ("python", "client.der", "client-key.der", {}, "cert_format_unsupported"),
    ("python", "client.p12", None, {}, "cert_format_unsupported"),
    ("node", "client.der", "client-key.der", {}, "cert_format_unsupported"),
])
def test_bad_client_material(run_cli, pki, base_args, client, cert, key, env, code):
    args = ["--cert", pki.path(cert), "--client", client] + (["--key", pki.path(key)]
                                                              if key else [])
    result = run_cli("check", "https://mcp.test/mcp", *base_args, *args, env=env)
    assert result.status == 1
    assert result.diagnosis == ("settings", "client_cert", code)
    assert result.report["verdict"]["hint"]
    assert all(h["status"] == "skipped" for h in result.report["steps"][1]["hops"])


def test_certificate_directory_is_a_diagnosis(run_cli, pki, base_args):
    result = run_cli("check", "https://mcp.test/mcp", *base_args, *CURL, "--cert",
                     str(pki.root))
    assert result.diagnosis == ("settings", "client_cert", "cert_file_unreadable")
    assert "directory" in result.report["verdict"]["message"]


@pytest.mark.parametrize(("cert", "key", "words", "fix"), [
    ("client.p12", None, "PKCS#12", "openssl pkcs12"),
    ("client.der", "client-key.der", "DER", "openssl x509 -inform DER"),
    ("client-combined.pem", None, "one file", "set CLAUDE_CODE_CLIENT_KEY="),
    ("missing.pem", "client.key", "does not exist", "check the path"),
])
def test_a_certificate_claude_code_cannot_use_is_not_sent(run_cli, pki, base_args, mtls13, cert,
                                                          key, words, fix):
    """Claude Code silently sends no certificate from these (measured): a warning at settings,
    and the verdict where the gateway wants one, with the conversion as the fix."""
    env = {"CLAUDE_CODE_CLIENT_CERT": pki.path(cert), "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE":
           PASSPHRASE, **({"CLAUDE_CODE_CLIENT_KEY": pki.path(key)} if key else {})}
    result = run_cli("check", mtls13.url("mcp.test"), *base_args, env=env)
    hop = settings_hop(result, "client_cert")
    assert hop["status"] == "warning" and "sends none" in hop["message"]
    assert words in hop["message"]
    assert result.diagnosis == ("resource", "client_cert", "client_cert_required")
    assert "sends none" in result.report["verdict"]["message"]
    assert fix in result.report["verdict"]["hint"]


@pytest.mark.parametrize(("cert", "words"), [("expired-client", "expired"),
                                             ("serverauth-only", "extended key usage")])
def test_a_flawed_certificate_is_sent_and_the_server_decides(run_cli, pki, base_args, mtls12,
                                                            cert, words):
    """Clients send an expired or serverAuth-only certificate anyway (measured): a warning at
    settings, the server's refusal is the verdict."""
    result = run_cli("check", mtls12.url("mcp.test"), *base_args, *client_cert_args(pki, cert))
    hop = settings_hop(result, "client_cert")
    assert hop["status"] == "warning" and any(words in n for n in hop["notes"])
    assert result.diagnosis == ("resource", "client_cert", "client_cert_rejected")
    assert words in result.report["verdict"]["message"]


def test_claude_code_variables_are_read_with_provenance(run_cli, pki, base_args, mtls13):
    env = {"CLAUDE_CODE_CLIENT_CERT": pki.path("client.pem"),
           "CLAUDE_CODE_CLIENT_KEY": pki.path("client-pkcs8-encrypted.key"),
           "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": PASSPHRASE}
    result = run_cli("check", mtls13.url("mcp.test"), *base_args, env=env)
    assert result.status == 0, result.stdout
    settings = result.report["settings"]
    assert settings["client_certificate"]["source"] == "env CLAUDE_CODE_CLIENT_CERT"
    assert settings["key_passphrase"] == {"set": True,
                                          "source": "env CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"}


def test_flags_override_environment(run_cli, pki, base_args, mtls13):
    env = {"CLAUDE_CODE_CLIENT_CERT": pki.path("other-client.pem"),
           "CLAUDE_CODE_CLIENT_KEY": pki.path("other-client.key")}
    result = run_cli("check", mtls13.url("mcp.test"), *base_args, *client_cert_args(pki),
                     env=env)
    assert result.status == 0
    assert result.report["settings"]["client_certificate"]["source"] == "flag --cert"


@pytest.mark.parametrize("client", ["claude-code", "node"])
@pytest.mark.parametrize("value", ["/does/not/exist.pem", "not-a-cert.pem"])
def test_an_unusable_extra_ca_file_is_skipped_by_node_clients(run_cli, pki, base_args,
                                                              plain_tls, value, client):
    """Node clients start without a NODE_EXTRA_CA_CERTS they cannot read (measured): a
    warning, and the check goes on with the other stores."""
    path = pki.path(value) if not value.startswith("/") else value
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--client", client,
                     env={"NODE_EXTRA_CA_CERTS": path})
    assert result.status == 0, result.stdout
    hop = settings_hop(result, "tls")
    assert hop["status"] == "warning"
    assert "skips it" in hop["notes"][0] and "NODE_EXTRA_CA_CERTS" in hop["notes"][0]


@pytest.mark.parametrize(("value", "code"), [("/does/not/exist.pem", "ca_file_unreadable"),
                                             ("not-a-cert.pem", "ca_file_no_certificates")])
def test_an_unusable_ssl_cert_file_stops_the_python_sdk(run_cli, pki, base_args, value, code):
    """httpx2 fails when the client is created if SSL_CERT_FILE cannot be loaded (measured)."""
    path = pki.path(value) if not value.startswith("/") else value
    result = run_cli("check", "https://mcp.test/mcp", *base_args, "--client", "python",
                     env={"SSL_CERT_FILE": path})
    assert result.diagnosis == ("settings", "tls", code)
    assert "MCP Python SDK 2.3.0 cannot start" in result.report["verdict"]["message"]


def test_unusable_public_roots_file(run_cli, pki, dns_server):
    result = run_cli("check", "https://mcp.test/mcp", "--public-roots",
                     pki.path("not-a-cert.pem"), "--dns-server", dns_server.address)
    assert result.diagnosis == ("settings", "tls", "ca_file_no_certificates")


def test_bad_cacert_flag(run_cli, pki, base_args):
    result = run_cli("check", "https://mcp.test/mcp", *base_args, "--cacert",
                     pki.path("not-a-cert.pem"))
    assert result.diagnosis == ("settings", "tls", "ca_file_no_certificates")


def test_a_bad_trust_file_stops_the_run_though_the_handshake_may_have_started(
        run_cli, pki, base_args, plain_tls):
    """The first handshake starts before the trust stores are read (it does not verify); a
    trust file that fails still fails the settings step, and no request is sent."""
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--cacert",
                     pki.path("not-a-cert.pem"))
    assert result.diagnosis == ("settings", "tls", "ca_file_no_certificates")
    resource = next(s for s in result.report["steps"] if s["step"] == "resource")
    assert resource["status"] == "not_run"


def test_trust_sources_are_counted(run_cli, pki, base_args, plain_tls):
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--cacert",
                     pki.path("inspection-ca.pem"))
    sources = {s["name"]: s for s in settings_hop(result, "tls")["details"]["sources"]}
    assert sources["bundled"]["certificates"] == 1  # --public-roots
    assert sources["--cacert"]["certificates"] == 1 and sources["--cacert"]["used_by_client"]


def test_malformed_proxy_variable(run_cli, base_args):
    result = run_cli("check", "https://mcp.test/mcp", *base_args,
                     env={"HTTPS_PROXY": "http://proxy.corp:99999"})
    assert result.diagnosis == ("settings", "proxy_resolve", "proxy_url_invalid")


def test_proxy_variable_the_client_does_not_read_is_a_warning(run_cli, base_args, plain_tls):
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args,
                     env={"npm_config_proxy": "http://bad:port"})
    assert result.status == 0
    hop = settings_hop(result, "proxy_resolve")
    assert hop["status"] == "warning" and "ignored by claude-code" in hop["notes"][0]


def test_an_unusable_all_proxy_fails_the_requests_it_routes(run_cli, base_args, plain_tls):
    """Claude Code's runtime falls back to ALL_PROXY when Claude Code names no proxy
    (measured), so an unusable value fails those requests, not Claude Code's start."""
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args,
                     env={"ALL_PROXY": "http://bad:port"})
    assert settings_hop(result, "proxy_resolve")["status"] == "warning"
    assert result.diagnosis == ("resource", "proxy_resolve", "proxy_refused_by_client")
    assert "ALL_PROXY" in result.report["verdict"]["message"]


def test_socks_proxy_for_claude_code(run_cli, base_args):
    result = run_cli("check", "https://mcp.test/mcp", *base_args,
                     env={"HTTPS_PROXY": "socks5://127.0.0.1:1080"})
    assert result.diagnosis == ("resource", "proxy_resolve", "proxy_scheme_unsupported")
    assert "UnsupportedProxyProtocol" in result.report["verdict"]["message"]


def test_scheme_less_proxy_stops_a_claude_code_session(run_cli, base_args):
    """In a terminal Claude Code stops at start over HTTPS_PROXY=host:port; in a pipe it reads
    http://host:port (measured): the verdict is the session's, the note says the rest."""
    result = run_cli("check", "https://mcp.test/mcp", *base_args,
                     env={"HTTPS_PROXY": "127.0.0.1:3128"})
    assert result.diagnosis == ("settings", "proxy_resolve", "proxy_url_invalid")
    assert "claude mcp list" in result.report["verdict"]["message"]


def _claude_home(tmp_path, monkeypatch, **files):  # type: ignore[no-untyped-def]
    """A HOME and a project directory (the cwd) holding Claude Code files."""
    home, project = tmp_path / "home", tmp_path / "project"
    for where, doc in files.items():
        path = {"user": home / ".claude" / "settings.json", "state": home / ".claude.json",
                "project": project / ".claude" / "settings.json",
                "local": project / ".claude" / "settings.local.json"}[where]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc).replace("{project}", str(project)))
    project.mkdir(exist_ok=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(home))
    return home, project


def test_claude_code_user_settings_env_takes_effect(run_cli, base_args, tmp_path, monkeypatch,
                                                    basic_proxy, plain_tls):
    """An env block in ~/.claude/settings.json is what Claude Code runs with (measured): its
    proxy, with its provenance, over the shell's."""
    _claude_home(tmp_path, monkeypatch, user={"env": {
        "HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD)}})
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args,
                     env={"HTTPS_PROXY": "http://127.0.0.1:9"})
    assert result.status == 0, result.stdout
    resolve = result.hop("resource", "proxy_resolve")
    assert resolve["details"]["proxy"] == basic_proxy.url
    variables = result.report["settings"]["proxy_variables"]
    assert variables["HTTPS_PROXY"]["source"].startswith("user settings ")
    assert PROXY_PASSWORD not in json.dumps(result.report) + result.stdout


def test_an_empty_value_in_user_settings_removes_the_shells_proxy(run_cli, base_args, tmp_path,
                                                                  monkeypatch, plain_tls):
    _claude_home(tmp_path, monkeypatch, user={"env": {"HTTPS_PROXY": ""}})
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args,
                     env={"HTTPS_PROXY": "http://127.0.0.1:9"})
    assert result.status == 0, result.stdout
    assert result.hop("resource", "proxy_resolve")["details"]["proxy"] is None


@pytest.mark.parametrize("trusted", [False, True])
def test_project_settings_apply_only_in_a_trusted_folder(run_cli, base_args, tmp_path,
                                                         monkeypatch, plain_tls, trusted):
    state = {"projects": {"{project}": {"hasTrustDialogAccepted": trusted}}}
    _claude_home(tmp_path, monkeypatch, state=state,
                 project={"env": {"HTTPS_PROXY": "http://u:settings-pw@127.0.0.1:9"}})
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args)
    hop = result.hop("settings", "proxy_resolve")
    [source] = hop["details"]["claude_code_settings"]
    assert source["scope"] == "project" and source["applied"] is trusted
    assert source["applied_by_mcp_list"] is False
    assert source["variables"] == {"HTTPS_PROXY": "http://u:<redacted>@127.0.0.1:9"}
    assert hop["status"] == "warning"
    if trusted:  # the session uses the dead proxy; `claude mcp list` would not
        assert result.diagnosis == ("resource", "tcp", "tcp_refused")
        assert any("`claude mcp list` does not" in n for n in hop["notes"])
    else:
        assert result.status == 0
        assert any("not marked trusted" in n for n in hop["notes"])
    assert "settings-pw" not in json.dumps(result.report) + result.stdout


def test_a_settings_file_that_does_not_parse_is_named(run_cli, base_args, tmp_path,
                                                      monkeypatch, plain_tls):
    home, _ = _claude_home(tmp_path, monkeypatch)
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text('{"env": {\n  "HTTPS_PROXY": ,\n}}')
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args)
    assert result.status == 0
    notes = result.hop("settings", "proxy_resolve")["notes"]
    assert any("settings.json is not valid JSON (line 2)" in n for n in notes)


def test_claude_settings_flag_overrides_the_user_settings(run_cli, base_args, tmp_path,
                                                          monkeypatch, plain_tls):
    _claude_home(tmp_path, monkeypatch, user={"env": {"HTTPS_PROXY": "http://127.0.0.1:9"}})
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--claude-settings",
                     '{"env": {"HTTPS_PROXY": ""}}')
    assert result.status == 0, result.stdout
    assert result.report["settings"]["proxy_variables"]["HTTPS_PROXY"]["source"] == \
        "--settings settings (JSON)"
