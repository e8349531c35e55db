"""Opening one connection: the hops from a name to a stream the request can be sent over.

    dns -> tcp -> [proxy_tls] -> [proxy_connect] -> [tls]

An :class:`Opener` runs them for one origin over one route (direct, or a proxy), either inside
a request's walk, each hop recorded as it completes, or ahead of time in the background when
the run knows requests to that origin will follow (:meth:`RunContext.open_ahead`). A request
that takes a connection opened ahead records its hops as its own: they are what opening it
cost and found, measured when it was opened.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from netcheck.hops import dns, proxy_connect, proxy_resolve, tcp
from netcheck.model import Code, Hop, HopResult, Outcome, Step, failed, skipped
from netcheck.net.address import is_ip
from netcheck.net.deadline import Stopwatch, Timeout, call_bounded
from netcheck.net.deadline import seconds as seconds_text
from netcheck.net.pool import Amend, KeptConnection, Opened, PoolKey
from netcheck.net.streams import HandshakeFacts, PlainStream, Stream
from netcheck.proxy.models import Target
from netcheck.proxy.url import ProxyURL
from netcheck.run_context import RunContext
from netcheck.settings.gather import Settings

if TYPE_CHECKING:  # TLS and certificates are imported when a connection needs them, so
    # the first connection can start opening before they are (see runner.run_check)
    from netcheck.settings.check import Prepared

T = TypeVar("T")
TIMEOUT_CODES = frozenset({Code.DNS_TIMEOUT, Code.TCP_TIMEOUT, Code.PROXY_TIMEOUT,
                           Code.TLS_TIMEOUT, Code.HTTP_TIMEOUT})


class Stop(Exception):
    """A hop failed: the walk ends, and the hops after it are recorded as skipped."""


def out_of_time(run: RunContext, hop: Hop, when: str, cut: HopResult | None = None
                ) -> HopResult:
    """The failure of a hop the run's ``--deadline`` cut short (``cut``: the result it had)."""
    seconds = run.deadline.seconds
    result = failed(hop, Code.RUN_DEADLINE_EXCEEDED,
                    f"the run's deadline ({seconds_text(seconds)} s) ran out {when}; the check "
                    "stopped here", "run again with a larger --deadline; if this hop is slow every "
                    "time, it is the problem: see its timing", **(cut.details if cut else {}))
    return replace(result, duration_ms=cut.duration_ms) if cut else result


def settle(run: RunContext, result: HopResult) -> HopResult:
    """A hop's result as the run records it: a timeout after the deadline passed is the
    deadline's doing."""
    if result.failed and result.code in TIMEOUT_CODES and not run.deadline.remaining():
        return out_of_time(run, result.hop, f"while waiting ({result.message})", result)
    return result


