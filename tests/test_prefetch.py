"""The protected-resource metadata request sent beside the MCP server's first request
(``netcheck.oauth.prefetch``): a round trip sooner when the 401 names the well-known URL, and
never in place of the URL the 401 names."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests import servers
from tests.servers import closed_port

WELL_KNOWN = "/.well-known/oauth-protected-resource/mcp"


class SlowChallenge:
    """An MCP server whose 401 takes 0.6 s (a server far away), naming ``named`` (a path on
    itself) as its resource_metadata, with that metadata at every well-known path."""

    def __init__(self, named: str) -> None:
        self.named, self.url = named, ""
        self.seen: list[tuple[str, float]] = []  # (what, when it arrived or left)

    def __call__(self, req: servers.Request) -> tuple[int, list[tuple[str, str]], bytes]:
        if req.method == "POST":
            time.sleep(0.6)
            self.seen.append(("401", time.monotonic()))
            origin = self.url.rsplit("/", 1)[0]
            return 401, [("WWW-Authenticate", f'Bearer resource_metadata="{origin}{self.named}"'),
                         ("Content-Type", "application/json")], b'{"error":"invalid_token"}'
        self.seen.append((req.path, time.monotonic()))
        if req.path in (WELL_KNOWN, self.named):
            document = {"resource": self.url,
                        "authorization_servers": [f"https://auth.test:{closed_port()}/"]}
            return 200, [("Content-Type", "application/json")], json.dumps(document).encode()
        return 404, [("Content-Type", "text/plain")], b"not found"


def _run(run_cli: Any, serve: Any, pki: Any, dns_server: Any, named: str,
         *extra: str) -> tuple[SlowChallenge, Any]:
    handler = SlowChallenge(named)
    server = serve(handler)
    handler.url = server.url("mcp.test")
    result = run_cli("check", handler.url, "--public-roots", pki.path("public-ca.pem"),
                     "--dns-server", dns_server.address, "--timeout", "3", *extra)
    return handler, result


def _step(result: Any, name: str) -> dict[str, Any]:
    return next(s for s in result.report["steps"] if s["step"] == name)


def test_the_metadata_request_goes_out_beside_the_first_one(run_cli, serve, pki, dns_server):
    """The 401 names the well-known URL (as most servers do): its request was sent while the
    401 was still on its way, and the step reports it, hop by hop, as its own."""
    handler, result = _run(run_cli, serve, pki, dns_server, WELL_KNOWN)
    arrived = dict(handler.seen)
    assert arrived[WELL_KNOWN] < arrived["401"], handler.seen
    step = _step(result, "protected_resource_metadata")
    assert step["status"] == "passed", step
    assert step["url"].endswith(WELL_KNOWN)
    assert [h["hop"] for h in step["hops"]][:3] == ["proxy_resolve", "dns", "tcp"]
    assert [a["url"] for a in step["attempts"]] == [step["url"]]


def test_a_named_url_is_asked_and_the_early_answer_left_unused(run_cli, serve, pki, dns_server):
    """The 401 names another URL: the step asks that one, as the client does; the answer to the
    well-known URL sent early is not used."""
    handler, result = _run(run_cli, serve, pki, dns_server, "/meta/prm")
    paths = [what for what, _ in handler.seen]
    assert paths.index("401") < paths.index("/meta/prm")
    step = _step(result, "protected_resource_metadata")
    assert step["status"] == "passed", step
    assert [a["url"] for a in step["attempts"]] == [step["url"]]
    assert step["url"].endswith("/meta/prm")


@pytest.mark.parametrize("option", ["--no-oauth", "--no-reuse"])
def test_nothing_is_sent_early_without_the_flow_or_without_reuse(run_cli, serve, pki, dns_server,
                                                                  option):
    """Without the OAuth flow no metadata is asked for; with --no-reuse (a new connection for
    every request) nothing is sent before the step asks."""
    handler, _result = _run(run_cli, serve, pki, dns_server, WELL_KNOWN, option)
    if option == "--no-oauth":
        assert [what for what, _ in handler.seen] == ["401"]
    else:
        arrived = dict(handler.seen)
        assert arrived["401"] < arrived[WELL_KNOWN], handler.seen


def test_an_early_request_whose_own_connection_failed_is_not_the_verdict():
    """The extra connection failed before an answer (a proxy limiting tunnels, say): the step
    asks again as the client would, over the connection the first request left open."""
    from concurrent.futures import Future
    from types import SimpleNamespace

    from netcheck.model import Code, Hop, Step, StepResult, failed
    from netcheck.oauth.fetch import _taken
    from netcheck.pipeline import UrlProbe

    ctx: Any = SimpleNamespace(observer=None, run=SimpleNamespace(
        deadline=SimpleNamespace(remaining=lambda: 5.0)))

    def answered(hop: Hop) -> Future[UrlProbe]:
        step = StepResult(step=Step.PROTECTED_RESOURCE_METADATA, url="https://mcp.test/x")
        step.hops.append(failed(hop, Code.HTTP_NOT_FOUND if hop is Hop.HTTP
                                else Code.PROXY_FORBIDDEN, "no", "fix"))
        future: Future[UrlProbe] = Future()
        future.set_result(UrlProbe(step=step))
        return future

    prm = Step.PROTECTED_RESOURCE_METADATA
    assert _taken(answered(Hop.PROXY_CONNECT), prm, ctx) is None
    taken = _taken(answered(Hop.HTTP), prm, ctx)
    assert taken is not None and taken.step.hops[0].code is Code.HTTP_NOT_FOUND
