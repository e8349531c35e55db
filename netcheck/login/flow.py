"""The login's steps in flow order, one after the other (each needs the one before).

The first failure decides and the steps after it are "not run", except the clean-up: tokens
already issued are revoked (where the server offers it) and a registered client is deleted
(RFC 7592), whatever failed after them.
"""

from __future__ import annotations

from collections.abc import Callable

from netcheck.login import authorize, authorized, grants
from netcheck.login.session import LoginOptions, LoginSession
from netcheck.login.tokens import Held
from netcheck.model import Code, Hop, Step, StepResult, failed
from netcheck.oauth import registration
from netcheck.oauth.context import FlowContext
from netcheck.oauth.flow import CHAIN, NOT_RUN
from netcheck.pipeline import guarded
from netcheck.progress import InFlowOrder

LoginStep = Callable[[LoginSession], StepResult]

STEPS: tuple[tuple[Step, LoginStep], ...] = (
    (Step.CLIENT_REGISTRATION, lambda s: registration.run(s.ctx)),
    (Step.AUTHORIZATION_ENDPOINT, authorize.authorization),
    (Step.CALLBACK, authorize.callback),
    (Step.TOKEN_ENDPOINT, grants.exchange),
    (Step.AUTHORIZED_REQUEST, authorized.call),
    (Step.TOKEN_REFRESH, grants.refresh),
    (Step.TOKEN_REVOCATION, grants.revocation),
)
ORDER = [name for name, _run in CHAIN] + [name for name, _run in STEPS]


def run_login(ctx: FlowContext, options: LoginOptions) -> list[StepResult]:
    """Discovery, then the whole login; every step once, in flow order."""
    told = InFlowOrder(ctx.run.progress, ORDER)
    results: dict[Step, StepResult] = {}
    for name, run in CHAIN:
        results[name] = guarded(name, lambda run=run: run(ctx))  # type: ignore[misc]
        told.add(results[name])
        if not results[name].ok:
            return told.close(_in_order(results))
    session = LoginSession(ctx=ctx, options=options, held=Held(ctx.redactor))
    try:
        for name, step in STEPS:
            if name is Step.TOKEN_ENDPOINT:
                session.held.keep("client_secret",
                                  session.registration_secret() or options.client_secret)
            results[name] = guarded(name, lambda step=step: step(session))  # type: ignore[misc]
            if name is Step.CLIENT_REGISTRATION and results[name].ok and not ctx.client_id:
                _no_client_id(session, results[name])
            told.add(results[name])
            if not results[name].ok:
                break
        if Step.TOKEN_REVOCATION not in results and \
                (session.held.access_token or session.held.refresh_token):
            results[Step.TOKEN_REVOCATION] = guarded(
                Step.TOKEN_REVOCATION, lambda: grants.revocation(session))
            results[Step.TOKEN_REVOCATION].notes.append(
                "run to clean up after the failure above")
            told.add(results[Step.TOKEN_REVOCATION])
    finally:
        if session.listener is not None:
            session.listener.close()
        _delete_client(session, results.get(Step.CLIENT_REGISTRATION))
        session.held.forget()
    return told.close(_in_order(results))


def _no_client_id(session: LoginSession, step: StepResult) -> None:
    """A login needs a client id, which a Client ID Metadata Document the user did not name
    leaves unknown."""
    step.hops.append(failed(
        Hop.OAUTH, Code.OAUTH_NO_REGISTRATION,
        f"{session.ctx.prepared.settings.profile.label} would use its own Client ID Metadata "
        "Document URL as client id here, which netcheck does not know",
        "pass the client's document URL with --client-metadata-url, or a pre-registered "
        "client with --client-id"))


def _delete_client(session: LoginSession, step: StepResult | None) -> None:
    doc = session.ctx.registration
    if doc is None or step is None:
        return
    deleted = registration.delete(session.ctx, doc)
    client = doc.get("client_id")
    step.notes.append(f"client {client} deleted again at the end of the login (RFC 7592)"
                      if deleted == "deleted" else
                      f"client {client} remains registered ({deleted}); ask the server's "
                      "owners to delete it if needed")


def _in_order(results: dict[Step, StepResult]) -> list[StepResult]:
    ordered = []
    for name in ORDER:
        result = results.get(name)
        ordered.append(result if result is not None else
                       StepResult(step=name, url=None, notes=[NOT_RUN]))
    return ordered
