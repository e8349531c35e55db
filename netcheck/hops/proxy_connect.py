"""Hop ``proxy_connect``: our own CONNECT through the proxy, so nothing the proxy says is hidden."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from netcheck import __version__
from netcheck.model import Code, Hop, HopResult, Outcome, Status, failed
from netcheck.net.address import authority
from netcheck.net.challenges import parse_challenges
from netcheck.net.deadline import seconds
from netcheck.net.hostname import wire_host
from netcheck.net.http1 import HttpProtocolError, HttpResponse, exchange
from netcheck.net.streams import Stream, StreamClosed, StreamTimeout
from netcheck.profiles import Profile
from netcheck.proxy.url import ProxyURL
from netcheck.redaction import redact_headers

RECORDED_HEADERS = ("proxy-agent", "via", "server", "date", "x-squid-error", "x-cache")


@dataclass(frozen=True)
class Tunnel:
    """An open tunnel: bytes the proxy sent past its answer (already the server's), and its
    Date header against this clock."""

    early: bytes
    date_skew_s: float | None


def tunnel(stream: Stream, proxy: ProxyURL, host: str, port: int, profile: Profile,
           timeout: float) -> Outcome[Tunnel]:
    """CONNECT to ``host:port`` over ``stream`` (a TCP connection to the proxy, or TLS to an
    https:// proxy)."""
    target = authority(wire_host(host), port)
    headers = [("Host", target), ("User-Agent", f"netcheck/{__version__}")]
    if proxy.username is not None:
        password = proxy.password.reveal() if proxy.password else ""
        token = base64.b64encode(f"{proxy.username}:{password}".encode()).decode()
        headers.append(("Proxy-Authorization", f"Basic {token}"))
    details: dict[str, Any] = {"proxy": proxy.display, "request": f"CONNECT {target}",
                               "credentials_sent": proxy.username is not None}
    try:
        response = exchange(stream, "CONNECT", target, headers, timeout=timeout,
                            max_body=16 * 1024)
    except StreamTimeout:
        return Outcome(failed(
            Hop.PROXY_CONNECT, Code.PROXY_TIMEOUT,
            f"the proxy {proxy.display} did not answer CONNECT within {seconds(timeout)} s",
            "the proxy accepted the connection but stays silent: it may expect TLS "
            "(https:// proxy) or another protocol, or be overloaded", **details))
    except StreamClosed as exc:
        return Outcome(failed(
            Hop.PROXY_CONNECT, Code.PROXY_CLOSED,
            f"the proxy {proxy.display} closed the connection instead of answering CONNECT "
            f"({exc})", "the proxy may block this destination or require another port",
            **details))
    except HttpProtocolError as exc:
        return Outcome(failed(
            Hop.PROXY_CONNECT, Code.PROXY_PROTOCOL_ERROR,
            f"the proxy {proxy.display} did not answer CONNECT with HTTP: {exc}",
            "check that the proxy variable points at an HTTP proxy port", **details))

    details.update(_response_details(response))
    if 200 <= response.status < 300:
        return Outcome(HopResult(
            hop=Hop.PROXY_CONNECT, status=Status.OK, details=details,
            message=f"tunnel to {target} open ({response.status} {response.reason})".strip()
        ), Tunnel(response.trailing, response.date_skew()))
    return Outcome(_diagnose(response, proxy, target, profile, details))


WINDOWS_SCHEMES = frozenset({"negotiate", "ntlm", "kerberos"})
RELAY_PORT = 3128


def _relay_hint(proxy: ProxyURL, schemes: list[str], answers: str) -> str:
    """The way out when the proxy wants what the client cannot answer: for Negotiate and
    NTLM, a local relay that answers them with the user's login, named with its command."""
    upstream = proxy.hostport
    if not WINDOWS_SCHEMES & {s.lower() for s in schemes}:
        return (f"ask IT for a proxy port that accepts {answers} auth or this machine's "
                "address, or run a local authenticating proxy and point HTTPS_PROXY at it")
    return (f"run a local relay that answers {', '.join(schemes)} with your login, and point "
            f"the client at it: px (pip install px-proxy; px --proxy={upstream} "
            f"--port={RELAY_PORT}; on Windows it uses your logon, elsewhere a Kerberos ticket "
            "or --username=DOMAIN\\user), or cntlm (cntlm -u USER -d DOMAIN -H prints the "
            f"hashes for cntlm.conf, with Proxy {upstream} and Listen {RELAY_PORT}); then "
            f"HTTPS_PROXY=http://127.0.0.1:{RELAY_PORT} and HTTP_PROXY the same; or ask IT for "
            f"a proxy port that accepts {answers}")


def _response_details(response: HttpResponse) -> dict[str, Any]:
    recorded = [(k, v) for k, v in response.headers if k.lower() in RECORDED_HEADERS]
    return {"status": response.status, "reason": response.reason,
            "headers": redact_headers(recorded), "date_skew_s": response.date_skew()}


def _diagnose(response: HttpResponse, proxy: ProxyURL, authority: str, profile: Profile,
              details: dict[str, Any]) -> HopResult:
    status = response.status
    summary = response.page_summary()
    if summary:
        details["page"] = summary
    said = f"{status} {response.reason}".strip()
    if status == 407:
        schemes = [c.scheme for v in response.header_values("proxy-authenticate")
                   for c in parse_challenges(v)]
        details["auth_schemes"] = schemes
        supported = [s for s in schemes if s.lower() in {p.lower() for p in
                                                         profile.proxy.auth_schemes}]
        offered = ", ".join(schemes) or "no scheme named"
        if not supported and schemes:
            answers = " or ".join(profile.proxy.auth_schemes)
            return failed(
                Hop.PROXY_CONNECT, Code.PROXY_AUTH_UNSUPPORTED,
                f"the proxy requires authentication with {offered}; {profile.label} can only "
                f"answer with {answers}",
                _relay_hint(proxy, schemes, answers), **details)
        if proxy.username is not None:
            return failed(Hop.PROXY_CONNECT, Code.PROXY_AUTH_REJECTED,
                          f"the proxy rejected the credentials in the proxy URL ({offered})",
                          "check the user name and password in the proxy variable; "
                          "percent-encode special characters (@ as %40, : as %3A)", **details)
        return failed(Hop.PROXY_CONNECT, Code.PROXY_AUTH_REQUIRED,
                      f"the proxy requires authentication ({offered}) and the proxy URL has no "
                      "credentials",
                      "put them in the proxy URL: http://user:password@host:port "
                      "(percent-encoded)" if "basic" in {s.lower() for s in schemes} else
                      "ask IT which authentication the proxy needs", **details)
    if status == 403:
        return failed(Hop.PROXY_CONNECT, Code.PROXY_FORBIDDEN,
                      f"the proxy refused CONNECT to {authority}: {said}"
                      + (f" - {summary['title']}" if summary and summary.get("title") else ""),
                      "the proxy's policy blocks this destination: ask IT to allow the host "
                      "(see the block page text in the report)", **details)
    if status in (502, 503, 504):
        return failed(Hop.PROXY_CONNECT, Code.PROXY_UPSTREAM_FAILED,
                      f"the proxy could not reach {authority}: {said}",
                      "the proxy itself failed to resolve or connect to the server: check the "
                      "host name, or whether the server is reachable from the proxy", **details)
    return failed(Hop.PROXY_CONNECT, Code.PROXY_CONNECT_REJECTED,
                  f"the proxy answered CONNECT {authority} with {said}",
                  "see the proxy's page in the report; the proxy may not allow CONNECT to this "
                  "port", **details)
