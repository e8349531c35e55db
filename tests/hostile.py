"""Hostile servers and proxies on loopback: each answers with exactly the bytes a test scripts.

``RawHttpsServer`` reads one request per connection and hands a route's script a ``send``
function, so a script can drip, flood, or send what no HTTP library would produce.
``RawProxy`` reads the CONNECT request and lets its script answer it. ``garbage_tls_server``
answers a ClientHello with bytes that are not TLS.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from netcheck.lab.listener import Listener

Send = Callable[[bytes], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


Script = Callable[[Seen, Send], None]


def head(status: int, headers: list[tuple[str, str]], body_length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
    if body_length is not None:
        lines.append(f"Content-Length: {body_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> Script:
    def script(_seen: Seen, send: Send) -> None:
        send(head(status, headers or [], len(body)) + body)
    return script


def json_answer(doc: object, status: int = 200) -> Script:
    return answer(status, json.dumps(doc).encode(), [("Content-Type", "application/json")])


def challenge(resource_metadata: str) -> Script:
    """An MCP server's 401 pointing at its protected-resource metadata."""
    return answer(401, b'{"error":"invalid_token"}', [
        ("Content-Type", "application/json"),
        ("WWW-Authenticate", f'Bearer resource_metadata="{resource_metadata}"')])


def flood(total: int) -> Script:
    """A ``total``-byte JSON-looking body, sent as fast as the client reads."""
    def script(_seen: Seen, send: Send) -> None:
        send(head(200, [("Content-Type", "application/json")], total) + b'{"resource": "')
        chunk = b"x" * (1 << 20)
        sent = 14
        while sent < total:
            send(chunk[: total - sent])
            sent += len(chunk)
    return script


def drip(length: int = 1000, every: float = 1.0) -> Script:
    """Headers at once, then the body one byte per ``every`` seconds."""
    def script(_seen: Seen, send: Send) -> None:
        send(head(200, [("Content-Type", "application/json")], length))
        for _ in range(length):
            time.sleep(every)
            send(b" ")
    return script


def gzip_bomb(unpacked: int = 256 << 20) -> Script:
    """A small gzip body (about 1/1000 of ``unpacked``) that inflates to ``unpacked`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    body = b"".join([packer.compress(zeros) for _ in range(unpacked >> 20)] + [packer.flush()])
    return answer(200, body, [("Content-Type", "application/json"),
                              ("Content-Encoding", "gzip")])


def gzipped(doc: object, cut: int = 0) -> Script:
    """A JSON document sent gzip-compressed (``cut`` bytes short of its end, if asked)."""
    body = zlib.compress(json.dumps(doc).encode(), wbits=16 + zlib.MAX_WBITS)
    body = body[:len(body) - cut]
    return answer(200, body, [("Content-Type", "application/json"),
                              ("Content-Encoding", "gzip")])


def many_headers(count: int) -> Script:
    headers = [("Content-Type", "application/json")] + [(f"X-Filler-{i}", "v" * 8)
                                                         for i in range(count)]
    return answer(401, b"{}", headers)


def redirect(location: str, status: int = 307) -> Script:
    return answer(status, b"", [("Location", location)])


@dataclass
class RawHttpsServer:
    """HTTPS (or plain HTTP with ``context=None``) with one script per path."""

    context: ssl.SSLContext | None
    routes: dict[str, Script] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.listener = Listener(self._handle, "hostile-https")
        self.port = self.listener.port

    def url(self, path: str) -> str:
        return f"{'https' if self.context else 'http'}://localhost:{self.port}{path}"

    def _handle(self, raw: socket.socket) -> None:
        raw.settimeout(30)
        try:
            conn = self.context.wrap_socket(raw, server_side=True) if self.context else raw
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:])}
            path = target.split("?", 1)[0]
            seen = Seen(method, path, headers)
            self.seen.append(seen)
            script = self.routes.get(path, answer(404, b"not here"))
            script(seen, conn.sendall)
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client hung up on us: what a hostile server expects
        finally:
            with contextlib.suppress(OSError):
                raw.close()

    def close(self) -> None:
        self.listener.close()


ProxyScript = Callable[[socket.socket], None]


class RawProxy:
    """A 'proxy' that reads the CONNECT request and answers with its script (with
    ``read_request=False``, a bare TCP server whose script does all the talking)."""

    def __init__(self, script: ProxyScript, read_request: bool = True) -> None:
        self.script = script
        self.read_request = read_request
        self.listener = Listener(self._handle, "hostile-proxy")
        self.port = self.listener.port

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            data = b""
            while self.read_request and b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.script(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self.listener.close()


def accept_then_close(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")


def body_without_status_line(conn: socket.socket) -> None:
    conn.sendall(b"<html><body><h1>Blocked</h1>This site is blocked by policy.</body></html>\r\n")


def garbage_tls(conn: socket.socket) -> None:
    """Read the ClientHello, answer with bytes that are no TLS record."""
    with contextlib.suppress(OSError):
        conn.recv(65536)
        conn.sendall(bytes(range(256)) * 4)
        time.sleep(0.2)
