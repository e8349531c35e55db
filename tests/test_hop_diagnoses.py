"""Table tests for each hop's diagnosis, fed with fabricated facts: no sockets, no servers.

Each row gives a diagnosis function the facts a hop would have gathered (connect attempts, DNS
query outcomes, a proxy's answer, a certificate chain and OpenSSL's verdict on it, a handshake,
an HTTP answer) and asserts what a user relies on: the failure code (or the status of a result
that passed), words of the message and of the hint, and that every failed result has a hint.

The host-name rows were measured with Node 20's ``tls.checkServerIdentity``; the clients'
partial-wildcard behaviour with the real clients (tests/real_clients, case tls-partial-wildcard).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from OpenSSL import crypto

from netcheck.hops import client_cert, dns, proxy_connect, tcp, tls
from netcheck.hops.dns import QueryResult
from netcheck.hops.http import error_status, judge_initialize
from netcheck.hops.interception import product_in
from netcheck.model import Code, Hop, HopResult, NotSent, Status
from netcheck.net.http1 import HttpResponse
from netcheck.net.streams import (
    HandshakeFacts,
    StreamClosed,
    StreamError,
    StreamTimeout,
    TlsFailure,
    TlsStream,
)
from netcheck.profiles import PROFILES
from netcheck.proxy.url import ProxyURL
from netcheck.settings.ca_fix import CaFix
from netcheck.settings.client_identity import ClientIdentity

Words = tuple[str, ...]


def expect(result: HopResult, want: Code | Status, message: Words = (), hint: Words = (),
           *, no_hint_words: Words = ()) -> None:
    """``want``: the failure code, or the status of a result that did not fail."""
    if isinstance(want, Code):
        assert result.status is Status.FAILED, (result.status, result.message)
        assert result.code is want, (result.code, result.message)
    else:
        assert result.status is want, (result.status, result.message)
        assert result.code is None
    for word in message:
        assert word in result.message, f"{word!r} not in the message {result.message!r}"
    for word in hint:
        assert result.hint is not None and word in result.hint, \
            f"{word!r} not in the hint {result.hint!r}"
    for word in no_hint_words:
        assert word not in (result.hint or ""), f"{word!r} in the hint {result.hint!r}"
    if result.failed:
        assert result.hint, f"a failed result without a hint: {result.message!r}"


# --- tcp ---------------------------------------------------------------------------------------


def attempt(outcome: str, address: str = "192.0.2.10", detail: str | None = None
            ) -> dict[str, Any]:
    family = "IPv6" if ":" in address else "IPv4"
    return {"address": address, "family": family, "outcome": outcome, "detail": detail,
            "ms": 1.0}


REFUSED = attempt("refused", detail="connection refused")
TIMED_OUT = attempt("timeout", "192.0.2.11", detail="no answer within 10 s")
NOT_TRIED = {"address": "2001:db8::1", "outcome": "not tried", "ms": 0.0}
UNREACHABLE = attempt("unreachable", "2001:db8::2", detail="Network is unreachable")
DENIED = attempt("error", "192.0.2.12", detail="Permission denied")

TCP_ROWS = [
    pytest.param([REFUSED], 443, "server", Code.TCP_REFUSED,
                 ("server 192.0.2.10:443 refused the connection",),
                 ("nothing listens on that port", "check the host and port"),
                 ("proxy variable",), id="refused-server"),
    pytest.param([REFUSED], 3128, "proxy", Code.TCP_REFUSED,
                 ("proxy 192.0.2.10:3128 refused",), ("of the proxy variable",), (),
                 id="refused-proxy"),
    pytest.param([TIMED_OUT, REFUSED], 443, "server", Code.TCP_REFUSED,
                 ("192.0.2.11:443, 192.0.2.10:443 refused",), ("check the host and port",), (),
                 id="refused-wins-over-timeout"),
    pytest.param([TIMED_OUT], 443, "server", Code.TCP_TIMEOUT,
                 ("no answer from server 192.0.2.11:443 within 10 s",),
                 ("a firewall drops the traffic silently", "through its proxy"), (),
                 id="timeout-server"),
    pytest.param([TIMED_OUT], 8080, "proxy", Code.TCP_TIMEOUT,
                 ("no answer from proxy 192.0.2.11:8080",),
                 ("the proxy is unreachable from here", "VPN"), ("firewall",),
                 id="timeout-proxy"),
    pytest.param([TIMED_OUT, NOT_TRIED], 443, "server", Code.TCP_TIMEOUT,
                 ("192.0.2.11:443, [2001:db8::1]:443 within 10 s",), ("firewall",), (),
                 id="timeout-then-not-tried-ipv6"),
    pytest.param([NOT_TRIED], 443, "server", Code.TCP_TIMEOUT,
                 ("no answer from server [2001:db8::1]:443",), ("firewall",), (),
                 id="not-tried-only"),
    pytest.param([UNREACHABLE], 443, "server", Code.TCP_UNREACHABLE,
                 ("server [2001:db8::2]:443 is unreachable from this machine",),
                 ("no route to that network", "VPN"), (), id="unreachable"),
    pytest.param([TIMED_OUT, UNREACHABLE], 443, "proxy", Code.TCP_UNREACHABLE,
                 ("proxy 192.0.2.11:443, [2001:db8::2]:443 is unreachable",), ("routing",), (),
                 id="unreachable-wins-over-timeout"),
    pytest.param([DENIED], 443, "server", Code.TCP_ERROR,
                 ("could not connect to server 192.0.2.12:443: Permission denied",),
                 ("check the network connection",), (), id="error"),
    pytest.param([DENIED, UNREACHABLE], 443, "server", Code.TCP_UNREACHABLE,
                 ("is unreachable",), ("VPN",), (), id="unreachable-wins-over-error"),
    # No address at all never reaches this function (the dns hop fails first); it lands in
    # the timeout branch, so the 'no address' text of the error branch is dead code.
    pytest.param([], 443, "server", Code.TCP_TIMEOUT, ("server no address within 10 s",),
                 ("firewall",), (), id="no-address"),
    pytest.param([DENIED, TIMED_OUT], 443, "server", Code.TCP_ERROR, ("Permission denied",),
                 ("check the network connection",), (), id="error-then-timeout"),
]


@pytest.mark.parametrize(("attempts", "port", "role", "code", "message", "hint", "not_hint"),
                         TCP_ROWS)
def test_tcp_diagnose(attempts: list[dict[str, Any]], port: int, role: str, code: Code,
                      message: Words, hint: Words, not_hint: Words) -> None:
    result = tcp._diagnose(attempts, port, role, 10.0)
    expect(result, code, message, hint, no_hint_words=not_hint)
    assert result.hop is Hop.TCP
    assert result.details == {"role": role, "port": port, "attempts": attempts}


def test_tcp_timeout_shows_fractional_seconds() -> None:
    result = tcp._diagnose([TIMED_OUT], 443, "server", 2.5)
    expect(result, Code.TCP_TIMEOUT, ("within 2.5 s",))


# --- dns ---------------------------------------------------------------------------------------


def q(rdtype: str, outcome: str, detail: str | None = None, *addresses: str) -> QueryResult:
    return QueryResult(rdtype=rdtype, outcome=outcome, addresses=list(addresses), ms=3.0,
                       server="10.0.0.53:53", detail=detail)


SERVER = ("10.0.0.53", 53)
SYS_TIMEOUT = "the system resolver gave no answer within 5 s"
NONAME = (dns.GAI_MESSAGES[socket.EAI_NONAME], socket.EAI_NONAME)
AGAIN = (dns.GAI_MESSAGES[socket.EAI_AGAIN], socket.EAI_AGAIN)
FAIL = (dns.GAI_MESSAGES[socket.EAI_FAIL], socket.EAI_FAIL)
NO_GAI: tuple[str | None, int | None] = (None, None)

DNS_ROWS = [
    pytest.param([q("A", "nxdomain"), q("AAAA", "nxdomain")], NONAME, None, Code.DNS_NXDOMAIN,
                 ("DNS says mcp.corp.test (MCP server) does not exist (NXDOMAIN)",),
                 ("check the spelling", "split DNS", "VPN", "the proxy"), id="nxdomain"),
    pytest.param([q("A", "nxdomain"), q("AAAA", "no_answer")], NONAME, None, Code.DNS_NXDOMAIN,
                 ("(NXDOMAIN)",), ("split DNS",), id="nxdomain-and-no-answer"),
    pytest.param([q("A", "nxdomain"), q("AAAA", "nxdomain")], NO_GAI, SERVER,
                 Code.DNS_NXDOMAIN, ("the resolver at 10.0.0.53:53 says mcp.corp.test",),
                 ("VPN",), id="nxdomain-dns-server"),
    pytest.param([q("A", "servfail", "10.0.0.53: SERVFAIL"), q("AAAA", "timeout")], FAIL, None,
                 Code.DNS_SERVFAIL, ("DNS failed to resolve mcp.corp.test (MCP server): "
                                     "SERVFAIL",),
                 ("authoritative servers", "ask the network team"), id="servfail"),
    pytest.param([q("A", "timeout"), q("AAAA", "timeout")], (SYS_TIMEOUT, None), None,
                 Code.DNS_TIMEOUT,
                 ("DNS gave no answer for mcp.corp.test (MCP server) within 5 s",),
                 ("firewall may drop DNS", "/etc/resolv.conf", "--dns-server"), id="timeout"),
    pytest.param([q("A", "timeout"), q("AAAA", "timeout")], NO_GAI, SERVER, Code.DNS_TIMEOUT,
                 ("the resolver at 10.0.0.53:53 gave no answer",), ("--dns-server",),
                 id="timeout-dns-server"),
    pytest.param([], (SYS_TIMEOUT, None), None, Code.DNS_TIMEOUT,
                 ("gave no answer for mcp.corp.test",), ("--dns-server",),
                 id="system-resolver-timeout-without-queries"),
    pytest.param([q("A", "no_resolver"), q("AAAA", "no_resolver")], AGAIN, None,
                 Code.DNS_NO_RESOLVER,
                 ("no DNS resolver is configured or reachable to look up mcp.corp.test",),
                 ("configure a nameserver", "--dns-server"), id="no-resolver"),
    pytest.param([q("A", "no_answer"), q("AAAA", "no_answer")], NONAME, None,
                 Code.DNS_NO_ANSWER,
                 ("mcp.corp.test (MCP server) exists but has no A or AAAA address",),
                 ("other records only", "check the URL"), id="no-answer"),
    pytest.param([q("A", "answer", None, "10.1.2.3"), q("AAAA", "no_answer")], NONAME, None,
                 Code.DNS_NXDOMAIN, ("the system resolver does not know mcp.corp.test",),
                 ("VPN / split DNS",), id="eai-noname-though-dns-answers"),
    pytest.param([], NONAME, None, Code.DNS_NXDOMAIN,
                 ("the system resolver does not know mcp.corp.test (MCP server)",),
                 ("check the spelling",), id="eai-noname-without-queries"),
    pytest.param([q("A", "timeout"), q("AAAA", "no_answer")], AGAIN, None, Code.DNS_ERROR,
                 ("could not be resolved: temporary failure in name resolution",),
                 ("check this machine's DNS settings",), id="mixed-timeout-no-answer"),
    pytest.param([q("A", "error", "boom"), q("AAAA", "error", "boom")], FAIL, None,
                 Code.DNS_ERROR, ("non-recoverable failure in name resolution",),
                 ("DNS settings",), id="error"),
    pytest.param([q("A", "error", "A DNS label is > 63 octets long."),
                  q("AAAA", "error", "A DNS label is > 63 octets long.")], NO_GAI, SERVER,
                 Code.DNS_ERROR, ("63 octets",), ("DNS settings",), id="error-dns-server"),
]


@pytest.mark.parametrize(("queries", "system", "server", "code", "message", "hint"), DNS_ROWS)
def test_dns_diagnose(queries: list[QueryResult], system: tuple[str | None, int | None],
                      server: tuple[str, int] | None, code: Code, message: Words,
                      hint: Words) -> None:
    system_error, gai_code = system
    details: dict[str, Any] = {"host": "mcp.corp.test"}
    result = dns._diagnose("mcp.corp.test", "MCP server", queries, system_error, gai_code,
                           server, 5.0, details)
    expect(result, code, message, hint)
    assert result.hop is Hop.DNS
    assert result.details["host"] == "mcp.corp.test"
    assert result.details.get("system_error") == system_error


def test_dns_diagnose_names_the_proxy_role() -> None:
    result = dns._diagnose("proxy.corp.test", "proxy", [q("A", "nxdomain")], None, None, None,
                           5.0, {})
    expect(result, Code.DNS_NXDOMAIN, ("proxy.corp.test (proxy) does not exist",))


# --- proxy_connect -----------------------------------------------------------------------------

BLOCK_PAGE = (b"<html><head><title>Access Denied by Policy</title></head><body><h1>Blocked"
              b"</h1><p>The category 'Developer tools' is blocked.</p></body></html>")
NO_CREDS = "http://proxy.corp.test:3128"
CREDS = "http://alice:s3cret@proxy.corp.test:3128"


def response(status: int, reason: str, headers: list[tuple[str, str]] | None = None,
             body: bytes = b"") -> HttpResponse:
    return HttpResponse(status=status, reason=reason, http_version="1.1",
                        headers=list(headers or []), body=body, body_complete=True)


def auth407(*challenges: str) -> HttpResponse:
    return response(407, "Proxy Authentication Required",
                    [("Proxy-Authenticate", c) for c in challenges])


PROXY_ROWS = [
    pytest.param(auth407('Basic realm="corp"'), NO_CREDS, "claude-code",
                 Code.PROXY_AUTH_REQUIRED,
                 ("requires authentication (Basic) and the proxy URL has no credentials",),
                 ("http://user:password@host:port", "percent-encoded"), id="407-basic-no-creds"),
    pytest.param(auth407('Basic realm="corp"'), CREDS, "claude-code", Code.PROXY_AUTH_REJECTED,
                 ("rejected the credentials in the proxy URL (Basic)",),
                 ("check the user name and password", "@ as %40"), id="407-basic-creds"),
    pytest.param(auth407("NTLM", "Negotiate"), CREDS, "claude-code",
                 Code.PROXY_AUTH_UNSUPPORTED,
                 ("requires authentication with NTLM, Negotiate; Claude Code 2.1.337 can only "
                  "answer with Basic",), ("cntlm", "px --proxy=", "HTTPS_PROXY=http://127.0.0.1"),
                 id="407-ntlm-negotiate-cc"),
    pytest.param(auth407("Negotiate"), NO_CREDS, "node", Code.PROXY_AUTH_UNSUPPORTED,
                 ("with Negotiate; MCP TypeScript SDK 1.32.2 can only answer with Basic",),
                 ("px --proxy=", "or ask IT for a proxy port that accepts Basic"),
                 id="407-negotiate-node-no-creds"),
    pytest.param(auth407("Negotiate", 'Basic realm="corp"'), CREDS, "python",
                 Code.PROXY_AUTH_REJECTED, ("(Negotiate, Basic)",), ("password",),
                 id="407-negotiate-or-basic-creds"),
    pytest.param(auth407("basic realm=corp"), NO_CREDS, "python", Code.PROXY_AUTH_REQUIRED,
                 ("(basic)",), ("http://user:password@host:port",),
                 id="407-lowercase-basic"),
    pytest.param(auth407("NTLM"), NO_CREDS, "curl", Code.PROXY_AUTH_REQUIRED,
                 ("(NTLM) and the proxy URL has no credentials",),
                 ("ask IT which authentication",), id="407-ntlm-curl-no-creds"),
    pytest.param(auth407("NTLM"), CREDS, "curl", Code.PROXY_AUTH_REJECTED,
                 ("rejected the credentials",), ("percent-encode",), id="407-ntlm-curl-creds"),
    pytest.param(auth407(), NO_CREDS, "claude-code", Code.PROXY_AUTH_REQUIRED,
                 ("(no scheme named)",), ("ask IT",), id="407-no-challenge-no-creds"),
    pytest.param(auth407(), CREDS, "claude-code", Code.PROXY_AUTH_REJECTED,
                 ("(no scheme named)",), ("password",), id="407-no-challenge-creds"),
    pytest.param(response(403, "Forbidden", [("Content-Type", "text/html")], BLOCK_PAGE),
                 NO_CREDS, "claude-code", Code.PROXY_FORBIDDEN,
                 ("refused CONNECT to mcp.test:443: 403 Forbidden - Access Denied by Policy",),
                 ("policy blocks this destination", "block page"), id="403-block-page"),
    pytest.param(response(403, "Forbidden"), NO_CREDS, "claude-code", Code.PROXY_FORBIDDEN,
                 ("refused CONNECT to mcp.test:443: 403 Forbidden",), ("ask IT",),
                 id="403-no-page"),
    pytest.param(response(502, "Bad Gateway"), NO_CREDS, "claude-code",
                 Code.PROXY_UPSTREAM_FAILED, ("could not reach mcp.test:443: 502 Bad Gateway",),
                 ("failed to resolve or connect", "reachable from the proxy"), id="502"),
    pytest.param(response(503, "Service Unavailable"), NO_CREDS, "go",
                 Code.PROXY_UPSTREAM_FAILED, ("503 Service Unavailable",), ("host name",),
                 id="503"),
    pytest.param(response(504, "Gateway Timeout"), NO_CREDS, "claude-code",
                 Code.PROXY_UPSTREAM_FAILED, ("504 Gateway Timeout",), ("from the proxy",),
                 id="504"),
    pytest.param(response(504, ""), NO_CREDS, "claude-code", Code.PROXY_UPSTREAM_FAILED,
                 ("mcp.test:443: 504",), (), id="504-no-reason"),
    pytest.param(response(400, "Bad Request"), NO_CREDS, "claude-code",
                 Code.PROXY_CONNECT_REJECTED,
                 ("the proxy answered CONNECT mcp.test:443 with 400 Bad Request",),
                 ("may not allow CONNECT to this port",), id="400"),
    pytest.param(response(405, "Method Not Allowed"), NO_CREDS, "claude-code",
                 Code.PROXY_CONNECT_REJECTED, ("405 Method Not Allowed",), ("CONNECT",),
                 id="405"),
    pytest.param(response(500, "Internal Server Error"), NO_CREDS, "claude-code",
                 Code.PROXY_CONNECT_REJECTED, ("500 Internal Server Error",), ("proxy's page",),
                 id="500-is-not-upstream"),
    pytest.param(response(302, "Found", [("Location", "https://portal.corp.test/")]), NO_CREDS,
                 "claude-code", Code.PROXY_CONNECT_REJECTED, ("302 Found",), (),
                 id="302-portal"),
]


@pytest.mark.parametrize(("answer", "proxy", "profile", "code", "message", "hint"), PROXY_ROWS)
def test_proxy_connect_diagnose(answer: HttpResponse, proxy: str, profile: str, code: Code,
                                message: Words, hint: Words) -> None:
    details: dict[str, Any] = {"proxy": "http://proxy.corp.test:3128"}
    result = proxy_connect._diagnose(answer, ProxyURL.parse(proxy), "mcp.test:443",
                                     PROFILES[profile], details)
    expect(result, code, message, hint)
    assert result.hop is Hop.PROXY_CONNECT
    assert "s3cret" not in result.message + (result.hint or "")
    if answer.status == 407:
        schemes = [v.split()[0] for v in answer.header_values("proxy-authenticate")]
        assert result.details["auth_schemes"] == schemes


def test_proxy_connect_block_page_is_kept_in_details() -> None:
    answer = response(403, "Forbidden", [("Content-Type", "text/html; charset=utf-8")],
                      BLOCK_PAGE)
    result = proxy_connect._diagnose(answer, ProxyURL.parse(NO_CREDS), "mcp.test:443",
                                     PROFILES["claude-code"], {})
    page = result.details["page"]
    assert page["title"] == "Access Denied by Policy"
    assert "'Developer tools' is blocked" in page["text"]
    assert page["content_type"] == "text/html"


def test_proxy_connect_text_page_without_title() -> None:
    answer = response(403, "Forbidden", [("Content-Type", "text/plain")], b"Denied by rule 7")
    result = proxy_connect._diagnose(answer, ProxyURL.parse(NO_CREDS), "mcp.test:443",
                                     PROFILES["claude-code"], {})
    expect(result, Code.PROXY_FORBIDDEN)
    assert result.message.endswith("403 Forbidden")
    assert result.details["page"]["text"] == "Denied by rule 7"


# --- tls: certificates ---------------------------------------------------------------------------

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def cn(common_name: str, org: str | None = None, kind: _ASN1Type = _ASN1Type.UTF8String
       ) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name, _type=kind)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


@dataclass
class Cert:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def subject(self) -> x509.Name:
        return self.cert.subject


def make(subject: x509.Name, issuer: Cert | None = None, *, ca: bool = False,
         dns_names: tuple[str, ...] = (), ips: tuple[str, ...] = (), aia: bool = False,
         not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
         eku: tuple[x509.ObjectIdentifier, ...] | None = None) -> Cert:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - DAY)
               .not_valid_after(not_after or NOW + 30 * DAY)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if aia:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://pki.test/int.der"))]),
            critical=False)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    return Cert(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


class Lab:
    """The certificates the TLS and client-certificate rows use, made once per module."""

    def __init__(self) -> None:
        host = ("mcp.test",)
        self.root = make(cn("Acme Root CA"), ca=True)
        self.inter = make(cn("Acme Issuing CA 2"), self.root, ca=True)
        self.leaf = make(cn("mcp.test"), self.inter, dns_names=host)
        self.leaf_aia = make(cn("mcp.test"), self.inter, dns_names=host, aia=True)
        self.expired = make(cn("mcp.test"), self.root, dns_names=host,
                            not_before=NOW - 60 * DAY, not_after=NOW - 2 * DAY)
        self.future = make(cn("mcp.test"), self.root, dns_names=host,
                           not_before=NOW + 2 * DAY, not_after=NOW + 60 * DAY)
        self.old_inter = make(cn("Acme Old Issuing CA"), self.root, ca=True,
                              not_before=NOW - 900 * DAY, not_after=NOW - 100 * DAY)
        self.under_old = make(cn("mcp.test"), self.old_inter, dns_names=host,
                              not_before=NOW - 200 * DAY, not_after=NOW + 100 * DAY)
        self.zscaler_root = make(cn("Zscaler Root CA", "Zscaler Inc."), ca=True)
        self.zscaler_int = make(cn("Zscaler Intermediate Root CA (zscaler.net)",
                                   "Zscaler Inc."), self.zscaler_root, ca=True)
        self.zscaler_leaf = make(cn("mcp.test"), self.zscaler_int, dns_names=host)
        self.corp_root = make(cn("Corp Inspection CA", "Example Corp"), ca=True)
        self.corp_leaf = make(cn("mcp.test"), self.corp_root, dns_names=host)
        self.self_signed = make(cn("mcp.test"), dns_names=host)
        # client certificates
        self.client_root = make(cn("Acme Client Root"), ca=True)
        self.client_ca = make(cn("Acme Client CA", "Acme, Inc."), self.client_root, ca=True)
        self.client = make(cn("alice"), self.client_ca, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
        self.client_expired = make(cn("alice"), self.client_ca, not_before=NOW - 400 * DAY,
                                   not_after=NOW - 35 * DAY,
                                   eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
        self.client_server_eku = make(cn("alice"), self.client_ca,
                                      eku=(ExtendedKeyUsageOID.SERVER_AUTH,))
        self.printable_ca = make(cn("Acme Client CA", kind=_ASN1Type.PrintableString), ca=True)
        self.client_printable = make(cn("alice"), self.printable_ca)
        self.utf8_ca = make(cn("Acme Client CA"), ca=True)  # the same name as UTF8String
        self.other_ca = make(cn("Other Client CA"), ca=True)

    def chain(self, *names: str) -> list[x509.Certificate]:
        return [getattr(self, n).cert for n in names]

    def store(self, *names: str) -> Any:
        store = crypto.X509Store()
        for name in names:
            store.add_cert(crypto.X509.from_cryptography(getattr(self, name).cert))
        return store


LAB = Lab()


def product_of(chain: list[x509.Certificate]) -> str | None:
    """The interception product as ``tls._judge_chain`` looks for it (issuers, then the
    subjects of the CAs sent)."""
    names = [c.issuer.rfc4514_string() for c in chain]
    names += [c.subject.rfc4514_string() for c in chain[1:]]
    return product_in(names)


# --- tls: hostname_matches ---------------------------------------------------------------------


def san_cert(dns_names: tuple[str, ...] = (), ips: tuple[str, ...] = (),
             common_name: str = "unrelated") -> x509.Certificate:
    return make(cn(common_name), dns_names=dns_names, ips=ips).cert


HOSTNAME_ROWS = [
    pytest.param(("mcp.example.com",), (), "unrelated", "mcp.example.com", True, id="exact"),
    pytest.param(("mcp.example.com",), (), "unrelated", "MCP.Example.COM.", True,
                 id="case-and-trailing-dot"),
    pytest.param(("mcp.example.com.",), (), "unrelated", "mcp.example.com", True,
                 id="pattern-trailing-dot"),
    pytest.param(("*.example.com",), (), "unrelated", "a.example.com", True, id="wildcard"),
    pytest.param(("*.example.com",), (), "unrelated", "a.b.example.com", False,
                 id="wildcard-one-label-only"),
    pytest.param(("*.example.com",), (), "unrelated", "example.com", False,
                 id="wildcard-not-apex"),
    pytest.param(("*.test",), (), "unrelated", "mcp.test", False, id="wildcard-single-label"),
    pytest.param(("xn--*.example.com",), (), "unrelated", "xn--bcher-kva.example.com", False,
                 id="wildcard-in-a-label"),
    pytest.param(("f*.example.com",), (), "unrelated", "foo.example.com", True,
                 id="partial-wildcard-prefix"),
    pytest.param(("*o.example.com",), (), "unrelated", "foo.example.com", True,
                 id="partial-wildcard-suffix"),
    pytest.param(("f*o.example.com",), (), "unrelated", "fo.example.com", True,
                 id="partial-wildcard-matching-nothing"),
    pytest.param(("fo*oo.example.com",), (), "unrelated", "foo.example.com", False,
                 id="partial-wildcard-longer-than-the-label"),
    pytest.param(("f**.example.com",), (), "unrelated", "foo.example.com", False,
                 id="two-wildcards"),
    pytest.param(("m*.test",), (), "unrelated", "mcp.test", False,
                 id="partial-wildcard-two-labels"),
    pytest.param(("other.example.com",), (), "mcp.example.com", "mcp.example.com", False,
                 id="cn-ignored-when-dns-san"),
    pytest.param((), (), "mcp.example.com", "mcp.example.com", True, id="cn-without-san"),
    pytest.param((), (), "*.example.com", "mcp.example.com", True, id="cn-wildcard"),
    pytest.param((), ("127.0.0.1",), "mcp.example.com", "mcp.example.com", True,
                 id="cn-when-san-has-only-ips"),
    pytest.param((), ("127.0.0.1",), "unrelated", "127.0.0.1", True, id="ip-san"),
    pytest.param((), ("127.0.0.1",), "unrelated", "127.0.0.2", False, id="other-ip"),
    pytest.param((), ("::1",), "unrelated", "0:0::1", True, id="ipv6-san-other-spelling"),
    pytest.param(("127.0.0.1",), (), "unrelated", "127.0.0.1", False, id="ip-in-dns-san"),
    pytest.param((), (), "127.0.0.1", "127.0.0.1", False, id="ip-in-cn"),
]


@pytest.mark.parametrize(("dns_names", "ips", "common_name", "host", "ok"), HOSTNAME_ROWS)
def test_hostname_matches(dns_names: tuple[str, ...], ips: tuple[str, ...], common_name: str,
                          host: str, ok: bool) -> None:
    """Node's checkServerIdentity (Node 20.20.2, measured row by row)."""
    cert = san_cert(dns_names, ips, common_name)
    assert tls.hostname_matches(cert, host, partial_wildcards=True) is ok


