"""Importing, while the first requests wait on the network, what a check needs only later.

Over a real network a check spends most of its time waiting for answers; Python's imports are
CPU. The modules the first request needs are imported before it (the OAuth steps too, while
its handshake travels: see ``runner.run_check``); those needed at the end (the report, the
terminal rendering) are imported by a thread started when the first request goes out, so their
cost hides in its round trips instead of adding to them.

Once that thread runs, any thread importing what background threads import (those modules,
and what the evidence imports: httpx, dnspython, importlib.metadata) goes through :func:`load`,
the main thread included.
"""

from __future__ import annotations

import importlib
import threading

LATER = ("netcheck.report.build", "netcheck.cli.render")

# One import at a time once threads import. Two threads importing modules that import each
# other deadlock, which Python breaks by failing one of them (_DeadlockError): dnspython
# imports importlib.metadata, which imports importlib.resources, which httpx (through
# certifi) imports too, and these run in different threads of one check. The main thread
# importing the report while this module's thread imported the OAuth steps, the report and
# the rendering ended in one such deadlock too (an agreement case; which two modules closed
# the cycle was not pinned down): so every thread goes through load() for these.
IMPORTS = threading.RLock()

_started: threading.Thread | None = None


def load(*names: str) -> None:
    """Import ``names``, one module at a time across threads (a module already imported costs
    a lock and a lookup)."""
    for name in names:
        with IMPORTS:
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
