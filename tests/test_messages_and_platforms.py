"""Output that never misleads, and the platforms netcheck runs on (issue 10, part B).

Each hint is checked against what the profile's client really does (a variable that replaces a
store needs a combined bundle, and the combined bundle the hint builds is then trusted); the
report tells steps that never ran from failed ones; a DNS server, an international name and a
port are written as a support engineer needs them; ``--version`` and ``--help`` say what a user
needs; the trust stores and settings paths of Windows and macOS are read at their boundary.
"""

from __future__ import annotations

import platform
import re
import shlex
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from netcheck.hops import dns
from netcheck.hops.dns import QueryResult
from netcheck.lab.dns import DnsResponder
from netcheck.settings.gather import Options, gather
from tests.servers import closed_port, mcp_401


def check(run_cli, url, *args, env=None):  # type: ignore[no-untyped-def]
    return run_cli("check", url, *args, env=env)


# --- trust hints: add or replace, as each client reads its variable ---------------------------


def _combine_command(hint: str) -> str:
    found = re.search(r"\((cat [^)]*> combined\.pem)\)", hint)
    assert found, hint
    return found.group(1)


@pytest.mark.parametrize(("client", "variable"), [("curl", "CURL_CA_BUNDLE"),
                                                  ("python", "SSL_CERT_FILE")])
def test_a_replacing_variable_gets_a_combined_bundle_that_works(run_cli, pki, dns_server,
                                                                plain_tls, tmp_path, client,
                                                                variable):
    """The old hint (set the variable to the corporate root alone) loses the public roots
    wherever the client has no CA directory that holds them; the combined bundle the hint
    builds keeps them and adds the CA."""
    args = ("--dns-server", dns_server.address, "--timeout", "3", "--no-oauth",
            "--client", client)
    first = check(run_cli, plain_tls.url("mcp.test"), *args)
    assert first.diagnosis == ("resource", "tls", "tls_untrusted")
    hint = first.report["verdict"]["hint"]
    assert f"{variable} replaces" in hint and "public sites" in hint
    if client == "curl":  # measured: Debian's curl keeps its CApath with CURL_CA_BUNDLE set
        assert "Debian's curl 7.88 is with /etc/ssl/certs (measured)" in hint and "RHEL" in hint
    else:  # httpcore2 builds its context from SSL_CERT_FILE alone
        assert "makes public sites fail: build a combined bundle" in hint
    assert f"set {variable}=/path/to/combined.pem" in hint
    command = _combine_command(hint).replace("/path/to/that-root.pem",
                                             shlex.quote(pki.path("public-ca.pem")))
    subprocess.run(command, shell=True, cwd=tmp_path, check=True)  # the hint's own command
    combined = tmp_path / "combined.pem"
    public_roots = combined.read_text().count("BEGIN CERTIFICATE")
    assert public_roots > 1  # the public roots stay, with the new one
    second = check(run_cli, plain_tls.url("mcp.test"), *args, env={variable: str(combined)})
    assert second.status == 0, second.stdout


def test_a_replacing_variable_already_set_is_kept_in_the_bundle(run_cli, pki, dns_server,
                                                                plain_tls):
    only_corp = pki.path("inspection-ca.pem")
    result = check(run_cli, plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                   "--timeout", "3", "--no-oauth", "--client", "python",
                   env={"SSL_CERT_FILE": only_corp})
    hint = result.report["verdict"]["hint"]
    assert only_corp in _combine_command(hint)
    assert "the file SSL_CERT_FILE names now" in hint


def test_go_still_reads_its_certificate_directories_with_ssl_cert_file(run_cli, pki, dns_server,
                                                                        plain_tls, tmp_path,
                                                                        monkeypatch):
    """Go reads every file of /etc/ssl/certs and /etc/pki/tls/certs whatever SSL_CERT_FILE
    says (crypto/x509 root_unix.go)."""
    from netcheck.profiles import file_stores

    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "public.pem").write_bytes(Path(pki.path("public-ca.pem")).read_bytes())
    monkeypatch.setattr(file_stores, "GO_CERT_DIRS", (str(certs),))
    args = ("--dns-server", dns_server.address, "--timeout", "3", "--no-oauth",
            "--client", "go")
    env = {"SSL_CERT_FILE": pki.path("inspection-ca.pem")}
    assert check(run_cli, plain_tls.url("mcp.test"), *args, env=env).status == 0
    (tmp_path / "empty").mkdir()
    failed = check(run_cli, plain_tls.url("mcp.test"), *args,
                   env={**env, "SSL_CERT_DIR": str(tmp_path / "empty")})
    assert failed.diagnosis == ("resource", "tls", "tls_untrusted")  # SSL_CERT_DIR replaces
    hint = failed.report["verdict"]["hint"]
    assert "still reads" not in hint and "makes public sites fail" in hint


