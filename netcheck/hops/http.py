"""Hop ``http``: send one request over the prepared stream and judge its status.

The request is data (:class:`HttpRequest`); what a status means depends on the step, so each
step passes a :data:`StatusJudge`. The MCP server's first request, a JSON-RPC ``initialize``
POSTed with ``Accept: application/json, text/event-stream``, is built by :func:`initialize` and
judged by :func:`judge_initialize`: 401 with a Bearer challenge is the expected answer of a
protected MCP server and passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from netcheck import __version__
from netcheck.hops import client_cert
from netcheck.hops.tls import CLIENT_CERT_ALERTS
from netcheck.model import Code, Hop, HopResult, Outcome, Status, failed, skipped
from netcheck.net.address import bracketed
from netcheck.net.challenges import parse_challenges
from netcheck.net.deadline import seconds
from netcheck.net.hostname import wire_host
from netcheck.net.http1 import ACCEPT_ENCODING, Enough, HttpProtocolError, HttpResponse, exchange
from netcheck.net.mcp_messages import SSE, first_response, read_answer
from netcheck.net.streams import Stream, StreamClosed, StreamError, StreamTimeout, TlsFailure
from netcheck.proxy.models import Target
from netcheck.redaction import Secret, redact_headers, redact_url

PROTOCOL_VERSION = "2025-11-25"
RECORDED_HEADERS = ("server", "date", "via", "content-type", "content-length", "location",
                    "www-authenticate", "x-cache", "cf-ray", "x-request-id")
BODY_SHOWN = 2048


@dataclass
class HttpRequest:
    """What to send. Header values that are secrets stay :class:`Secret` until the wire."""

    method: str
    url: str
    headers: list[tuple[str, str | Secret]] = field(default_factory=list)
    body: bytes = b""
    shown_body: str | None = None  # how the body appears in the report (secrets already out)
    no_effect: bool = False  # a POST that changes nothing on the server (netcheck's probes)
    enough: Enough | None = None  # stop reading the body once it answers (an open stream)

    @property
    def resendable(self) -> bool:
        """Whether sending it twice is harmless: only such a request goes over a kept-alive
        connection, where a server's idle close can force a resend."""
        return self.method in ("GET", "HEAD", "OPTIONS") or self.no_effect

    def wire_headers(self, target: Target, keep_alive: bool) -> list[tuple[str, str]]:
        base = [("Host", host_header(target)), ("User-Agent", f"netcheck/{__version__}"),
                ("Accept-Encoding", ACCEPT_ENCODING)]
        if not keep_alive:
            base.append(("Connection", "close"))
        return base + [(k, v.reveal() if isinstance(v, Secret) else v) for k, v in self.headers]

    def describe(self) -> dict[str, Any]:
        return {"request": f"{self.method} {redact_url(request_target(self.url))}",
                "request_headers": redact_headers(
                    (k, "<redacted>" if isinstance(v, Secret) else v) for k, v in self.headers),
                "request_body": self.shown_body}


StatusJudge = Callable[[HttpResponse, dict[str, Any]], HopResult]


@dataclass(frozen=True)
class Answer:
    """What the http hop hands on, passed or not (the client_cert hop reads it too)."""

    response: HttpResponse | None = None
    redirect: str | None = None
    cert_failure: StreamError | None = None  # belongs to the client_cert hop
    cert_page: str | None = None  # an HTTP page complaining about the client certificate
    date_skew_s: float | None = None


def host_header(target: Target) -> str:
    return bracketed(wire_host(target.hostname)) + (f":{target.port}" if target.port else "")


