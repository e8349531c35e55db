"""Every network wait in netcheck is bounded; a Deadline says how much time is left."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def seconds(value: float) -> str:
    """A duration for people: 2.97561 -> "3", 2.5 -> "2.5", 0.05 -> "0.05", 120 -> "120"."""
    digits = 1 if value >= 1 else 2
    return f"{round(value, digits):g}"


class Deadline:
    """A point in (monotonic) time after which a wait must give up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end


class Stopwatch:
    def __init__(self) -> None:
        self._start = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self._start) * 1000, 1)


class _Outcome(Generic[T]):
    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class Timeout(Exception):
    """A bounded call did not finish in time."""


def call_bounded(fn: Callable[[], T], timeout: float) -> T:
    """Run a blocking call that cannot be interrupted (``getaddrinfo``) with a time bound.

    The call runs in a daemon thread: if it overruns, we stop waiting and the thread is left to
    finish on its own without holding up the process's exit.
    """
    outcome: _Outcome[T] = _Outcome()

    def target() -> None:
        try:
            outcome.value = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.error = exc
        finally:
            outcome.done.set()

    threading.Thread(target=target, name="netcheck-bounded", daemon=True).start()
    if not outcome.done.wait(timeout):
        raise Timeout(f"no answer within {seconds(timeout)} s")
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]