class Opener:
    """Opens connections to ``target``'s origin over one route for one request's step."""

    def __init__(self, target: Target, step: Step, proxy: ProxyURL | None, bypass: object,
                 prepared: Prepared | Future[Prepared], run: RunContext, timeout: float,
                 settings: Settings | None = None) -> None:
        """``prepared`` may still be on its way (a connection opened while the settings step
        runs): the hops up to the proxy's tunnel need only ``settings``; TLS waits for it."""
        self.target, self.step, self.proxy, self.bypass = target, step, proxy, bypass
        self.run, self.timeout = run, timeout
        self._prepared = prepared
        if isinstance(prepared, Future):
            assert settings is not None
            self.settings = settings
        else:
            self.settings = prepared.settings

    @property
    def prepared(self) -> Prepared:
        """The settings step's result, once it is there (a failed settings step, or one that
        outlasts the run, stops this connection: the request it was for never goes out)."""
        if isinstance(self._prepared, Future):
            try:
                self._prepared = self._prepared.result(
                    timeout=max(self.run.deadline.remaining(), 0.05))
            except Exception as exc:
                raise Stop from exc
        return self._prepared

    def open(self, on_hop: Callable[[HopResult], None] | None = None) -> Opened:
        """Every hop up to TLS with the server; ``on_hop`` hears each result as it comes."""
        opened = Opened()

        def hop(work: Callable[[], Outcome[T]]) -> T | None:
            waiting = next_to_open(opened.hops)
            self.run.progress.hop_started(self.step, waiting, self.timeout)
            watch = Stopwatch()
            outcome = work()  # interrupted, the wait stays known: the report names it
            self.run.progress.hop_ended(self.step, waiting)
            result = settle(self.run, replace(outcome.result, duration_ms=watch.ms()))
            record(result)
            if result.failed:
                raise Stop
            return outcome.value

        def record(result: HopResult) -> None:
            opened.hops.append(result)
            if on_hop is not None:
                on_hop(result)

        sock: socket.socket | None = None
        try:
            sock = self._connect(hop, opened)
            opened.conn = self._over(sock, hop, record, opened)
        except Stop:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        finally:
            self.run.first_flight.set()  # no ClientHello of ours to wait for any more
        return opened

    # --- the hops --------------------------------------------------------------------------

    def _connect(self, hop: Callable[[Callable[[], Outcome[Any]]], Any],
                 opened: Opened) -> socket.socket:
        """DNS and TCP to the proxy, or to the server."""
        proxy, target, settings = self.proxy, self.target, self.settings
        if proxy is not None:
            addresses = hop(lambda: self._proxy_name(proxy, opened))
            port = proxy.port
        else:
            role = "MCP server" if self.step in (
                Step.RESOURCE, Step.PROTECTED_RESOURCE_METADATA) else "authorization server"
            addresses = hop(lambda: blame(self.bypass, dns.resolve(
                target.hostname, target.effective_port, self.timeout, settings.dns_server,
                role)))
            port = target.effective_port
        sock: socket.socket = hop(lambda: blame(None if proxy else self.bypass, tcp.connect(
            addresses, port, self.timeout, "proxy" if proxy is not None else "server")))
        return sock

    def _over(self, sock: socket.socket, hop: Callable[[Callable[[], Outcome[Any]]], Any],
              record: Callable[[HopResult], None], opened: Opened) -> KeptConnection:
        """The hops over the new TCP connection, up to TLS with the server. TLS is imported
        only when a hop needs it: the main thread is importing it while the tunnel opens, and
        importing it here would wait for that instead of sending the CONNECT."""
        target, proxy = self.target, self.proxy
        tcp_stream = PlainStream(sock)
        stream: Stream = tcp_stream
        if proxy is not None and proxy.scheme == "https":
            from netcheck.hops import proxy_tls

            prepared = self.prepared
            stream = hop(lambda: proxy_tls.establish(
                tcp_stream, proxy, prepared, self.timeout, self._context("proxy"),
                on_first_flight=self.run.first_flight.set))
        else:
            record(skipped(Hop.PROXY_TLS, "no https:// proxy"))
        if proxy is not None and proxy.scheme.startswith("socks"):
            hop(lambda: self._socks(tcp_stream, proxy))
        elif proxy is not None:
            tunnel = hop(lambda: proxy_connect.tunnel(
                stream, proxy, target.hostname, target.effective_port,
                self.settings.profile, self.timeout))
            opened.date_skew_s = tunnel.date_skew_s
        else:
            record(skipped(Hop.PROXY_CONNECT, "direct connection, no proxy"))

        facts: HandshakeFacts | None = None
        if target.scheme == "https":
            prepared = self.prepared
            from netcheck.hops import tls

            handshake = hop(lambda: self._compared(tls.establish(
                stream, target.hostname, identity=prepared.identity, trust=lambda: prepared.trust,
                profile=self.settings.profile, via_proxy=proxy is not None,
                timeout=self.timeout, date_skew_s=opened.date_skew_s,
                context=self._context("server"), on_first_flight=self.run.first_flight.set),
                opened))
            if handshake.stream is None:  # the server ended the handshake over our certificate
                hop(lambda: Outcome(judge_client_cert(self.prepared, handshake.facts,
                                                      handshake.cert_failure)))
                raise Stop  # the certificate hop failed already; never reached
            stream, facts = handshake.stream, handshake.facts
        else:
            record(skipped(Hop.TLS, "plain http:// URL, no TLS"))
            record(skipped(Hop.CLIENT_CERT, "plain http:// URL, no TLS"))
        return KeptConnection(sock=sock, stream=stream, facts=facts, opened_by=self.step,
                              hops=list(opened.hops))

    def _compared(self, outcome: Outcome[T], opened: Opened) -> Outcome[T]:
        """Through a proxy, an untrusted chain that names no inspection product: the server's
        certificate fetched directly, beside the flow, tells the proxy's from the server's own
        (:mod:`netcheck.hops.direct_chain`)."""
        result = outcome.result
        if self.proxy is None or result.code is not Code.TLS_INTERCEPTION_UNTRUSTED or \
                result.details.get("interception_product"):
            return outcome
        from netcheck.hops import direct_chain, tls
        from netcheck.settings.ca_fix import CaFix

        target, settings, prepared = self.target, self.settings, self.prepared
        context, timeout = self._context("server"), self.timeout

        def compare() -> Amend:
            rules = settings.profile.trust
            fix = prepared.trust.fix or CaFix(rules.ca_fix, rules.ca_fix_adds,
                                              settings.profile.client)
            found = direct_chain.fetch(target.hostname, target.effective_port, context,
                                       timeout, settings.dns_server)
            return direct_chain.amendment(found, target.hostname, target.effective_port,
                                          fix.trust(tls.ROOT_PEM))

        opened.amendments.append((Hop.TLS, self.run.later(compare)))
        return outcome

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
        from netcheck.hops import socks_connect

        return socks_connect.tunnel(stream, proxy, host, target.effective_port, profile,
                                    self.timeout, remote,
                                    resolved_from=None if remote else target.hostname)

    def _proxy_name(self, proxy: ProxyURL, opened: Opened) -> Outcome[list[dns.Address]]:
        if not is_ip(self.target.hostname):  # asked while the connection opens
            lookup = self.run.once(f"resolves-locally:{self.target.hostname}",
                                   self._resolves_locally)
            opened.amendments.append((Hop.DNS, lookup))
        return dns.resolve(proxy.host, proxy.port, self.timeout, self.settings.dns_server,
                           "proxy")

    def _context(self, purpose: str) -> Any:
        return self.run.tls_context(purpose, self.prepared.identity)

    def _resolves_locally(self) -> Amend:
        """Whether the target also resolves here (through a proxy, the proxy resolves it):
        a note for the proxy's dns hop."""
        host = self.target.hostname
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
        where = "also resolves locally" if known else \
            "does not resolve locally (fine when proxied)"
        note = f"the proxy resolves {host}; it {where}"
        return lambda result: result.noted(note, warn=False)


