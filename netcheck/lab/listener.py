"""A loopback TCP listener that hands each connection to a handler in its own thread."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class Listener:
    def __init__(self, handle: Callable[[socket.socket], None], name: str = "lab",
                 host: str = "127.0.0.1") -> None:
        self.handle = handle
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0  # connections taken so far (tests count reuse with it)
        threading.Thread(target=self._accept, name=name, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            # as nginx does on keep-alive connections: no Nagle delay between small writes
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def close(self) -> None:
        # shutdown first: close alone leaves the accept thread blocked on the old descriptor,
        # and a listener opened later on the same descriptor number loses connections to it
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