def test_an_adding_variable_is_set_to_the_root_alone(run_cli, dns_server, plain_tls):
    result = check(run_cli, plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                   "--timeout", "3", "--no-oauth")
    hint = result.report["verdict"]["hint"]
    assert "set NODE_EXTRA_CA_CERTS=/path/to/that-root.pem (it adds to the roots Claude Code " \
           "trusts)" in hint
    assert "combined" not in hint


def test_an_adding_variable_that_names_a_file_already_is_combined(run_cli, pki, dns_server,
                                                                  plain_tls):
    corp = pki.path("inspection-ca.pem")
    result = check(run_cli, plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                   "--timeout", "3", "--no-oauth", env={"NODE_EXTRA_CA_CERTS": corp})
    hint = result.report["verdict"]["hint"]
    assert f"NODE_EXTRA_CA_CERTS names one file, {corp} now" in hint
    assert "extra-cas.pem" in hint


@pytest.mark.parametrize("client", ["python", "go", "node"])
def test_a_conversion_hint_says_how_a_client_without_variables_takes_the_pem(run_cli, pki,
                                                                             base_args, client):
    result = run_cli("check", "https://mcp.test/mcp", *base_args, "--client", client, "--cert",
                     pki.path("client.p12"), env={"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": "x"})
    assert result.diagnosis == ("settings", "client_cert", "cert_format_unsupported")
    hint = result.report["verdict"]["hint"]
    assert "openssl pkcs12" in hint and "set --cert=" not in hint
    assert "then give the client client.pem and client.key (the program's" in hint


def test_a_missing_key_hint_names_only_what_the_client_reads(run_cli, pki, base_args):
    """curl reads no CLAUDE_CODE_CLIENT_KEY: the hint names --key alone."""
    curl = run_cli("check", "https://mcp.test/mcp", *base_args, "--client", "curl", "--cert",
                   pki.path("client.pem"))
    assert curl.diagnosis == ("settings", "client_cert", "key_missing")
    assert curl.report["verdict"]["hint"] == "give the key file with --key"
    key_only = run_cli("check", "https://mcp.test/mcp", *base_args, "--client", "curl",
                       "--key", pki.path("client.key"))
    assert key_only.report["verdict"]["hint"] == "pass --cert too"


# --- http: a 501 to initialize -----------------------------------------------------------------


def test_501_to_initialize_is_not_an_mcp_endpoint(run_cli, serve, base_args):
    server = serve(lambda req: (501, [("Content-Type", "text/plain")], b"not implemented"))
    result = check(run_cli, server.url("mcp.test"), *base_args)
    assert result.diagnosis == ("resource", "http", "http_not_mcp")
    verdict = result.report["verdict"]
    assert "not an MCP endpoint" in verdict["message"]
    assert "retry later" not in verdict["hint"] and "retrying will not help" in verdict["hint"]


def test_501_elsewhere_is_not_worth_a_retry():
    from netcheck.hops.http import error_status
    from netcheck.net.http1 import HttpResponse

    answer = HttpResponse(status=501, reason="Not Implemented", http_version="1.1", headers=[],
                          body=b"", body_complete=True)
    result = error_status(answer, "https://as.test/token", {}, "the token request")
    assert "does not implement this method" in result.message
    assert result.hint is not None and "retry later" not in result.hint
    assert "endpoint for the token request" in result.hint


# --- usage errors: a host label over 63 characters, a port over 65535 -------------------------


@pytest.mark.parametrize("command", ["check", "proxy"])
def test_a_label_over_63_characters_is_a_usage_error(run_cli, command):
    result = run_cli(command, f"https://{'a' * 64}.example/mcp")
    assert result.status == 2, result.stdout
    assert "label of 64 characters" in result.stderr and "at most 63" in result.stderr
    assert "idna" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["check", "proxy"])
@pytest.mark.parametrize("args", [["https://mcp.test:99999/mcp"],
                                  ["https://mcp.test/mcp", "--proxy", "http://proxy.test:99999"]])
