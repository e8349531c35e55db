"""Hop ``client_cert``: did the server ask for a client certificate, and did it accept ours?

Evidence comes from three moments: the handshake (a CertificateRequest and the CA names in it,
or an alert), the first read (TLS 1.3 servers reject a missing or unwanted certificate only
after the handshake, with ``certificate_required``), and the HTTP answer (reverse proxies that
finish the handshake and answer 400/403 "No required SSL certificate was sent").
"""

from __future__ import annotations

import re
from typing import Any

from netcheck.model import Code, Hop, HopResult, NotSent, Status, failed
from netcheck.net.streams import HandshakeFacts, StreamError, TlsFailure
from netcheck.net.x509_names import canonical
from netcheck.profiles import Profile
from netcheck.settings.client_identity import ClientIdentity, allows_client_auth

HTTP_REJECTION = re.compile(
    r"no required ssl certificate|ssl certificate error|client certificate|"
    r"certificate (is )?required|ssl_client_verify|peer did not return a certificate|"
    r"certificate verify failed", re.IGNORECASE)
HTTP_REJECTION_STATUSES = frozenset({400, 401, 403, 495, 496})


def http_rejection(status: int, body: bytes) -> str | None:
    """The client-certificate complaint in an HTTP error page, if there is one."""
    if status not in HTTP_REJECTION_STATUSES:
        return None
    text = body[:8192].decode("utf-8", "replace")
    match = HTTP_REJECTION.search(text)
    if status in (495, 496) and not match:
        return f"HTTP {status} (nginx: {'certificate error' if status == 495 else 'no cert'})"
    return match.group(0) if match else None


def _names(facts: HandshakeFacts) -> list[str]:
    return facts.client_ca_names


def _hint(profile: Profile) -> str:
    if not profile.client_cert.can_present:
        return profile.client_cert.given_by
    variables = profile.client_cert.variables
    if variables is not None:
        cert, key, passphrase = variables
        return f"set {cert} and {key} (and {passphrase} if the key is encrypted)"
    return (f"give {profile.client} the client certificate ({profile.client_cert.given_by}); "
            "pass it to netcheck with --cert and --key to check it")


def judge(facts: HandshakeFacts, identity: ClientIdentity | None, profile: Profile, *,
          failure: StreamError | None = None, rejected_page: str | None = None,
          status: int | None = None, not_sent: NotSent | None = None) -> HopResult:
    """The client_cert hop from what the handshake, first read and HTTP answer showed.

    ``not_sent``: why no certificate was presented although one is configured (the client
    cannot use its format, or this is another origin than the configured server's)."""
    ours = identity.certificate.issuer.rfc4514_string() if identity else None
    details: dict[str, Any] = {
        "requested": facts.cert_request_seen,
        "acceptable_ca_names": _names(facts),
        "certificate_configured": identity is not None,
        "our_issuer": ours,
    }
    issuer_accepted = _issuer_accepted(facts, identity)
    details["issuer_in_acceptable_names"] = issuer_accepted
    alert = failure.alert if isinstance(failure, TlsFailure) else None
    if failure is not None or rejected_page is not None:
        evidence = (f"the server sent the TLS alert '{alert}'" if alert else
                    f"the server answered HTTP {status}: \"{rejected_page}\"" if rejected_page
                    else str(failure))
        details["evidence"] = evidence
        if identity is None and not_sent is not None:
            return failed(Hop.CLIENT_CERT, Code.CLIENT_CERT_REQUIRED,
                          f"the server requires a client certificate; {not_sent.why} "
                          f"({evidence})", not_sent.fix, **details)
        if identity is None:
            return failed(Hop.CLIENT_CERT, Code.CLIENT_CERT_REQUIRED,
                          f"the server requires a client certificate and none is configured "
                          f"({evidence})", _hint(profile), **details)
        if issuer_accepted is False:
            return failed(Hop.CLIENT_CERT, Code.CLIENT_CERT_CA_MISMATCH,
                          f"the server accepts client certificates from "
                          f"{'; '.join(_names(facts))}, but ours is issued by {ours} "
                          f"({evidence})",
                          "use a client certificate issued by one of the CAs the server names",
                          **details)
        flaw = _own_flaw(identity)
        return failed(Hop.CLIENT_CERT, Code.CLIENT_CERT_REJECTED,
                      f"the server rejected our client certificate ({evidence})"
                      + (f"; {flaw}" if flaw else ""),
                      "renew the certificate with your PKI team (the client sends it anyway; "
                      "the server refuses it)" if flaw else
                      "check with the gateway's owners that this certificate (issuer, subject) "
                      "is allowed; it may be revoked or from the wrong CA", **details)
    if identity is None:
        if facts.cert_request_seen:
            return HopResult(hop=Hop.CLIENT_CERT, status=Status.WARNING, details=details,
                             message="the server asked for an optional client certificate; "
                                     "none is configured and it carried on without")
        return HopResult(hop=Hop.CLIENT_CERT, status=Status.OK, details=details,
                         message="no client certificate requested, none configured")
    if not facts.cert_request_seen:
        return HopResult(hop=Hop.CLIENT_CERT, status=Status.OK, details=details,
                         message="the server did not ask for a client certificate; ours was "
                                 "not sent", notes=["if mTLS is enforced, it happens elsewhere "
                                                    "(another host, or a gateway further in)"])
    result = HopResult(hop=Hop.CLIENT_CERT, status=Status.OK, details=details,
                       message=f"client certificate sent and accepted (issuer {ours})")
    if issuer_accepted is False:
        return result.noted("our certificate's issuer is not among the CA names the server "
                            "sent, yet the server carried on")
    return result


def _own_flaw(identity: ClientIdentity) -> str | None:
    """What is wrong with our certificate itself (clients send it regardless)."""
    import datetime as dt

    cert = identity.certificate
    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC):
        return f"our certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}"
    if not allows_client_auth(cert):
        return "our certificate's extended key usage does not allow client authentication"
    return None


def _issuer_accepted(facts: HandshakeFacts, identity: ClientIdentity | None) -> bool | None:
    """Whether our certificate's issuer (or a CA of the chain we send) is among the names the
    server asked for, compared as OpenSSL compares names (their canonical forms): a name's
    text form has commas inside values ("O=Acme, Inc.") and attributes each library spells its
    own way, and the same name may be encoded with another string type."""
    if identity is None or not facts.client_ca_names_der:
        return None
    wanted = {canonical(der) or der for der in facts.client_ca_names_der}
    issuers = [identity.certificate.issuer] + [c.issuer for c in identity.chain] + \
              [c.subject for c in identity.chain]
    return any((canonical(der) or der) in wanted for der in
               (name.public_bytes() for name in issuers))