@pytest.mark.parametrize("pattern", ["f*.example.com", "*o.example.com"])
def test_partial_wildcards_only_for_node_clients(pattern: str) -> None:
    """Measured in tests/real_clients (case tls-partial-wildcard): Claude Code and the
    TypeScript SDK accept 'm*.corp.test' for mcp.corp.test, and so do mcp-remote and Gemini CLI
    (Node; notes/gemini.md, tls-partial-wildcard: connected); the
    Python SDK, Codex (rustls) and Copilot CLI (OpenSSL) refuse it; curl 7.88.1 refuses it too
    (measured by hand), Go's matchHostnames compares labels literally."""
    cert = san_cert((pattern,), (), "unrelated")
    accepts = {name: tls.hostname_matches(cert, "foo.example.com",
                                          profile.trust.partial_wildcards)
               for name, profile in PROFILES.items()}
    assert accepts == {"claude-code": True, "node": True, "mcp-remote": True, "gemini": True,
                       "python": False, "codex": False, "copilot": False, "curl": False,
                       "go": False}


# --- tls: _untrusted ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Untrusted:
    chain: tuple[str, ...]
    roots: tuple[str, ...]
    via_proxy: bool
    openssl: int  # the verify error OpenSSL gives for this chain and store (asserted too)
    code: Code
    message: Words
    hint: Words
    profile: str = "claude-code"
    skew: float | None = None
    hop: Hop = Hop.TLS


