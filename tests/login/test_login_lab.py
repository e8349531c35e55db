"""netcheck login, the whole flow, against the lab: its MCP server that requires a client
certificate, its authorization server (a real code flow: registration, PKCE, codes, refresh,
revocation, RFC 7592 deletion), its proxy with Basic auth and its DNS responder. A browser
stand-in (tests/login/browser_stand_in.py, the BROWSER command) follows the authorization
URL's redirects through the proxy, as the user's browser would, to netcheck's listener."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netcheck.cli import main
from netcheck.lab.apps import LoginFault
from netcheck.lab.lab import Lab, running_lab
from netcheck.profiles import PROFILES

STAND_IN = Path(__file__).with_name("browser_stand_in.py")


@dataclasses.dataclass
class Login:
    status: int
    output: str
    report: dict[str, Any]
    report_text: str
    lab: Lab
    seconds: float

    def step(self, name: str) -> dict[str, Any]:
        return next(s for s in self.report["steps"] if s["step"] == name)

    def verdict(self) -> tuple[str, str, str] | None:
        v = self.report["verdict"]
        return (v["step"], v["hop"], v["code"]) if v else None


def browser_env(lab: Lab, command: str | None = None) -> dict[str, str]:
    env = dict(lab.env)
    env.update(NETCHECK_TEST_BROWSER_PROXY=lab.env["HTTPS_PROXY"],
               NETCHECK_TEST_BROWSER_CA=lab.public_roots,
               NETCHECK_TEST_BROWSER_CERT=lab.client_pem, PATH=os.environ.get("PATH", ""),
               BROWSER=command or f"{sys.executable} {STAND_IN}")
    return env


def lab_args(lab: Lab, report: Path, *extra: str) -> list[str]:
    return ["login", lab.mcp_url, "--public-roots", lab.public_roots, "--dns-server",
            lab.dns.address, "--json", str(report), "--callback-wait", "20", *extra]


def login(lab: Lab, tmp_path: Path, *extra: str, browser: str | None = None) -> Login:
    report = tmp_path / "report.json"
    out = io.StringIO()
    started = time.monotonic()
    status = main(lab_args(lab, report, *extra), browser_env(lab, browser), out, io.StringIO())
    text = report.read_text(encoding="utf-8")
    return Login(status, out.getvalue(), json.loads(text), text, lab,
                 time.monotonic() - started)


def login_as(lab: Lab, tmp_path: Path, client: str) -> Login:
    """A login as ``client`` against a lab that asks for no client certificate (the other
    clients cannot send one), each trusting the lab's CA as that client is told to."""
    trust = {"CODEX_CA_CERTIFICATE": lab.public_roots, "NODE_EXTRA_CA_CERTS": lab.public_roots,
             "SSL_CERT_FILE": lab.public_roots}
    report = tmp_path / f"report-{client}.json"
    out = io.StringIO()
    env = {k: v for k, v in {**browser_env(lab), **trust}.items()
           if not k.startswith("CLAUDE_CODE_CLIENT_")}
    started = time.monotonic()
    status = main(lab_args(lab, report, "--client", client), env, out, io.StringIO())
    text = report.read_text(encoding="utf-8")
    return Login(status, out.getvalue(), json.loads(text), text, lab,
                 time.monotonic() - started)


@pytest.fixture
def healthy() -> Iterator[Lab]:
    with running_lab(None) as lab:
        yield lab


def assert_no_secret_left(result: Login, tmp_path: Path) -> None:
    """No code, verifier, token or registration token in the output, the report, or any file
    netcheck left in the test's folder."""
    seen = result.lab.authorization_server.secrets_seen
    assert seen  # the lab handed some out: the check below has something to find
    files = [p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.rglob("*")
             if p.is_file()]
    for secret in seen:
        assert secret not in result.output
        assert secret not in result.report_text
        assert not any(secret in text for text in files)


