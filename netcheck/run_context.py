"""What one run keeps between its requests, as a client keeps it: the whole-run deadline,
connections kept alive (or opened ahead) per origin and route, OpenSSL client contexts, and
the local name lookups already made. Shared by requests sent side by side."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from netcheck.net.deadline import Deadline
from netcheck.net.pool import ConnectionPool
from netcheck.progress import SILENT, Progress
from netcheck.settings.client_identity import ClientIdentity


@dataclass
class RunContext:
    deadline: Deadline
    pool: ConnectionPool
    # OpenSSL client contexts by (purpose, our certificate offered): a key is loaded once a run
    tls_contexts: dict[tuple[str, bool], Any] = field(default_factory=dict)
    resolves_locally: dict[str, bool] = field(default_factory=dict)  # asked once per host
    progress: Progress = SILENT  # told of waits and finished steps (the CLI's status line)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def start(cls, deadline_s: float, reuse_connections: bool,
              progress: Progress = SILENT) -> RunContext:
        return cls(Deadline(deadline_s), ConnectionPool(enabled=reuse_connections),
                   progress=progress)

    def tls_context(self, purpose: str, identity: ClientIdentity | None) -> Any:
        """The run's OpenSSL client context for ``purpose`` (made once: loading the key
        costs)."""
        from netcheck.hops import tls

        key = (purpose, identity is not None)
        with self._lock:
            if key not in self.tls_contexts:
                self.tls_contexts[key] = tls.make_context(identity)
            return self.tls_contexts[key]

    def close(self) -> None:
        self.pool.close_all()