def test_port_99999_is_a_usage_error_in_check_and_proxy(run_cli, command, args):
    result = run_cli(command, *args)
    assert result.status == 2, result.stdout
    assert "port '99999' is not a port number (1 to 65535)" in result.stderr


# --- proxy provenance --------------------------------------------------------------------------


def test_proxy_flag_is_named_as_the_flag(run_cli, base_args):
    proxy = f"http://127.0.0.1:{closed_port()}"
    result = check(run_cli, "https://mcp.test/mcp", *base_args, "--proxy", proxy,
                   env={"https_proxy": "http://127.0.0.1:1"})
    hop = result.hop("resource", "proxy_resolve")
    assert hop["message"].endswith("(from --proxy)"), hop["message"]
    assert "https_proxy" not in hop["message"]


def test_proxy_from_a_settings_file_names_the_file(run_cli, base_args, tmp_path):
    settings = tmp_path / "s.json"
    settings.write_text(f'{{"env": {{"HTTPS_PROXY": "http://127.0.0.1:{closed_port()}"}}}}')
    result = check(run_cli, "https://mcp.test/mcp", *base_args, "--claude-settings",
                   str(settings))
    message = result.hop("resource", "proxy_resolve")["message"]
    assert f"(from HTTPS_PROXY, set in --settings settings {settings})" in message


# --- report: each step's status ------------------------------------------------------------------


def test_a_step_that_never_ran_is_not_run_with_its_reason(run_cli, pki):
    result = run_cli("check", "https://mcp.test/mcp", "--cert", pki.path("missing.pem"),
                     "--client", "curl")
    steps = {s["step"]: s for s in result.report["steps"]}
    assert result.report["schema_version"] == "1.6"
    assert steps["settings"]["status"] == "failed" and steps["settings"]["not_run_reason"] is None
    assert steps["resource"]["status"] == "not_run"
    assert steps["resource"]["not_run_reason"] == "the settings step failed"
    assert steps["resource"]["ok"] is False  # kept: 1.x only adds


def test_steps_after_a_failed_oauth_step_are_not_run(run_cli, pki, dns_server, plain_tls):
    result = check(run_cli, plain_tls.url("mcp.test"), "--public-roots",
                   pki.path("public-ca.pem"), "--dns-server", dns_server.address,
                   "--timeout", "3")
    statuses = [(s["step"], s["status"], s["not_run_reason"]) for s in result.report["steps"]]
    failed_at = next(i for i, (_s, status, _r) in enumerate(statuses) if status == "failed")
    assert statuses[failed_at][0] != "resource", statuses
    assert statuses[:failed_at] and all(st in ("passed", "warning")
                                        for _s, st, _r in statuses[:failed_at])
    after = statuses[failed_at + 1:]
    assert after and all(st == "not_run" and reason == "an earlier step failed"
                         for _s, st, reason in after), statuses


