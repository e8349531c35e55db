"""What one run keeps between its requests, as a client keeps it: the whole-run deadline,
connections kept alive (or opened ahead) per origin and route, OpenSSL client contexts, and
the local name lookups already made. Shared by requests sent side by side."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from netcheck.net.deadline import Deadline
from netcheck.net.pool import ConnectionPool
from netcheck.progress import SILENT, Progress

if TYPE_CHECKING:
    from netcheck.settings.client_identity import ClientIdentity

T = TypeVar("T")
BACKGROUND_WORKERS = 4


@dataclass
class RunContext:
    deadline: Deadline
    pool: ConnectionPool
    # OpenSSL client contexts by (purpose, our certificate offered): a key is loaded once a run
    tls_contexts: dict[tuple[str, bool], Any] = field(default_factory=dict)
    progress: Progress = SILENT  # told of waits and finished steps (the CLI's status line)
    # work started once per key for the run (a local name lookup per host), shared by requests
    started: dict[str, Future[Any]] = field(default_factory=dict)
    # evidence-only work held back until the first request is on the wire (see later())
    _held: list[tuple[Future[Any], Callable[[], Any]]] | None = field(default_factory=list,
                                                                     repr=False)
    _closed: bool = field(default=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # requests sent before the step that needs them asks (see prefetch()), by URL
    prefetched: dict[str, Future[Any]] = field(default_factory=dict, repr=False)
    _held_prefetches: list[tuple[Future[Any], Callable[[], Any]]] = field(
        default_factory=list, repr=False)
    _requests_out: bool = field(default=False, repr=False)
    # set once the first connection's ClientHello is on the wire, or once it stopped short of
    # TLS: until then, CPU-bound work on the main thread would delay that handshake
    first_flight: threading.Event = field(default_factory=threading.Event, repr=False)
    _workers: ThreadPoolExecutor | None = field(default=None, repr=False)

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

    def background(self, work: Callable[[], T]) -> Future[T]:
        """Run ``work`` while the caller goes on (its own waits are bounded); once the run is
        closed, nothing starts (a request still in flight past the deadline gets an ended
        future, not an error)."""
        with self._lock:
            if self._closed:
                ended: Future[T] = Future()
                ended.set_exception(RuntimeError("the run had ended"))
                return ended
            if self._workers is None:
                self._workers = ThreadPoolExecutor(BACKGROUND_WORKERS,
                                                   thread_name_prefix="netcheck-background")
            return self._workers.submit(work)

    def later(self, work: Callable[[], T]) -> Future[T]:
        """``work`` that no request waits for (evidence for the report, imports of later
        steps), run in the background once the first request is on the wire
        (:meth:`release`). Until then the interpreter is the first request's: with one core
        for Python at a time, work started earlier delays its handshake."""
        with self._lock:
            if self._held is not None:
                future: Future[T] = Future()
                self._held.append((future, work))
                return future
        return self.background(work)

    def request_out(self) -> None:
        """A request is on the wire: the requests held for that moment (:meth:`prefetch`) go
        out, then the held work starts (:meth:`release`)."""
        with self._lock:
            prefetches, self._held_prefetches = self._held_prefetches, []
            self._requests_out = True
        for future, work in prefetches:
            _start_thread(future, work)
        self.release()

    def release(self) -> None:
        """Start the held work (once the first request is out, or when a caller waits for
        it); the later modules' imports start too."""
        with self._lock:
            held, self._held = self._held, None
            closed = self._closed
        if held is None:
            return
        if not closed:
            from netcheck import warmup

            warmup.start()
        for future, work in held:
            if closed:
                future.set_exception(RuntimeError("the run had ended"))
            else:
                self._start_held(future, work)

    def _start_held(self, future: Future[T], work: Callable[[], T]) -> None:
        self.background(lambda: _complete(future, work))

    def prefetch(self, url: str, work: Callable[[], T]) -> None:
        """Start ``work``, the request for ``url`` a later step will most likely make, on a
        thread of its own (not behind evidence work) once a request is on the wire
        (:meth:`request_out`); the step takes its result with :meth:`take_prefetched`."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed or url in self.prefetched:
                return
            self.prefetched[url] = future
            if not self._requests_out:  # it goes out once the first request is out
                self._held_prefetches.append((future, work))
                return
        _start_thread(future, work)

    def take_prefetched(self, url: str) -> Future[Any] | None:
        """The request for ``url`` started ahead by :meth:`prefetch`, once (None if none)."""
        with self._lock:
            return self.prefetched.pop(url, None)

    def _drop_prefetches(self) -> None:
        """No step will take what was sent ahead: what has not started never does."""
        with self._lock:
            held, self._held_prefetches = self._held_prefetches, []
            self.prefetched.clear()
        for future, _work in held:
            future.set_exception(RuntimeError("no step needs it"))

    def once(self, key: str, work: Callable[[], T]) -> Future[T]:
        """``work`` started (as :meth:`later` work) the first time ``key`` is asked for;
        later callers share its result."""
        with self._lock:
            if key not in self.started:
                self.started[key] = self.later(work)
            return self.started[key]

    def close(self) -> None:
        self._drop_prefetches()
        with self._lock:
            self._closed = True
        self.release()  # nothing new starts; held futures end, so no one waits on them
        self.pool.close_all()
        if self._workers is not None:
            self._workers.shutdown(wait=False, cancel_futures=True)


def _complete(future: Future[T], work: Callable[[], T]) -> None:
    try:
        future.set_result(work())
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
        future.set_exception(exc)


def _start_thread(future: Future[T], work: Callable[[], T]) -> None:
    threading.Thread(target=_complete, args=(future, work), daemon=True,
                     name="netcheck-prefetch").start()
