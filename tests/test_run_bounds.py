"""Connection reuse and the whole-run deadline, against the demo lab and hostile servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netcheck.lab.lab import Lab, running_lab
from tests import hostile
from tests.pki import Pki


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with running_lab(None) as started:
        yield started


def lab_args(lab: Lab) -> list[str]:
    options = lab.options()
    assert options.public_roots and options.dns_server
    return ["--public-roots", options.public_roots, "--dns-server", options.dns_server]


def servers_of(lab: Lab) -> list[object]:
    from netcheck.lab.https import LabHttpsServer

    return [c for c in lab._closers if isinstance(c, LabHttpsServer)]


def test_one_connection_per_origin_is_reused(run_cli, lab):
    before = [s.listener.accepted for s in servers_of(lab)]
    result = run_cli("check", lab.mcp_url, *lab_args(lab), env=lab.env)
    assert result.status == 0, result.stdout
    opened = [s.listener.accepted - b for s, b in zip(servers_of(lab), before, strict=True)]
    # the MCP server: one connection for the resource request and one for its metadata,
    # sent beside it (netcheck.oauth.prefetch); the authorization server: its metadata's, and
    # up to three opened ahead for the four requests that go out side by side once the
    # metadata is in (the registration POST, which a resend could repeat, always on a fresh
    # one; the others reuse when one is free)
    assert opened[1] == 2
    assert 2 <= opened[0] <= 4
    steps = {s["step"]: s for s in result.report["steps"]}
    registration = next(h for h in steps["client_registration"]["hops"] if h["hop"] == "tls")
    assert "reused_from" not in registration["details"]
    prm_tls = next(h for h in steps["protected_resource_metadata"]["hops"] if h["hop"] == "tls")
    assert prm_tls["status"] == "ok"
    assert "reused_from" not in prm_tls["details"] and prm_tls["details"]["chain"]
    fresh = [name for name in ("authorization_server_metadata", "client_registration",
                               "authorization_endpoint", "token_endpoint", "token_refresh")
             if "reused_from" not in next(h for h in steps[name]["hops"]
                                          if h["hop"] == "tls")["details"]]
    assert len(fresh) <= opened[0]  # every fresh TLS hop is a connection the server accepted
    cert = next(h for h in steps["token_refresh"]["hops"] if h["hop"] == "client_cert")
    assert cert["status"] == "ok" and cert["details"]["requested"] is True


def test_no_reuse_opens_a_connection_per_request(run_cli, lab):
    before = [s.listener.accepted for s in servers_of(lab)]
    result = run_cli("check", lab.mcp_url, *lab_args(lab), "--no-reuse", env=lab.env)
    assert result.status == 0, result.stdout
    opened = [s.listener.accepted - b for s, b in zip(servers_of(lab), before, strict=True)]
    sent = [s for s in result.report["steps"][1:] if s["step"] != "callback"]  # local checks
    assert sum(opened) == len(sent)
    for step in sent:
        tls = next(h for h in step["hops"] if h["hop"] == "tls")
        assert "reused_from" not in tls["details"] and tls["details"]["chain"]


@pytest.mark.parametrize("seen_closed", [True, False], ids=["close-seen", "close-not-seen-yet"])
def test_a_connection_the_server_closed_is_replaced(run_cli, pki, hostile_server, monkeypatch,
                                                    seen_closed):
    """A server that answers without 'Connection: close' and then hangs up anyway; whether or
    not its close has arrived when the next request takes the connection, the request is sent
    again on a new one."""
    if not seen_closed:
        from netcheck.net.pool import KeptConnection

        monkeypatch.setattr(KeptConnection, "dropped", lambda self: False)
    server = hostile_server
    prm = "/.well-known/oauth-protected-resource/mcp"
    server.routes["/mcp"] = hostile.challenge(server.url(prm))
    server.routes[prm] = hostile.answer(404, b"{}")
    result = run_cli("check", server.url("/mcp"), "--cacert", pki.path("public-ca.pem"),
                     "--timeout", "3")
    assert result.diagnosis[0] == "protected_resource_metadata"
    assert result.diagnosis[1:] == ("http", "http_not_found")
    assert server.listener.accepted == 1 + len(result.report["steps"][2]["attempts"])


# --- the whole-run deadline --------------------------------------------------------------------


def test_deadline_cuts_a_hop_short_and_says_where(run_cli, base_args, silent_listener):
    args = [a for a in base_args if a not in ("--timeout", "3")]
    result = run_cli("check", f"https://127.0.0.1:{silent_listener.port}/mcp", *args,
                     "--timeout", "10", "--deadline", "1.5")
    assert result.diagnosis == ("resource", "tls", "run_deadline_exceeded")
    assert result.seconds < 1.5 + 1
    assert result.report["deadline"] == {"seconds": 1.5, "reached": True}
    assert "1.5 s" in result.report["verdict"]["message"]


def test_deadline_during_the_oauth_flow(run_cli, pki: Pki, hostile_server):
    server = hostile_server
    prm = "/.well-known/oauth-protected-resource/mcp"
    server.routes["/mcp"] = hostile.challenge(server.url(prm))
    server.routes[prm] = hostile.drip(every=0.5)
    result = run_cli("check", server.url("/mcp"), "--cacert", pki.path("public-ca.pem"),
                     "--timeout", "10", "--deadline", "2")
    assert result.diagnosis == ("protected_resource_metadata", "http", "run_deadline_exceeded")
    assert result.seconds < 2 + 1
    later = [s for s in result.report["steps"] if s["step"] == "token_endpoint"]
    assert later and later[0]["notes"] == ["not run: an earlier step failed"]


def test_deadline_gone_before_a_step_starts(run_cli, lab):
    result = run_cli("check", lab.mcp_url, *lab_args(lab), "--deadline", "0.001", env=lab.env)
    assert result.diagnosis == ("resource", "proxy_resolve", "run_deadline_exceeded")
    assert "before this step could start" in result.report["verdict"]["message"]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "100000"])
def test_bad_deadline_is_a_usage_error(run_cli, value):
    result = run_cli("check", "https://mcp.test/mcp", "--deadline", value)
    assert result.status == 2 and result.report is None
    assert "--deadline" in result.stderr


def test_a_process_holding_over_a_thousand_descriptors_still_checks(run_cli, lab):
    """Every wait polls its socket: ``select`` refuses a descriptor past 1023, and a process
    that embeds netcheck (or checks many servers) can hold that many."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1400
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"this machine allows {hard} open files, fewer than {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert held[-1] > 1023
        result = run_cli("check", lab.mcp_url, *lab_args(lab), env=lab.env)
        assert result.status == 0, result.stdout
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
