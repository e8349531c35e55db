"""The OAuth steps in flow order.

Discovery is a chain: each answer names the next URL. The four requests after the
authorization server's metadata (registration, authorization, token, refresh) depend only on
that metadata, so they go out side by side as soon as it arrives, over connections opened
while it was on its way (:func:`netcheck.opening.open_ahead`). The report keeps flow order:
the first failure in flow order decides, whatever finished first, and the steps after it are
"not run", as the client would not have reached them.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from netcheck.model import HopResult, Step, StepResult
from netcheck.oauth import authorization_server, endpoints, protected_resource, registration
from netcheck.oauth.callback import run as run_callback
from netcheck.oauth.context import FlowContext
from netcheck.pipeline import guarded
from netcheck.progress import InFlowOrder

StepRun = Callable[[FlowContext], StepResult]

CHAIN: tuple[tuple[Step, StepRun], ...] = (
    (Step.PROTECTED_RESOURCE_METADATA, protected_resource.run),
    (Step.AUTHORIZATION_SERVER_METADATA, authorization_server.run),
)
SIDE_BY_SIDE: tuple[tuple[Step, StepRun], ...] = (
    (Step.CLIENT_REGISTRATION, registration.run),
    (Step.AUTHORIZATION_ENDPOINT, endpoints.authorization),
    (Step.CALLBACK, run_callback),
    (Step.TOKEN_ENDPOINT, endpoints.token),
    (Step.TOKEN_REFRESH, endpoints.refresh),
)
STEPS = CHAIN + SIDE_BY_SIDE
NOT_RUN = "not run: an earlier step failed"


def run_flow(ctx: FlowContext) -> list[StepResult]:
    results: list[StepResult] = []
    told = InFlowOrder(ctx.run.progress, [name for name, _run in STEPS])
    for name, run in CHAIN:
        results.append(guarded(name, lambda run=run: run(ctx)))  # type: ignore[misc]
        told.add(results[-1])
        if not results[-1].ok:
            return told.close(_in_flow_order(results, STEPS))
    later = SIDE_BY_SIDE
    if ctx.options.register:  # a real registration gives the id the later requests carry
        name, run = later[0]
        results.append(guarded(name, lambda: run(ctx)))
        told.add(results[-1])
        later = later[1:]
        if not results[-1].ok:
            return told.close(_in_flow_order(results, STEPS))
    else:
        registration.known_client(ctx)
    _ = ctx.callback  # the redirect_uri's port, chosen once before the steps' copies are made
    results += _side_by_side(ctx, later, told.add)
    return told.close(_in_flow_order(results, STEPS))


def _side_by_side(ctx: FlowContext, steps: Sequence[tuple[Step, StepRun]],
                  tell: Callable[[StepResult], None]) -> list[StepResult]:
    """Run ``steps`` at once, each on its own copy of the context (what one step learns is
    its own); the observer hears their hops one at a time, ``tell`` each result in order.
    Interrupted (Ctrl-C), it stops waiting for them at once (the report is written while
    their hops time out)."""
    lock = threading.Lock()
    observer = ctx.observer

    def observe(step: Step, hop: HopResult) -> None:
        if observer is not None:
            with lock:
                observer(step, hop)

    pool = ThreadPoolExecutor(max_workers=len(steps), thread_name_prefix="netcheck-step")
    finished = False
    try:
        futures = [pool.submit(guarded, name, _on_own_copy(run, ctx, observe))
                   for name, run in steps]
        results = []
        for future in futures:
            results.append(future.result())
            tell(results[-1])
        finished = True
        return results
    finally:
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _on_own_copy(run: StepRun, ctx: FlowContext,
                 observe: Callable[[Step, HopResult], None]) -> Callable[[], StepResult]:
    return lambda: run(dataclasses.replace(ctx, observer=observe))


def _in_flow_order(results: list[StepResult],
                   steps: Sequence[tuple[Step, StepRun]]) -> list[StepResult]:
    """Every step once, in flow order; after the first failure, the rest as not run."""
    by_step = {result.step: result for result in results}
    ordered: list[StepResult] = []
    stopped = False
    for name, _run in steps:
        result = by_step.get(name)
        if stopped or result is None:
            ordered.append(StepResult(step=name, url=None, notes=[NOT_RUN]))
            continue
        ordered.append(result)
        stopped = not result.ok
    return ordered
