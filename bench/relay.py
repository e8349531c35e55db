"""A TCP relay that makes loopback behave like a wide-area link: every chunk it carries, in
either direction, is delivered RTT/2 after it arrived, in order, without slowing the chunks
behind it (a fixed latency, not a bandwidth limit). This kernel has no netem; one relay in
front of the proxy (or of a server) makes every round trip a client makes through it cost one
RTT. The TCP handshake with the relay itself stays local, as netem on a single link would
charge it once; the flow's round trips after it are what the bench counts.

    relay = DelayRelay(("127.0.0.1", upstream_port), rtt_ms=50)
    ... connect to ("127.0.0.1", relay.port) ...
    relay.rtt_ms = 20   # applies to chunks read from now on
    relay.close()
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time


class _Pair:
    """The two sockets of one relayed connection, closed once both directions ended."""

    def __init__(self, a: socket.socket, b: socket.socket) -> None:
        self.a, self.b = a, b
        self.ended = 0


class DelayRelay:
    """Accepts on ``listen`` (port 0: any free port) and relays each connection to
    ``upstream`` with ``rtt_ms / 2`` of delay in each direction."""

    def __init__(self, upstream: tuple[str, int], rtt_ms: float = 0.0,
                 listen: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.upstream = upstream
        self.rtt_ms = rtt_ms
        self._server = socket.create_server(listen)
        self.address = self._server.getsockname()[:2]
        self.port = self.address[1]
        self._closed = threading.Event()
        # (due, sequence, to, data, connection): b"" carries an end of stream
        self._queue: list[tuple[float, int, socket.socket, bytes, _Pair]] = []
        self._seq = itertools.count()
        self._ready = threading.Condition()
        self._sockets: set[socket.socket] = set()
        for target in (self._accept, self._deliver):
            threading.Thread(target=target, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._sockets.add(sock)
            pair = _Pair(client, upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._read, args=(source, sink, pair),
                                 daemon=True).start()

    def _read(self, source: socket.socket, sink: socket.socket, pair: _Pair) -> None:
        """Read chunks as they come and queue each for delivery half an RTT later; an empty
        chunk (end of stream) is queued too, so the close arrives late as well."""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            due = time.monotonic() + self.rtt_ms / 2000
            with self._ready:
                heapq.heappush(self._queue, (due, next(self._seq), sink, data, pair))
                self._ready.notify()
            if not data:
                return

    def _deliver(self) -> None:
        while not self._closed.is_set():
            with self._ready:
                while not self._queue and not self._closed.is_set():
                    self._ready.wait(0.5)
                if self._closed.is_set():
                    return
                due, _seq, sink, data, pair = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._ready.wait(wait)
                    continue
                heapq.heappop(self._queue)
            try:
                if data:
                    sink.sendall(data)
                else:
                    sink.shutdown(socket.SHUT_WR)
                    pair.ended += 1
            except OSError:
                pair.ended = 2
            if pair.ended >= 2:  # both directions ended: free the descriptors
                for sock in (pair.a, pair.b):
                    self._sockets.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()
        with self._ready:
            self._ready.notify_all()
