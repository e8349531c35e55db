"""Connections kept alive between the requests of a run, as an HTTP client keeps them, and
connections opened ahead for requests the run knows will follow.

A client reuses a connection per origin and route (the same proxy, the same client
certificate) while the server keeps it open. netcheck does the same, so a run costs what the
client's own requests cost; the reused hops say which step opened the connection. Requests
that go out side by side each need one: a run may open them ahead, while it waits for the
answer that tells it what to ask (:meth:`ConnectionPool.ahead`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from netcheck.model import Hop, HopResult, Step
from netcheck.net.streams import HandshakeFacts, Stream, ready

Amend = Callable[[HopResult], HopResult]  # completes a recorded hop's result
PoolKey = tuple[str, str, bool]  # (route: proxy or "direct", origin, client certificate offered)
MAX_IDLE = 8  # idle connections kept per key (a run sends at most four requests at once)


@dataclass
class KeptConnection:
    sock: socket.socket
    stream: Stream
    facts: HandshakeFacts | None
    opened_by: Step
    hops: list[HopResult] = field(default_factory=list)  # how it was opened (dns .. tls)
    requests: int = 1

    def dropped(self) -> bool:
        """Whether the peer closed it (or sent something unasked) while it sat idle."""
        try:
            return ready(self.sock, write=False, timeout=0)
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


@dataclass
class Opened:
    """What opening a connection found: its hops, and the connection when every hop passed."""

    hops: list[HopResult] = field(default_factory=list)
    conn: KeptConnection | None = None
    date_skew_s: float | None = None  # from the proxy's answer to CONNECT
    # what finishes a hop's result after it was recorded, worked out while the request went on
    amendments: list[tuple[Hop, Future[Amend]]] = field(default_factory=list)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class ConnectionPool:
    """Idle connections per key (used before), and connections being opened ahead (never
    used); everything left is closed at the end of the run. Safe to share between the
    threads of requests sent side by side."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._idle: dict[PoolKey, list[KeptConnection]] = {}
        self._ahead: dict[PoolKey, list[Future[Opened]]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, key: PoolKey) -> KeptConnection | None:
        """An idle connection the server has not closed, most recently used first."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                kept = idle.pop() if idle else None
            if kept is None or not kept.dropped():
                return kept
            kept.close()

    def keep(self, key: PoolKey, conn: KeptConnection) -> None:
        if not self.enabled:
            conn.close()
            return
        with self._lock:
            idle = self._idle.setdefault(key, [])
            idle.append(conn)
            extra = idle[:-MAX_IDLE]
            del idle[:-MAX_IDLE]
        for old in extra:
            old.close()

    def ahead(self, key: PoolKey, count: int, open_one: Callable[[], Opened]) -> int:
        """Start opening up to ``count`` connections for ``key`` in the background (fewer when
        some are already on their way or idle); does nothing when reuse is off. Returns how
        many it started."""
        if not self.enabled or count <= 0:
            return 0
        with self._lock:
            if self._closed:
                return 0
            have = len(self._idle.get(key, [])) + len(self._ahead.get(key, []))
            futures: list[Future[Opened]] = [Future() for _ in range(count - have)]
            self._ahead.setdefault(key, []).extend(futures)
        for future in futures:
            threading.Thread(target=self._open, args=(future, open_one), daemon=True,
                             name="netcheck-open-ahead").start()
        return len(futures)

    def _open(self, future: Future[Opened], open_one: Callable[[], Opened]) -> None:
        try:
            opened = open_one()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes it
            future.set_exception(exc)
            return
        with self._lock:
            closed = self._closed
        if closed:
            opened.close()
        future.set_result(opened)

    def take_ahead(self, key: PoolKey) -> Future[Opened] | None:
        """A connection being opened (or opened) ahead for ``key``; the first to be ready."""
        with self._lock:
            waiting = self._ahead.get(key)
            if not waiting:
                return None
            ready = next((f for f in waiting if f.done()), waiting[0])
            waiting.remove(ready)
            return ready

    def close_all(self) -> None:
        with self._lock:
            self._closed = True
            idle = [conn for conns in self._idle.values() for conn in conns]
            ahead = [future for futures in self._ahead.values() for future in futures]
            self._idle.clear()
            self._ahead.clear()
        for conn in idle:
            conn.close()
        for future in ahead:  # those still opening close themselves when done (see _open)
            future.add_done_callback(_close_opened)


def _close_opened(future: Future[Opened]) -> None:
    if future.exception() is None:
        future.result().close()
