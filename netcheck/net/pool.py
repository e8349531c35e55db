"""Connections kept alive between the requests of a run, as an HTTP client keeps them.

A client reuses one connection per origin and route (the same proxy, the same client
certificate) while the server keeps it open. netcheck does the same, so a run costs what the
client's own requests cost; the reused hops say which step opened the connection.
"""

from __future__ import annotations

import contextlib
import select
import socket
from dataclasses import dataclass, field

from netcheck.model import HopResult, Step
from netcheck.net.streams import HandshakeFacts, Stream

PoolKey = tuple[str, str, bool]  # (route: proxy or "direct", origin, client certificate offered)


@dataclass
class KeptConnection:
    sock: socket.socket
    stream: Stream
    facts: HandshakeFacts | None
    opened_by: Step
    hops: list[HopResult] = field(default_factory=list)  # how it was opened (dns .. client_cert)
    requests: int = 1

    def dropped(self) -> bool:
        """Whether the peer closed it (or sent something unasked) while it sat idle."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


class ConnectionPool:
    """At most one idle connection per key; everything left is closed at the end of the run."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._idle: dict[PoolKey, KeptConnection] = {}

    def take(self, key: PoolKey) -> KeptConnection | None:
        kept = self._idle.pop(key, None)
        if kept is not None and kept.dropped():
            kept.close()
            return None
        return kept

    def keep(self, key: PoolKey, conn: KeptConnection) -> None:
        if not self.enabled:
            conn.close()
            return
        old = self._idle.pop(key, None)
        if old is not None:
            old.close()
        self._idle[key] = conn

    def close_all(self) -> None:
        for conn in self._idle.values():
            conn.close()
        self._idle.clear()
