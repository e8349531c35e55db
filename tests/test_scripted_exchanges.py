"""CONNECT and HTTP/1.1 parsing without servers: netcheck's own code against scripted peers
(:class:`tests.scripted.ScriptedStream`), byte for byte.

- ``proxy_connect.tunnel``: the exact CONNECT request, and every kind of answer a proxy gives
  (split across reads, with bytes after it, closed, reset, silent, not HTTP);
- ``http1.exchange``: body framing (chunked, Content-Length, close-delimited), gzip / deflate,
  the header and body bounds, 1xx, ``enough=``, a stalled body, keep-alive reusability;
- ``http.send``: what the http hop hands on (``Answer.cert_failure``, ``cert_page``,
  ``redirect``) and its failures.

No sockets: a scripted silence or reset is immediate, so the whole file runs in well under a
second. Rows marked ``xfail(strict=True)`` show a behaviour that looks wrong (see the reason).
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import zlib
from typing import Any

import pytest

from netcheck import __version__
from netcheck.hops import http as http_hop
from netcheck.hops import proxy_connect
from netcheck.model import Code, Hop, HopResult, Status
from netcheck.net import http1
from netcheck.net.deadline import Deadline
from netcheck.net.http1 import HttpProtocolError, HttpResponse
from netcheck.net.streams import StreamClosed, StreamError, StreamTimeout, TlsFailure
from netcheck.profiles import PROFILES
from netcheck.proxy.models import Target
from netcheck.proxy.url import ProxyURL
from netcheck.redaction import Secret
from tests.scripted import CLOSE, RESET, SILENCE, Expect, ScriptedStream, _Marker

UA = f"User-Agent: netcheck/{__version__}\r\n".encode()
TIMEOUT = 5.0
Words = tuple[str, ...]


def bug(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def expect(result: HopResult, want: Code | Status, message: Words = (), hint: Words = ()
           ) -> None:
    if isinstance(want, Code):
        assert result.status is Status.FAILED and result.code is want, \
            (result.status, result.code, result.message)
        assert result.hint, "a failed result must have a hint"
    else:
        assert result.status is want and result.code is None, (result.status, result.message)
    for word in message:
        assert word in result.message, f"{word!r} not in the message {result.message!r}"
    for word in hint:
        assert result.hint is not None and word in result.hint, \
            f"{word!r} not in the hint {result.hint!r}"


def head(status: str, *headers: str) -> bytes:
    return (f"HTTP/1.1 {status}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n").encode()


# --- proxy_connect.tunnel: the request ---------------------------------------------------------


def connect_request(authority: str, auth: str | None = None) -> bytes:
    lines = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n".encode() + UA
    if auth is not None:
        token = base64.b64encode(auth.encode()).decode()
        lines += f"Proxy-Authorization: Basic {token}\r\n".encode()
    return lines + b"\r\n"


def tunnel(*script: bytes | _Marker | Expect, proxy: str = "http://proxy.test:3128",
           host: str = "mcp.test", port: int = 443, profile: str = "claude-code",
           end: _Marker = SILENCE, send_limit: int | None = None
           ) -> tuple[ScriptedStream, Any]:
    stream = ScriptedStream(*script, end=end, send_limit=send_limit)
    outcome = proxy_connect.tunnel(stream, ProxyURL.parse(proxy), host, port, PROFILES[profile],
                                   TIMEOUT)
    assert outcome.result.hop is Hop.PROXY_CONNECT
    assert all(d.seconds == TIMEOUT for d in stream.deadlines)
    return stream, outcome


OK200 = head("200 Connection established")

REQUEST_ROWS = [
    pytest.param("http://proxy.test:3128", "mcp.test", 443, connect_request("mcp.test:443"),
                 False, id="plain"),
    pytest.param("http://proxy.test:3128", "2001:db8::5", 443,
                 connect_request("[2001:db8::5]:443"), False, id="ipv6-brackets"),
    pytest.param("http://proxy.test:3128", "::1", 8443, connect_request("[::1]:8443"), False,
                 id="ipv6-loopback-port"),
    pytest.param("http://alice:s3cret@proxy.test:3128", "mcp.test", 443,
                 connect_request("mcp.test:443", "alice:s3cret"), True, id="credentials"),
    pytest.param("http://dom%5Calice:p%40ss%3Aw%C3%B6rd@proxy.test:3128", "mcp.test", 443,
                 connect_request("mcp.test:443", "dom\\alice:p@ss:w\u00f6rd"), True,
                 id="percent-decoded-utf8"),
    pytest.param("http://a@b:c@d@proxy.test:3128", "mcp.test", 443,
                 connect_request("mcp.test:443", "a@b:c@d"), True, id="split-at-last-at"),
    pytest.param("http://bob@proxy.test:3128", "mcp.test", 443,
                 connect_request("mcp.test:443", "bob:"), True, id="user-without-password"),
    pytest.param("http://bob:@proxy.test:3128", "mcp.test", 443,
                 connect_request("mcp.test:443", "bob:"), True, id="empty-password"),
    pytest.param("https://carol:pw@[::1]:8443", "as.test", 8080,
                 connect_request("as.test:8080", "carol:pw"), True, id="https-proxy-ipv6"),
]


@pytest.mark.parametrize(("proxy", "host", "port", "request_bytes", "creds"), REQUEST_ROWS)
def test_connect_request_bytes(proxy: str, host: str, port: int, request_bytes: bytes,
                               creds: bool) -> None:
    stream, outcome = tunnel(Expect(request_bytes), OK200, proxy=proxy, host=host, port=port)
    stream.finish()
    expect(outcome.result, Status.OK, ("tunnel to ", "open (200 Connection established)"))
    details = outcome.result.details
    assert details["credentials_sent"] is creds
    assert details["request"] == "CONNECT " + request_bytes.split(b" ")[1].decode()
    assert details["proxy"] == ProxyURL.parse(proxy).display
    shown = json.dumps(details) + outcome.result.message
    for secret in ("s3cret", "p@ss", "w\u00f6rd", "c@d"):
        assert secret not in shown


# --- proxy_connect.tunnel: the answers ---------------------------------------------------------

TLS_ALERT = b"\x15\x03\x01\x00\x02\x02\x46"  # a TLS record: fatal alert protocol_version
BLOCK = b"<html><head><title>Blocked by Corp Policy</title></head><body>No.</body></html>"
PROXY_407 = head("407 Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="corp"',
                 "Proxy-Agent: CorpProxy/9", "Content-Length: 6") + b"denied"


def split(data: bytes, *at: int) -> list[bytes]:
    cuts = [0, *[a for a in at if 0 < a < len(data)], len(data)]
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


ANSWER_ROWS = [
    pytest.param(split(PROXY_407, 9, 20, 60, len(PROXY_407) - 3), SILENCE,
                 "http://proxy.test:3128", Code.PROXY_AUTH_REQUIRED,
                 ("(Basic) and the proxy URL has no credentials",),
                 ("http://user:password@host:port",), id="407-split-across-reads"),
    pytest.param([PROXY_407], SILENCE, "http://alice:wrong@proxy.test:3128",
                 Code.PROXY_AUTH_REJECTED, ("rejected the credentials",), ("percent-encode",),
                 id="407-credentials"),
    pytest.param([head("407 Proxy Authentication Required", "Proxy-Authenticate: NTLM",
                       "Proxy-Authenticate: Negotiate", "Content-Length: 0")], SILENCE,
                 "http://alice:pw@proxy.test:3128", Code.PROXY_AUTH_UNSUPPORTED,
                 ("with NTLM, Negotiate; Claude Code 2.1.337 can only answer with Basic",),
                 ("cntlm", "px --proxy=proxy.test:3128 --port=3128"), id="407-ntlm-negotiate"),
    pytest.param([head("407 Proxy Authentication Required",
                       'Proxy-Authenticate: Basic realm="corp"'), SILENCE],
                 SILENCE, "http://proxy.test:3128", Code.PROXY_AUTH_REQUIRED, ("(Basic)",), (),
                 id="407-close-delimited-body-then-silence"),
    pytest.param([PROXY_407[:-3], RESET], SILENCE, "http://proxy.test:3128",
                 Code.PROXY_AUTH_REQUIRED, ("(Basic)",), (), id="407-reset-mid-body"),
    pytest.param([PROXY_407[:-3], CLOSE], SILENCE, "http://proxy.test:3128",
                 Code.PROXY_AUTH_REQUIRED, ("(Basic)",), (), id="407-close-mid-body"),
    pytest.param([head("403 Forbidden", "Content-Type: text/html",
                       f"Content-Length: {len(BLOCK)}"), BLOCK[:30], BLOCK[30:]], SILENCE,
                 "http://proxy.test:3128", Code.PROXY_FORBIDDEN,
                 ("refused CONNECT to mcp.test:443: 403 Forbidden - Blocked by Corp Policy",),
                 ("policy blocks this destination",), id="403-block-page"),
    pytest.param([head("502 Bad Gateway", "Content-Length: 0")], SILENCE,
                 "http://proxy.test:3128", Code.PROXY_UPSTREAM_FAILED,
                 ("could not reach mcp.test:443: 502 Bad Gateway",), ("reachable",), id="502"),
    pytest.param([head("405 Method Not Allowed", "Content-Length: 0")], SILENCE,
                 "http://proxy.test:3128", Code.PROXY_CONNECT_REJECTED,
                 ("answered CONNECT mcp.test:443 with 405 Method Not Allowed",), ("port",),
                 id="405"),
    pytest.param([], RESET, "http://proxy.test:3128", Code.PROXY_CLOSED,
                 ("closed the connection instead of answering CONNECT (connection reset",),
                 ("may block this destination",), id="reset"),
    pytest.param([], SILENCE, "http://proxy.test:3128", Code.PROXY_TIMEOUT,
                 ("the proxy http://proxy.test:3128 did not answer CONNECT within 5 s",),
                 ("stays silent", "https:// proxy"), id="silent"),
    pytest.param([b"HTTP/1.1 200 Conn"], SILENCE, "http://proxy.test:3128", Code.PROXY_TIMEOUT,
                 ("within 5 s",), (), id="half-a-status-line-then-silence"),
    # h11 waits for the end of a header block: a banner and silence is a timeout
    pytest.param([b"SSH-2.0-OpenSSH_9.6\r\n"], SILENCE, "http://proxy.test:3128",
                 Code.PROXY_TIMEOUT, ("did not answer CONNECT within 5 s",),
                 ("another protocol",), id="banner-then-silence"),
    pytest.param([b"SSH-2.0-OpenSSH_9.6\r\n"], CLOSE, "http://proxy.test:3128",
                 Code.PROXY_PROTOCOL_ERROR, ("did not answer CONNECT with HTTP",),
                 ("points at an HTTP proxy port",), id="banner-then-close"),
    pytest.param([b"garbage\r\n\r\n"], SILENCE, "http://proxy.test:3128",
                 Code.PROXY_PROTOCOL_ERROR, ("with HTTP: illegal status line",),
                 ("HTTP proxy port",), id="garbage"),
    pytest.param([TLS_ALERT], CLOSE, "http://proxy.test:3128", Code.PROXY_PROTOCOL_ERROR,
                 ("did not answer CONNECT with HTTP",), ("HTTP proxy port",), id="tls-alert"),
    pytest.param([b"<html>Blocked</html>\r\n"], CLOSE, "http://proxy.test:3128",
                 Code.PROXY_PROTOCOL_ERROR, ("with HTTP",), (), id="body-without-status-line"),
    pytest.param([], CLOSE, "http://proxy.test:3128", Code.PROXY_CLOSED,
                 ("closed the connection",), (), id="closes-without-answering"),
]


@pytest.mark.parametrize(("script", "end", "proxy", "code", "message", "hint"), ANSWER_ROWS)
def test_connect_answers(script: list[bytes | _Marker], end: _Marker, proxy: str, code: Code,
                         message: Words, hint: Words) -> None:
    stream, outcome = tunnel(*script, proxy=proxy, end=end)
    expect(outcome.result, code, message, hint)
    assert outcome.value is None
    assert stream.written.startswith(b"CONNECT mcp.test:443 HTTP/1.1\r\n")


def test_407_details_record_the_proxy_and_schemes() -> None:
    _stream, outcome = tunnel(*split(PROXY_407, 5))
    details = outcome.result.details
    assert details["status"] == 407
    assert details["auth_schemes"] == ["Basic"]
    assert details["headers"] == [["proxy-agent", "CorpProxy/9"]]
    assert details["credentials_sent"] is False


def test_proxy_hangs_up_while_we_write() -> None:
    stream, outcome = tunnel(proxy="http://proxy.test:3128", send_limit=10)
    expect(outcome.result, Code.PROXY_CLOSED, ("Broken pipe",))
    assert stream.written == b"CONNECT mc"


@pytest.mark.parametrize(("script", "early", "unread"), [
    ([OK200 + b"\x16\x03\x03\x00\x2aserver-hello"], b"\x16\x03\x03\x00\x2aserver-hello", b""),
    ([OK200[:10], OK200[10:] + b"\x16\x03"], b"\x16\x03", b""),
    ([OK200, b"\x16\x03\x03"], b"", b"\x16\x03\x03"),
    ([head("200 OK", "Content-Length: 5") + b"hello"], b"hello", b""),
    ([b"HTTP/1.0 200 Connection established\r\nProxy-agent: Squid\r\n\r\n"], b"", b""),
], ids=["early-bytes-same-read", "status-split-early-bytes", "server-bytes-next-read",
        "content-length-ignored-after-2xx", "http-1.0"])
def test_tunnel_opens(script: list[bytes], early: bytes, unread: bytes) -> None:
    stream, outcome = tunnel(*script)
    expect(outcome.result, Status.OK, ("tunnel to mcp.test:443 open (200 ",))
    assert outcome.value is not None
    assert outcome.value.early == early
    assert stream.unread == unread
    assert outcome.value.date_skew_s is None


def test_tunnel_reports_the_proxy_clock() -> None:
    _stream, outcome = tunnel(head("200 Connection established",
                                   "Date: Sat, 01 Jan 2000 00:00:00 GMT"))
    assert outcome.value is not None
    assert outcome.value.date_skew_s is not None and outcome.value.date_skew_s < -1e8
    assert outcome.result.details["date_skew_s"] == outcome.value.date_skew_s


# --- http1.exchange ----------------------------------------------------------------------------


def get(*script: bytes | _Marker | Expect, end: _Marker = SILENCE, method: str = "GET",
        body: bytes = b"", timeout: float = TIMEOUT, **kw: Any) -> tuple[ScriptedStream,
                                                                        HttpResponse]:
    stream = ScriptedStream(*script, end=end)
    answer = http1.exchange(stream, method, "/x", [("Host", "mcp.test")], body,
                            timeout=timeout, **kw)
    return stream, answer


def failure(*script: bytes | _Marker, end: _Marker = SILENCE) -> StreamError | Exception:
    with pytest.raises((StreamError, HttpProtocolError)) as info:
        get(*script, end=end)
    return info.value


GZ = gzip.compress(b'{"ok": true}' * 50)
ZL = zlib.compress(b'{"ok": true}' * 50)
PLAIN = b'{"ok": true}' * 50
RPC = b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}}'


def raw_deflate(data: bytes) -> bytes:
    """'deflate' without the zlib wrapper, as some servers (IIS, old PHP) send it."""
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


RAW_DEFLATE = raw_deflate(PLAIN)
RAW_RPC = raw_deflate(RPC)
BOMB = gzip.compress(bytes(10_000_000))


def length(n: int | bytes) -> str:
    return f"Content-Length: {n if isinstance(n, int) else len(n)}"


def test_request_bytes() -> None:
    stream, _answer = get(Expect(b"GET /x HTTP/1.1\r\nHost: mcp.test\r\n\r\n"),
                          head("204 No Content"))
    stream.finish()
    stream, _answer = get(Expect(b'POST /x HTTP/1.1\r\nHost: mcp.test\r\nContent-Length: 7\r\n'
                                 b'\r\n{"a":1}'), head("204 No Content"), method="POST",
                          body=b'{"a":1}')
    stream.finish()
    stream, _answer = get(Expect(b"POST /x HTTP/1.1\r\nHost: mcp.test\r\nContent-Length: 0\r\n"
                                 b"\r\n"), head("204 No Content"), method="POST")
    stream.finish()
    assert len({id(d) for d in stream.deadlines}) == 1  # one bound for the whole exchange


BODY_ROWS = [
    # script, end, expected body, complete, reusable, extra expectations
    pytest.param([head("200 OK", "Transfer-Encoding: chunked") + b"5\r\nhel", b"lo\r\n7\r\n w",
                  b"orld!\r\n0\r\n\r\n"], SILENCE, b"hello world!", True, True, {},
                 id="chunked-split"),
    pytest.param([head("200 OK", length(5)) + b"hello"], SILENCE, b"hello", True, True,
                 {"wire_bytes": 5}, id="content-length"),
    pytest.param([head("200 OK") + b"hel", b"lo"], CLOSE, b"hello", True, False, {},
                 id="close-delimited"),
    pytest.param([head("200 OK") + b"hel", b"lo"], SILENCE, b"hello", False, False,
                 {"body_timed_out": True}, id="close-delimited-never-closed"),
    pytest.param([head("204 No Content")], SILENCE, b"", True, True, {}, id="204"),
    pytest.param([head("200 OK", length(5), "Connection: close") + b"hello"], SILENCE, b"hello",
                 True, False, {}, id="connection-close"),
    pytest.param([b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"], SILENCE, b"hello",
                 True, False, {}, id="http-1.0"),
    pytest.param([head("200 OK", length(5)) + b"helloHTTP/1.1 200 OK\r\n"], SILENCE, b"hello",
                 True, False, {}, id="trailing-bytes-same-read"),
    pytest.param([head("200 OK", length(5)) + b"hello", b"unasked"], SILENCE, b"hello", True,
                 True, {}, id="later-bytes-unread"),
    pytest.param([head("200 OK", "Content-Encoding: gzip", length(GZ)) + GZ], SILENCE, PLAIN,
                 True, True, {"wire_bytes": len(GZ)}, id="gzip"),
    pytest.param([head("200 OK", "Content-Encoding: x-gzip", "Transfer-Encoding: chunked")
                  + f"{len(GZ):x}\r\n".encode() + GZ[:10], GZ[10:] + b"\r\n0\r\n\r\n"],
                 SILENCE, PLAIN, True, True, {}, id="x-gzip-chunked"),
    pytest.param([head("200 OK", "Content-Encoding: deflate", length(ZL)) + ZL], SILENCE, PLAIN,
                 True, True, {}, id="deflate-zlib"),
    pytest.param([head("200 OK", "Content-Encoding: deflate", length(RAW_DEFLATE))
                  + RAW_DEFLATE], SILENCE, PLAIN, True, True, {"decode_error": None},
                 id="deflate-raw"),
    pytest.param([head("200 OK", "Content-Encoding: gzip", length(len(GZ) - 8)) + GZ[:-8]],
                 SILENCE, PLAIN[:len(PLAIN)], False, False,
                 {"decode_error": "the gzip body ends before its compressed stream does"},
                 id="gzip-truncated"),
    pytest.param([head("200 OK", "Content-Encoding: gzip", length(12)) + b"\x1f\x8bnot gzip!!"],
                 SILENCE, b"", False, False, {"decode_error": "the gzip body does not decompress"},
                 id="gzip-corrupt"),
    pytest.param([head("200 OK", "Content-Encoding: br", length(4)) + b"\x0b\x02\x80x"],
                 SILENCE, b"\x0b\x02\x80x", True, True, {}, id="unknown-encoding-kept"),
    pytest.param([head("100 Continue") + head("103 Early Hints", "Link: </s.css>"),
                  head("200 OK", length(2)) + b"ok"], SILENCE, b"ok", True, True, {},
                 id="1xx-before-final"),
    pytest.param([head("200 OK", length(100)), b"a", b"b"], SILENCE, b"ab", False, False,
                 {"body_timed_out": True, "wire_bytes": 2}, id="dripping-then-silence"),
    pytest.param([head("200 OK", length(100)), b"a", RESET], SILENCE, b"a", False, False,
                 {"body_timed_out": False}, id="reset-mid-body"),
    pytest.param([head("200 OK", length(100)), b"a"], CLOSE, b"a", False, False,
                 {"body_timed_out": False}, id="close-mid-body"),
]


@pytest.mark.parametrize(("script", "end", "body", "complete", "reusable", "extra"), BODY_ROWS)
def test_exchange_bodies(script: list[bytes | _Marker], end: _Marker, body: bytes,
                         complete: bool, reusable: bool, extra: dict[str, Any]) -> None:
    _stream, answer = get(*script, end=end)
    assert answer.status in (200, 204)
    extra = dict(extra)
    decode_error = extra.pop("decode_error", None)
    if decode_error:
        assert answer.decode_error is not None
        assert answer.decode_error.startswith(decode_error)
    else:
        assert answer.decode_error is None
        assert answer.body == body
    assert answer.body_complete is complete
    assert answer.reusable is reusable
    for name, value in extra.items():
        assert getattr(answer, name) == value, name
    assert not answer.body_over_limit


def test_exchange_stops_at_max_body() -> None:
    chunks = [b"z" * 16384] * 5
    _stream, answer = get(head("200 OK", length(5 * 16384)), *chunks, max_body=20_000)
    assert answer.body_over_limit and len(answer.body) == 20_000
    assert not answer.body_complete and not answer.reusable


def test_exchange_cuts_a_gzip_bomb() -> None:
    _stream, answer = get(head("200 OK", "Content-Encoding: gzip", length(BOMB)) + BOMB)
    assert answer.body_over_limit and answer.body == bytes(64 * 1024)
    assert answer.wire_bytes <= len(BOMB) and answer.decode_error is None


def test_exchange_stops_at_the_wire_cap() -> None:
    chunks = [b"w" * 16384] * (http1.MAX_WIRE_BYTES // 16384 + 4)
    stream, answer = get(head("200 OK"), *chunks, max_body=4 * http1.MAX_WIRE_BYTES)
    assert answer.body_over_limit and answer.wire_bytes == http1.MAX_WIRE_BYTES
    assert len(stream.unread) == 4 * 16384


def test_exchange_enough_stops_an_open_event_stream() -> None:
    enough = http_hop.initialize("https://mcp.test/mcp", []).enough
    event = b'event: message\ndata: {"jsonrpc": "2.0", "id": 1, "result": {}}\n\n'
    ping = b": keep-alive\n\n"
    stream, answer = get(head("200 OK", "Content-Type: text/event-stream",
                              "Transfer-Encoding: chunked"),
                         f"{len(event):x}\r\n".encode() + event[:20], event[20:] + b"\r\n",
                         f"{len(ping):x}\r\n".encode() + ping + b"\r\n", enough=enough)
    assert answer.body == event
    assert not answer.body_timed_out and not answer.body_complete and not answer.reusable
    assert stream.unread.endswith(ping + b"\r\n")  # never waited for what came after


def test_exchange_enough_waits_for_a_response_event() -> None:
    enough = http_hop.initialize("https://mcp.test/mcp", []).enough
    _stream, answer = get(head("200 OK", "Content-Type: text/event-stream"),
                          b": ping\n\n", b"data: not json\n\n", enough=enough)
    assert answer.body_timed_out and answer.body == b": ping\n\ndata: not json\n\n"


HEADER_ROWS = [
    pytest.param([head("200 OK", "X-Big: " + "a" * 100_000)], id="one-100k-header"),
    pytest.param(split(head("200 OK", *[f"X-H{i}: {'v' * 40}" for i in range(2_000)]),
                       *range(1024, 100_000, 1024)), id="many-headers-1k-reads"),
    pytest.param(split(head("200 OK", "X-Big: " + "a" * 70_000), *range(1024, 72_000, 1024)),
                 id="70k-header-1k-reads"),
    pytest.param([head("200 OK", "X-Big: " + "a" * 70_000)], id="70k-header-one-write"),
]


@pytest.mark.parametrize("script", HEADER_ROWS)
def test_exchange_headers_over_64k(script: list[bytes]) -> None:
    error = failure(*script)
    assert isinstance(error, HttpProtocolError)
    assert str(error) == "response headers larger than 64 KiB"


@pytest.mark.parametrize(("script", "end", "kind", "words"), [
    pytest.param([], SILENCE, StreamTimeout, "scripted silence", id="silence"),
    pytest.param([], RESET, StreamClosed, "reset", id="reset"),
    pytest.param([b"HTTP/1.1 200"], RESET, StreamClosed, "reset", id="reset-mid-status"),
    pytest.param([b"garbage\r\n\r\n"], SILENCE, HttpProtocolError, "illegal status line",
                 id="garbage"),
    pytest.param([b"\x16\x03\x03\x00\x02\x02\x28"], SILENCE, HttpProtocolError, "illegal",
                 id="tls-record"),
    pytest.param([], CLOSE, StreamClosed,
                 "the peer closed the connection without an HTTP response", id="close"),
])
def test_exchange_without_an_answer(script: list[bytes], end: _Marker, kind: type[Exception],
                                    words: str) -> None:
    error = failure(*script, end=end)
    assert isinstance(error, kind), repr(error)
    assert words in str(error)


def test_exchange_with_no_time_left() -> None:
    stream = ScriptedStream(head("200 OK", length(0)))
    with pytest.raises(StreamTimeout):
        http1.exchange(stream, "GET", "/", [("Host", "x")], timeout=0)
    assert stream.written == b""


# --- http.send ---------------------------------------------------------------------------------


class RaisingStream(ScriptedStream):
    """A scripted peer whose session fails with ``error`` once the script is read (a TLS
    alert surfaces from ``TlsStream.recv`` as a ``TlsFailure``)."""

    def __init__(self, *script: bytes, error: StreamError) -> None:
        super().__init__(*script)
        self.error = error

    def recv(self, size: int, deadline: Deadline) -> bytes:
        if not self.script:
            self.deadlines.append(deadline)
            raise self.error
        return super().recv(size, deadline)


TARGET = Target.parse("https://mcp.test:8443/mcp?tenant=acme")


def send(stream: ScriptedStream, keep_alive: bool = False,
         target: Target = TARGET) -> Any:
    request = http_hop.initialize(target.url, [("Authorization", Secret("Bearer t0ken"))])
    outcome = http_hop.send(stream, target, request, http_hop.judge_initialize(target.url),
                            TIMEOUT, keep_alive=keep_alive)
    assert outcome.value is not None  # the Answer comes back whatever happened
    assert outcome.result.hop is Hop.HTTP
    return outcome


def test_send_request_bytes_and_redaction() -> None:
    stream = ScriptedStream(head("401 Unauthorized", "WWW-Authenticate: Bearer", length(0)))
    outcome = send(stream)
    body = stream.written.split(b"\r\n\r\n", 1)[1]
    assert json.loads(body)["method"] == "initialize"
    assert stream.written == (
        b"POST /mcp?tenant=acme HTTP/1.1\r\nHost: mcp.test:8443\r\n" + UA
        + b"Accept-Encoding: gzip, deflate\r\nConnection: close\r\n"
        b"Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer t0ken\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body)
    expect(outcome.result, Status.OK, ("401 with a Bearer challenge",))
    assert "t0ken" not in json.dumps(outcome.result.details)
    assert outcome.result.details["request"] == "POST /mcp?tenant=<redacted>"


def test_send_keep_alive_and_ipv6_host() -> None:
    target = Target.parse("https://[::1]:8443/mcp")
    stream = ScriptedStream(head("401 Unauthorized", "WWW-Authenticate: Bearer", length(0)))
    send(stream, keep_alive=True, target=target)
    assert b"Host: [::1]:8443\r\n" in stream.written
    assert b"Connection:" not in stream.written


@pytest.mark.parametrize("alert", ["tlsv13 alert certificate required",
                                   "sslv3 alert handshake failure", "tlsv1 alert unknown ca",
                                   "sslv3 alert bad certificate"])
def test_send_client_cert_alert_on_read(alert: str) -> None:
    error = TlsFailure(alert)
    outcome = send(RaisingStream(error=error))
    assert outcome.result.status is Status.SKIPPED
    assert "ended the session over the client certificate" in outcome.result.message
    assert outcome.value.cert_failure is error and outcome.value.response is None


def test_send_client_cert_alert_after_part_of_the_answer() -> None:
    error = TlsFailure("tlsv13 alert certificate required")
    outcome = send(RaisingStream(b"HTTP/1.1 200 OK\r\n", error=error))
    assert outcome.result.status is Status.SKIPPED and outcome.value.cert_failure is error


def test_send_other_tls_failure_on_read() -> None:
    outcome = send(RaisingStream(error=TlsFailure("decryption failed or bad record mac")))
    expect(outcome.result, Code.HTTP_PROTOCOL_ERROR,
           ("TLS error while reading the answer: decryption failed or bad record mac",),
           ("broke the TLS session",))
    assert outcome.value.cert_failure is None


NGINX_400 = (b"<html><head><title>400 No required SSL certificate was sent</title></head>"
             b"<body><center><h1>400 Bad Request</h1></center><center>No required SSL "
             b"certificate was sent</center><hr><center>nginx</center></body></html>")


@pytest.mark.parametrize(("script", "page", "status"), [
    ([head("400 Bad Request", "Content-Type: text/html", length(NGINX_400)) + NGINX_400],
     "No required SSL certificate", 400),
    ([head("496 SSL Certificate Required", length(0))], "HTTP 496 (nginx: no cert)", 496),
    ([head("403 Forbidden", "Content-Type: text/plain", length(27)),
      b"client certificate required"], "client certificate", 403),
], ids=["nginx-400", "nginx-496", "403-text"])
def test_send_certificate_page(script: list[bytes], page: str, status: int) -> None:
    outcome = send(ScriptedStream(*script))
    assert outcome.result.status is Status.SKIPPED and outcome.result.code is None
    assert outcome.result.message == "the server answered about the client certificate"
    assert outcome.value.cert_page == page
    assert outcome.value.response is not None and outcome.value.response.status == status
    assert outcome.result.details["status"] == status


@pytest.mark.parametrize(("answer", "redirect", "status"), [
    (head("302 Found", "Location: https://sso.test/login", length(0)), "https://sso.test/login",
     Status.OK),
    (head("307 Temporary Redirect", "Location: /mcp/", length(0)), "/mcp/", Status.OK),
    (head("301 Moved Permanently", length(0)), None, Status.WARNING),
    (head("302 Found", "Location: ", length(0)), None, Status.WARNING),
    (head("401 Unauthorized", "WWW-Authenticate: Bearer", "Location: https://x.test/",
          length(0)), None, Status.OK),
], ids=["302", "307-relative", "301-without-location", "302-empty-location",
        "location-outside-3xx"])
def test_send_redirects(answer: bytes, redirect: str | None, status: Status) -> None:
    outcome = send(ScriptedStream(answer))
    assert outcome.value.redirect == redirect
    expect(outcome.result, status)


def test_send_records_the_server_clock() -> None:
    outcome = send(ScriptedStream(head("401 Unauthorized", "WWW-Authenticate: Bearer",
                                       "Date: Sat, 01 Jan 2000 00:00:00 GMT", length(0))))
    assert outcome.value.date_skew_s is not None and outcome.value.date_skew_s < -1e8


@pytest.mark.parametrize(("script", "end", "code", "message", "hint"), [
    pytest.param([], SILENCE, Code.HTTP_TIMEOUT, ("no HTTP answer within 5 s",),
                 ("a proxy or WAF may hold it",), id="silence"),
    pytest.param([], RESET, Code.HTTP_CLOSED, ("the connection closed before an HTTP answer",),
                 ("dropped the request",), id="reset"),
    pytest.param([b"\x00\x01garbage\r\n\r\n"], SILENCE, Code.HTTP_PROTOCOL_ERROR,
                 ("the answer is not valid HTTP/1.1",), ("is not HTTP",), id="garbage"),
    pytest.param([head("200 OK", "Content-Type: application/json", length(50)), b"{\"jsonrpc\""],
                 SILENCE, Code.HTTP_TIMEOUT,
                 ("200 came, but its body did not finish within 5 s (10 bytes arrived)",),
                 ("sends the answer too slowly",), id="body-stalls"),
    pytest.param([head("200 OK", "Content-Type: application/json", "Content-Encoding: gzip",
                       length(len(GZ) - 8)) + GZ[:-8]], SILENCE, Code.HTTP_PROTOCOL_ERROR,
                 ("the gzip body ends before its compressed stream does",),
                 ("compressed answer is corrupt",), id="gzip-truncated"),
    pytest.param([head("200 OK", "Content-Type: application/json", length(RAW_RPC),
                       "Content-Encoding: deflate") + RAW_RPC], SILENCE, Status.OK,
                 ("an MCP initialize result",), (), id="raw-deflate"),
    pytest.param([], CLOSE, Code.HTTP_CLOSED, ("closed the connection",), (), id="close"),
])
def test_send_failures(script: list[bytes], end: _Marker, code: Code | Status,
                       message: Words, hint: Words) -> None:
    outcome = send(ScriptedStream(*script, end=end))
    expect(outcome.result, code, message, hint)
    assert outcome.value.cert_failure is None and outcome.value.cert_page is None