UNTRUSTED_ROWS = [
    pytest.param(Untrusted(("expired",), ("root",), False, tls.CERT_HAS_EXPIRED, Code.TLS_EXPIRED,
                           ("a certificate in mcp.test's chain has expired (valid ",
                            f"to {(NOW - 2 * DAY):%Y-%m-%d}", "this machine's clock says"),
                           ("renew its certificate", "fix the clock")), id="expired"),
    pytest.param(Untrusted(("expired",), ("root",), True, tls.CERT_HAS_EXPIRED, Code.TLS_EXPIRED,
                           ("differed from this clock by +3600 s",), ("inspecting proxy",),
                           skew=3600.0), id="expired-with-date-skew"),
    pytest.param(Untrusted(("future",), ("root",), False, tls.CERT_NOT_YET_VALID,
                           Code.TLS_NOT_YET_VALID,
                           ("is not valid yet (valid " + f"{(NOW + 2 * DAY):%Y-%m-%d}",),
                           ("clock and time zone",)), id="not-yet-valid"),
    pytest.param(Untrusted(("zscaler_leaf", "zscaler_int"), (), True,
                           tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, Code.TLS_INTERCEPTION_UNTRUSTED,
                           ("TLS to mcp.test is intercepted by Zscaler (issuer ",
                            "whose root this client does not trust (unable to get local issuer"),
                           ("get the Zscaler root CA certificate (PEM) from IT",
                            "NODE_EXTRA_CA_CERTS=/path/to/that-root.pem")),
                 id="zscaler-via-proxy"),
    pytest.param(Untrusted(("zscaler_leaf", "zscaler_int"), (), False,
                           tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, Code.TLS_INTERCEPTION_UNTRUSTED,
                           ("intercepted by Zscaler",), ("SSL_CERT_FILE=",), profile="python"),
                 id="zscaler-direct-python"),
    pytest.param(Untrusted(("corp_leaf",), (), True, tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                           Code.TLS_INTERCEPTION_UNTRUSTED,
                           ("presented through the proxy is issued by",
                            "Corp Inspection CA", "the proxy most likely inspects TLS"),
                           ("get the proxy's root CA certificate (PEM) from IT",
                            "NODE_EXTRA_CA_CERTS=")), id="unknown-issuer-via-proxy"),
    pytest.param(Untrusted(("corp_leaf", "corp_root"), (), True, tls.SELF_SIGNED_CERT_IN_CHAIN,
                           Code.TLS_INTERCEPTION_UNTRUSTED,
                           ("self-signed certificate in certificate chain",),
                           ("proxy's root CA",), profile="go", hop=Hop.PROXY_TLS),
                 id="root-in-chain-via-proxy"),
    pytest.param(Untrusted(("self_signed",), (), True, 18, Code.TLS_UNTRUSTED,
                           ("the certificate of mcp.test is not trusted: self-signed "
                            "certificate (issuer CN=mcp.test)",),
                           ("if CN=mcp.test is your organisation's CA",)),
                 id="self-signed-leaf-via-proxy"),
    pytest.param(Untrusted(("leaf_aia",), ("root",), False, tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                           Code.TLS_MISSING_INTERMEDIATE,
                           ("mcp.test sends only its own certificate; its issuer "
                            "CN=Acme Issuing CA 2 is an intermediate this client cannot find",),
                           ("must send its full chain",
                            "set NODE_EXTRA_CA_CERTS=/path/to/the-intermediate.pem")),
                 id="missing-intermediate-aia"),
    pytest.param(Untrusted(("leaf",), ("root",), False, tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                           Code.TLS_UNTRUSTED, ("(issuer CN=Acme Issuing CA 2)",),
                           ("your organisation's CA",)), id="missing-intermediate-no-aia"),
    pytest.param(Untrusted(("leaf_aia",), ("root",), True, tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                           Code.TLS_INTERCEPTION_UNTRUSTED, ("through the proxy",),
                           ("proxy's root CA",)), id="missing-intermediate-aia-via-proxy"),
    pytest.param(Untrusted(("leaf", "inter"), (), False, tls.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                           Code.TLS_UNTRUSTED,
                           ("the certificate of mcp.test is not trusted: unable to get local "
                            "issuer certificate (issuer CN=Acme Root CA)",),
                           ("if CN=Acme Root CA is your organisation's CA, get its root "
                            "certificate (PEM), then set NODE_EXTRA_CA_CERTS=/path/to/that-root"
                            ".pem",
                            "otherwise the server's certificate is wrong")),
                 id="private-ca-direct"),
    pytest.param(Untrusted(("self_signed",), (), False, 18, Code.TLS_UNTRUSTED,
                           ("self-signed certificate",), ("CURL_CA_BUNDLE",), profile="curl"),
                 id="self-signed-direct-curl"),
    pytest.param(Untrusted(("under_old", "old_inter"), ("root",), False, tls.CERT_HAS_EXPIRED,
                           Code.TLS_EXPIRED, ("CN=Acme Old Issuing CA, valid",
                                              f"to {(NOW - 100 * DAY):%Y-%m-%d}"),
                           ("renew",)), id="expired-intermediate"),
]