def test_a_healthy_login_completes_and_reports_the_tools(healthy: Lab, tmp_path: Path) -> None:
    result = login(healthy, tmp_path)
    assert result.status == 0, result.output
    assert result.report["ok"] is True
    called = result.step("authorized_request")
    oauth = next(h for h in called["hops"] if h["hop"] == "oauth")
    assert oauth["details"]["tools"] == 2
    assert oauth["details"]["server_name"] == "netcheck-lab"
    assert "accepted the token" in oauth["message"]
    exchanged = next(h for h in result.step("token_endpoint")["hops"] if h["hop"] == "oauth")
    claims = exchanged["details"]["access_token_claims"]
    assert claims["aud"] == healthy.mcp_url == exchanged["details"]["resource_sent"]
    assert result.step("token_refresh")["status"] == "passed"
    assert result.step("token_revocation")["status"] == "passed"
    # the client registered for the login is gone again, and the tokens revoked
    assert healthy.authorization_server.clients == {}
    assert healthy.authorization_server.tokens.refresh == {}
    assert any("deleted again at the end of the login" in n
               for n in result.step("client_registration")["notes"])
    assert "logs in for real" in result.output  # said before it starts
    assert_no_secret_left(result, tmp_path)


FAULTS = [
    (LoginFault.AUDIENCE, ("authorized_request", "oauth", "token_audience_mismatch")),
    # Claude Code refuses the slash-ended resource in the metadata already (measured)
    (LoginFault.RESOURCE_SLASH,
     ("protected_resource_metadata", "oauth", "oauth_resource_mismatch")),
    (LoginFault.CLIENT_SECRET_BASIC, ("token_endpoint", "oauth", "token_invalid_client")),
    (LoginFault.REDIRECT_LOCALHOST,
     ("authorization_endpoint", "oauth", "oauth_redirect_uri_rejected")),
    (LoginFault.ACCESS_DENIED, ("callback", "callback_received", "callback_access_denied")),
]


@pytest.mark.parametrize(("fault", "expected"), FAULTS, ids=[f.value for f, _e in FAULTS])
def test_each_login_fault_has_its_verdict(fault: LoginFault, expected: tuple[str, str, str],
                                          tmp_path: Path) -> None:
    with running_lab(None, fault) as lab:
        result = login(lab, tmp_path)
        assert result.status == 1, result.output
        assert result.verdict() == expected
        assert result.report["verdict"]["hint"]
        # the clean-up ran whatever failed: no client left behind, tokens revoked
        assert lab.authorization_server.clients == {}
        assert lab.authorization_server.tokens.refresh == {}
        if fault is not LoginFault.RESOURCE_SLASH:  # that one stops before any secret
            assert_no_secret_left(result, tmp_path)


def test_the_audience_verdict_shows_the_claims_next_to_the_resource(tmp_path: Path) -> None:
    with running_lab(None, LoginFault.AUDIENCE) as lab:
        result = login(lab, tmp_path)
    verdict = result.report["verdict"]
    assert lab.issuer in verdict["message"] and lab.mcp_url in verdict["message"]
    hop = next(h for h in result.step("authorized_request")["hops"] if h["hop"] == "oauth")
    assert "audience" in hop["details"]["www_authenticate"]  # the server's own words quoted


def test_the_trailing_slash_resource_is_named(tmp_path: Path) -> None:
    """Copilot CLI takes the slash-ended resource from the metadata and sends it; the
    authorization server refuses it at the token endpoint (measured)."""
    with running_lab(None, LoginFault.RESOURCE_SLASH, client_certs=False) as lab:
        result = login_as(lab, tmp_path, "copilot")
    assert result.verdict() == ("token_endpoint", "oauth", "token_invalid_target")
    assert "ends in a slash" in result.report["verdict"]["message"]
    assert "without the trailing slash" in result.report["verdict"]["hint"]


def test_a_refused_refresh_is_a_warning_with_its_code(tmp_path: Path) -> None:
    """The clients log in all the same (measured: none refreshes during the login); the
    refusal shows when the token expires, which the warning says."""
    with running_lab(None, LoginFault.REFRESH_INVALID_GRANT) as lab:
        result = login(lab, tmp_path)
        assert lab.authorization_server.clients == {}
    assert result.status == 0, result.output
    refresh = result.step("token_refresh")
    assert refresh["status"] == "warning"
    hop = next(h for h in refresh["hops"] if h["hop"] == "oauth")
    assert hop["code"] == "refresh_invalid_grant" and "expires" in hop["message"]
    assert hop["hint"]


def test_no_refresh_token_is_a_warning_with_its_code(tmp_path: Path) -> None:
    with running_lab(None, LoginFault.NO_REFRESH_TOKEN) as lab:
        result = login(lab, tmp_path)
    assert result.status == 0, result.output
    refresh = result.step("token_refresh")
    assert refresh["status"] == "warning"
    assert [h["code"] for h in refresh["hops"] if h["hop"] == "oauth"] == ["no_refresh_token"]


