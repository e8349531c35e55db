"""Evidence for the ``tls`` hop: is an untrusted chain seen through a proxy the proxy's (TLS
inspection) or the server's own (a private CA)?

Through a proxy, an issuer the client does not trust reads as inspection, and the hint sends
the user to IT for the proxy's root. But a server whose certificate comes from the company's
own CA looks the same through a proxy that does not inspect anything. Where the server can
also be reached without the proxy, its certificate fetched so tells them apart: the same
certificate is the server's own, another one was minted by the proxy. This runs beside the
flow (a handshake only, nothing is requested) and amends the hop afterwards; where the server
cannot be reached directly, the hop says that both readings are possible and how to tell.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from netcheck.hops import dns, tcp
from netcheck.model import Code, HopResult
from netcheck.net.address import is_ip
from netcheck.net.deadline import Deadline
from netcheck.net.streams import PlainStream, StreamError

WAIT = 5.0  # the whole direct fetch: evidence, so bounded tighter than a hop


@dataclass(frozen=True)
class DirectChain:
    """What the server presented without the proxy: its leaf's SHA-256 and issuer, or why
    it could not be fetched."""

    leaf_sha256: str | None = None
    issuer: str | None = None
    unreachable: str | None = None


def fetch(host: str, port: int, context: Any, timeout: float,
          dns_server: tuple[str, int] | None) -> DirectChain:
    """The server's certificate, fetched directly (DNS here, TCP, a TLS handshake with the
    run's context; the chain is read, not judged)."""
    deadline = Deadline(min(timeout, WAIT))
    found = dns.resolve(host, port, deadline.remaining(), dns_server,
                        "MCP server (fetched directly, to compare chains)")
    if found.result.failed or not found.value:
        return DirectChain(unreachable=f"{host} does not resolve here ({found.result.message})")
    opened = tcp.connect(found.value, port, max(deadline.remaining(), 0.05), "server")
    if opened.result.failed or opened.value is None:
        return DirectChain(unreachable=f"no direct connection ({opened.result.message})")
    stream = PlainStream(opened.value).start_tls(context, None if is_ip(host) else host,
                                                 alpn=[b"http/1.1"])
    try:
        with contextlib.suppress(StreamError):  # a refused client certificate still shows it
            stream.handshake(deadline)
        with contextlib.suppress(Exception):
            stream.record_session()
        chain = stream.facts.chain_der
    finally:
        stream.close()
    if not chain:
        return DirectChain(unreachable="the direct TLS handshake showed no certificate")
    from cryptography import x509

    leaf = x509.load_der_x509_certificate(chain[0])
    return DirectChain(hashlib.sha256(chain[0]).hexdigest(), leaf.issuer.rfc4514_string())


def amendment(found: DirectChain, host: str, port: int, trust_hint: str
              ) -> Callable[[HopResult], HopResult]:
    """How ``found`` changes an ``tls_interception_untrusted`` result seen through a proxy
    (``trust_hint``: how the client is made to trust one more CA)."""

    def amend(result: HopResult) -> HopResult:
        if result.code is not Code.TLS_INTERCEPTION_UNTRUSTED:
            return result
        chain = result.details.get("chain") or [{}]
        leaf, issuer = chain[0].get("sha256"), chain[-1].get("issuer")
        details = {**result.details, "direct_chain": {
            "leaf_sha256": found.leaf_sha256, "issuer": found.issuer,
            "unreachable": found.unreachable,
            "same_as_through_proxy": None if found.leaf_sha256 is None
            else found.leaf_sha256 == leaf}}
        if found.leaf_sha256 is None:
            return replace(result, details=details, message=(
                f"the certificate {host} presented through the proxy is issued by {issuer}, "
                "which this client does not trust: either the proxy inspects TLS or the "
                "server's own certificate comes from a private CA"), notes=[*result.notes, (
                    f"both readings are possible: {host} could not be reached without the "
                    f"proxy to compare ({found.unreachable}). To tell them apart: ask IT "
                    "whether the proxy inspects TLS, or look at the certificate the server "
                    "presents from a network without the proxy (openssl s_client -connect "
                    f"{host}:{port} -showcerts): the same issuer is the server's own CA, "
                    "another one (often named after the proxy or the security vendor) is "
                    "the proxy's")])
        if found.leaf_sha256 != leaf:
            return replace(result, details=details, notes=[*result.notes, (
                f"fetched directly, without the proxy, {host} presents another certificate "
                f"(issued by {found.issuer}): the proxy replaces it, so it inspects TLS")])
        return replace(
            result, code=Code.TLS_UNTRUSTED, details=details,
            message=(f"the certificate of {host} is issued by {issuer}, which this client "
                     f"does not trust; it is the server's own: fetched directly, without the "
                     "proxy, the server presents the same certificate, so the proxy does not "
                     "inspect TLS"),
            hint=(f"if {issuer} is your organisation's CA, get its root certificate (PEM), "
                  f"then {trust_hint}; the proxy is not the cause"))

    return amend
