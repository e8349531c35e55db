"""Hop ``tls``: the handshake, the server's chain, and which trust source would accept it.

The handshake itself does not verify (so a bad chain can still be shown); the chain is then
verified with OpenSSL, as Node does, against the union of the stores the client uses (the
decisive answer) and against each trust source on its own (evidence).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID

from netcheck.hops.interception import product_in
from netcheck.model import Code, Hop, HopResult, Outcome, Status, failed
from netcheck.net.address import is_ip
from netcheck.net.deadline import Deadline, seconds
from netcheck.net.streams import (
    HandshakeFacts,
    Stream,
    StreamClosed,
    StreamError,
    StreamTimeout,
    TlsFailure,
    TlsStream,
    watch_handshakes,
)
from netcheck.profiles import Profile
from netcheck.settings.client_identity import ClientIdentity

if TYPE_CHECKING:  # the trust stores' modules load after the first ClientHello is out
    from netcheck.settings.ca_fix import CaFix
    from netcheck.settings.trust import ContentKey, TrustSetup

# Alerts a server sends when it does not like (or did not get) a client certificate.
CLIENT_CERT_ALERTS = frozenset({"certificate required", "unknown ca", "bad certificate",
                                "certificate unknown", "certificate expired",
                                "certificate revoked", "unsupported certificate", "access denied",
                                "decrypt error"})
NOT_TLS_REASONS = ("wrong version number", "packet length too long", "record layer failure",
                   "unknown protocol", "http request", "record too long", "bad record type",
                   "unexpected message")


def make_context(identity: ClientIdentity | None) -> Any:
    """An OpenSSL client context like Node's: TLS 1.2+, our client certificate if any."""
    from OpenSSL import SSL, crypto

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_verify(SSL.VERIFY_NONE)
    watch_handshakes(ctx)
    if identity is not None:
        ctx.use_certificate(identity.certificate)
        ctx.use_privatekey(identity.key)
        for cert in identity.chain:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(cert))
    return ctx


@dataclass(frozen=True)
class Handshake:
    """What the TLS hop hands on: the session (None when the server ended the handshake over
    the client certificate, which the client_cert hop then judges from ``cert_failure``)."""

    stream: TlsStream | None
    facts: HandshakeFacts
    cert_failure: StreamError | None = None


def establish(inner: Stream, host: str, *, identity: ClientIdentity | None,
              trust: Callable[[], TrustSetup], profile: Profile, via_proxy: bool,
              timeout: float, date_skew_s: float | None = None, context: Any = None,
              hop: Hop = Hop.TLS, on_first_flight: Callable[[], None] | None = None
              ) -> Outcome[Handshake]:
    """Handshake over ``inner`` (a TCP connection, or a TLS session to a proxy) and judge the
    peer's chain. ``trust`` is asked for only once the chain is in: the stores may still be
    being read while the handshake travels. ``context``: one :func:`make_context` made for
    ``identity`` earlier in the run, if there is one; ``hop``: TLS to the server, or to an
    https:// proxy; ``on_first_flight``: called once the ClientHello is sent."""
    sni = None if is_ip(host) else host
    stream = inner.start_tls(context or make_context(identity), sni, alpn=[b"http/1.1"])
    stream.on_first_flight = on_first_flight
    try:
        stream.handshake(Deadline(timeout))
    except TlsFailure as exc:
        _record_partial(stream)
        stream.close()
        if not _is_client_cert_failure(exc, stream):
            return Outcome(_handshake_failure(exc, host, via_proxy, timeout, stream, hop))
        result = judge_chain(stream, host, trust(), profile, via_proxy, date_skew_s, hop).noted(
            f"the handshake then ended with the server's alert: {exc.reason}", warn=False)
        return Outcome(result, Handshake(None, stream.facts,
                                         cert_failure=None if result.failed else exc))
    except (StreamTimeout, StreamClosed) as exc:
        stream.close()
        return Outcome(_handshake_failure(exc, host, via_proxy, timeout, stream, hop))
    result = judge_chain(stream, host, trust(), profile, via_proxy, date_skew_s, hop)
    if result.failed:
        stream.close()
        return Outcome(result)
    return Outcome(result, Handshake(stream, stream.facts))


def _record_partial(stream: TlsStream) -> None:
    with contextlib.suppress(Exception):  # evidence only; the session may be unusable
        stream.record_session()


def _is_client_cert_failure(exc: TlsFailure, stream: TlsStream) -> bool:
    if exc.alert in CLIENT_CERT_ALERTS:
        return True
    return exc.alert == "handshake failure" and stream.facts.cert_request_seen