OPENING_ORDER = (Hop.DNS, Hop.TCP, Hop.PROXY_TLS, Hop.PROXY_CONNECT, Hop.TLS, Hop.CLIENT_CERT)


REFUSED_SUFFIXES = (".local", ".localhost", ".internal")


def public_endpoint(found: Outcome[list[dns.Address]], host: str, client: str, *,
                    via_proxy: bool) -> Outcome[list[dns.Address]]:
    """A client that refuses OAuth endpoints at non-public addresses (Gemini CLI): its own
    lookup (``found``) must succeed, also when a proxy carries the request, and give a public
    address. Judged before each OAuth request, whatever connection it then takes."""
    through = " (through a proxy too: it looks the name up before it hands the request on)" \
        if via_proxy else ""
    fix = (f"{client} has no setting to allow it: the OAuth endpoints must have public "
           "addresses as seen from this machine, or use a client without this rule (Claude "
           "Code, Codex, Copilot CLI)")
    if host.lower().rstrip(".").endswith(REFUSED_SUFFIXES):
        return Outcome(failed(Hop.DNS, Code.DNS_PRIVATE_ADDRESS,
                              f"{client} refuses OAuth endpoints named under .local, "
                              f".localhost or .internal: {host}{through}", fix, host=host))
    if found.result.failed or not found.value:
        return Outcome(replace(found.result, message=f"{client} looks OAuth endpoints up "
                               f"itself{through}: {found.result.message}",
                               hint=f"make {host} resolve on this machine (split DNS, the "
                               f"VPN's resolver), or use a client that lets the proxy resolve "
                               f"it; {found.result.hint or ''}".rstrip("; ")))
    address = found.value[0][1]
    if not ipaddress.ip_address(address).is_global:
        return Outcome(failed(Hop.DNS, Code.DNS_PRIVATE_ADDRESS,
                              f"{host} resolves here to {address}, a private, loopback or "
                              f"reserved address, and {client} refuses OAuth endpoints there"
                              f"{through} ('resolves to private network address \"{address}\" "
                              "which is blocked')", fix, host=host, addresses=[
                                  a for _family, a in found.value]))
    return Outcome(found.result.noted(f"{address} is public: {client} accepts it as an OAuth "
                                      "endpoint", warn=False), found.value)


