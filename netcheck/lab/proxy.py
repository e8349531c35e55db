"""A forward proxy for the lab: CONNECT with Basic auth, a name map of its own (the proxy can
reach names the client's DNS does not know), a block list with a block page, and optional TLS
interception with its own CA (as inspecting middleboxes do)."""

from __future__ import annotations

import base64
import contextlib
import selectors
import socket
import ssl
from dataclasses import dataclass, field

from netcheck.lab.listener import Listener

BLOCK_PAGE = (b"<html><head><title>Access Denied - Web Security</title></head><body>"
              b"<h1>Access Denied</h1><p>This site is blocked by your organization's policy."
              b"</p></body></html>")


@dataclass
class ProxyConfig:
    user: str
    password: str
    names: dict[str, str]  # the proxy's own name resolution
    blocked: set[str] = field(default_factory=set)
    intercept_context: ssl.SSLContext | None = None  # TLS interception with this identity


class LabProxy:
    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.listener = Listener(self._handle, "lab-proxy")
        self.port = self.listener.port

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(10)
        upstream: socket.socket | None = None
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, authority, _ = [*lines[0].split(" "), "", "", ""][:3]
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:])}
            if method != "CONNECT":
                return self._answer(client, 405, "Method Not Allowed", b"CONNECT only")
            if not self._authorized(headers.get("proxy-authorization", "")):
                return self._answer(client, 407, "Proxy Authentication Required",
                                    b"authentication required",
                                    [("Proxy-Authenticate", 'Basic realm="netcheck demo"')])
            host, _, port = authority.rpartition(":")
            if host in self.config.blocked:
                return self._answer(client, 403, "Forbidden", BLOCK_PAGE,
                                    [("Content-Type", "text/html")])
            address = self.config.names.get(host)
            if address is None:
                return self._answer(client, 502, "Bad Gateway",
                                    b"Unable to determine IP address from host name")
            try:
                upstream = socket.create_connection((address, int(port)), timeout=5)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, ValueError):
                return self._answer(client, 502, "Bad Gateway", b"connection to server failed")
            client.sendall(b"HTTP/1.1 200 Connection established\r\n"
                           b"Proxy-Agent: netcheck-demo-proxy\r\n\r\n")
            if self.config.intercept_context is not None:
                # an inspecting proxy terminates TLS with its own certificate
                with contextlib.suppress(OSError, ssl.SSLError):
                    self.config.intercept_context.wrap_socket(client, server_side=True).close()
                return
            _relay(client, upstream)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()

    def _authorized(self, value: str) -> bool:
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(token).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (user, password) == (self.config.user, self.config.password)

    @staticmethod
    def _answer(client: socket.socket, status: int, reason: str, body: bytes,
                headers: list[tuple[str, str]] | None = None) -> None:
        head = f"HTTP/1.1 {status} {reason}\r\nProxy-Agent: netcheck-demo-proxy\r\n"
        for k, v in [*(headers or []), ("Content-Length", str(len(body))),
                     ("Connection", "close")]:
            head += f"{k}: {v}\r\n"
        client.sendall(head.encode() + b"\r\n" + body)

    def close(self) -> None:
        self.listener.close()


def _relay(a: socket.socket, b: socket.socket) -> None:
    a.settimeout(None)
    b.settimeout(None)
    with selectors.DefaultSelector() as selector:
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        while True:
            events = selector.select(30)
            if not events:
                return
            for key, _ in events:
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)
