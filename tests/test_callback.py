"""Step ``callback`` (the browser's way back to the client) and the redirect_uri a pre-registered
client sends, against the MCP Python SDK's authorization server (``tests/sdk_lab.py``).

The machine is replaced only at its boundaries: the resolver (a hosts file of the test's), the
marker files of remote sessions, and the environment. Ports are real loopback sockets.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import AnyUrl

from netcheck.model import Code, Hop, Status, Step
from netcheck.net.http1 import HttpResponse
from netcheck.oauth import callback
from netcheck.oauth.loopback import Machine, bind_and_release, plan_callback
from netcheck.oauth.redirect_uri import rejection
from netcheck.profiles import PROFILES
from tests.sdk_lab import SdkLab, Variant

CLAUDE = PROFILES["claude-code"].callback
NODE = PROFILES["node"].callback
NOTHING_REMOTE = Machine(exists=lambda path: False)


@pytest.fixture
def lab(pki) -> Iterator[SdkLab]:  # type: ignore[no-untyped-def]
    lab = SdkLab(pki, Variant())
    yield lab
    lab.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pre_register(lab: SdkLab, client_id: str, redirect_uri: str) -> None:
    """A client the authorization server knows, with exactly one redirect URI."""
    lab.provider.clients[client_id] = OAuthClientInformationFull(
        client_id=client_id, redirect_uris=[AnyUrl(redirect_uri)], scope="mcp:tools",
        grant_types=["authorization_code", "refresh_token"], response_types=["code"],
        token_endpoint_auth_method="none")


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["steps"] if s["step"] == name)


def hops(report: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {h["hop"]: h for h in step(report, name)["hops"]}


# --- the redirect_uri a pre-registered client sends, against the lab's authorization server --

def test_registered_redirect_uri_passes_and_another_is_rejected(run_cli, lab_args, lab):
    registered = free_port()
    pre_register(lab, "corp-client", f"http://localhost:{registered}/callback")

    right = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "corp-client",
                    "--callback-port", str(registered))
    assert right.status == 0, right.stdout
    auth = hops(right.report, "authorization_endpoint")["oauth"]
    assert auth["details"]["redirect_uri"] == f"http://localhost:{registered}/callback"
    assert auth["details"]["status"] == 302  # on to the login page
    assert step(right.report, "callback")["url"] == f"http://localhost:{registered}/callback"

    other = free_port()
    wrong = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "corp-client",
                    "--callback-port", str(other))
    assert wrong.status == 1
    assert wrong.diagnosis == ("authorization_endpoint", "oauth", "oauth_redirect_uri_rejected")
    verdict = wrong.report["verdict"]
    assert f"http://localhost:{other}/callback" in verdict["message"]
    assert "not registered" in verdict["message"]  # what the server said
    assert f"register exactly http://localhost:{other}/callback" in verdict["hint"]
    assert "--callback-port" in verdict["hint"] and "oauth.callbackPort" in verdict["hint"]
    assert [s["step"] for s in wrong.report["steps"]][-3:] == ["callback", "token_endpoint",
                                                               "token_refresh"]
    assert "not run" in step(wrong.report, "callback")["notes"][0]


def test_random_port_against_an_exact_registration_says_fix_the_port(run_cli, lab_args, lab):
    pre_register(lab, "corp-client", f"http://localhost:{free_port()}/callback")
    result = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "corp-client")
    assert result.diagnosis == ("authorization_endpoint", "oauth",
                                "oauth_redirect_uri_rejected")
    sent = hops(result.report, "authorization_endpoint")["oauth"]["details"]["redirect_uri"]
    port = int(sent.split(":")[2].split("/")[0])
    assert sent == f"http://localhost:{port}/callback" and 49152 <= port <= 65535
    hint = result.report["verdict"]["hint"]
    assert "at random" in hint and "http://localhost:PORT/callback registered" in hint


def test_unknown_client_id_is_not_a_redirect_uri_rejection(run_cli, lab_args, lab):
    result = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "nobody-registered-me",
                     "--callback-port", str(free_port()))
    assert result.status == 0, result.stdout  # "Client ID not found": as before, no diagnosis


def test_the_old_code_sent_127_0_0_1_which_claude_code_does_not(run_cli, lab_args, lab):
    """Claude Code sends localhost: a registration of http://127.0.0.1:PORT/callback does not
    match what it sends, and netcheck now says so."""
    port = free_port()
    pre_register(lab, "corp-client", f"http://127.0.0.1:{port}/callback")
    result = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "corp-client",
                     "--callback-port", str(port))
    assert result.diagnosis == ("authorization_endpoint", "oauth",
                                "oauth_redirect_uri_rejected")
    sdk = run_cli("check", lab.mcp_url, *lab_args, "--client-id", "corp-client",
                  "--callback-port", str(port), "--client", "node")
    assert sdk.status == 0, sdk.stdout  # the SDK stand-in sends 127.0.0.1
    assert any("the application's" in n for n in step(sdk.report, "callback")["notes"])


# --- the port -------------------------------------------------------------------------------

def test_fixed_port_held_by_another_socket(run_cli, lab_args, lab):
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        result = run_cli("check", lab.mcp_url, *lab_args, "--callback-port", str(port))
        assert result.status == 1
        assert result.diagnosis == ("callback", "callback_port", "callback_port_in_use")
        assert f"lsof -nP -iTCP:{port} -sTCP:LISTEN" in result.report["verdict"]["hint"]
        assert step(result.report, "token_endpoint")["notes"] == \
            ["not run: an earlier step failed"]
        held.settimeout(0.2)  # nothing was sent to the callback port
        with pytest.raises(TimeoutError):
            held.accept()


def test_random_port_is_drawn_as_claude_code_draws_it(run_cli, lab_args, lab):
    result = run_cli("check", lab.mcp_url, *lab_args)
    assert result.status == 0, result.stdout
    port_hop = hops(result.report, "callback")["callback_port"]
    assert port_hop["status"] == "ok"
    assert port_hop["details"]["fixed"] is False
    assert 49152 <= port_hop["details"]["port"] <= 65535
    sent = hops(result.report, "authorization_endpoint")["oauth"]["details"]["redirect_uri"]
    assert sent == f"http://localhost:{port_hop['details']['port']}/callback"
    # the port was released: it can be bound again at once
    assert bind_and_release("127.0.0.1", port_hop["details"]["port"]).ok


def test_a_busy_stand_in_port_warns_and_a_given_one_fails():
    """An SDK's callback is the application's: netcheck's stand-in port being held by some
    program (a CI run found a lab server on it) says nothing about the login."""
    busy = Machine(exists=lambda path: False, bind=lambda address, port: _bound(False))
    stand_in = callback.check(plan_callback(NODE, None, {}, busy), {}, busy)
    assert stand_in.ok and stand_in.hops[2].status is Status.WARNING
    assert "--callback-port" in stand_in.hops[2].notes[0]
    given = callback.check(plan_callback(NODE, 41000, {}, busy), {}, busy)
    assert not given.ok and given.hops[2].code is Code.CALLBACK_PORT_IN_USE


def test_port_choice_order():
    taken = iter([50001, 50002])
    machine = Machine(bind=lambda address, port: _bound(port != 50001),
                      pick=lambda low, high: next(taken))
    assert plan_callback(CLAUDE, 41000, {"MCP_OAUTH_CALLBACK_PORT": "42000"}, machine).port \
        == 41000  # the server's oauth.callbackPort first (measured)
    from_env = plan_callback(CLAUDE, None, {"MCP_OAUTH_CALLBACK_PORT": "42000"}, machine)
    assert (from_env.port, from_env.fixed) == (42000, True)
    drawn = plan_callback(CLAUDE, None, {"MCP_OAUTH_CALLBACK_PORT": "nope"}, machine)
    assert (drawn.port, drawn.fixed) == (50002, False)  # 50001 was taken: drawn again
    assert drawn.redirect_uri == "http://localhost:50002/callback"
    sdk = plan_callback(NODE, None, {"MCP_OAUTH_CALLBACK_PORT": "42000"}, machine)
    assert sdk.redirect_uri == "http://127.0.0.1:33418/callback"
    on_windows = Machine(bind=lambda address, port: _bound(True), pick=lambda low, high: low,
                         windows=True)
    assert plan_callback(CLAUDE, None, {}, on_windows).port == 39152  # its Windows range


def _bound(ok: bool) -> Any:
    from netcheck.oauth.loopback import BindResult
    return BindResult(True) if ok else BindResult(False, "EADDRINUSE", "Address in use")


def test_a_listener_on_ipv6_only_does_not_take_the_port():
    """Measured: Claude Code still listens on 127.0.0.1:PORT when [::1]:PORT is held."""
    with socket.socket(socket.AF_INET6) as held:
        held.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        held.bind(("::1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        result = callback.check(plan_callback(CLAUDE, port, {}, NOTHING_REMOTE), {},
                                NOTHING_REMOTE)
    assert result.ok and result.hops[2].hop is Hop.CALLBACK_PORT


def test_a_port_that_cannot_be_bound():
    machine = Machine(exists=lambda p: False,
                      bind=lambda address, port: _unavailable())
    result = callback.check(plan_callback(CLAUDE, 80, {}, machine), {}, machine)
    failure = result.first_failure()
    assert failure is not None and failure.code is Code.CALLBACK_PORT_UNAVAILABLE
    assert "EACCES" in failure.message


def _unavailable() -> Any:
    from netcheck.oauth.loopback import BindResult
    return BindResult(False, "EACCES", "Permission denied")


# --- localhost, through a hosts file of the test's --------------------------------------------

def hosts_resolver(path: Path) -> Callable[[str], list[str]]:
    """A resolver that answers from ``path`` only, as a hosts file does."""

    def resolve(name: str) -> list[str]:
        found = [parts[0] for line in path.read_text().splitlines()
                 if (parts := line.split("#")[0].split()) and name in parts[1:]]
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return found
    return resolve


@pytest.mark.parametrize(("hosts", "code", "first_note"), [
    ("127.0.0.1 localhost\n::1 localhost ip6-localhost\n", None, None),
    ("::1 localhost ip6-localhost\n127.0.0.1 localhost\n", None, "::1 comes first"),
    ("::1 localhost ip6-localhost\n127.0.1.1 myhost\n", Code.LOCALHOST_MISMATCH, None),
    ("127.0.1.1 myhost\n", Code.LOCALHOST_UNRESOLVED, None),
], ids=["v4-first", "v6-first", "no-127.0.0.1", "no-localhost"])
def test_localhost_as_the_hosts_file_says(tmp_path, hosts, code, first_note):
    path = tmp_path / "hosts"
    path.write_text(hosts)
    machine = Machine(resolve=hosts_resolver(path), exists=lambda p: False)
    result = callback.check(plan_callback(CLAUDE, free_port(), {}, machine), {}, machine)
    hop = result.hops[1]
    assert hop.hop is Hop.LOCALHOST_RESOLVE
    assert hop.code is code
    if code is Code.LOCALHOST_MISMATCH:
        assert "::1" in hop.message and "127.0.0.1" in hop.message
    if code is not None:
        assert hop.hint is not None and "'127.0.0.1 localhost'" in hop.hint
        assert result.ok is False
    if first_note:
        assert any(first_note in n for n in hop.notes) and hop.status is Status.OK


def test_an_address_in_the_redirect_uri_needs_no_resolution():
    def never(name: str) -> list[str]:
        raise AssertionError("nothing to resolve")
    machine = Machine(resolve=never, exists=lambda p: False)
    result = callback.check(plan_callback(NODE, None, {}, machine), {}, machine)
    assert result.hops[1].status is Status.OK
    assert any("the application's, not the library's" in n for n in result.notes)


# --- remote sessions --------------------------------------------------------------------------

SSH = {"SSH_CONNECTION": "10.0.0.9 50022 10.0.0.5 2222", "USER": "alice"}


def test_ssh_session_with_a_fixed_port_gives_the_forwarding_command(run_cli, lab_args, lab):
    port = free_port()
    result = run_cli("check", lab.mcp_url, *lab_args, "--callback-port", str(port), env=SSH)
    assert result.status == 0, result.stdout  # a warning: netcheck cannot see the tunnel
    hop = hops(result.report, "callback")["remote_session"]
    assert hop["status"] == "warning"
    forward = hop["details"]["forward"]
    assert f"ssh -N -L {port}:127.0.0.1:{port} -p 2222 alice@10.0.0.5" in forward
    assert any(forward in note for note in hop["notes"])  # shown in the terminal too
    assert any(w["step"] == "callback" for w in result.report["warnings"])


def test_ssh_session_with_a_random_port_says_fix_it_first(run_cli, lab_args, lab):
    result = run_cli("check", lab.mcp_url, *lab_args, env=SSH)
    hop = hops(result.report, "callback")["remote_session"]
    assert hop["status"] == "warning"
    forward = hop["details"]["forward"]
    assert forward.startswith("the client draws a new port for every login")
    assert "MCP_OAUTH_CALLBACK_PORT=PORT" in forward
    assert "ssh -N -L PORT:127.0.0.1:PORT -p 2222 alice@10.0.0.5" in forward


@pytest.mark.parametrize(("env", "markers", "kind", "says"), [
    ({}, {"/proc/sys/fs/binfmt_misc/WSLInterop"}, "wsl", "localhostForwarding"),
    ({"WSL_DISTRO_NAME": "Ubuntu"}, set(), "wsl", ".wslconfig"),
    ({}, {"/.dockerenv"}, "container", "--network host"),
    ({"CODESPACES": "true", "CODESPACE_NAME": "fluffy-pancake"}, set(), "codespaces",
     "gh codespace ports forward {port}:{port} -c fluffy-pancake"),
    ({"GITPOD_WORKSPACE_ID": "x"}, set(), "gitpod", "Ports view"),
], ids=["wsl-marker", "wsl-env", "docker", "codespaces", "gitpod"])
def test_other_remote_sessions(env, markers, kind, says):
    port = free_port()
    machine = Machine(exists=lambda path: path in markers, resolve=lambda name: ["127.0.0.1"])
    result = callback.check(plan_callback(CLAUDE, port, env, machine), env, machine)
    hop = result.hops[0]
    assert hop.hop is Hop.REMOTE_SESSION and hop.status is Status.WARNING
    assert hop.details["sessions"][0]["kind"] == kind
    assert says.format(port=port) in hop.details["forward"] in hop.notes[0]
    assert result.ok  # a warning, not a failure
    assert "browser's machine resolves localhost" in result.hops[1].notes[0]


def test_no_remote_session_here():
    machine = Machine(exists=lambda path: False, resolve=lambda name: ["127.0.0.1"])
    result = callback.check(plan_callback(CLAUDE, free_port(), {}, machine), {}, machine)
    assert [h.status for h in result.hops] == [Status.OK] * 3
    assert result.step is Step.CALLBACK and result.ok


# --- recognising a refusal --------------------------------------------------------------------

URI = "http://localhost:5000/callback"


def answer(status: int, body: str, content_type: str = "text/html",
           location: str | None = None) -> HttpResponse:
    headers = [("Content-Type", content_type)] + ([("Location", location)] if location else [])
    return HttpResponse(status, "", "HTTP/1.1", headers, body.encode(), body_complete=True)


@pytest.mark.parametrize(("response", "refused"), [
    (answer(400, '{"error": "invalid_request", "error_description": "Redirect URI '
                 "'http://localhost:5000/callback' not registered for client\"}",
            "application/json"), True),
    (answer(400, '{"error": "invalid_request", "error_description": "Client ID not found"}',
            "application/json"), False),
    (answer(200, "<html><title>Sign in to your account</title><body>AADSTS50011: The "
                 "redirect URI specified in the request does not match</body></html>"), True),
    (answer(400, "<title>Error 400: redirect_uri_mismatch</title>"), True),
    (answer(200, "<title>Sign in</title><body>Username Password</body>"), False),
    (answer(302, "", location=f"{URI}?error=invalid_scope&state=x"), False),
    (answer(302, "", location="https://as.test/error?error=invalid_request&error_description="
                              "redirect_uri+is+not+registered"), True),
    (answer(302, "", location="https://as.test/login?state=x"), False),
], ids=["sdk-json", "unknown-client", "entra-page", "google-page", "login-page",
        "back-to-client", "as-error-page", "login-redirect"])
def test_rejection_is_recognised(response, refused):
    assert (rejection(response, URI) is not None) is refused


def test_the_docs_document_every_step_hop_and_code():
    docs = (Path(__file__).parent.parent / "docs").glob("*.md")
    text = "".join(path.read_text(encoding="utf-8") for path in docs)
    names = [*Step, *Hop, *Code]
    assert [n.value for n in names if f"`{n.value}`" not in text] == []


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_callback_port_out_of_range_is_a_usage_error(run_cli, port):
    result = run_cli("check", "https://mcp.test/mcp", "--callback-port", port)
    assert result.status == 2
    assert "--callback-port must be a whole number from 1 to 65535" in result.stderr


# --- against Claude Code itself ---------------------------------------------------------------

@pytest.fixture
def claude_lab(pki) -> Iterator[tuple[Any, SdkLab]]:  # type: ignore[no-untyped-def]
    from tests.real_clients import claude_code_auth
    from tests.real_clients.rig import Rig

    why = claude_code_auth.unavailable()
    if why:
        pytest.skip(why)
    rig = Rig(pki)
    yield rig, rig.sdk_lab()
    rig.close()


@pytest.mark.real_client
def test_claude_code_sends_the_redirect_uri_netcheck_sends(run_cli, lab_args, claude_lab,
                                                           tmp_path):
    from tests.real_clients.claude_code_auth import authenticate

    rig, lab = claude_lab
    port = free_port()
    server = {"type": "http", "url": lab.mcp_url, "oauth": {"callbackPort": port}}
    out = authenticate(rig.sandbox(tmp_path / "free"), "t", server,
                       {"NODE_EXTRA_CA_CERTS": rig.path("public-ca.pem")})
    assert out.state == "auth_url", out.screen
    result = run_cli("check", lab.mcp_url, *lab_args, "--callback-port", str(port))
    assert result.status == 0, result.stdout
    sent = hops(result.report, "authorization_endpoint")["oauth"]["details"]["redirect_uri"]
    assert sent == out.query["redirect_uri"] == f"http://localhost:{port}/callback"

    with socket.socket() as held:  # another program holds the fixed port
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", port))
        held.listen(1)
        out = authenticate(rig.sandbox(tmp_path / "held"), "t", server,
                           {"NODE_EXTRA_CA_CERTS": rig.path("public-ca.pem")})
        result = run_cli("check", lab.mcp_url, *lab_args, "--callback-port", str(port))
    assert out.state == "failed" and "already in use" in (out.error_line or ""), out.screen
    assert result.diagnosis == ("callback", "callback_port", "callback_port_in_use")
