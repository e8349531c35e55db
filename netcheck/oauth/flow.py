"""The OAuth steps in flow order; the flow stops at the first step that fails."""

from __future__ import annotations

from collections.abc import Callable

from netcheck.model import Step, StepResult
from netcheck.oauth import authorization_server, endpoints, protected_resource, registration
from netcheck.oauth.context import FlowContext
from netcheck.pipeline import guarded

STEPS: tuple[tuple[Step, Callable[[FlowContext], StepResult]], ...] = (
    (Step.PROTECTED_RESOURCE_METADATA, protected_resource.run),
    (Step.AUTHORIZATION_SERVER_METADATA, authorization_server.run),
    (Step.CLIENT_REGISTRATION, registration.run),
    (Step.AUTHORIZATION_ENDPOINT, endpoints.authorization),
    (Step.TOKEN_ENDPOINT, endpoints.token),
    (Step.TOKEN_REFRESH, endpoints.refresh),
)


def run_flow(ctx: FlowContext) -> list[StepResult]:
    results: list[StepResult] = []
    stopped = False
    for name, run in STEPS:
        if stopped:
            results.append(StepResult(step=name, url=None,
                                      notes=["not run: an earlier step failed"]))
            ctx.run.progress.step_finished(results[-1])
            continue
        result = guarded(name, lambda run=run: run(ctx))  # type: ignore[misc]
        results.append(result)
        ctx.run.progress.step_finished(result)
        stopped = not result.ok
    return results