@pytest.mark.parametrize("row", UNTRUSTED_ROWS)
def test_tls_untrusted(row: Untrusted) -> None:
    chain = LAB.chain(*row.chain)
    ok, code, error, _verified = tls._verify(LAB.store(*row.roots), chain)
    assert not ok and code == row.openssl, (code, error)
    details: dict[str, Any] = {"sni": "mcp.test"}
    profile = PROFILES[row.profile]
    fix = CaFix(profile.trust.ca_fix, profile.trust.ca_fix_adds, profile.client,
                base=None if profile.trust.ca_fix_adds else "/etc/ssl/certs/ca-certificates.crt")
    result = tls._untrusted("mcp.test", chain, code, error, product_of(chain), row.via_proxy,
                            fix, row.skew, details, row.hop)
    expect(result, row.code, row.message, row.hint)
    assert result.hop is row.hop
    assert result.details == details


# --- tls: _handshake_failure -------------------------------------------------------------------


def fake_tls_stream() -> TlsStream:
    """Only ``facts`` is read by ``_handshake_failure``."""
    states = [f"state {i}" for i in range(10)]
    return cast(TlsStream, SimpleNamespace(facts=HandshakeFacts(sni="mcp.test", states=states)))


HANDSHAKE_ROWS = [
    pytest.param(StreamTimeout("no answer within 7 s"), False, Code.TLS_TIMEOUT,
                 ("no TLS answer from mcp.test within 7 s",),
                 ("does not speak TLS", "middlebox"), id="timeout"),
    pytest.param(StreamClosed("the peer closed the connection"), True, Code.TLS_CLOSED,
                 ("mcp.test closed the connection during the TLS handshake",),
                 ("filtering by SNI", "blocks this host after CONNECT"), id="closed-via-proxy"),
    pytest.param(StreamClosed("connection reset (ECONNRESET)"), False, Code.TLS_CLOSED,
                 ("during the TLS handshake",), ("load balancer", "SNI or TLS version"),
                 id="closed-direct"),
    pytest.param(TlsFailure("wrong version number"), False, Code.TLS_PROTOCOL_ERROR,
                 ("mcp.test did not answer with TLS (wrong version number)",),
                 ("plain HTTP", "scheme and port"), id="wrong-version-number"),
    pytest.param(TlsFailure("packet length too long"), True, Code.TLS_PROTOCOL_ERROR,
                 ("did not answer with TLS",), ("another protocol",), id="packet-too-long"),
    pytest.param(TlsFailure("record layer failure"), False, Code.TLS_PROTOCOL_ERROR,
                 ("record layer failure",), ("plain HTTP",), id="record-layer-failure"),
    pytest.param(TlsFailure("http request"), False, Code.TLS_PROTOCOL_ERROR, ("http request",),
                 ("plain HTTP",), id="http-request"),
    pytest.param(TlsFailure("sslv3 alert handshake failure"), False, Code.TLS_HANDSHAKE_FAILED,
                 ("TLS handshake with mcp.test failed: sslv3 alert handshake failure",),
                 ("share no TLS version or cipher", "1.2 and 1.3"), id="alert-handshake-failure"),
    pytest.param(TlsFailure("tlsv1 alert protocol version"), False, Code.TLS_HANDSHAKE_FAILED,
                 ("alert protocol version",), ("TLS version",), id="alert-protocol-version"),
    pytest.param(TlsFailure("unsupported protocol"), False, Code.TLS_HANDSHAKE_FAILED,
                 ("unsupported protocol",), ("cipher",), id="unsupported-protocol"),
    pytest.param(TlsFailure("sslv3 alert unexpected message"), False, Code.TLS_HANDSHAKE_FAILED,
                 ("alert unexpected message",), ("TLS version",), id="alert-unexpected-message"),
]


