"""The client's loopback callback listener, for real: bound where the client binds it, it
waits (bounded) for the browser's one request to the redirect_uri's path."""

from __future__ import annotations

import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

PAGE = (b"<!doctype html><title>netcheck login</title><p>netcheck received the callback. "
        b"You can close this window and go back to the terminal.</p>")


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    received: str | None = None  # the request target of the callback
    path = "/"
    arrived: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if urlsplit(self.path).path != self.server.path:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)
        if self.server.received is None:
            self.server.received = self.path
            self.server.arrived.set()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the code."""


class CallbackListener:
    """Listens on ``address:port`` for a GET of ``path``; :meth:`wait` gives its target."""

    def __init__(self, address: str, port: int, path: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        server_class = type("_Bound", (_Server,), {"address_family": family})
        self.server: _Server = server_class((address, port), _Handler)
        self.server.path = path or "/"
        self.server.arrived = threading.Event()
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.1,),
                                        name="netcheck-callback", daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> str | None:
        """The callback's request target (path and query), or None after ``timeout``."""
        self.server.arrived.wait(max(timeout, 0.0))
        return self.server.received

    def deliver(self, target: str) -> None:
        """Take ``target`` as the callback (the redirected URL pasted by the user), unless the
        browser's came first."""
        if self.server.received is None:
            self.server.received = target
            self.server.arrived.set()

    def close(self) -> None:
        """Stop listening (again is harmless: the flow closes it whatever happened)."""
        if self._thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
