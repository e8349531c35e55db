"""One bounded HTTP/1.1 exchange over a :class:`~netcheck.net.streams.Stream`, using h11.

h11 is the HTTP/1.1 state machine httpx itself is built on; we drive it over our own
instrumented socket so each hop stays visible. Bounds: response headers at most 64 KiB, a body
read stops at ``max_body`` bytes, and headers and body each get at most ``timeout`` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import h11

from netcheck.net.deadline import Deadline
from netcheck.net.streams import Stream, StreamClosed, StreamTimeout

MAX_HEADER_BYTES = 64 * 1024
READ_SIZE = 16 * 1024


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


def exchange(
    stream: Stream,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    *,
    timeout: float,
    max_body: int = 64 * 1024,
) -> HttpResponse:
    """Send one request and read its response (headers, then at most ``max_body`` bytes)."""
    conn = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
    all_headers = list(headers)
    if body or method in ("POST", "PUT"):
        all_headers.append(("Content-Length", str(len(body))))
    out = conn.send(h11.Request(method=method, target=target, headers=all_headers))
    if body:
        out += conn.send(h11.Data(data=body))
    out += conn.send(h11.EndOfMessage())
    stream.sendall(out, Deadline(timeout))
    sent_at = time.perf_counter()

    head_deadline = Deadline(timeout)
    first_byte_at: float | None = None
    response: HttpResponse | None = None
    while response is None:
        event = _next_event(conn)
        if event is h11.NEED_DATA:
            data = stream.recv(READ_SIZE, head_deadline)
            if first_byte_at is None and data:
                first_byte_at = time.perf_counter()
            conn.receive_data(data)
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
        elif isinstance(event, h11.ConnectionClosed):
            raise HttpProtocolError("the peer closed the connection without an HTTP response")
        else:
            raise HttpProtocolError(f"unexpected HTTP event {type(event).__name__}")

    if method == "CONNECT" and 200 <= response.status < 300:
        response.trailing, _closed = conn.trailing_data
        return response
    _read_body(conn, stream, response, timeout=timeout, max_body=max_body)
    return response


def _read_body(conn: h11.Connection, stream: Stream, response: HttpResponse, *, timeout: float,
               max_body: int) -> None:
    deadline = Deadline(timeout)
    chunks: list[bytes] = []
    size = 0
    while size < max_body:
        try:
            event = _next_event(conn)
            if event is h11.NEED_DATA:
                conn.receive_data(stream.recv(READ_SIZE, deadline))
                continue
        except StreamTimeout:
            response.body_timed_out = True
            break
        except StreamClosed:
            break
        if isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
            size += len(event.data)
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            response.body_complete = True
            response.reusable = (conn.our_state is h11.DONE and conn.their_state is h11.DONE
                                 and not conn.trailing_data[0])
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