@pytest.mark.parametrize(("exc", "via_proxy", "code", "message", "hint"), HANDSHAKE_ROWS)
def test_tls_handshake_failure(exc: StreamError, via_proxy: bool, code: Code, message: Words,
                               hint: Words) -> None:
    result = tls._handshake_failure(exc, "mcp.test", via_proxy, 7.0, fake_tls_stream(), Hop.TLS)
    expect(result, code, message, hint)
    assert result.details["sni"] == "mcp.test"
    assert result.details["handshake_states"] == [f"state {i}" for i in range(2, 10)]
    assert result.details["error"] == str(exc)


def test_tls_handshake_failure_names_the_proxy_hop() -> None:
    result = tls._handshake_failure(StreamTimeout("x"), "proxy.corp.test", False, 3.0,
                                    fake_tls_stream(), Hop.PROXY_TLS)
    expect(result, Code.TLS_TIMEOUT, ("no TLS answer from proxy.corp.test within 3 s",))
    assert result.hop is Hop.PROXY_TLS


# --- client_cert.judge -------------------------------------------------------------------------


def identity(name: str, *chain: str) -> ClientIdentity:
    cert = getattr(LAB, name)
    return ClientIdentity(certificate=cert.cert, chain=LAB.chain(*chain), key=cert.key,
                          format="PEM")


