"""Importing, while the first requests wait on the network, what a check needs only later.

Over a real network a check spends most of its time waiting for answers; Python's imports are
CPU. The modules the first request needs are imported before it; those needed after it (the
OAuth steps, the report, the terminal rendering) are imported by a thread started when the
first request goes out, so their cost hides in its round trips instead of adding to them.
"""

from __future__ import annotations

import importlib
import threading

LATER = ("netcheck.oauth.flow", "netcheck.report.build", "netcheck.cli.render")

# One import at a time off the main thread. Two threads importing modules that import each
# other deadlock, which Python breaks by failing one of them (_DeadlockError): dnspython
# imports importlib.metadata, which imports importlib.resources, which httpx (through
# certifi) imports too, and these run in different threads of one check.
IMPORTS = threading.RLock()

_started: threading.Thread | None = None


def load(*names: str) -> None:
    """Import ``names`` (from a thread that is not the main one) one import at a time."""
    with IMPORTS:
        for name in names:
            importlib.import_module(name)


def start(modules: tuple[str, ...] = LATER) -> None:
    """Begin importing ``modules`` in the background (once per process)."""
    global _started
    if _started is None:
        _started = threading.Thread(target=_import_all, args=(modules,), daemon=True,
                                    name="netcheck-warmup")
        _started.start()


def _import_all(modules: tuple[str, ...]) -> None:
    try:
        load(*modules)
    except ImportError:  # the importer that needs it will raise it where it belongs
        return
