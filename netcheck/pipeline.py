"""The hops for one URL, in the order a request crosses them.

    proxy_resolve -> dns -> tcp -> [proxy_connect] -> [tls -> client_cert] -> http

A hop runs only if every hop before it passed; the rest are recorded as ``skipped``.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netcheck.hops import client_cert, dns, proxy_connect, proxy_resolve, tcp, tls
from netcheck.hops import http as http_hop
from netcheck.hops.http import HttpRequest, StatusJudge
from netcheck.model import Code, Hop, HopResult, Step, StepResult, failed, skipped
from netcheck.net.deadline import Timeout, call_bounded
from netcheck.net.http1 import HttpResponse
from netcheck.net.pool import KeptConnection, PoolKey
from netcheck.net.streams import HandshakeFacts, PlainStream, Stream, StreamClosed
from netcheck.proxy.models import Target
from netcheck.proxy.url import ProxyURL
from netcheck.settings.check import Prepared

ORDER = (Hop.PROXY_RESOLVE, Hop.DNS, Hop.TCP, Hop.PROXY_CONNECT, Hop.TLS, Hop.CLIENT_CERT,
         Hop.HTTP)
OAUTH_ORDER = (*ORDER, Hop.OAUTH)
TIMEOUT_CODES = frozenset({Code.DNS_TIMEOUT, Code.TCP_TIMEOUT, Code.PROXY_TIMEOUT,
                           Code.TLS_TIMEOUT, Code.HTTP_TIMEOUT})

Observer = Callable[[Step, HopResult], None]


@dataclass
class UrlProbe:
    step: StepResult
    response: HttpResponse | None = None
    redirect: str | None = None
    date_skew_s: float | None = None  # the answer's Date header against this clock


class _Recorder:
    """Collects hop results in order and tells the observer as each one lands."""

    def __init__(self, step: StepResult, observer: Observer | None,
                 order: tuple[Hop, ...]) -> None:
        self.step = step
        self.observer = observer
        self.order = order

    def add(self, result: HopResult) -> bool:
        self.step.hops.append(result)
        if self.observer:
            self.observer(self.step.step, result)
        return not result.failed

    def skip_rest(self, why: str) -> None:
        done = {h.hop for h in self.step.hops}
        for hop in self.order:
            if hop not in done:
                self.step.hops.append(skipped(hop, why))


def probe(step: Step, request: HttpRequest, judge: StatusJudge, prepared: Prepared,
          observer: Observer | None = None, date_skew_s: float | None = None) -> UrlProbe:
    """Walk every hop for ``request.url``, send ``request`` and judge its status.

    Every wait is bounded by ``--timeout`` and by what is left of the run's ``--deadline``.
    For OAuth steps the caller then adds the ``oauth`` hop (skipped here if a hop failed).
    """
    order = ORDER if step in (Step.SETTINGS, Step.RESOURCE) else OAUTH_ORDER
    result = UrlProbe(step=StepResult(step=step, url=request.url))
    rec = _Recorder(result.step, observer, order)
    deadline = prepared.deadline
    if deadline.expired:
        rec.add(_out_of_time(Hop.PROXY_RESOLVE, prepared, "before this step could start"))
        rec.skip_rest("the run's deadline had passed")
        return result
    timeout = min(prepared.settings.timeout, max(deadline.remaining(), 0.05))
    _walk(request, judge, prepared, rec, result, date_skew_s, timeout)
    failure = result.step.first_failure()
    if failure is not None and failure.code in TIMEOUT_CODES and not deadline.remaining():
        index = result.step.hops.index(failure)
        result.step.hops[index] = _out_of_time(failure.hop, prepared, f"while waiting "
                                               f"({failure.message})", failure)
    return result


def _out_of_time(hop: Hop, prepared: Prepared, when: str,
                 cut: HopResult | None = None) -> HopResult:
    seconds = prepared.deadline.seconds
    result = failed(hop, Code.RUN_DEADLINE_EXCEEDED,
                    f"the run's deadline ({seconds:g} s) ran out {when}; the check stopped here",
                    "run again with a larger --deadline; if this hop is slow every time, it is "
                    "the problem: see its timing", **(cut.details if cut else {}))
    if cut is not None:
        result.duration_ms = cut.duration_ms
    return result


def _walk(request: HttpRequest, judge: StatusJudge, prepared: Prepared, rec: _Recorder,
          result: UrlProbe, date_skew_s: float | None, timeout: float) -> None:
    settings = prepared.settings
    profile = settings.profile
    url = request.url
    target = Target.parse(url)
    step = result.step.step

    hop, proxy = proxy_resolve.resolve(settings.env, url, profile)
    if not rec.add(hop):
        rec.skip_rest("an earlier hop failed")
        return
    bypass = hop.details.get("no_proxy_entry")

    key: PoolKey = (proxy.display if proxy else "direct", target.origin,
                    prepared.identity is not None)
    kept = prepared.pool.take(key) if request.resendable else None
    if kept is not None:
        if _over_kept(kept, key, target, prepared, rec, result, request, judge, timeout):
            return
        result.step.notes.append("a kept-alive connection had been closed by the server; a "
                                 "new one was opened, as a client would")

    port = target.effective_port
    if proxy is not None:
        hop, addresses = dns.resolve(proxy.host, proxy.port, timeout, settings.dns_server, "proxy")
        if not dns.is_ip(target.hostname):
            hop.notes.append(_local_resolution_note(prepared, target.hostname, timeout))
    else:
        role = "MCP server" if step in (Step.RESOURCE, Step.PROTECTED_RESOURCE_METADATA) \
            else "authorization server"
        hop, addresses = dns.resolve(target.hostname, port, timeout, settings.dns_server, role)
        _blame_bypass(hop, bypass)
    if not rec.add(hop):
        rec.skip_rest("an earlier hop failed")
        return

    connect_port = proxy.port if proxy is not None else port
    hop, sock = tcp.connect(addresses, connect_port, timeout,
                            "proxy" if proxy is not None else "server")
    if proxy is None:
        _blame_bypass(hop, bypass)
    if not rec.add(hop) or sock is None:
        rec.skip_rest("an earlier hop failed")
        return

    kept = None
    try:
        kept = _over_socket(sock, target, proxy, prepared, rec, result, date_skew_s, request,
                            judge, timeout)
    finally:
        if kept is not None:
            prepared.pool.keep(key, kept)
        else:
            with contextlib.suppress(OSError):
                sock.close()


def _over_socket(sock: socket.socket, target: Target, proxy: ProxyURL | None,
                 prepared: Prepared, rec: _Recorder, result: UrlProbe, date_skew_s: float | None,
                 request: HttpRequest, judge: StatusJudge,
                 timeout: float) -> KeptConnection | None:
    """The hops over a new connection; returns it when the server lets us keep it."""
    settings = prepared.settings
    if proxy is not None:
        hop, _early = proxy_connect.tunnel(PlainStream(sock), proxy, target.hostname,
                                           target.effective_port, settings.profile, timeout)
        proxy_skew = hop.details.get("date_skew_s")
        date_skew_s = proxy_skew if isinstance(proxy_skew, float) else date_skew_s
        if not rec.add(hop):
            rec.skip_rest("an earlier hop failed")
            return None
    else:
        rec.add(skipped(Hop.PROXY_CONNECT, "direct connection, no proxy"))

    stream: Stream
    facts: HandshakeFacts | None = None
    if target.scheme == "https":
        outcome = tls.establish(PlainStream(sock), target.hostname, identity=prepared.identity,
                                trust=prepared.trust, profile=settings.profile,
                                via_proxy=proxy is not None, timeout=timeout,
                                date_skew_s=date_skew_s, context=_client_context(prepared))
        if not rec.add(outcome.hop):
            rec.skip_rest("an earlier hop failed")
            return None
        if outcome.stream is None:
            assert outcome.cert_failure is not None
            rec.add(client_cert.judge(outcome.facts, prepared.identity, settings.profile,
                                      failure=outcome.cert_failure,
                                      not_sent=prepared.cert_not_sent))
            rec.skip_rest("an earlier hop failed")
            return None
        stream = outcome.stream
        facts = stream.facts
    else:
        stream = PlainStream(sock)
        rec.add(skipped(Hop.TLS, "plain http:// URL, no TLS"))
        rec.add(skipped(Hop.CLIENT_CERT, "plain http:// URL, no TLS"))

    kept = KeptConnection(sock=sock, stream=stream, facts=facts, opened_by=result.step.step,
                          hops=list(result.step.hops[1:]))  # dns .. tls, as it was opened
    answer = http_hop.send(stream, target, request, judge, timeout,
                           keep_alive=prepared.pool.enabled)
    if facts is not None and answer.cert_failure is None and facts.cert_request_seen \
            and answer.hop.code is Code.HTTP_CLOSED:
        # TLS 1.3 servers refuse a client certificate after the handshake; the alert often
        # loses the race with the connection reset, leaving only the close as evidence.
        answer.cert_failure = StreamClosed("the server closed the connection right after a "
                                           "handshake in which it asked for a client "
                                           "certificate")
        answer.hop = skipped(Hop.HTTP, "the server ended the session over the client certificate")
    return kept if _record_answer(kept, answer, prepared, rec, result) else None


def _client_context(prepared: Prepared) -> Any:
    """The run's OpenSSL client context for this identity (made once: loading the key costs)."""
    offered = prepared.identity is not None
    if offered not in prepared.tls_contexts:
        prepared.tls_contexts[offered] = tls.make_context(prepared.identity)
    return prepared.tls_contexts[offered]


