"""The run's background lanes: evidence-only work is held until the first request is out."""

from __future__ import annotations

import threading

import pytest

from netcheck.run_context import RunContext


def test_held_work_starts_only_once_released():
    run = RunContext.start(10.0, True)
    started = threading.Event()
    future = run.later(lambda: started.set() or "done")
    assert not started.wait(0.2)  # nothing runs before the first request is out
    run.release()
    assert future.result(timeout=5) == "done"
    assert run.later(lambda: 42).result(timeout=5) == 42  # released: starts at once
    run.close()


def test_once_shares_one_held_result():
    run = RunContext.start(10.0, True)
    calls: list[int] = []
    first = run.once("k", lambda: calls.append(1) or len(calls))
    assert run.once("k", lambda: calls.append(2) or len(calls)) is first
    run.release()
    assert first.result(timeout=5) == 1 and calls == [1]
    run.close()


def test_closing_ends_held_work_so_no_one_waits_forever():
    run = RunContext.start(10.0, True)
    future = run.later(lambda: "never")
    run.close()
    with pytest.raises(RuntimeError, match="ended"):
        future.result(timeout=5)


def test_an_error_in_held_work_reaches_the_waiter():
    run = RunContext.start(10.0, True)
    future = run.later(lambda: 1 / 0)
    run.release()
    with pytest.raises(ZeroDivisionError):
        future.result(timeout=5)
    run.close()
