"""A small threaded HTTPS (mTLS-capable) server for the lab, parsing with h11."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

import h11

from netcheck.lab.listener import Listener


@dataclass
class LabRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LabResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


App = Callable[[LabRequest], LabResponse]


class LabHttpsServer:
    def __init__(self, app: App, context: ssl.SSLContext) -> None:
        self.app = app
        self.context = context
        self.listener = Listener(self._handle, "lab-https")
        self.port = self.listener.port

    def _handle(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        try:
            with self.context.wrap_socket(raw, server_side=True) as tls:
                conn = h11.Connection(h11.SERVER)
                while self._serve_one(conn, tls):
                    conn.start_next_cycle()  # keep-alive: the client may send another request
        except (OSError, ssl.SSLError, h11.ProtocolError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                raw.close()

    def _serve_one(self, conn: h11.Connection, tls: ssl.SSLSocket) -> bool:
        """Answer one request; whether the connection stays open for another."""
        request: LabRequest | None = None
        body = b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(tls.recv(65536))
            elif isinstance(event, h11.Request):
                request = LabRequest(
                    event.method.decode(), event.target.decode(),
                    {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}, b"")
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        if request is None:
            return False
        request.body = body
        response = self.app(request)
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        out = conn.send(h11.Response(status_code=response.status, headers=headers))
        out += conn.send(h11.Data(data=response.body)) + conn.send(h11.EndOfMessage())
        tls.sendall(out)
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    def close(self) -> None:
        self.listener.close()


def server_context(cert_file: str, client_ca: str | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file)
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    return ctx