def _handshake_failure(exc: StreamError, host: str, via_proxy: bool, timeout: float,
                       stream: TlsStream, hop: Hop) -> HopResult:
    details = {"sni": stream.facts.sni, "handshake_states": stream.facts.states[-8:],
               "error": str(exc)}
    if isinstance(exc, StreamTimeout):
        return failed(hop, Code.TLS_TIMEOUT,
                      f"no TLS answer from {host} within {seconds(timeout)} s",
                      "the server (or the proxy tunnel) accepted the connection but does not "
                      "speak TLS, or a middlebox holds the handshake", **details)
    if isinstance(exc, StreamClosed):
        return failed(hop, Code.TLS_CLOSED,
                      f"{host} closed the connection during the TLS handshake",
                      ("the proxy's tunnel or the server dropped the handshake: a firewall "
                       "filtering by SNI, or a proxy that blocks this host after CONNECT")
                      if via_proxy else
                      "a firewall or load balancer dropped the handshake; the server may "
                      "require a different SNI or TLS version", **details)
    reason = str(exc)
    # a TLS alert from the peer proves it speaks TLS, whatever the alert says
    if "alert" not in reason and any(text in reason for text in NOT_TLS_REASONS):
        return failed(hop, Code.TLS_PROTOCOL_ERROR,
                      f"{host} did not answer with TLS ({reason})",
                      "the port speaks plain HTTP or another protocol: check the URL's scheme "
                      "and port", **details)
    hint = "the server and this client share no TLS version or cipher (netcheck offers TLS " \
           "1.2 and 1.3, as Node does)"
    return failed(hop, Code.TLS_HANDSHAKE_FAILED, f"TLS handshake with {host} failed: "
                  f"{reason}", hint, **details)


def describe(cert: x509.Certificate) -> dict[str, Any]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "san": names,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sha256": hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(),
    }


def hostname_matches(cert: x509.Certificate, host: str, partial_wildcards: bool = False
                     ) -> bool:
    """Whether the certificate names ``host``, as Node's ``checkServerIdentity`` decides: SAN
    DNS names (a wildcard in the left-most label, never in an xn-- label, not for a name of
    two labels) or IP SANs; the subject CN only when the certificate has no DNS SAN. Without
    ``partial_wildcards`` (OpenSSL's and Go's clients) that wildcard must be the whole label."""
    host = host.lower().rstrip(".")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if is_ip(host):
        if san is None:
            return False
        wanted = ipaddress.ip_address(host)
        return any(ip == wanted for ip in san.get_values_for_type(x509.IPAddress))
    dns_names = san.get_values_for_type(x509.DNSName) if san is not None else []
    if not dns_names:
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        dns_names = [str(cn.value) for cn in cns]
    return any(_dns_match(pattern.lower().rstrip("."), host, partial_wildcards)
               for pattern in dns_names)


def _dns_match(pattern: str, host: str, partial_wildcards: bool) -> bool:
    if pattern == host:
        return True
    label, _, rest = pattern.partition(".")
    head, _, host_rest = host.partition(".")
    if "*" in rest or rest != host_rest or "." not in rest or not head:
        return False
    if label == "*":
        return True
    if not partial_wildcards or label.count("*") != 1 or label.startswith("xn--"):
        return False
    prefix, suffix = label.split("*")
    return (len(prefix) + len(suffix) <= len(head) and head.startswith(prefix)
            and head.endswith(suffix))


def _verify(store: Any, chain: list[x509.Certificate]) -> tuple[bool, int | None, str | None,
                                                                list[x509.Certificate]]:
    from OpenSSL import crypto

    leaf = crypto.X509.from_cryptography(chain[0])
    rest = [crypto.X509.from_cryptography(c) for c in chain[1:]]
    ctx = crypto.X509StoreContext(store, leaf, chain=rest)
    try:
        verified = ctx.get_verified_chain()
    except crypto.X509StoreContextError as exc:
        errors = getattr(exc, "errors", None) or [None, None, str(exc)]
        return False, errors[0], str(errors[2]), []
    return True, None, None, [c.to_cryptography() for c in verified]