def _over_kept(kept: KeptConnection, key: PoolKey, target: Target, prepared: Prepared,
               rec: _Recorder, result: UrlProbe, request: HttpRequest, judge: StatusJudge,
               timeout: float) -> bool:
    """Send over a connection an earlier step left open; False (nothing recorded) if the
    server had closed it before answering."""
    answer = http_hop.send(kept.stream, target, request, judge, timeout, keep_alive=True)
    if answer.response is None and answer.hop.code in (Code.HTTP_CLOSED,
                                                       Code.HTTP_PROTOCOL_ERROR):
        kept.close()
        return False
    for opened in kept.hops:
        rec.add(HopResult(hop=opened.hop, status=opened.status,
                          message=f"reused the connection opened by {kept.opened_by.value}: "
                                  f"{opened.message}",
                          details={"reused_from": kept.opened_by.value,
                                   "requests_before": kept.requests}))
    if _record_answer(kept, answer, prepared, rec, result):
        kept.requests += 1
        prepared.pool.keep(key, kept)
    else:
        kept.close()
    return True


def _record_answer(kept: KeptConnection, answer: http_hop.HttpOutcome, prepared: Prepared,
                   rec: _Recorder, result: UrlProbe) -> bool:
    """Record the client_cert hop (from the handshake and this answer) and the http hop;
    returns whether the connection may be kept for the next request."""
    if kept.facts is not None:
        cert_hop = client_cert.judge(kept.facts, prepared.identity, prepared.settings.profile,
                                     failure=answer.cert_failure, rejected_page=answer.cert_page,
                                     status=answer.response.status if answer.response else None,
                                     not_sent=prepared.cert_not_sent)
        if not rec.add(cert_hop):
            rec.skip_rest("an earlier hop failed")
            return False
    if not rec.add(answer.hop):
        rec.skip_rest("an earlier hop failed")
    result.response = answer.response
    result.redirect = answer.redirect
    result.date_skew_s = answer.date_skew_s
    return answer.response is not None and answer.response.reusable


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


def _blame_bypass(hop: HopResult, entry: object) -> None:
    """A direct request that NO_PROXY caused and that cannot get through: say so."""
    if hop.failed and entry:
        hop.hint = (f"NO_PROXY entry {entry!r} sends this request direct instead of through the "
                    "proxy; if only the proxy can reach this host, remove the entry. "
                    f"Otherwise: {hop.hint}")


def _local_resolution_note(prepared: Prepared, host: str, timeout: float) -> str:
    """Whether the target also resolves here (through a proxy, the proxy resolves it); asked
    once per host and run."""
    known = prepared.resolves_locally.get(host)
    if known is None:
        wait = min(timeout, 3.0)
        server = prepared.settings.dns_server
        if dns.is_localhost(host):  # RFC 6761: answered locally, never asked of DNS
            known = True
        elif server is not None:
            known = bool(dns.query(host, "A", wait, server).addresses)
        else:
            try:
                known = bool(call_bounded(lambda: socket.getaddrinfo(host, None), wait))
            except (OSError, UnicodeError, Timeout):
                known = False
        prepared.resolves_locally[host] = known
    where = "also resolves locally" if known else "does not resolve locally (fine when proxied)"
    return f"the proxy resolves {host}; it {where}"
