"""The hops for one URL, in the order a request crosses them.

    proxy_resolve -> [a connection: dns -> tcp -> [proxy_tls] -> [proxy_connect] -> [tls]]
                  -> client_cert -> http

One :class:`Walk` per request holds what every hop needs (the prepared settings, the run's
context, the deadline, the request): it decides the route, takes a connection (one kept
alive, one opened ahead, or a new one: :mod:`netcheck.opening`), sends the request and judges
the answer. Each hop is a function returning an :class:`~netcheck.model.Outcome`; its duration
is stamped, it is recorded, and the first failure raises :class:`Stop`, after which the
remaining hops are recorded as ``skipped``. Adding a hop: its module, its codes, one line in
:class:`~netcheck.opening.Opener` (or here, for hops after the connection) and its name in
``ORDER``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TypeVar

from netcheck.hops import dns, proxy_resolve
from netcheck.hops import http as http_hop
from netcheck.hops.http import HttpRequest, StatusJudge
from netcheck.model import (
    OAUTH_ORDER,
    ORDER,
    Code,
    Hop,
    HopResult,
    Outcome,
    Status,
    Step,
    StepResult,
    internal_error,
    skipped,
)
from netcheck.net.deadline import Stopwatch
from netcheck.net.http1 import HttpResponse
from netcheck.net.pool import Amend, KeptConnection, PoolKey
from netcheck.net.streams import StreamClosed
from netcheck.opening import (
    Opener,
    Stop,
    is_oauth,
    judge_client_cert,
    out_of_time,
    pool_key,
    public_endpoint,
    settle,
    why_direct,
)
from netcheck.proxy.models import Target
from netcheck.proxy.url import ProxyURL
from netcheck.run_context import RunContext
from netcheck.settings.check import Prepared

Observer = Callable[[Step, HopResult], None]
T = TypeVar("T")


@dataclass
class UrlProbe:
    step: StepResult
    response: HttpResponse | None = None
    redirect: str | None = None
    date_skew_s: float | None = None  # the answer's Date header against this clock


def probe(step: Step, request: HttpRequest, judge: StatusJudge, prepared: Prepared,
          run: RunContext, observer: Observer | None = None,
          date_skew_s: float | None = None) -> UrlProbe:
    """Walk every hop for ``request.url``, send ``request`` and judge its status.

    Every wait is bounded by ``--timeout`` and by what is left of the run's ``--deadline``.
    For OAuth steps the caller then adds the ``oauth`` hop (skipped here if a hop failed).
    """
    return Walk(step, request, judge, prepared, run, observer, date_skew_s).run()


class Walk:
    """One request's way through the hops."""

    def __init__(self, step: Step, request: HttpRequest, judge: StatusJudge, prepared: Prepared,
                 run: RunContext, observer: Observer | None, date_skew_s: float | None) -> None:
        self.request, self.judge = request, judge
        self.prepared, self.run_context, self.observer = prepared, run, observer
        self.settings = prepared.settings
        self.target = Target.parse(request.url)
        self.order = ORDER if step in (Step.SETTINGS, Step.RESOURCE) else OAUTH_ORDER
        self.result = UrlProbe(step=StepResult(step=step, url=request.url),
                               date_skew_s=date_skew_s)
        self.timeout = min(self.settings.timeout, max(run.deadline.remaining(), 0.05))
        self.amendments: list[tuple[Hop, Future[Amend]]] = []

    # --- recording ------------------------------------------------------------------------

    def hop(self, work: Callable[[], Outcome[T]]) -> T | None:
        """Run one hop, record its result (timed), and stop the walk if it failed."""
        watch = Stopwatch()
        outcome = work()
        return self.add(outcome, watch.ms())

    def add(self, outcome: Outcome[T], ms: float | None = None) -> T | None:
        result = outcome.result if ms is None else replace(outcome.result, duration_ms=ms)
        result = settle(self.run_context, result)
        self.record(result)
        if result.failed:
            raise Stop
        return outcome.value

    def record(self, result: HopResult) -> None:
        self.result.step.hops.append(result)
        if self.observer:
            self.observer(self.result.step.step, result)

    def skip(self, hop: Hop, why: str) -> None:
        self.record(skipped(hop, why))

    def waiting(self, hop: Hop) -> None:
        """Tell the run's progress listener that ``hop`` starts waiting (it hears the end too;
        a step's end clears any wait of it left open). The request goes out now: the work
        held back for it starts (:meth:`RunContext.request_out`)."""
        self.run_context.progress.hop_started(self.result.step.step, hop, self.timeout)
        if hop is Hop.HTTP:
            self.run_context.request_out()

    # --- the walk --------------------------------------------------------------------------

    def run(self) -> UrlProbe:
        try:
            if self.run_context.deadline.expired:
                self.add(Outcome(out_of_time(self.run_context, Hop.PROXY_RESOLVE,
                                             "before this step could start")))
            self.walk()
        except Stop:
            done = {h.hop for h in self.result.step.hops}
            why = "the run's deadline had passed" if self._deadline_hit() else \
                "an earlier hop failed"
            for hop in self.order:
                if hop not in done:
                    self.skip(hop, why)
        self.hand_over_evidence()
        return self.result

    def hand_over_evidence(self) -> None:
        """What is worked out while the request went on is added to the step later
        (:meth:`StepResult.settle`): the flow does not wait for it."""
        if self.amendments:
            self.run_context.release()  # the held work it needs must have started
            self.result.step.pending.extend(self.amendments)

    def _deadline_hit(self) -> bool:
        return any(h.code is Code.RUN_DEADLINE_EXCEEDED for h in self.result.step.hops)

    def walk(self) -> None:
        settings, target, url = self.settings, self.target, self.request.url
        oauth = is_oauth(self.result.step.step)
        self.amendments.append((Hop.PROXY_RESOLVE, self.run_context.later(
            lambda: proxy_resolve.compare(settings.env, url, settings.profile, oauth))))
        proxy = self.hop(lambda: proxy_resolve.decide(settings.env, url, settings.profile,
                                                      settings.origins, oauth))
        bypass = why_direct(self.result.step.hops[-1].details)
        if oauth and settings.profile.oauth.public_endpoints_only:
            self.endpoint_lookup(proxy is not None)
        pool = self.run_context.pool
        key = pool_key(proxy, target, self.prepared.identity is not None)
        kept = pool.take(key) if self.request.resendable else None
        if kept is not None:
            if self.over_kept(kept, key):
                return
            self.result.step.notes.append("a kept-alive connection had been closed by the "
                                          "server; a new one was opened, as a client would")
        ahead = pool.take_ahead(key)
        if ahead is not None:  # opened ahead for this request: its hops are this request's
            opened = ahead.result()
            for result in opened.hops:
                self.record(result)
        else:
            opened = self.opener(proxy, bypass).open(on_hop=self.record)
        self.amendments += opened.amendments
        if opened.conn is None:
            raise Stop
        if opened.date_skew_s is not None:
            self.result.date_skew_s = opened.date_skew_s
        keep = False
        try:
            keep = self.exchange(opened.conn)
        finally:
            if keep:
                pool.keep(key, opened.conn)
            else:
                opened.close()

    def endpoint_lookup(self, via_proxy: bool) -> None:
        """The client's own lookup of an OAuth endpoint before each request (Gemini CLI):
        a failure is this request's dns hop; a pass is a note on it."""
        settings, target = self.settings, self.target
        found = public_endpoint(dns.resolve(
            target.hostname, target.effective_port, self.timeout, settings.dns_server,
            f"OAuth endpoint, which {settings.profile.label} looks up itself"),
            target.hostname, settings.profile.label, via_proxy=via_proxy)
        if found.result.failed:
            self.add(Outcome(found.result))  # raises Stop
        note = (f"{settings.profile.label} looked {target.hostname} up itself first (it does "
                f"for every OAuth request, also through a proxy): {found.value[0][1]}, a "
                "public address it accepts") if found.value else ""
        passed: Future[Amend] = Future()
        passed.set_result(lambda result: result.noted(note, warn=False))
        self.amendments.append((Hop.DNS, passed))

    def opener(self, proxy: ProxyURL | None, bypass: object) -> Opener:
        return Opener(self.target, self.result.step.step, proxy, bypass, self.prepared,
                      self.run_context, self.timeout)

    def over_kept(self, kept: KeptConnection, key: PoolKey) -> bool:
        """Send over a connection an earlier step left open; False (nothing recorded) if the
        server had closed it before answering."""
        watch = Stopwatch()
        self.waiting(Hop.HTTP)
        answer = http_hop.send(kept.stream, self.target, self.request, self.judge,
                               self.timeout, keep_alive=True)
        self.run_context.progress.hop_ended(self.result.step.step, Hop.HTTP)
        got = answer.value
        if (got is None or got.response is None) and answer.result.code in (
                Code.HTTP_CLOSED, Code.HTTP_PROTOCOL_ERROR):
            kept.close()
            return False
        for opened in kept.hops:
            self.record(HopResult(hop=opened.hop, status=opened.status,
                                  message=f"reused the connection opened by "
                                          f"{kept.opened_by.value}: {opened.message}",
                                  details={"reused_from": kept.opened_by.value,
                                           "requests_before": kept.requests}))
        try:
            reusable = self._answered(kept, answer, watch.ms())
        except Stop:
            kept.close()
            raise
        if reusable:
            kept.requests += 1
            self.run_context.pool.keep(key, kept)
        else:
            kept.close()
        return True

    def exchange(self, kept: KeptConnection) -> bool:
        """Send the request over a new connection; whether it may be kept."""
        watch = Stopwatch()
        self.waiting(Hop.HTTP)
        answer = http_hop.send(kept.stream, self.target, self.request, self.judge,
                               self.timeout, keep_alive=self.run_context.pool.enabled)
        self.run_context.progress.hop_ended(self.result.step.step, Hop.HTTP)
        if kept.facts is not None and answer.value is not None and \
                answer.value.cert_failure is None and kept.facts.cert_request_seen and \
                answer.result.code is Code.HTTP_CLOSED:
            # TLS 1.3 servers refuse a client certificate after the handshake; the alert often
            # loses the race with the connection reset, leaving only the close as evidence.
            answer = Outcome(skipped(Hop.HTTP, "the server ended the session over the client "
                                     "certificate"),
                             replace(answer.value, cert_failure=StreamClosed(
                                 "the server closed the connection right after a handshake "
                                 "in which it asked for a client certificate")))
        return self._answered(kept, answer, watch.ms())

    def _answered(self, kept: KeptConnection, answer: Outcome[http_hop.Answer],
                  ms: float) -> bool:
        """Record the client_cert hop (from the handshake and this answer) and the http hop;
        returns whether the connection may be kept for the next request."""
        got = answer.value
        if kept.facts is not None:
            self.add(Outcome(judge_client_cert(
                self.prepared, kept.facts, got.cert_failure if got else None,
                rejected_page=got.cert_page if got else None,
                status=got.response.status if got and got.response else None)))
        if got is not None:
            self.result.response = got.response
            self.result.redirect = got.redirect
            self.result.date_skew_s = got.date_skew_s
        self.add(answer, ms)
        return got is not None and got.response is not None and got.response.reusable


def guarded(step: Step, run: Callable[[], StepResult]) -> StepResult:
    """Run one step; a bug in netcheck becomes an ``internal_error`` diagnosis, not a
    traceback (the exception's text is left out: it could hold a value we must not show)."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return internal_error(step, exc)


__all__ = ["OAUTH_ORDER", "ORDER", "Observer", "Status", "Stop", "UrlProbe", "Walk", "guarded",
           "internal_error", "probe"]