def test_passed_and_warning_steps(run_cli, base_args, plain_tls, basic_proxy):
    from tests.conftest import PROXY_PASSWORD, PROXY_USER

    ok = check(run_cli, plain_tls.url("mcp.test"), *base_args)
    assert {s["status"] for s in ok.report["steps"]} == {"passed"}
    # through a proxy, other clients route loopback differently: a warning, not a failure
    warned = check(run_cli, plain_tls.url("127.0.0.1"), *base_args, "--proxy",
                   basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    resource = next(s for s in warned.report["steps"] if s["step"] == "resource")
    assert resource["status"] == "warning" and resource["ok"] is True


# --- DNS: the server as an authority, the punycode name ---------------------------------------


def test_an_ipv6_dns_server_is_written_in_brackets():
    settings = gather(Options(url="https://mcp.test/mcp", dns_server="::1"), {})
    assert settings.to_json()["dns_server"] == "[::1]:53"
    result = dns._diagnose("mcp.test", "MCP server", [QueryResult("A", "timeout")], None, None,
                           ("::1", 53), 2.0, {})
    assert "the resolver at [::1]:53 gave no answer" in result.message
    assert "::1:53" not in result.message.replace("[::1]:53", "")


@pytest.fixture
def idn_dns():  # type: ignore[no-untyped-def]
    responder = DnsResponder({"xn--bcher-kva.test": "127.0.0.1",
                              "xn--strae-oqa.test": "127.0.0.1"})
    yield responder
    responder.close()


def test_an_international_name_shows_its_punycode(idn_dns):
    outcome = dns.resolve("bücher.test", 443, 2.0, (idn_dns.host, idn_dns.port), "MCP server")
    assert outcome.result.status.value == "ok", outcome.result.message
    assert "bücher.test = xn--bcher-kva.test" in outcome.result.message
    assert outcome.result.details["ascii_host"] == "xn--bcher-kva.test"
    assert outcome.result.details["host"] == "bücher.test"


def test_an_international_name_is_looked_up_as_clients_encode_it(idn_dns):
    """Node's URL parser (UTS #46, non-transitional) sends straße.test as xn--strae-oqa.test;
    Python's idna codec would ask for strasse.test, another name."""
    outcome = dns.resolve("straße.test", 443, 2.0, (idn_dns.host, idn_dns.port), "MCP server")
    assert outcome.value == [(2, "127.0.0.1")], outcome.result.message
    assert "strasse.test" not in idn_dns.queries
    assert "xn--strae-oqa.test" in outcome.result.message


def test_an_unknown_international_name_names_its_punycode_in_the_failure(run_cli, dns_server):
    result = check(run_cli, "https://bücher.test/mcp", "--dns-server", dns_server.address,
                   "--timeout", "2", "--no-oauth")
    assert result.diagnosis == ("resource", "dns", "dns_nxdomain")
    assert "xn--bcher-kva.test" in result.report["verdict"]["message"]


def test_an_international_name_goes_on_the_wire_in_ascii(run_cli, serve, idn_dns):
    """Host header as clients send it; before, an international name crashed the http hop
    (internal_error, UnicodeEncodeError)."""
    server = serve(mcp_401(), cert_file=None)
    result = check(run_cli, f"http://bücher.test:{server.port}/mcp", "--dns-server",
                   idn_dns.address, "--timeout", "3", "--no-oauth")
    assert result.status == 0, result.stdout
    assert server.requests[-1].headers["host"] == f"xn--bcher-kva.test:{server.port}"


def test_an_international_name_is_connected_through_a_proxy_in_ascii(run_cli, base_args,
                                                                    basic_proxy):
    from tests.conftest import PROXY_PASSWORD, PROXY_USER

    result = check(run_cli, "https://bücher.test/mcp", *base_args, "--proxy",
                   basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD))
    assert result.diagnosis == ("resource", "proxy_connect", "proxy_upstream_failed")
    assert result.hop("resource", "proxy_connect")["details"]["request"] == \
        "CONNECT xn--bcher-kva.test:443"


def test_a_bad_name_from_a_redirect_is_a_dns_diagnosis_not_a_codec_error():
    outcome = dns.resolve(f"{'b' * 70}.test", 443, 1.0, None, "MCP server")
    assert outcome.result.code is not None and outcome.result.code.value == "dns_error"
    assert "label of 70 characters" in outcome.result.message
    assert "idna" not in outcome.result.message


# --- --version and --help -------------------------------------------------------------------------


def _netcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netcheck", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_version_names_python_openssl_and_the_libraries():
    from importlib import metadata

    from netcheck import __version__

    done = _netcheck("--version")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"netcheck {__version__}"
    assert f"Python {platform.python_version()}" in done.stdout
    assert ssl.OPENSSL_VERSION in done.stdout
    for name in ("httpx", "pyOpenSSL", "cryptography", "dnspython", "rich"):
        assert f"{name} {metadata.version(name)}" in done.stdout


def test_installed_versions_read_the_dist_info_names(tmp_path):
    from netcheck.cli.about import installed_versions

    (tmp_path / "pyopenssl-26.4.0.dist-info").mkdir()
    (tmp_path / "Rich-13.7.1.dist-info").mkdir()
    (tmp_path / "dnspython-2.6.1-py3.11.egg-info").mkdir()
    found = installed_versions(["pyOpenSSL", "rich", "dnspython", "no-such-dist-here"],
                               paths=[str(tmp_path), str(tmp_path / "missing")])
    assert found == {"pyOpenSSL": "26.4.0", "rich": "13.7.1", "dnspython": "2.6.1",
                     "no-such-dist-here": None}


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"]])
def test_help_shows_the_exit_statuses(args):
    done = _netcheck(*args)
    assert done.returncode == 0, done.stderr
    for status, meaning in (("0", "every hop passed"), ("1", "a hop failed"),
                            ("2", "usage error"), ("3", "internal error"),
                            ("130", "interrupted")):
        assert re.search(rf"^  {status}\s+{meaning}", done.stdout, re.M), done.stdout


