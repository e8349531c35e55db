"""Trying the URLs of one step in order, each through the full hop pipeline."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from netcheck.hops.http import HttpRequest, StatusJudge, error_status
from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult
from netcheck.net.http1 import HttpResponse
from netcheck.oauth.context import FlowContext
from netcheck.pipeline import UrlProbe, probe
from netcheck.redaction import redact_url

AHEAD_GRACE_S = 1.0  # past the deadline, for a request sent ahead to record that it ran out


@dataclass
class Fetched:
    step: StepResult
    response: HttpResponse | None  # the decisive answer, when its http hop passed

    @property
    def ok(self) -> bool:
        return self.response is not None and self.step.ok


def judge_document(url: str) -> StatusJudge:
    """Discovery: 200 answers; anything else is this URL's failure (the caller may move on)."""

    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        if response.status == 200:
            return HopResult(hop=Hop.HTTP, status=Status.OK, details=details,
                             message=f"200, {response.content_type or 'no content type'}, "
                                     f"{len(response.body)} bytes")
        return error_status(response, url, details, "the metadata request")
    return judge


def _outcome(result: UrlProbe) -> dict[str, Any]:
    failure = result.step.first_failure()
    status = result.response.status if result.response is not None else None
    if failure is None or (failure.hop is Hop.HTTP and status is not None):
        text = f"answered {status}"
    else:
        text = f"failed at {failure.hop.value}: {failure.code.value if failure.code else ''}"
    return {"url": redact_url(result.step.url or ""), "status": status,
            "hop": failure.hop.value if failure else None,
            "code": failure.code.value if failure and failure.code else None, "outcome": text}


def _taken(ahead: Future[UrlProbe], step: Step, ctx: FlowContext) -> UrlProbe | None:
    """The answer of the request sent ahead for this URL (see :mod:`netcheck.oauth.prefetch`),
    its hops shown now. None, and the step sends its own request as the client would (over
    the connection the first request left open), when: it is not there soon after the run's
    deadline (its own waits end at the deadline, and it records where); it failed in netcheck;
    or its own connection failed before an answer (a proxy limiting tunnels, a dropped
    connection): a failure of the extra connection is not the client's."""
    try:
        result: UrlProbe = ahead.result(timeout=ctx.run.deadline.remaining() + AHEAD_GRACE_S)
    except Exception:  # noqa: BLE001 - the step's own request decides instead
        return None
    failure = result.step.first_failure()
    if result.step.step is not step or (failure is not None and failure.hop is not Hop.HTTP):
        return None
    if ctx.observer is not None:
        for hop in result.step.hops:
            ctx.observer(step, hop)
    return result


def fetch_in_order(ctx: FlowContext, step: Step, urls: list[str],
                   build: Callable[[str], HttpRequest], judge: Callable[[str], StatusJudge],
                   move_on: Callable[[int], bool]) -> Fetched:
    """Try ``urls`` in order: an answer whose status satisfies ``move_on`` sends us to the next
    URL, as a client does; anything else (success, another status, a network failure) decides."""
    attempts: list[dict[str, Any]] = []
    decisive: UrlProbe | None = None
    for index, url in enumerate(urls):
        ahead = ctx.run.take_prefetched(url) if index == 0 else None
        result = _taken(ahead, step, ctx) if ahead is not None else None
        if result is None:
            result = probe(step, build(url), judge(url), ctx.prepared, ctx.run, ctx.observer,
                           date_skew_s=ctx.date_skew_s)
        if result.date_skew_s is not None:
            ctx.date_skew_s = result.date_skew_s
        attempts.append(_outcome(result))
        decisive = result
        failure = result.step.first_failure()
        if failure is None:
            break
        status = result.response.status if result.response is not None else None
        if failure.hop is Hop.HTTP and status is not None and move_on(status) \
                and index < len(urls) - 1:
            continue
        if failure.hop is not Hop.HTTP and index < len(urls) - 1:
            result.step.notes.append(
                "clients built on the MCP TypeScript SDK hide this network failure (Node's "
                "'fetch failed') and move on to the next URL, then report missing metadata; "
                "this is the real cause")
        elif failure.hop is Hop.HTTP and status is not None and status >= 500:
            result.step.notes.append("a 5xx stops discovery in the MCP SDKs; clients that move "
                                     "on instead would report missing metadata")
        break
    assert decisive is not None
    decisive.step.attempts = attempts
    failure = decisive.step.first_failure()
    if failure is not None and failure.hop is Hop.HTTP and len(attempts) > 1 and all(
            a["hop"] == "http" and a["status"] is not None and move_on(a["status"])
            for a in attempts):
        # decided here, once every URL was tried: the step failed for all of them
        tried = "; ".join(f"{a['url']} -> {a['status']}" for a in attempts)
        hops = decisive.step.hops
        hops[hops.index(failure)] = replace(
            failure, code=Code.HTTP_NOT_FOUND if all(a["status"] == 404 for a in attempts)
            else Code.HTTP_UNEXPECTED_STATUS,
            message=f"no URL in the discovery order answered: {tried}")
    response = decisive.response if decisive.step.ok else None
    return Fetched(step=decisive.step, response=response)
