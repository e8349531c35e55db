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


def test_settle_adds_evidence_and_leaves_out_what_failed_or_is_late():
    from concurrent.futures import Future

    from netcheck.model import Hop, HopResult, Status, Step, StepResult

    step = StepResult(step=Step.RESOURCE, url="https://mcp.test/mcp", hops=[
        HopResult(hop=Hop.PROXY_RESOLVE, status=Status.OK, message="direct"),
        HopResult(hop=Hop.DNS, status=Status.OK, message="resolved")])
    ready: Future = Future()
    ready.set_result(lambda r: r.noted("other clients agree", warn=False))
    broken: Future = Future()
    broken.set_exception(RuntimeError("evidence failed"))
    late: Future = Future()  # never completes
    step.pending += [(Hop.PROXY_RESOLVE, ready), (Hop.DNS, broken), (Hop.DNS, late)]
    step.settle(timeout=0.1)
    assert list(step.hops[0].notes) == ["other clients agree"]
    assert not step.hops[1].notes and step.ok and not step.pending


def test_the_flow_does_not_wait_for_a_step_s_evidence(run_cli, healthy_lab, lab_args,
                                                       monkeypatch):
    """The other clients' proxy decisions for the MCP server's URL take 1.5 s here: the next
    request goes out meanwhile, and the report still has them."""
    import time

    from netcheck.hops import proxy_resolve

    original, calls = proxy_resolve.compare, []

    def slow_for_the_resource(env, url, profile, oauth):  # type: ignore[no-untyped-def]
        calls.append((time.monotonic(), url))
        if url.endswith("/mcp"):
            time.sleep(1.5)
        return original(env, url, profile, oauth)

    monkeypatch.setattr(proxy_resolve, "compare", slow_for_the_resource)
    result = run_cli("check", healthy_lab.mcp_url, *lab_args)
    assert result.status == 0, result.stdout
    first_at = calls[0][0]
    metadata_at = next(at for at, url in calls if "/.well-known/" in url)
    assert metadata_at - first_at < 1.0  # sent while the first step's evidence was worked out
    resource = next(s for s in result.report["steps"] if s["step"] == "resource")
    assert "all_clients" in resource["hops"][0]["details"]


def test_work_asked_for_after_the_run_closed_gets_an_ended_future():
    run = RunContext.start(10.0, True)
    run.close()
    for future in (run.background(lambda: 1), run.later(lambda: 2)):
        with pytest.raises(RuntimeError, match="ended"):
            future.result(timeout=1)


def test_the_run_waiting_for_the_installed_release_starts_its_lookup():
    """A run that stopped before any request went out (an internal error in the first probe)
    released nothing: waiting for the held lookup must start it, not wait out the deadline."""
    import time

    from netcheck.runner import _waited

    run = RunContext.start(60.0, True)
    future = run.later(lambda: "found")
    started = time.monotonic()
    assert _waited(future, run, 30.0) == "found"  # type: ignore[arg-type]
    assert time.monotonic() - started < 5
    run.close()