def test_help_shows_examples():
    done = _netcheck("--help")
    assert "examples:" in done.stdout
    assert "netcheck check https://mcp.example.com/mcp --client curl" in done.stdout


# --- platforms: the system store read where each platform keeps it ----------------------------


def _der(pem_path: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_pem_x509_certificate(Path(pem_path).read_bytes())
    return cert.public_bytes(Encoding.DER)


def _windows_stores(pki, roots=("public-ca.pem",)):  # type: ignore[no-untyped-def]
    """ssl.enum_certificates as Windows answers it: DER blobs, their encoding and trust."""
    asked: list[str] = []

    def enum(store: str):  # type: ignore[no-untyped-def]
        asked.append(store)
        if store == "ROOT":
            return [(_der(pki.path(r)), "x509_asn", True) for r in roots] + [
                (b"\x30\x03\x02\x01\x00", "pkcs_7_asn", True),  # a PKCS#7 blob: not a root
                (_der(pki.path("client-ca.pem")), "x509_asn", {"1.3.6.1.5.5.7.3.2"}),  # client
            ]
        return [(_der(pki.path("inspection-ca.pem")), "x509_asn", {"1.3.6.1.5.5.7.3.1"})]
    return enum, asked


def test_windows_store_reads_root_and_ca_for_server_authentication(pki):
    from netcheck.settings.platform_stores import StoreReader

    enum, asked = _windows_stores(pki)
    store = StoreReader("win32", enum_certificates=enum).read()
    assert asked == ["ROOT", "CA"]
    subjects = sorted(c.subject.rfc4514_string() for c in store.certificates)
    assert len(subjects) == 2 and any("Zscaler" in s for s in subjects)
    assert not any("Corp Client CA" in s for s in subjects)  # trusted for client auth only
    assert store.skipped == 2 and store.error is None


def test_windows_store_unreadable_is_an_error_not_a_crash():
    from netcheck.settings.platform_stores import StoreReader

    def enum(store: str):  # type: ignore[no-untyped-def]
        raise OSError(f"access to {store} denied")
    store = StoreReader("win32", enum_certificates=enum).read()
    assert store.certificates == [] and "access to ROOT denied" in (store.error or "")


def test_macos_store_reads_the_system_roots_and_the_system_keychain(pki):
    from netcheck.settings.platform_stores import MACOS_KEYCHAINS, StoreReader

    ran: list[list[str]] = []

    def run(args: list[str]) -> bytes:
        ran.append(args)
        name = "public-ca.pem" if "SystemRootCertificates" in args[-1] else "inspection-ca.pem"
        return Path(pki.path(name)).read_bytes()
    store = StoreReader("darwin", run=run).read()
    assert ran == [["security", "find-certificate", "-a", "-p", k] for k in MACOS_KEYCHAINS]
    assert len(store.certificates) == 2 and store.paths == list(MACOS_KEYCHAINS)


def test_macos_without_security_is_an_error_not_a_crash():
    from netcheck.settings.platform_stores import StoreReader

    def run(args: list[str]) -> bytes:
        raise subprocess.CalledProcessError(1, args)
    store = StoreReader("darwin", run=run).read()
    assert store.certificates == [] and "CalledProcessError" in (store.error or "")


@pytest.mark.parametrize("platform_name", ["win32", "darwin"])
def test_the_system_store_of_windows_and_macos_decides_the_tls_hop(run_cli, pki, dns_server,
                                                                  plain_tls, monkeypatch,
                                                                  platform_name):
    """curl trusts the system store: on Linux that store lacks the lab's CA (the TLS hop
    fails); read from a Windows or macOS store that holds it, the same check passes."""
    from netcheck.settings import platform_stores, trust

    args = ("--dns-server", dns_server.address, "--timeout", "3", "--no-oauth",
            "--client", "curl")
    assert check(run_cli, plain_tls.url("mcp.test"), *args).status == 1
    enum, _asked = _windows_stores(pki)

    def run(_args: list[str]) -> bytes:
        return Path(pki.path("public-ca.pem")).read_bytes()

    def reader() -> platform_stores.StoreReader:
        return platform_stores.StoreReader(platform_name, enum_certificates=enum, run=run)
    monkeypatch.setattr(trust, "StoreReader", reader)
    result = check(run_cli, plain_tls.url("mcp.test"), *args)
    assert result.status == 0, result.stdout
    system = next(s for s in result.hop("settings", "tls")["details"]["sources"]
                  if s["name"] == "system")
    assert system["used_by_client"] and system["certificates"] >= 1
    assert ("Windows certificate stores" if platform_name == "win32" else "macOS") \
        in system["origin"]


@pytest.mark.parametrize("platform_name", ["win32", "darwin"])
def test_ssl_cert_file_replaces_the_platform_store_where_a_client_reads_it(pki, platform_name):
    """httpcore2 (the python profile) builds its context from SSL_CERT_FILE alone on every
    platform, and uses the platform's store only without it."""
    from netcheck.profiles import PROFILES
    from netcheck.settings.platform_stores import StoreReader
    from netcheck.settings.trust import load_trust

    def unreachable(*_args):  # type: ignore[no-untyped-def]
        raise AssertionError("the platform store is not read when SSL_CERT_FILE is set")
    reader = StoreReader(platform_name, enum_certificates=unreachable, run=unreachable)
    setup = load_trust(PROFILES["python"].trust, {"SSL_CERT_FILE": pki.path("public-ca.pem")},
                       [], None, reader=reader)
    system = next(s for s in setup.sources if s.name == "system")
    assert system.origin == "env SSL_CERT_FILE" and len(system.certificates) == 1


def test_a_windows_hint_combines_with_cmd_commands(run_cli, pki, dns_server, plain_tls,
                                                   monkeypatch):
    from netcheck.settings import platform_stores, trust

    enum, _asked = _windows_stores(pki, roots=())
    monkeypatch.setattr(trust, "StoreReader",
                        lambda: platform_stores.StoreReader("win32", enum_certificates=enum))
    result = check(run_cli, plain_tls.url("mcp.test"), "--dns-server", dns_server.address,
                   "--timeout", "3", "--no-oauth", "--client", "curl")
    hint = result.report["verdict"]["hint"]
    assert "(type \"" in hint and "> combined.pem" in hint and "cat " not in hint
    assert "set CURL_CA_BUNDLE=C:\\path\\to\\combined.pem" in hint


# --- platforms: settings paths, resolver settings, socket errors --------------------------------


@pytest.mark.parametrize(("platform_name", "managed"), [
    ("linux", "/etc/claude-code"),
    ("darwin", "/Library/Application Support/ClaudeCode"),
    ("win32", "C:\\Program Files\\ClaudeCode"),
])
def test_claude_code_managed_settings_follow_the_platform(platform_name, managed):
    from netcheck.settings.platform_paths import managed_settings_dir

    assert str(managed_settings_dir(platform_name)) == managed


@pytest.mark.parametrize(("platform_name", "environ", "home"), [
    ("linux", {"HOME": "/home/ada", "USERPROFILE": "C:\\Users\\x"}, "/home/ada"),
    ("darwin", {"HOME": "/Users/ada"}, "/Users/ada"),
    # Node's os.homedir() on Windows reads USERPROFILE; a HOME set by Git Bash is ignored
    ("win32", {"HOME": "/c/Users/other", "USERPROFILE": "C:\\Users\\ada"}, "C:\\Users\\ada"),
    ("win32", {"HOMEDRIVE": "D:", "HOMEPATH": "\\Users\\ada"}, "D:\\Users\\ada"),
])
def test_the_home_directory_follows_the_platform(platform_name, environ, home):
    from netcheck.settings.platform_paths import home_dir

    assert str(home_dir(environ, platform_name)) == home


@pytest.mark.parametrize(("platform_name", "words"), [
    ("linux", "/etc/resolv.conf"), ("darwin", "scutil --dns"), ("win32", "ipconfig /all")])
def test_dns_hints_name_the_platform_s_resolver_settings(platform_name, words):
    assert words in dns.resolver_settings(platform_name)


def test_windows_socket_errors_count_as_unreachable():
    from netcheck.hops import tcp

    assert {10051, 10065}.issubset(tcp.UNREACHABLE)  # WSAENETUNREACH, WSAEHOSTUNREACH


def test_an_ipv6_local_address_is_written_in_brackets():
    from netcheck.hops import tcp

    with socket.socket(socket.AF_INET6) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
    server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    try:
        outcome = tcp.connect([(socket.AF_INET6, "::1")],
                              server.getsockname()[1], 2.0, "server")
        assert outcome.value is not None
        outcome.value.close()
        assert outcome.result.details["local_address"].startswith("[::1]:")
    finally:
        server.close()