@pytest.mark.parametrize(("client", "refused"), [
    ("claude-code", True), ("codex", True), ("mcp-remote", True), ("copilot", False)])
def test_a_callback_without_the_advertised_iss(client: str, refused: bool,
                                               tmp_path: Path) -> None:
    """The server advertises iss in authorization responses and sends none: Claude Code,
    Codex and mcp-remote refuse the callback, Copilot CLI takes it (measured:
    tests/real_clients/notes/login.md, no-iss); it is a warning then."""
    with running_lab(None, LoginFault.NO_ISS, client_certs=False) as lab:
        result = login_as(lab, tmp_path, client)
    if refused:
        assert result.verdict() == ("callback", "callback_received", "callback_iss_missing")
        assert "advertises it" in result.report["verdict"]["message"]
    else:
        assert result.status == 0, result.output
        received = next(h for h in result.step("callback")["hops"]
                        if h["hop"] == "callback_received")
        assert received["status"] == "warning"


def test_gemini_s_rule_refuses_a_callback_without_iss_once_the_issuer_is_known(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gemini CLI refuses a callback without iss whether or not it is advertised
    (requires_iss). Gemini CLI itself cannot reach the lab (it refuses loopback addresses for
    OAuth endpoints), so its rule is put on the copilot profile, which takes such a
    callback."""
    profile = PROFILES["copilot"]
    strict = dataclasses.replace(profile, oauth=dataclasses.replace(profile.oauth,
                                                                    requires_iss=True))
    monkeypatch.setitem(PROFILES, "copilot", strict)
    with running_lab(None, LoginFault.NO_ISS, client_certs=False) as lab:
        result = login_as(lab, tmp_path, "copilot")
    assert result.verdict() == ("callback", "callback_received", "callback_iss_missing")
    assert "once the issuer is known" in result.report["verdict"]["message"]


def test_a_callback_that_never_comes_ends_in_a_bounded_verdict(healthy: Lab,
                                                              tmp_path: Path) -> None:
    result = login(healthy, tmp_path, "--callback-wait", "1", browser="true")
    assert result.status == 1
    assert result.verdict() == ("callback", "callback_received", "callback_timeout")
    assert result.seconds < 15
    assert healthy.authorization_server.clients == {}  # the registration deleted anyway


def test_no_browser_takes_the_redirected_url_pasted(healthy: Lab, tmp_path: Path) -> None:
    """The URL printed, the browser's last URL pasted on standard input: a real process,
    its stdin a pipe, as a user's terminal."""
    report = tmp_path / "report.json"
    env = browser_env(healthy)
    env.pop("BROWSER")
    process = subprocess.Popen(
        [sys.executable, "-m", "netcheck", *lab_args(healthy, report, "--no-browser")],
        env={**env, "NETCHECK_TEST_BROWSER_STOP_AT_CALLBACK": "1"}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdin is not None
    url = None
    for line in process.stdout:
        if line.startswith("https://") and "/authorize?" in line:
            url = line.strip()
            break
    assert url is not None
    stand_in = subprocess.run([sys.executable, str(STAND_IN), url], capture_output=True,
                              text=True, timeout=30,
                              env={**env, "NETCHECK_TEST_BROWSER_STOP_AT_CALLBACK": "1"})
    pasted = stand_in.stdout.strip()
    assert pasted.startswith("http://localhost:")
    process.stdin.write(pasted + "\n")
    process.stdin.flush()
    rest, _err = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["ok"] is True
    assert pasted.split("code=")[1].split("&")[0] not in report.read_text(encoding="utf-8")


def test_anonymized_the_token_s_identity_claims_go(healthy: Lab, tmp_path: Path) -> None:
    result = login(healthy, tmp_path, "--anonymize")
    assert result.status == 0, result.output
    assert "alice@corp.example" not in result.report_text
    exchanged = next(h for h in result.step("token_endpoint")["hops"] if h["hop"] == "oauth")
    assert exchanged["details"]["access_token_claims"]["sub"].startswith("user")


def test_a_server_that_echoes_the_token_back_never_gets_it_shown(tmp_path: Path) -> None:
    """A hostile MCP server quotes the Authorization header it got in its 401 (body and
    WWW-Authenticate), and the token endpoint quotes the code in its error: the report and
    the output quote the servers, never the secrets."""
    from netcheck.lab.https import LabHttpsServer, LabRequest, LabResponse

    with running_lab(None, LoginFault.AUDIENCE) as lab:
        mcp = next(c for c in lab._closers if isinstance(c, LabHttpsServer)
                   and "McpServer" in repr(c.app))
        honest = mcp.app

        def echoing(request: LabRequest) -> LabResponse:
            answer = honest(request)
            said = request.headers.get("authorization", "")
            if answer.status == 401 and said:
                answer.body += f" you sent: {said}".encode()
                answer.headers = [(k, v.replace('error_description="',
                                                f'error_description="you sent {said}; '))
                                  for k, v in answer.headers]
            return answer

        mcp.app = echoing
        result = login(lab, tmp_path, "-v")
    assert result.verdict() == ("authorized_request", "oauth", "token_audience_mismatch")
    assert "you sent" in result.report_text  # the server's words are there
    assert_no_secret_left(result, tmp_path)


def test_login_to_a_configured_server_by_name(healthy: Lab, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".claude.json").write_text(json.dumps(
        {"mcpServers": {"lab": {"type": "http", "url": healthy.mcp_url}}}), encoding="utf-8")
    report = tmp_path / "report.json"
    args = ["login", "--server", "lab", "--public-roots", healthy.public_roots,
            "--dns-server", healthy.dns.address, "--json", str(report), "--callback-wait", "20"]
    out = io.StringIO()
    status = main(args, {**browser_env(healthy), "HOME": str(home)}, out, io.StringIO())
    assert status == 0, out.getvalue()
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["target"].startswith(healthy.mcp_url.split("/mcp")[0])
    assert saved["client_profile"]["name"] == "claude-code"


@pytest.mark.parametrize(("args", "said"), [
    ([], "give the MCP server's URL"),
    (["https://mcp.example.test/mcp", "--no-oauth"], "--no-oauth leaves nothing"),
    (["https://mcp.example.test/mcp", "--callback-wait", "0"], "--callback-wait wants"),
    (["https://mcp.example.test/mcp", "--server", "x"], "not both"),
    (["https://mcp.example.test/mcp", "--register"], "login registers a client anyway"),
])
def test_login_usage_errors_exit_2_before_any_side_effect(args: list[str], said: str) -> None:
    err = io.StringIO()
    assert main(["login", *args], {}, io.StringIO(), err) == 2
    assert said in err.getvalue()


def test_a_confidential_pre_registered_client_sends_its_secret_with_basic(
        tmp_path: Path) -> None:
    """--client-id with --client-secret-env: the token endpoint that wants
    client_secret_basic gets it, and the secret appears nowhere."""
    secret = "lab-client-secret-8c1f2e"
    with running_lab(None, LoginFault.CLIENT_SECRET_BASIC) as lab:
        lab.authorization_server.clients["pre-registered"] = {
            "redirect_uris": ["http://localhost:54321/callback"],
            "registration_access_token": "unused", "client_secret": secret}
        report = tmp_path / "report.json"
        out = io.StringIO()
        env = {**browser_env(lab), "LAB_CLIENT_SECRET": secret}
        status = main(lab_args(lab, report, "--client-id", "pre-registered",
                               "--client-secret-env", "LAB_CLIENT_SECRET",
                               "--callback-port", "54321", "-v"), env, out, io.StringIO())
        text = report.read_text(encoding="utf-8")
    assert status == 0, out.getvalue()
    exchanged = next(s for s in json.loads(text)["steps"] if s["step"] == "token_endpoint")
    assert next(h for h in exchanged["hops"] if h["hop"] == "oauth")["details"][
        "client_auth"] == "client_secret_basic"
    assert secret not in text and secret not in out.getvalue()


def test_ctrl_c_while_waiting_for_the_browser_cleans_up_and_writes_the_report(
        healthy: Lab, tmp_path: Path) -> None:
    """Interrupted at the callback wait: exit 130, the report of the steps so far, and the
    client registered for the login deleted again."""
    import signal

    def default_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    report = tmp_path / "report.json"
    env = {**browser_env(healthy, "true")}
    process = subprocess.Popen(
        [sys.executable, "-m", "netcheck", *lab_args(healthy, report)], env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint)
    assert process.stdout is not None
    for line in process.stdout:
        if "waiting up to" in line:
            break
    assert healthy.authorization_server.clients  # registered for the login
    process.send_signal(signal.SIGINT)
    _rest, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["interrupted"] is True
    assert healthy.authorization_server.clients == {}  # deleted on the way out