def facts(requested: bool = True, *ca_names: str, text: list[str] | None = None
          ) -> HandshakeFacts:
    """A handshake in which the server did (not) ask for a certificate, naming the subjects
    of ``ca_names`` (Lab attributes); ``text`` overrides how the names read."""
    names = [getattr(LAB, n).subject for n in ca_names]
    short = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O"}
    shown = text if text is not None else [  # as netcheck.net.streams shows OpenSSL's names
        ", ".join(f"{short[a.oid]}={a.value}" for a in n) for n in names]
    return HandshakeFacts(sni="mcp.test", cert_request_seen=requested, client_ca_names=shown,
                          client_ca_names_der=[n.public_bytes() for n in names])


@dataclass(frozen=True)
class Judged:
    facts: HandshakeFacts
    identity: ClientIdentity | None
    want: Code | Status
    message: Words = ()
    hint: Words = ()
    failure: StreamError | None = None
    page: str | None = None
    status: int | None = None
    not_sent: NotSent | None = None
    profile: str = "claude-code"
    accepted: bool | None = None  # details["issuer_in_acceptable_names"]
    notes: Words = ()


REQUIRED = TlsFailure("tlsv13 alert certificate required")
UNKNOWN_CA = TlsFailure("tlsv1 alert unknown ca")
BAD_CERT = TlsFailure("sslv3 alert bad certificate")
REVOKED = TlsFailure("sslv3 alert certificate revoked")
NO_CERT_PAGE = "No required SSL certificate"  # what http_rejection keeps of the page

