"""One bounded HTTP/1.1 exchange over a :class:`~netcheck.net.streams.Stream`, using h11.

h11 is the HTTP/1.1 state machine httpx itself is built on; we drive it over our own
instrumented socket so each hop stays visible. Bounds: the whole exchange (send, headers,
body) gets at most ``timeout`` seconds; response headers at most 64 KiB; a body read stops at
``max_body`` bytes *after* decompression (a gzip bomb is cut off, not inflated) and at
``MAX_WIRE_BYTES`` on the wire.

We ask for ``gzip, deflate`` as fetch (undici) and httpx do, and decode them; any other
encoding is left as it came.
"""

from __future__ import annotations

import html
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11

from netcheck.net.deadline import Deadline
from netcheck.net.streams import Stream, StreamClosed, StreamTimeout

MAX_HEADER_BYTES = 64 * 1024
READ_SIZE = 16 * 1024
HEADER_PIECE = 4 * 1024
MAX_WIRE_BYTES = 1024 * 1024
ACCEPT_ENCODING = "gzip, deflate"


Enough = Callable[[str, bytes], bool]  # (content type, body so far): stop reading here


class HttpProtocolError(Exception):
    """The peer did not speak HTTP/1.1 (garbage, no status line, oversized headers)."""


@dataclass
class HttpResponse:
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    body_complete: bool = False
    body_timed_out: bool = False
    reusable: bool = False  # the exchange ended cleanly and both sides may go on (keep-alive)
    body_over_limit: bool = False  # stopped at max_body (after decompression) or the wire cap
    wire_bytes: int = 0  # body bytes as they came over the connection
    decode_error: str | None = None  # a gzip/deflate body that does not decompress
    ttfb_ms: float = 0.0
    trailing: bytes = b""  # bytes after a successful CONNECT (already the tunnel's)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def date_skew(self) -> float | None:
        """Seconds between the ``Date`` header and this machine's clock, if there is one."""
        value = self.header("date")
        if not value:
            return None
        import email.utils  # here: the first connection opens before this is needed

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return round(when.timestamp() - time.time(), 1)

    def page_summary(self, limit: int = 300) -> dict[str, Any] | None:
        """Title and a short text of the HTML or text page a proxy or server answered with."""
        if not self.body:
            return None
        text = self.body.decode("utf-8", "replace")
        title_match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        title = html.unescape(re.sub(r"\s+", " ", title_match.group(1))).strip() \
            if title_match else None
        body = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", text)
        body = html.unescape(re.sub(r"<[^>]+>", " ", body))
        body = re.sub(r"\s+", " ", body).strip()
        return {"content_type": self.content_type or None, "title": title,
                "text": body[:limit] + ("..." if len(body) > limit else ""),
                "bytes": len(self.body)}


