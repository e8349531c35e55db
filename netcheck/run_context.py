"""What one run keeps between its requests, as a client keeps it: the whole-run deadline,
connections kept alive per origin and route, OpenSSL client contexts, and the local name
lookups already made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netcheck.net.deadline import Deadline
from netcheck.net.pool import ConnectionPool


@dataclass
class RunContext:
    deadline: Deadline
    pool: ConnectionPool
    # OpenSSL client contexts by (purpose, our certificate offered): a key is loaded once a run
    tls_contexts: dict[tuple[str, bool], Any] = field(default_factory=dict)
    resolves_locally: dict[str, bool] = field(default_factory=dict)  # asked once per host

    @classmethod
    def start(cls, deadline_s: float, reuse_connections: bool) -> RunContext:
        return cls(Deadline(deadline_s), ConnectionPool(enabled=reuse_connections))

    def close(self) -> None:
        self.pool.close_all()
