"""The hops for one URL, in the order a request crosses them.

    proxy_resolve -> dns -> tcp -> [proxy_tls] -> [proxy_connect] -> [tls -> client_cert] -> http

One :class:`Walk` per request holds what every hop needs (the prepared settings, the run's
context, the deadline, the request) and reads as the connection it builds: each hop is a
function returning an :class:`~netcheck.model.Outcome`; :meth:`Walk.hop` stamps its duration,
records it, and raises :class:`Stop` at the first failure, after which the remaining hops are
recorded as ``skipped``. Adding a hop: its module, its codes, one line in :meth:`Walk.connect`
(and its name in ``ORDER``).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from netcheck.hops import (
    client_cert,
    dns,
    proxy_connect,
    proxy_resolve,
    proxy_tls,
    socks_connect,
    tcp,
    tls,
)
from netcheck.hops import http as http_hop
from netcheck.hops.http import HttpRequest, StatusJudge
from netcheck.model import (
    Code,
    Hop,
    HopResult,
    Outcome,
    Status,
    Step,
    StepResult,
    failed,
    skipped,
)
from netcheck.net.address import is_ip
from netcheck.net.deadline import Stopwatch, Timeout, call_bounded
from netcheck.net.http1 import HttpResponse
from netcheck.net.pool import KeptConnection, PoolKey
from netcheck.net.streams import HandshakeFacts, PlainStream, Stream, StreamClosed
from netcheck.proxy.models import Target
from netcheck.proxy.url import ProxyURL
from netcheck.run_context import RunContext
from netcheck.settings.check import Prepared

ORDER = (Hop.PROXY_RESOLVE, Hop.DNS, Hop.TCP, Hop.PROXY_TLS, Hop.PROXY_CONNECT, Hop.TLS,
         Hop.CLIENT_CERT, Hop.HTTP)
OAUTH_ORDER = (*ORDER, Hop.OAUTH)
TIMEOUT_CODES = frozenset({Code.DNS_TIMEOUT, Code.TCP_TIMEOUT, Code.PROXY_TIMEOUT,
                           Code.TLS_TIMEOUT, Code.HTTP_TIMEOUT})

Observer = Callable[[Step, HopResult], None]
T = TypeVar("T")


@dataclass
class UrlProbe:
    step: StepResult
    response: HttpResponse | None = None
    redirect: str | None = None
    date_skew_s: float | None = None  # the answer's Date header against this clock


class Stop(Exception):
    """A hop failed: the walk ends, and the hops after it are recorded as skipped."""


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

    # --- recording ------------------------------------------------------------------------

    def hop(self, work: Callable[[], Outcome[T]]) -> T | None:
        """Run one hop, record its result (timed), and stop the walk if it failed."""
        watch = Stopwatch()
        outcome = work()
        return self.add(outcome, watch.ms())

    def add(self, outcome: Outcome[T], ms: float | None = None) -> T | None:
        result = outcome.result if ms is None else replace(outcome.result, duration_ms=ms)
        if result.failed and result.code in TIMEOUT_CODES and not \
                self.run_context.deadline.remaining():
            result = self._out_of_time(result.hop, f"while waiting ({result.message})", result)
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

    def _out_of_time(self, hop: Hop, when: str, cut: HopResult | None = None) -> HopResult:
        seconds = self.run_context.deadline.seconds
        result = failed(hop, Code.RUN_DEADLINE_EXCEEDED,
                        f"the run's deadline ({seconds:g} s) ran out {when}; the check "
                        "stopped here", "run again with a larger --deadline; if this hop is "
                        "slow every time, it is the problem: see its timing",
                        **(cut.details if cut else {}))
        return replace(result, duration_ms=cut.duration_ms) if cut else result

    # --- the walk --------------------------------------------------------------------------

    def run(self) -> UrlProbe:
        try:
            if self.run_context.deadline.expired:
                self.add(Outcome(self._out_of_time(Hop.PROXY_RESOLVE,
                                                   "before this step could start")))
            self.walk()
        except Stop:
            done = {h.hop for h in self.result.step.hops}
            why = "the run's deadline had passed" if self._deadline_hit() else \
                "an earlier hop failed"
            for hop in self.order:
                if hop not in done:
                    self.skip(hop, why)
        return self.result

    def _deadline_hit(self) -> bool:
        return any(h.code is Code.RUN_DEADLINE_EXCEEDED for h in self.result.step.hops)

    def walk(self) -> None:
        settings, target = self.settings, self.target
        proxy = self.hop(lambda: proxy_resolve.resolve(settings.env, self.request.url,
                                                       settings.profile))
        bypass = self.result.step.hops[-1].details.get("no_proxy_entry")
        key: PoolKey = (proxy.display if proxy else "direct", target.origin,
                        self.prepared.identity is not None)
        kept = self.run_context.pool.take(key) if self.request.resendable else None
        if kept is not None:
            if self.over_kept(kept, key):
                return
            self.result.step.notes.append("a kept-alive connection had been closed by the "
                                          "server; a new one was opened, as a client would")
        sock = self.connect(proxy, bypass)
        kept = None
        try:
            kept = self.over_connection(sock, proxy)
        finally:
            if kept is not None:
                self.run_context.pool.keep(key, kept)
            else:
                with contextlib.suppress(OSError):
                    sock.close()

    def connect(self, proxy: ProxyURL | None, bypass: object) -> socket.socket:
        """DNS and TCP to the proxy, or to the server."""
        settings, target = self.settings, self.target
        if proxy is not None:
            addresses = self.hop(lambda: self._proxy_name(proxy))
            port = proxy.port
        else:
            role = "MCP server" if self.result.step.step in (
                Step.RESOURCE, Step.PROTECTED_RESOURCE_METADATA) else "authorization server"
            addresses = self.hop(lambda: _blame(bypass, dns.resolve(
                target.hostname, target.effective_port, self.timeout, settings.dns_server,
                role)))
            port = target.effective_port
        assert addresses is not None
        sock = self.hop(lambda: _blame(None if proxy else bypass, tcp.connect(
            addresses, port, self.timeout, "proxy" if proxy is not None else "server")))
        assert sock is not None
        return sock

    def _proxy_name(self, proxy: ProxyURL) -> Outcome[list[dns.Address]]:
        found = dns.resolve(proxy.host, proxy.port, self.timeout, self.settings.dns_server,
                            "proxy")
        if is_ip(self.target.hostname):
            return found
        return Outcome(found.result.noted(self._local_resolution_note(), warn=False),
                       found.value)

    def over_connection(self, sock: socket.socket,
                        proxy: ProxyURL | None) -> KeptConnection | None:
        """The hops over a new connection; returns it when the server lets us keep it."""
        prepared, target = self.prepared, self.target
        tcp_stream = PlainStream(sock)
        stream: Stream = tcp_stream
        if proxy is not None and proxy.scheme == "https":
            to_proxy = self.hop(lambda: proxy_tls.establish(
                tcp_stream, proxy, prepared, self.timeout, self._context("proxy")))
            assert to_proxy is not None
            stream = to_proxy
        else:
            self.skip(Hop.PROXY_TLS, "no https:// proxy")
        if proxy is not None and proxy.scheme.startswith("socks"):
            self.hop(lambda: self._socks(tcp_stream, proxy))
        elif proxy is not None:
            tunnel = self.hop(lambda: proxy_connect.tunnel(
                stream, proxy, target.hostname, target.effective_port,
                self.settings.profile, self.timeout))
            assert tunnel is not None
            if tunnel.date_skew_s is not None:
                self.result.date_skew_s = tunnel.date_skew_s
        else:
            self.skip(Hop.PROXY_CONNECT, "direct connection, no proxy")

        facts: HandshakeFacts | None = None
        if target.scheme == "https":
            handshake = self.hop(lambda: tls.establish(
                stream, target.hostname, identity=prepared.identity, trust=prepared.trust,
                profile=self.settings.profile, via_proxy=proxy is not None,
                timeout=self.timeout, date_skew_s=self.result.date_skew_s,
                context=self._context("server")))
            assert handshake is not None
            if handshake.stream is None:  # the server ended the handshake over our certificate
                self.add(Outcome(self._client_cert(handshake.facts, handshake.cert_failure)))
                raise Stop  # the certificate hop failed already; this stop is never reached
            stream, facts = handshake.stream, handshake.facts
        else:
            self.skip(Hop.TLS, "plain http:// URL, no TLS")
            self.skip(Hop.CLIENT_CERT, "plain http:// URL, no TLS")
        kept = KeptConnection(sock=sock, stream=stream, facts=facts,
                              opened_by=self.result.step.step,
                              hops=list(self.result.step.hops[1:]))  # dns .. tls, as opened
        return kept if self.exchange(kept) else None

    def _socks(self, stream: Stream, proxy: ProxyURL) -> Outcome[None]:
        """The SOCKS request; the client resolves the name first where the proxy does not."""
        profile, target = self.settings.profile, self.target
        remote = proxy.scheme in profile.proxy.socks_remote_dns or is_ip(target.hostname)
        host = target.hostname
        if not remote:
            found = dns.resolve(host, target.effective_port, self.timeout,
                                self.settings.dns_server, "MCP server (resolved by the client "
                                "for the SOCKS proxy)")
            if found.result.failed or not found.value:
                return Outcome(replace(found.result, hop=Hop.PROXY_CONNECT))
            host = found.value[0][1]
        return socks_connect.tunnel(stream, proxy, host, target.effective_port, profile,
                                    self.timeout, remote,
                                    resolved_from=None if remote else target.hostname)

    def over_kept(self, kept: KeptConnection, key: PoolKey) -> bool:
        """Send over a connection an earlier step left open; False (nothing recorded) if the
        server had closed it before answering."""
        watch = Stopwatch()
        answer = http_hop.send(kept.stream, self.target, self.request, self.judge,
                               self.timeout, keep_alive=True)
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
        answer = http_hop.send(kept.stream, self.target, self.request, self.judge,
                               self.timeout, keep_alive=self.run_context.pool.enabled)
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
            self.add(Outcome(self._client_cert(
                kept.facts, got.cert_failure if got else None,
                rejected_page=got.cert_page if got else None,
                status=got.response.status if got and got.response else None)))
        if got is not None:
            self.result.response = got.response
            self.result.redirect = got.redirect
            self.result.date_skew_s = got.date_skew_s
        self.add(answer, ms)
        return got is not None and got.response is not None and got.response.reusable

    def _client_cert(self, facts: HandshakeFacts, failure: Any, *,
                     rejected_page: str | None = None, status: int | None = None) -> HopResult:
        return client_cert.judge(facts, self.prepared.identity, self.settings.profile,
                                 failure=failure, rejected_page=rejected_page, status=status,
                                 not_sent=self.prepared.cert_not_sent)

    def _context(self, purpose: str) -> Any:
        """The run's OpenSSL client context for ``purpose`` (made once: loading the key
        costs)."""
        offered = self.prepared.identity is not None
        contexts = self.run_context.tls_contexts
        if (purpose, offered) not in contexts:
            contexts[purpose, offered] = tls.make_context(self.prepared.identity)
        return contexts[purpose, offered]

    def _local_resolution_note(self) -> str:
        """Whether the target also resolves here (through a proxy, the proxy resolves it);
        asked once per host and run."""
        host = self.target.hostname
        known = self.run_context.resolves_locally.get(host)
        if known is None:
            wait = min(self.timeout, 3.0)
            server = self.settings.dns_server
            if dns.is_localhost(host):  # RFC 6761: answered locally, never asked of DNS
                known = True
            elif server is not None:
                known = bool(dns.query(host, "A", wait, server).addresses)
            else:
                try:
                    known = bool(call_bounded(lambda: socket.getaddrinfo(host, None), wait))
                except (OSError, UnicodeError, Timeout):
                    known = False
            self.run_context.resolves_locally[host] = known
        where = "also resolves locally" if known else \
            "does not resolve locally (fine when proxied)"
        return f"the proxy resolves {host}; it {where}"


def _blame(entry: object, outcome: Outcome[T]) -> Outcome[T]:
    """A direct request that NO_PROXY caused and that cannot get through: say so."""
    if not outcome.result.failed or not entry:
        return outcome
    hint = (f"NO_PROXY entry {entry!r} sends this request direct instead of through the "
            "proxy; if only the proxy can reach this host, remove the entry. Otherwise: "
            f"{outcome.result.hint}")
    return Outcome(replace(outcome.result, hint=hint), outcome.value)


def guarded(step: Step, run: Callable[[], StepResult]) -> StepResult:
    """Run one step; a bug in netcheck becomes an ``internal_error`` diagnosis, not a
    traceback (the exception's text is left out: it could hold a value we must not show)."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return internal_error(step, exc)


def internal_error(step: Step, exc: Exception) -> StepResult:
    return StepResult(step=step, url=None, hops=[failed(
        Hop.HTTP, Code.INTERNAL_ERROR,
        f"netcheck hit an internal error ({exc.__class__.__name__}) in this step",
        "this is a bug in netcheck: please report it with this report attached")])


__all__ = ["OAUTH_ORDER", "ORDER", "Observer", "Status", "Stop", "UrlProbe", "Walk", "guarded",
           "internal_error", "probe"]