JUDGE_ROWS = [
    pytest.param(Judged(facts(True, "client_ca"), None, Code.CLIENT_CERT_REQUIRED,
                        ("requires a client certificate and none is configured (the server "
                         "sent the TLS alert 'certificate required')",),
                        ("set CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY",
                         "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE if the key is encrypted"),
                        failure=REQUIRED), id="alert-required-claude-code"),
    pytest.param(Judged(facts(True, "client_ca"), None, Code.CLIENT_CERT_REQUIRED,
                        ("none is configured",),
                        ("give MCP Python SDK", "load_cert_chain", "--cert and --key"),
                        failure=REQUIRED, profile="python"), id="alert-required-python"),
    pytest.param(Judged(facts(False), None, Code.CLIENT_CERT_REQUIRED,
                        ("the server answered HTTP 400: \"No required SSL certificate\"",),
                        ("CLAUDE_CODE_CLIENT_CERT",),
                        page=NO_CERT_PAGE, status=400), id="page-400-none-configured"),
    pytest.param(Judged(facts(True, "client_ca"), None, Code.CLIENT_CERT_REQUIRED,
                        ("the server requires a client certificate; Claude Code cannot load a "
                         "PKCS#12 file (the server sent the TLS alert 'certificate required')",),
                        ("convert it with openssl pkcs12",), failure=REQUIRED,
                        not_sent=NotSent("Claude Code cannot load a PKCS#12 file",
                                         "convert it with openssl pkcs12")),
                 id="not-sent-format"),
    pytest.param(Judged(facts(False), None, Code.CLIENT_CERT_REQUIRED,
                        ("the server closed the connection right after a handshake",),
                        ("CLAUDE_CODE_CLIENT_KEY",),
                        failure=StreamClosed("the server closed the connection right after a "
                                             "handshake in which it asked for a client "
                                             "certificate")), id="reset-after-handshake"),
    pytest.param(Judged(facts(True, "other_ca"), identity("client", "client_ca"),
                        Code.CLIENT_CERT_CA_MISMATCH,
                        ("the server accepts client certificates from CN=Other Client CA, but "
                         "ours is issued by ", "Acme Client CA",
                         "(the server sent the TLS alert 'unknown ca')"),
                        ("issued by one of the CAs the server names",), failure=UNKNOWN_CA,
                        accepted=False), id="ca-mismatch"),
    pytest.param(Judged(facts(True, "client_ca"), identity("client"), Code.CLIENT_CERT_REJECTED,
                        ("the server rejected our client certificate (the server sent the TLS "
                         "alert 'bad certificate')",),
                        ("check with the gateway's owners", "revoked or from the wrong CA"),
                        failure=BAD_CERT, accepted=True), id="rejected-issuer-named"),
    pytest.param(Judged(facts(True, "client_ca", text=["O=Acme, Inc., CN=Acme Client CA"]),
                        identity("client"), Code.CLIENT_CERT_REJECTED, ("rejected",),
                        ("gateway's owners",), failure=REVOKED, accepted=True),
                 id="der-names-compared-not-text"),
    pytest.param(Judged(facts(True, "client_root"), identity("client", "client_ca"),
                        Code.CLIENT_CERT_REJECTED, ("rejected",), (), failure=BAD_CERT,
                        accepted=True), id="root-of-our-chain-named"),
    pytest.param(Judged(facts(True), identity("client"), Code.CLIENT_CERT_REJECTED,
                        ("rejected our client certificate",), ("gateway's owners",),
                        failure=BAD_CERT, accepted=None), id="no-ca-names-sent"),
    pytest.param(Judged(facts(True, "client_ca"), identity("client_expired"),
                        Code.CLIENT_CERT_REJECTED,
                        ("rejected our client certificate (the server sent the TLS alert "
                         "'certificate expired'); our certificate expired on "
                         f"{(NOW - 35 * DAY):%Y-%m-%d}",),
                        ("renew the certificate with your PKI team",),
                        failure=TlsFailure("sslv3 alert certificate expired"), accepted=True),
                 id="rejected-expired"),
    pytest.param(Judged(facts(True, "client_ca"), identity("client_server_eku"),
                        Code.CLIENT_CERT_REJECTED,
                        ("extended key usage does not allow client authentication",),
                        ("renew",), failure=TlsFailure("tlsv1 alert unsupported certificate"),
                        accepted=True),
                 id="rejected-eku"),
    pytest.param(Judged(facts(False), identity("client"), Code.CLIENT_CERT_REJECTED,
                        ("the server answered HTTP 403: \"client certificate\"",),
                        ("gateway's owners",), page="client certificate", status=403),
                 id="rejected-page-403"),
    pytest.param(Judged(facts(True, "utf8_ca"), identity("client_printable"),
                        Code.CLIENT_CERT_REJECTED, ("rejected",), (), failure=REVOKED,
                        accepted=True), id="same-ca-other-string-type"),
    pytest.param(Judged(facts(True, "client_ca"), None, Status.WARNING,
                        ("asked for an optional client certificate; none is configured",)),
                 id="optional-none-configured"),
    pytest.param(Judged(facts(False), None, Status.OK,
                        ("no client certificate requested, none configured",)),
                 id="not-asked-none-configured"),
    pytest.param(Judged(facts(False), identity("client"), Status.OK,
                        ("did not ask for a client certificate; ours was not sent",),
                        notes=("happens elsewhere",)), id="not-asked-ours-unsent"),
    pytest.param(Judged(facts(True, "client_ca"), identity("client"), Status.OK,
                        ("client certificate sent and accepted (issuer ",), accepted=True),
                 id="accepted"),
    pytest.param(Judged(facts(True, "other_ca"), identity("client"), Status.WARNING,
                        ("sent and accepted",), accepted=False,
                        notes=("not among the CA names the server sent",)),
                 id="accepted-though-not-named"),
]


@pytest.mark.parametrize("row", JUDGE_ROWS)
def test_client_cert_judge(row: Judged) -> None:
    result = client_cert.judge(row.facts, row.identity, PROFILES[row.profile],
                               failure=row.failure, rejected_page=row.page, status=row.status,
                               not_sent=row.not_sent)
    expect(result, row.want, row.message, row.hint)
    assert result.hop is Hop.CLIENT_CERT
    assert result.details["requested"] is row.facts.cert_request_seen
    assert result.details["certificate_configured"] is (row.identity is not None)
    assert result.details["issuer_in_acceptable_names"] is row.accepted
    for note in row.notes:
        assert any(note in n for n in result.notes), result.notes


@pytest.mark.parametrize(("status", "body", "found"), [
    (400, b"<h1>400 Bad Request</h1>No required SSL certificate was sent", NO_CERT_PAGE),
    (403, b"<p>SSL_CLIENT_VERIFY: NONE</p>", "SSL_CLIENT_VERIFY"),
    (496, b"", "HTTP 496 (nginx: no cert)"),
    (495, b"oops", "HTTP 495 (nginx: certificate error)"),
    (401, b'{"error": "invalid_token"}', None),
    (200, b"client certificate required", None),
    (404, b"No required SSL certificate was sent", None),
], ids=["nginx-400", "ssl-client-verify", "nginx-496", "nginx-495", "oauth-401", "200",
        "404"])
def test_client_cert_http_rejection(status: int, body: bytes, found: str | None) -> None:
    assert client_cert.http_rejection(status, body) == found


# --- http: error_status ------------------------------------------------------------------------

HTML_404 = b"<html><head><title>Not Here</title></head><body>Nothing at all</body></html>"

ERROR_ROWS = [
    pytest.param(response(404, "Not Found", [("Content-Type", "text/html")], HTML_404),
                 "https://as.test/.well-known/oauth-authorization-server", "the metadata request",
                 Code.HTTP_NOT_FOUND,
                 ("404 Not Found: nothing at https://as.test/.well-known/"
                  "oauth-authorization-server - Not Here",), ("check the URL's path",),
                 id="404-page-title"),
    pytest.param(response(404, "Not Found", [("Content-Type", "text/plain")], b"no route " * 20),
                 "https://as.test/token", "the token request", Code.HTTP_NOT_FOUND,
                 (" - no route no route",), ("path",), id="404-text-without-title"),
    pytest.param(response(404, "Not Found"), "https://as.test/token", "the token request",
                 Code.HTTP_NOT_FOUND, ("404 Not Found: nothing at https://as.test/token",),
                 ("path",), id="404-no-body"),
    pytest.param(response(405, "Method Not Allowed"), "https://as.test/register",
                 "the registration request", Code.HTTP_METHOD_NOT_ALLOWED,
                 ("405 Method Not Allowed: https://as.test/register does not accept this "
                  "method",), ("endpoint for the registration request", "gateway"), id="405"),
    pytest.param(response(405, "Method Not Allowed", [("Allow", "GET, HEAD")]),
                 "https://as.test/token", "the token request", Code.HTTP_METHOD_NOT_ALLOWED,
                 ("does not accept this method (it allows GET, HEAD)",), ("endpoint",),
                 id="405-allow"),
    pytest.param(response(500, "Internal Server Error"), "https://as.test/token",
                 "the token request", Code.HTTP_SERVER_ERROR,
                 ("500 Internal Server Error from https://as.test/token",),
                 ("retry later", "tell its owners"), id="500"),
    pytest.param(response(502, "Bad Gateway", [("Content-Type", "text/html")],
                          b"<title>502 Bad Gateway</title>"), "https://as.test/token",
                 "the token request", Code.HTTP_SERVER_ERROR,
                 ("502 Bad Gateway from https://as.test/token - 502 Bad Gateway",),
                 ("a gateway in front of it",), id="502-page"),
    pytest.param(response(503, "Service Unavailable"), "https://as.test/authorize",
                 "the authorization request", Code.HTTP_SERVER_ERROR, ("503",), ("retry",),
                 id="503"),
    pytest.param(response(403, "Forbidden", [("Content-Type", "text/html")],
                          b"<title>Request blocked by WAF</title>"), "https://as.test/register",
                 "the registration request", Code.HTTP_UNEXPECTED_STATUS,
                 ("403 Forbidden in answer to the registration request - Request blocked by "
                  "WAF",), ("a WAF, a login portal or a proxy",), id="403-waf"),
    pytest.param(response(429, "Too Many Requests"), "https://as.test/token",
                 "the token request", Code.HTTP_UNEXPECTED_STATUS,
                 ("429 Too Many Requests in answer to the token request",), ("page text",),
                 id="429"),
    pytest.param(response(418, ""), "https://as.test/token", "the token request",
                 Code.HTTP_UNEXPECTED_STATUS, ("418 in answer to",), (), id="418-no-reason"),
    pytest.param(response(404, "Not Found"), "https://as.test/x?token=s3cret&client_id=c",
                 "the metadata request", Code.HTTP_NOT_FOUND,
                 ("https://as.test/x?token=<redacted>&client_id=c",), (),
                 id="query-secret-redacted"),
]