def request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def send(stream: Stream, target: Target, request: HttpRequest, judge: StatusJudge,
         timeout: float, max_body: int = 64 * 1024, keep_alive: bool = False) -> Outcome[Answer]:
    """Send ``request`` and judge the answer's status with ``judge``; the :class:`Answer`
    comes back whatever happened."""
    details = request.describe()
    try:
        response = exchange(stream, request.method, request_target(request.url),
                            request.wire_headers(target, keep_alive), request.body, timeout=timeout,
                            max_body=max_body, enough=request.enough)
    except TlsFailure as exc:
        if exc.alert in CLIENT_CERT_ALERTS or exc.alert == "handshake failure":
            return Outcome(skipped(Hop.HTTP, "the server ended the session over the client "
                                   "certificate"), Answer(cert_failure=exc))
        return _fail(Code.HTTP_PROTOCOL_ERROR, f"TLS error while reading the answer: "
                     f"{exc.reason}", "the server broke the TLS session", details)
    except StreamTimeout:
        return _fail(Code.HTTP_TIMEOUT, f"no HTTP answer within {seconds(timeout)} s",
                     "the server accepted the request but did not answer in time; a proxy or "
                     "WAF may hold it", details)
    except StreamClosed as exc:
        return _fail(Code.HTTP_CLOSED, f"the connection closed before an HTTP answer ({exc})",
                     "something between here and the server dropped the request", details)
    except HttpProtocolError as exc:
        return _fail(Code.HTTP_PROTOCOL_ERROR, f"the answer is not valid HTTP/1.1: {exc}",
                     "the server or a middlebox answered with something that is not HTTP",
                     details)
    details.update(describe_response(response))
    if response.body_timed_out:
        return _fail(Code.HTTP_TIMEOUT,
                     f"{response.status} came, but its body did not finish within "
                     f"{seconds(timeout)} s "
                     f"({response.wire_bytes} bytes arrived)",
                     "the server (or a proxy in between) sends the answer too slowly or "
                     "stalls; clients time out the same way", details)
    if response.decode_error is not None:
        return _fail(Code.HTTP_PROTOCOL_ERROR, response.decode_error,
                     "the server's compressed answer is corrupt: tell its owners", details)
    redirect = response.header("location") if 300 <= response.status < 400 else None
    answer = Answer(response=response, redirect=redirect or None,
                    date_skew_s=response.date_skew(),
                    cert_page=client_cert.http_rejection(response.status, response.body))
    if answer.cert_page is not None:
        return Outcome(HopResult(hop=Hop.HTTP, status=Status.SKIPPED, details=details,
                                 message="the server answered about the client certificate"),
                       answer)
    return Outcome(judge(response, details), answer)


def _fail(code: Code, message: str, hint: str, details: dict[str, Any]) -> Outcome[Answer]:
    return Outcome(failed(Hop.HTTP, code, message, hint, **details), Answer())


def describe_response(response: HttpResponse) -> dict[str, Any]:
    recorded = [(k, v) for k, v in response.headers if k.lower() in RECORDED_HEADERS]
    challenges = [c.to_json() for v in response.header_values("www-authenticate")
                  for c in parse_challenges(v)]
    body = response.body[:BODY_SHOWN].decode("utf-8", "replace")
    return {
        "status": response.status,
        "reason": response.reason,
        "http_version": response.http_version,
        "ttfb_ms": response.ttfb_ms,
        "content_type": response.content_type or None,
        "headers": redact_headers(recorded),
        "www_authenticate": challenges,
        "body": body,
        "body_bytes_read": len(response.body),
        "content_encoding": response.header("content-encoding"),
        "wire_bytes": response.wire_bytes,
        "body_complete": response.body_complete,
        "body_over_limit": response.body_over_limit,
        "body_timed_out": response.body_timed_out,
    }


def bearer_challenge(response: HttpResponse) -> dict[str, str] | None:
    for value in response.header_values("www-authenticate"):
        for challenge in parse_challenges(value):
            if challenge.scheme.lower() == "bearer":
                return challenge.params
    return None


# --- the MCP server's first request ------------------------------------------------------------


def initialize(url: str, extra_headers: list[tuple[str, Secret]]) -> HttpRequest:
    """The JSON-RPC ``initialize`` an MCP client POSTs first (Streamable HTTP)."""
    body = json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                   "clientInfo": {"name": "netcheck", "version": __version__}},
    })
    headers: list[tuple[str, str | Secret]] = [
        ("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json")]
    headers += list(extra_headers)
    return HttpRequest("POST", url, headers, body.encode(), shown_body=body, no_effect=True,
                       enough=_answered)


def _answered(content_type: str, body: bytes) -> bool:
    """An event stream stays open after the response to initialize: stop reading there."""
    return content_type == SSE and first_response(body) is not None