def _verify_everywhere(trust: TrustSetup, der: list[bytes], chain: list[x509.Certificate]
                       ) -> tuple[list[dict[str, Any]], tuple[bool, int | None, str | None,
                                                               list[x509.Certificate]]]:
    """The chain against each trust source and against the client's union of them; a chain
    seen before in this run (the same server, or the same inspecting proxy) is not redone."""
    key = tuple(der)
    if key not in trust.verdicts:
        per_source: list[dict[str, Any]] = []
        by_content: dict[ContentKey, tuple[bool, str | None]] = {}
        for source in trust.sources:
            if source.error or not source.certificates:
                continue
            if source.content_key not in by_content:
                ok, _code, error, _v = _verify(trust.store_of(source), chain)
                by_content[source.content_key] = (ok, error)
            ok, error = by_content[source.content_key]
            per_source.append({"source": source.name, "used_by_client": source.used,
                               "accepts": ok, "error": error})
        trust.verdicts[key] = (per_source, _verify(trust.union_store(), chain))
    per_source, union = trust.verdicts[key]
    return [dict(p) for p in per_source], union


def judge_chain(stream: TlsStream, host: str, trust: TrustSetup, profile: Profile,
                via_proxy: bool, date_skew_s: float | None, hop: Hop = Hop.TLS) -> HopResult:
    """The chain as the client judges it: verified against its stores, or accepted unverified
    where the user turned the client's verification off (with what it would have needed)."""
    verdict = _judge_chain(stream, host, trust, profile, via_proxy, date_skew_s, hop)
    off = trust.verification_off
    if off is None:
        return verdict
    if verdict.code in (None, Code.TLS_HANDSHAKE_FAILED):
        return replace(verdict, status=Status.WARNING if verdict.code is None else
                       verdict.status, notes=(
                           f"SECURITY: {off} turns {profile.client}'s certificate checks "
                           "off; this chain happens to verify, but a TLS interception would "
                           "go unnoticed", *verdict.notes))
    unverified = {"code": verdict.code.value if verdict.code else None,
                  "message": verdict.message, "hint": verdict.hint}
    return HopResult(
        hop=hop, status=Status.WARNING,
        details={**verdict.details, "verification_off": off, "unverified": unverified},
        message=f"{stream.facts.protocol}, chain NOT verified: {off} turns "
                f"{profile.client}'s certificate checks off, so it connects",
        notes=(*verdict.notes,
               f"SECURITY: with verification off, {profile.client} cannot tell this server "
               "from an impostor or a TLS-inspecting proxy; remove the setting once the chain "
               "is fixed",
               f"with verification on, this hop would fail [{verdict.code}]: "
               f"{verdict.message}",
               f"what the chain needs: {verdict.hint}"))


def _judge_chain(stream: TlsStream, host: str, trust: TrustSetup, profile: Profile,
                 via_proxy: bool, date_skew_s: float | None, hop: Hop) -> HopResult:
    facts = stream.facts
    chain = [x509.load_der_x509_certificate(der) for der in facts.chain_der]
    details: dict[str, Any] = {
        "protocol": facts.protocol, "cipher": facts.cipher, "alpn": facts.alpn, "sni": facts.sni,
        "chain": [describe(c) for c in chain], "via_proxy": via_proxy,
    }
    if not chain:
        return failed(hop, Code.TLS_HANDSHAKE_FAILED, f"{host} sent no certificate",
                      "the server's TLS setup is broken", **details)
    per_source, (ok, code, error, verified) = _verify_everywhere(trust, facts.chain_der, chain)
    details["trust"] = per_source
    names = [c.issuer.rfc4514_string() for c in chain] + [c.subject.rfc4514_string()
                                                         for c in chain[1:]]
    if verified:
        names.append(verified[-1].subject.rfc4514_string())
    product = product_in(names)
    details["interception_product"] = product
    from netcheck.settings.ca_fix import CaFix

    fix = trust.fix or CaFix(profile.trust.ca_fix, profile.trust.ca_fix_adds, profile.client)
    if not ok:
        return _untrusted(host, chain, code, error, product, via_proxy, fix, date_skew_s,
                          details, hop)
    if not hostname_matches(chain[0], host, profile.trust.partial_wildcards):
        names_ = ", ".join(describe(chain[0])["san"]) or chain[0].subject.rfc4514_string()
        return failed(hop, Code.TLS_HOSTNAME_MISMATCH,
                      f"the certificate of {host} is for {names_}, not {host}",
                      "use the host name the certificate names, or fix the server's "
                      "certificate" + (" (or the proxy's interception)" if via_proxy else ""),
                      **details)
    anchor = verified[-1].subject.rfc4514_string()
    details["anchor"] = anchor
    message = f"{facts.protocol}, chain verified up to {anchor}"
    if any(p["accepts"] for p in per_source if _is_public(trust, p["source"])):
        return HopResult(hop=hop, status=Status.OK, details=details, message=message)
    who = f"TLS inspection by {product}" if product else (
        "TLS inspection by the proxy or a private CA" if via_proxy else "a private CA")
    trusted_by = ", ".join(p["source"] for p in per_source if p["accepts"])
    return HopResult(hop=hop, status=Status.WARNING, details=details,
                     message=f"{message} - {who}",
                     notes=[f"the chain anchors at a non-public root ({who}), trusted here via "
                            f"{trusted_by}; clients without that CA (for example those using "
                            "only the public roots) will fail"])