def is_oauth(step: Step) -> bool:
    """An OAuth request (not the MCP server's own first request)."""
    return step not in (Step.SETTINGS, Step.RESOURCE)


def next_to_open(recorded: list[HopResult]) -> Hop:
    """The hop an opener waits on next: the one after the last recorded (skipped ones are
    recorded as they are decided, so the order alone tells)."""
    if not recorded:
        return OPENING_ORDER[0]
    after = OPENING_ORDER.index(recorded[-1].hop) + 1
    return OPENING_ORDER[min(after, len(OPENING_ORDER) - 1)]


def judge_client_cert(prepared: Prepared, facts: HandshakeFacts, failure: Any, *,
                      rejected_page: str | None = None, status: int | None = None
                      ) -> HopResult:
    from netcheck.hops import client_cert

    return client_cert.judge(facts, prepared.identity, prepared.settings.profile,
                             failure=failure, rejected_page=rejected_page, status=status,
                             not_sent=prepared.cert_not_sent)


@dataclass(frozen=True)
class IgnoredProxy:
    """The client goes direct although a proxy variable is set, for want of a flag of its
    own (mcp-remote without --enable-proxy): what to change."""

    fix: str


def why_direct(details: Mapping[str, Any]) -> object:
    """What sends a request direct that could have used a proxy, from its proxy_resolve hop:
    a NO_PROXY entry, or a proxy the client ignores (None: neither)."""
    if details.get("ignored_proxy"):
        return IgnoredProxy(str(details["ignored_proxy"]))
    return details.get("no_proxy_entry")


def blame(entry: object, outcome: Outcome[T]) -> Outcome[T]:
    """A direct request that NO_PROXY (or an ignored proxy) caused and that cannot get
    through: say so."""
    if not outcome.result.failed or not entry:
        return outcome
    if isinstance(entry, IgnoredProxy):
        hint = f"{entry.fix}. Otherwise: {outcome.result.hint}"
    else:
        hint = (f"NO_PROXY entry {entry!r} sends this request direct instead of through the "
                "proxy; if only the proxy can reach this host, remove the entry. Otherwise: "
                f"{outcome.result.hint}")
    return Outcome(replace(outcome.result, hint=hint), outcome.value)


def pool_key(proxy: ProxyURL | None, target: Target, offers_cert: bool) -> PoolKey:
    """Connections are shared by requests to the same origin over the same route, with the
    same client certificate."""
    return (proxy.display if proxy else "direct", target.origin, offers_cert)


def open_ahead(url: str, step: Step, count: int, prepared: Prepared | Future[Prepared],
               run: RunContext, settings: Settings | None = None) -> bool:
    """Start opening ``count`` connections to ``url``'s origin, over the route its requests
    will take: for requests that go out side by side once an answer comes, or for the first
    request while the settings step (``prepared``, then a future) runs. Returns whether any
    started."""
    if not run.pool.enabled or run.deadline.expired:
        return False
    if isinstance(prepared, Future):
        assert settings is not None
        offers_cert = settings.cert is not None
    else:
        settings, offers_cert = prepared.settings, prepared.identity is not None
    decided = proxy_resolve.decide(settings.env, url, settings.profile, settings.origins,
                                   is_oauth(step))
    if decided.result.failed:
        return False
    target = Target.parse(url)
    bypass = why_direct(decided.result.details)
    timeout = min(settings.timeout, max(run.deadline.remaining(), 0.05))
    opener = Opener(target, step, decided.value, bypass, prepared, run, timeout, settings)
    return run.pool.ahead(pool_key(decided.value, target, offers_cert), count, opener.open) > 0