def error_status(response: HttpResponse, url: str, details: dict[str, Any],
                 what: str) -> HopResult:
    """The failure for a status that is wrong wherever it comes (404, 405, 5xx, other 4xx)."""
    status = response.status
    said = f"{status} {response.reason}".strip()
    summary = response.page_summary()
    extra = f" - {summary['title'] or summary['text'][:80]}" if summary else ""
    if status == 404:
        return failed(Hop.HTTP, Code.HTTP_NOT_FOUND, f"{said}: nothing at {redact_url(url)}{extra}",
                      "check the URL's path", **details)
    if status == 405:
        allow = response.header("allow")
        return failed(Hop.HTTP, Code.HTTP_METHOD_NOT_ALLOWED,
                      f"{said}: {redact_url(url)} does not accept this method"
                      + (f" (it allows {allow})" if allow else ""),
                      f"check that this URL is the endpoint for {what}, and whether a gateway "
                      "in front of the server lets only some methods through", **details)
    if status == 501:  # a permanent answer: the server does not implement the method here
        return failed(Hop.HTTP, Code.HTTP_SERVER_ERROR, f"{said}: {redact_url(url)} does not "
                      f"implement this method{extra}",
                      f"check that this URL is the endpoint for {what}; retrying will not help",
                      **details)
    if status >= 500:
        return failed(Hop.HTTP, Code.HTTP_SERVER_ERROR, f"{said} from {redact_url(url)}{extra}",
                      "the server (or a gateway in front of it) is failing; retry later or tell "
                      "its owners", **details)
    return failed(Hop.HTTP, Code.HTTP_UNEXPECTED_STATUS, f"{said} in answer to {what}{extra}",
                  "see the page text in the report: a WAF, a login portal or a proxy may have "
                  "answered instead of the server", **details)


def _judge_mcp_answer(response: HttpResponse, said: str, details: dict[str, Any]) -> HopResult:
    """A 2xx to initialize: the client connects only if it carries a JSON-RPC response."""
    answer = read_answer(response.content_type, response.body)
    if answer.problem is not None:
        summary = response.page_summary()
        title = f" (\"{summary['title']}\")" if summary and summary["title"] else ""
        hint = ("this URL serves a web page, not MCP: check the MCP endpoint's path with the "
                "server's owners (often /mcp); a login portal or proxy page in between looks "
                "the same" if response.content_type == "text/html" else
                "this URL is not an MCP endpoint (or something in between answered for it): "
                "check the URL and the server's transport (streamable HTTP)")
        return failed(Hop.HTTP, Code.HTTP_NOT_MCP,
                      f"{said}: the server answered initialize with {answer.problem}{title}; "
                      "MCP clients fail here", hint, **details)
    error = answer.error
    if error is not None:
        return failed(Hop.HTTP, Code.HTTP_MCP_ERROR,
                      f"{said}: the MCP server refused initialize: JSON-RPC error "
                      f"{error.get('code')} {str(error.get('message'))[:200]}",
                      "the server speaks MCP but refused this client's initialize; its "
                      "owners can tell why from the error", **details)
    return HopResult(hop=Hop.HTTP, status=Status.OK, details=details,
                     message=f"{said}: an MCP initialize result, without asking for "
                             "authorization")


def judge_initialize(url: str) -> StatusJudge:
    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        status = response.status
        said = f"{status} {response.reason}".strip()
        if status == 401:
            bearer = bearer_challenge(response)
            if bearer is not None:
                extra = ", ".join(f"{k}={v}" for k, v in bearer.items() if k in
                                  ("resource_metadata", "scope"))
                return HopResult(hop=Hop.HTTP, status=Status.OK, details=details,
                                 message=f"401 with a Bearer challenge: the server wants OAuth, "
                                         f"as expected{' (' + extra + ')' if extra else ''}")
            return HopResult(hop=Hop.HTTP, status=Status.WARNING, details=details,
                             message="401 without a Bearer challenge",
                             notes=["MCP clients look for WWW-Authenticate: Bearer; without it "
                                    "2025-06-18 clients give up and newer ones guess the "
                                    "well-known URLs"])
        if 200 <= status < 300:
            return _judge_mcp_answer(response, said, details)
        if 300 <= status < 400:
            location = response.header("location")
            return HopResult(hop=Hop.HTTP, status=Status.OK if location else Status.WARNING,
                             details=details,
                             message=f"{said}: redirect to {redact_url(location)}" if location
                             else f"{said} without a Location header")
        result = error_status(response, url, details, "initialize")
        if status == 404:
            return replace(result, hint="check the URL's path (MCP servers usually live at /mcp)")
        if status == 405:
            return replace(result, hint="this may be a legacy SSE endpoint (configure it with "
                                        "type sse) or the wrong path")
        if status == 501:
            return replace(result, code=Code.HTTP_NOT_MCP,
                           message=f"{said}: {redact_url(url)} does not implement POST, so it "
                                   "is not an MCP endpoint (streamable HTTP); MCP clients fail "
                                   "here",
                           hint="check the MCP endpoint's path with the server's owners (often "
                                "/mcp), or whether a gateway in front of it answers for it; "
                                "retrying will not help")
        return result
    return judge