def _is_public(trust: TrustSetup, name: str) -> bool:
    return any(s.public for s in trust.sources if s.name == name)


ROOT_PEM = "/path/to/that-root.pem"
INTERMEDIATE_PEM = "/path/to/the-intermediate.pem"

# OpenSSL's verify error numbers (x509_vfy.h) that a diagnosis tells apart
UNABLE_TO_GET_ISSUER_CERT = 2
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
SELF_SIGNED_CERT_IN_CHAIN = 19
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21


def _untrusted(host: str, chain: list[x509.Certificate], code: int | None, error: str | None,
               product: str | None, via_proxy: bool, fix: CaFix, date_skew_s: float | None,
               details: dict[str, Any], hop: Hop) -> HopResult:
    now = dt.datetime.now(dt.UTC)
    if code in (CERT_NOT_YET_VALID, CERT_HAS_EXPIRED):
        skew = (f"; the last HTTP Date header seen differed from this clock by {date_skew_s:+.0f} s"
                if date_skew_s is not None else "")
        outside = [c for c in chain if not c.not_valid_before_utc <= now <= c.not_valid_after_utc]
        cert = outside[0] if outside else chain[0]
        whose = "" if cert is chain[0] else f"{cert.subject.rfc4514_string()}, "
        window = (f"{whose}valid {cert.not_valid_before_utc:%Y-%m-%d %H:%M} to "
                  f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
        clock = f"this machine's clock says {now:%Y-%m-%d %H:%M} UTC{skew}"
        if code == CERT_HAS_EXPIRED:
            return failed(hop, Code.TLS_EXPIRED,
                          f"a certificate in {host}'s chain has expired ({window}; {clock})",
                          "if the clock is right, the server (or inspecting proxy) must renew "
                          "its certificate; if not, fix the clock", **details)
        return failed(hop, Code.TLS_NOT_YET_VALID,
                      f"a certificate in {host}'s chain is not valid yet ({window}; {clock})",
                      "check this machine's clock and time zone", **details)
    top = chain[-1]
    issuer = top.issuer.rfc4514_string()
    if product:
        return failed(hop, Code.TLS_INTERCEPTION_UNTRUSTED,
                      f"TLS to {host} is intercepted by {product} (issuer {issuer}), whose root "
                      f"this client does not trust ({error})",
                      f"get the {product} root CA certificate (PEM) from IT, then "
                      f"{fix.trust(ROOT_PEM)}", **details)
    if via_proxy and code in (SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                             UNABLE_TO_GET_ISSUER_CERT):
        return failed(hop, Code.TLS_INTERCEPTION_UNTRUSTED,
                      f"the certificate {host} presented through the proxy is issued by "
                      f"{issuer}, which this client does not trust ({error}): the proxy most "
                      "likely inspects TLS",
                      f"get the proxy's root CA certificate (PEM) from IT, then "
                      f"{fix.trust(ROOT_PEM)}", **details)
    aia = _has_ca_issuers(chain[0])
    if len(chain) == 1 and aia and code in (UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                           UNABLE_TO_VERIFY_LEAF_SIGNATURE):
        return failed(hop, Code.TLS_MISSING_INTERMEDIATE,
                      f"{host} sends only its own certificate; its issuer {issuer} is an "
                      f"intermediate this client cannot find ({error})",
                      "the server must send its full chain (fix on the server); until then, "
                      f"get that intermediate (PEM) and {fix.trust(INTERMEDIATE_PEM)}",
                      **details)
    return failed(hop, Code.TLS_UNTRUSTED,
                  f"the certificate of {host} is not trusted: {error} (issuer {issuer})",
                  f"if {issuer} is your organisation's CA, get its root certificate (PEM), "
                  f"then {fix.trust(ROOT_PEM)}; otherwise the server's certificate is wrong",
                  **details)


def _has_ca_issuers(cert: x509.Certificate) -> bool:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return False
    return any(d.access_method == AuthorityInformationAccessOID.CA_ISSUERS for d in aia)