@pytest.mark.parametrize(("answer", "url", "what", "code", "message", "hint"), ERROR_ROWS)
def test_error_status(answer: HttpResponse, url: str, what: str, code: Code, message: Words,
                      hint: Words) -> None:
    details = {"status": answer.status}
    result = error_status(answer, url, details, what)
    expect(result, code, message, hint)
    assert result.hop is Hop.HTTP
    assert "s3cret" not in result.message
    assert result.details == details


# --- http: judge_initialize --------------------------------------------------------------------

MCP_URL = "https://mcp.test/mcp"
RPC_RESULT = b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}}'
RPC_ERROR = b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": "bad version"}}'
JSON = [("Content-Type", "application/json")]
HTML = [("Content-Type", "text/html; charset=utf-8")]
SSE = [("Content-Type", "text/event-stream")]
BEARER_RM = ('Bearer resource_metadata="https://mcp.test/.well-known/oauth-protected-resource",'
             ' scope="mcp:read"')

INITIALIZE_ROWS = [
    pytest.param(response(401, "Unauthorized", [("WWW-Authenticate", BEARER_RM)]), Status.OK,
                 ("401 with a Bearer challenge: the server wants OAuth, as expected "
                  "(resource_metadata=https://mcp.test/.well-known/oauth-protected-resource, "
                  "scope=mcp:read)",), (), id="401-bearer-resource-metadata"),
    pytest.param(response(401, "Unauthorized", [("WWW-Authenticate", "Bearer")]), Status.OK,
                 ("the server wants OAuth, as expected",), (), id="401-bare-bearer"),
    pytest.param(response(401, "Unauthorized", [("WWW-Authenticate", 'Basic realm="x"'),
                                                ("WWW-Authenticate", 'bearer realm="mcp"')]),
                 Status.OK, ("Bearer challenge",), (), id="401-second-header-bearer"),
    pytest.param(response(401, "Unauthorized", [("WWW-Authenticate", 'Basic realm="x"')]),
                 Status.WARNING, ("401 without a Bearer challenge",), (), id="401-basic"),
    pytest.param(response(401, "Unauthorized"), Status.WARNING,
                 ("401 without a Bearer challenge",), (), id="401-no-challenge"),
    pytest.param(response(200, "OK", JSON, RPC_RESULT), Status.OK,
                 ("200 OK: an MCP initialize result, without asking for authorization",), (),
                 id="200-json-rpc-result"),
    pytest.param(response(200, "OK", SSE, b"event: message\ndata: " + RPC_RESULT + b"\n\n"),
                 Status.OK, ("an MCP initialize result",), (), id="200-sse-result"),
    pytest.param(response(200, "OK", [("Content-Type", "application/vnd.api+json")],
                          RPC_RESULT), Status.OK, ("initialize result",), (), id="200-plus-json"),
    pytest.param(response(200, "OK", JSON, RPC_ERROR), Code.HTTP_MCP_ERROR,
                 ("200 OK: the MCP server refused initialize: JSON-RPC error -32600 bad "
                  "version",), ("speaks MCP but refused",), id="200-json-rpc-error"),
    pytest.param(response(200, "OK", HTML, b"<html><title>Acme Portal</title></html>"),
                 Code.HTTP_NOT_MCP,
                 ("200 OK: the server answered initialize with a web page (text/html), not MCP "
                  "(\"Acme Portal\"); MCP clients fail here",),
                 ("this URL serves a web page, not MCP", "often /mcp"), id="200-html"),
    pytest.param(response(200, "OK", JSON, b'{"status": "ok"}'), Code.HTTP_NOT_MCP,
                 ("JSON that is not a JSON-RPC response",), ("not an MCP endpoint",),
                 id="200-other-json"),
    pytest.param(response(200, "OK", JSON, b'{"jsonrpc": "2.0", "id": 1, "res'),
                 Code.HTTP_NOT_MCP, ("application/json that does not parse as JSON",),
                 ("streamable HTTP",), id="200-broken-json"),
    pytest.param(response(200, "OK", SSE, b"event: ping\ndata: hello\n\n"), Code.HTTP_NOT_MCP,
                 ("a text/event-stream that carried no JSON-RPC response",), ("transport",),
                 id="200-empty-sse"),
    pytest.param(response(202, "Accepted"), Code.HTTP_NOT_MCP,
                 ("202 Accepted: the server answered initialize with no content type instead "
                  "of application/json or text/event-stream",), ("not an MCP endpoint",),
                 id="202-empty"),
    pytest.param(response(302, "Found", [("Location", "https://sso.test/login?state=s3cret")]),
                 Status.OK, ("302 Found: redirect to https://sso.test/login?state=<redacted>",),
                 (), id="302-location"),
    pytest.param(response(307, "Temporary Redirect"), Status.WARNING,
                 ("307 Temporary Redirect without a Location header",), (),
                 id="307-no-location"),
    pytest.param(response(404, "Not Found"), Code.HTTP_NOT_FOUND,
                 ("404 Not Found: nothing at https://mcp.test/mcp",),
                 ("MCP servers usually live at /mcp",), id="404"),
    pytest.param(response(405, "Method Not Allowed"), Code.HTTP_METHOD_NOT_ALLOWED,
                 ("does not accept this method",), ("legacy SSE endpoint", "type sse"),
                 id="405"),
    pytest.param(response(500, "Internal Server Error"), Code.HTTP_SERVER_ERROR,
                 ("500 Internal Server Error from https://mcp.test/mcp",), ("retry later",),
                 id="500"),
    pytest.param(response(503, "Service Unavailable", HTML,
                          b"<title>Maintenance</title>"), Code.HTTP_SERVER_ERROR,
                 ("503 Service Unavailable from https://mcp.test/mcp - Maintenance",),
                 ("gateway",), id="503-page"),
    pytest.param(response(403, "Forbidden"), Code.HTTP_UNEXPECTED_STATUS,
                 ("403 Forbidden in answer to initialize",), ("WAF",), id="403"),
]


@pytest.mark.parametrize(("answer", "want", "message", "hint"), INITIALIZE_ROWS)
def test_judge_initialize(answer: HttpResponse, want: Code | Status, message: Words,
                          hint: Words) -> None:
    details: dict[str, Any] = {"status": answer.status}
    result = judge_initialize(MCP_URL)(answer, details)
    expect(result, want, message, hint)
    assert result.hop is Hop.HTTP
    assert "s3cret" not in result.message
    if want is Status.WARNING and answer.status == 401:
        assert "WWW-Authenticate: Bearer" in result.notes[0]