def exchange(
    stream: Stream,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    *,
    timeout: float,
    max_body: int = 64 * 1024,
    enough: Enough | None = None,
) -> HttpResponse:
    """Send one request and read its response (headers, then at most ``max_body`` bytes, or
    until ``enough`` says the body so far answers the request: an event stream stays open)."""
    conn = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
    all_headers = list(headers)
    if body or method in ("POST", "PUT"):
        all_headers.append(("Content-Length", str(len(body))))
    out = conn.send(h11.Request(method=method, target=target, headers=all_headers))
    if body:
        out += conn.send(h11.Data(data=body))
    out += conn.send(h11.EndOfMessage())
    deadline = Deadline(timeout)
    stream.sendall(out, deadline)
    sent_at = time.perf_counter()

    first_byte_at: float | None = None
    response: HttpResponse | None = None
    received, pending = 0, b""
    while response is None:
        event = _next_event(conn)
        if event is h11.NEED_DATA:
            if not pending:
                pending = stream.recv(READ_SIZE, deadline)
                if not pending:
                    if not received:
                        raise StreamClosed("the peer closed the connection without an HTTP "
                                           "response")
                    conn.receive_data(b"")  # h11 says what the bytes so far were
                    continue
                first_byte_at = first_byte_at or time.perf_counter()
            # h11 bounds an incomplete header block only; fed in small pieces, a complete one
            # cannot be much larger than the bound either
            piece, pending = pending[:HEADER_PIECE], pending[HEADER_PIECE:]
            received += len(piece)
            if received > MAX_HEADER_BYTES + HEADER_PIECE:
                raise HttpProtocolError(f"response headers larger than "
                                        f"{MAX_HEADER_BYTES // 1024} KiB")
            conn.receive_data(piece)
            continue
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, h11.Response):
            response = HttpResponse(
                status=event.status_code,
                reason=event.reason.decode("latin-1", "replace"),
                http_version=event.http_version.decode("ascii", "replace"),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers],
                ttfb_ms=round(((first_byte_at or time.perf_counter()) - sent_at) * 1000, 1),
            )
        else:
            raise HttpProtocolError(f"unexpected HTTP event {type(event).__name__}")

    if pending:  # read with the headers: the start of the body (or the tunnel's first bytes)
        conn.receive_data(pending)
    if method == "CONNECT" and 200 <= response.status < 300:
        response.trailing, _closed = conn.trailing_data
        return response
    _read_body(conn, stream, response, deadline=deadline, max_body=max_body, enough=enough)
    return response


def _decoder(encoding: str | None, first: bytes) -> zlib._Decompress | None:
    """The decompressor for ``encoding``; ``deflate`` with a zlib header (RFC 1950) or raw
    (RFC 1951), told apart by its first bytes as fetch and httpx tell them."""
    name = (encoding or "").strip().lower()
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.decompressobj() if wrapped else zlib.decompressobj(-zlib.MAX_WBITS)
    return None


def _read_body(conn: h11.Connection, stream: Stream, response: HttpResponse, *,
               deadline: Deadline, max_body: int, enough: Enough | None) -> None:
    encoding = response.header("content-encoding")
    decoder: zlib._Decompress | None = None
    chunks: list[bytes] = []
    size = 0
    while True:
        if size > max_body or response.wire_bytes >= MAX_WIRE_BYTES:
            response.body_over_limit = True
            break
        try:
            event = _next_event(conn)
            if event is h11.NEED_DATA:
                conn.receive_data(stream.recv(READ_SIZE, deadline))
                continue
        except StreamTimeout:
            response.body_timed_out = True
            break
        except (StreamClosed, HttpProtocolError):  # reset, or a close before the body's end:
            break                                  # the answer so far, not complete
        if isinstance(event, h11.Data):
            data = bytes(event.data)
            if decoder is None and response.wire_bytes == 0:
                decoder = _decoder(encoding, data)
            response.wire_bytes += len(data)
            if decoder is not None:
                try:  # never more than we keep: a bomb stays a few bytes of output
                    data = decoder.decompress(data, max_body - size + 1)
                except zlib.error as exc:
                    response.decode_error = f"the {response.header('content-encoding')} body " \
                                            f"does not decompress ({exc})"
                    break
            chunks.append(data)
            size += len(data)
            if enough is not None and enough(response.content_type, b"".join(chunks)):
                break  # the connection is not reusable: the rest of the body is unread
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            if decoder is not None and not decoder.eof:
                response.decode_error = f"the {response.header('content-encoding')} body " \
                                        "ends before its compressed stream does"
                break
            response.body_complete = True
            leftover, closed = conn.trailing_data
            response.reusable = (conn.our_state is h11.DONE and conn.their_state is h11.DONE
                                 and not leftover and not closed)
            break
    response.body = b"".join(chunks)[:max_body]


def _next_event(conn: h11.Connection) -> object:
    try:
        return conn.next_event()
    except h11.RemoteProtocolError as exc:
        text = str(exc)
        if "buffer" in text.lower() and "long" in text.lower():
            text = f"response headers larger than {MAX_HEADER_BYTES // 1024} KiB"
        raise HttpProtocolError(text) from exc
