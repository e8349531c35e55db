"""A whole check: the settings step, then the MCP server URL (following redirects)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin

from netcheck.model import Code, Hop, NotSent, Step, StepResult, failed, skipped
from netcheck.opening import open_ahead
from netcheck.profiles.rules import Reaction
from netcheck.progress import SILENT, Progress
from netcheck.proxy.models import Target, is_http_url
from netcheck.proxy.url_checks import url_problem
from netcheck.redaction import Redactor, proxy_userinfo, query_values, redact_url
from netcheck.run_context import RunContext
from netcheck.settings.gather import (
    Options,
    Settings,
    UsageError,
    gather,
    is_proxy_variable,
    secret_arguments,
)

if TYPE_CHECKING:  # imported in run_check, once the first connection is opening
    from netcheck.login.session import LoginOptions
    from netcheck.oauth.context import FlowContext
    from netcheck.pipeline import Observer, UrlProbe
    from netcheck.profiles.installed import Installed
    from netcheck.settings.check import Prepared

MAX_REDIRECTS = 5
FIRST_FLIGHT_WAIT = 0.5  # s the trust stores wait for the first ClientHello to go out
EVIDENCE_AFTER_DEADLINE = 0.5  # s for each piece of evidence still out when the deadline passed


@dataclass
class CheckRun:
    """Everything a report is made from."""

    options: Options
    settings: Settings
    environ: Mapping[str, str]
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    steps: list[StepResult] = field(default_factory=list)
    redactor: Redactor = field(default_factory=Redactor)
    deadline_reached: bool = False
    interrupted: bool = False  # stopped by the user (Ctrl-C): the steps are those done so far
    internal_error: str | None = None  # the type of a bug that ended the run early
    installed: Installed | None = None  # the release of the profile's client found here


def validate_url(url: str) -> str:
    """The MCP server URL, or :class:`UsageError` (exit status 2)."""
    problem = url_problem(url)
    if problem is not None:
        raise UsageError(problem)
    if not is_http_url(url):
        raise UsageError(f"{url!r} is not an absolute http:// or https:// URL with a host")
    return url


def secrets_of(settings: Settings, environ: Mapping[str, str], options: Options) -> Redactor:
    """A redactor that knows every secret this run was given."""
    redactor = Redactor()
    for name, value in list(settings.env.items()) + list(environ.items()):
        found = proxy_userinfo(value) if is_proxy_variable(name) and value else None
        if found is not None:
            _start, _end, user, password = found
            if password is not None:
                redactor.add_basic_credentials(unquote(user), unquote(password))
                redactor.add(password)  # as written, percent-encoding and all
            else:
                redactor.add(user)
    redactor.add(settings.passphrase)
    for url in (options.url, options.client_metadata_url, options.auth_server_metadata):
        for value in query_values(url or ""):
            if len(value) >= 8:  # shorter ones ("json", "1") would scrub ordinary words
                redactor.add(value)
    for value in secret_arguments(options.client_flags):  # mcp-remote's --header, client info
        redactor.add(value)
        redactor.add(value.partition(":")[2].strip())
        with contextlib.suppress(ValueError, AttributeError):
            redactor.add(json.loads(value).get("client_secret"))
    for _name, header_value in settings.headers:
        redactor.add(header_value)
        scheme, _, token = header_value.reveal().partition(" ")
        if token and scheme.lower() in ("bearer", "basic", "token", "digest"):
            redactor.add(token)
    return redactor


def with_client_args(options: Options) -> Options:
    """``options`` with what the client's own arguments set (mcp-remote's pre-registered
    client, its transport), where the user did not set it; :class:`UsageError` when the
    client would stop at start with them."""
    from netcheck.profiles import PROFILES

    profile = PROFILES.get(options.client)
    if profile is None or profile.options_from_args is None:
        return options
    found, problem = profile.options_from_args(options.url, options.client_flags)
    if problem is not None:
        raise UsageError(f"{profile.label}: {problem}")
    chosen = {k: v for k, v in found.items() if getattr(options, k) in (None, "http", ())}
    return dataclasses.replace(options, **chosen) if chosen else options


def begin_check(options: Options, environ: Mapping[str, str],
                now: dt.datetime | None = None) -> CheckRun:
    """A run of ``options.url`` with no step done yet (no network used); raises
    :class:`UsageError` for bad input."""
    validate_url(options.url)
    options = with_client_args(options)
    settings = gather(options, environ)
    run = CheckRun(options=options, settings=settings, environ=environ,
                   started_at=now or dt.datetime.now(dt.UTC))
    run.redactor = secrets_of(settings, environ, options)
    return run


def run_check(options: Options, environ: Mapping[str, str], observer: Observer | None = None,
              now: dt.datetime | None = None, *, progress: Progress = SILENT,
              begun: CheckRun | None = None, login: LoginOptions | None = None) -> CheckRun:
    """Run every step for ``options.url`` (or of ``begun``, from :func:`begin_check`); raises
    :class:`UsageError` for bad input only. ``progress`` hears each wait and each finished
    step. With ``login``, the OAuth flow is a real login (:mod:`netcheck.login`)."""
    run = begun or begin_check(options, environ, now)
    url, settings = run.options.url, run.settings
    context = RunContext.start(settings.deadline, settings.reuse_connections, progress)
    # the MCP server's URL is known now: its connection opens while the rest of netcheck is
    # imported (certificates, TLS, the hops after the connection) and the settings checked
    ready: Future[Prepared] = Future()
    # two connections when the OAuth flow is checked: the second carries the protected-resource
    # metadata request sent beside the first (netcheck.oauth.prefetch)
    connections = 2 if run.options.oauth else 1
    opening = open_ahead(url, Step.RESOURCE, connections, ready, context, settings)
    if not opening:
        context.first_flight.set()  # no connection opening: nothing to make room for
    try:
        from netcheck.settings.check import begin_settings, finish_settings

        settings_step, prepared = begin_settings(settings, now)
        prepared = dataclasses.replace(prepared, origin=Target.parse(url).origin)
        if settings_step.ok:
            # the handshake may start now: it does not verify, and judging its chain waits
            # for the trust stores, read next. Its OpenSSL context is made here, not in the
            # opener's thread, where it would compete with that reading for the interpreter.
            if url.startswith("https:"):
                context.tls_context("server", prepared.identity)
            ready.set_result(prepared)
            # reading the trust stores is CPU the opener's thread would wait for: it starts
            # once the ClientHello is out, and is done while the server's answer travels
            context.first_flight.wait(FIRST_FLIGHT_WAIT)
        finish_settings(settings_step, prepared)
    except BaseException as exc:
        if not ready.done():
            ready.set_exception(exc)
        context.close()
        raise
    if settings_step.ok:
        # the stores chains are checked against: built while the first handshake waits
        context.background(prepared.trust.build_stores)
    elif not ready.done():
        ready.set_exception(RuntimeError("the settings step failed"))
    installed = context.later(lambda: _installed_release(settings, run.options.client_release))
    run.steps.append(settings_step)
    if observer:
        for hop in settings_step.hops:
            observer(Step.SETTINGS, hop)
    progress.step_finished(settings_step)
    if not settings_step.ok:
        from netcheck.pipeline import ORDER

        run.steps.append(StepResult(step=Step.RESOURCE, url=url,
                                    hops=[skipped(h, "the settings step failed") for h in ORDER]))
        progress.step_finished(run.steps[-1])
        run.installed = _waited(installed, context, EVIDENCE_AFTER_DEADLINE + 3)
        context.close()
        run.finished_at = dt.datetime.now(dt.UTC)
        return run

    try:
        if run.options.oauth:
            # the OAuth steps' modules, while the first handshake travels (before the first
            # request: no evidence or end-of-run import runs yet)
            from netcheck import warmup

            warmup.load("netcheck.oauth.flow")
        if run.options.oauth and opening:  # not with --no-reuse: no connection ahead for it
            from netcheck.oauth import prefetch

            prefetch.start(url, prepared, context)
        final = _resource(run, prepared, context, url, observer)
        flow = False
        if final.step.ok and final.response is not None:
            if not run.options.oauth:
                final.step.notes.append("--no-oauth: the OAuth flow was not checked")
            elif final.response.status == 401:
                flow = True
            else:
                final.step.notes.append(f"the server answered {final.response.status} without "
                                        "asking for authorization: no OAuth flow to check")
        progress.step_finished(final.step)  # with its notes: final now
        if flow and login is not None:
            from netcheck.login.flow import run_login

            run.steps.extend(run_login(_flow_context(run, prepared, context, final, observer,
                                                     keep_registration=True), login))
        elif flow:
            from netcheck.oauth.flow import run_flow

            run.steps.extend(run_flow(_flow_context(run, prepared, context, final, observer)))
        # the evidence the flow did not wait for, before close() cancels what has not started
        for step in run.steps:
            step.settle(max(context.deadline.remaining(), EVIDENCE_AFTER_DEADLINE))
        run.installed = _waited(installed, context, max(context.deadline.remaining(),
                                                        EVIDENCE_AFTER_DEADLINE))
    finally:
        context.close()
    run.deadline_reached = context.deadline.expired
    run.finished_at = dt.datetime.now(dt.UTC)
    return run


def _installed_release(settings: Settings, pinned: str | None) -> Installed | None:
    from netcheck.profiles.installed import Installed, find_release

    if pinned and pinned != "latest":
        return Installed(pinned, "pinned in the configuration entry")
    return find_release(settings.profile, settings.env)


def _waited(future: Future[Installed | None], context: RunContext,
            timeout: float) -> Installed | None:
    """What the lookup found, if it is in within ``timeout`` (evidence: the run stands
    without it). Held work starts now if no request has released it (a run that stopped
    before any went out would otherwise wait its whole deadline for it)."""
    context.release()
    try:
        return future.result(timeout)
    except Exception:  # noqa: BLE001 - not found in time, or the run had ended
        return None


def _flow_context(run: CheckRun, prepared: Prepared, context: RunContext, resource: UrlProbe,
                  observer: Observer | None, keep_registration: bool = False) -> FlowContext:
    from netcheck.hops.http import bearer_challenge
    from netcheck.oauth.context import FlowContext, OAuthOptions

    options = run.options
    challenge = bearer_challenge(resource.response) if resource.response is not None else None
    return FlowContext(
        prepared=prepared, run=context, observer=observer,
        server_url=resource.step.url or options.url,
        challenge=challenge, redactor=run.redactor, date_skew_s=resource.date_skew_s,
        options=OAuthOptions(client_id=options.client_id,
                             client_metadata_url=options.client_metadata_url,
                             auth_server_metadata_url=options.auth_server_metadata,
                             register=options.register or keep_registration,
                             callback_port=options.callback_port,
                             keep_registration=keep_registration))


def _resource(run: CheckRun, prepared: Prepared, context: RunContext, url: str,
              observer: Observer | None) -> UrlProbe:
    """The MCP server's first request, following redirects (each target checked afresh)."""
    from netcheck.hops.http import initialize, judge_initialize
    from netcheck.hops.sse import judge_open, open_stream
    from netcheck.pipeline import UrlProbe, internal_error, probe

    seen = {url}
    skew = None
    settings = run.settings
    while True:
        configured = Target.parse(url).origin == prepared.origin
        # another origin gets neither the configured headers nor the client certificate
        headers = settings.headers if configured else []
        given = prepared if configured or prepared.identity is None else dataclasses.replace(
            prepared, identity=None, cert_not_sent=NotSent(
                f"netcheck did not present yours because this is not {prepared.origin}, the "
                "server you configured",
                "if this origin is yours (an SSO or gateway redirect you expect), check it "
                "directly with netcheck check <its URL>; otherwise the MCP server's redirect "
                "is wrong"))
        request, judge = (open_stream(url, headers), judge_open(url)) \
            if run.options.transport == "sse" else (initialize(url, headers), judge_initialize(url))
        try:
            result = probe(Step.RESOURCE, request, judge, given, context, observer,
                           date_skew_s=skew)
        except Exception as exc:  # noqa: BLE001 - reported as internal_error, not a traceback
            result = UrlProbe(step=internal_error(Step.RESOURCE, exc))
        run.steps.append(result.step)
        if result.redirect is None or not result.step.ok:
            return result
        try:
            nxt = urljoin(url, result.redirect)
        except ValueError:  # a Location no URL parser accepts ("http://[bad")
            nxt = result.redirect
        http = result.step.hops[-1]  # the redirect is judged here, where it is decided
        problem = None
        if nxt in seen or len(seen) > MAX_REDIRECTS:
            problem = failed(Hop.HTTP, Code.HTTP_TOO_MANY_REDIRECTS,
                             f"redirect loop or more than {MAX_REDIRECTS} redirects (last: "
                             f"{redact_url(nxt)})",
                             "the server's redirects never settle: check the URL with its "
                             "owners", **http.details)
        elif not is_http_url(nxt):
            problem = failed(Hop.HTTP, Code.HTTP_UNEXPECTED_STATUS,
                             f"redirect to an unusable URL: {redact_url(nxt)}",
                             "the server's redirect is broken: tell its owners", **http.details)
        elsewhere = problem is None and Target.parse(nxt).origin != Target.parse(url).origin
        if elsewhere and settings.profile.mcp.cross_origin_redirect is Reaction.STOPS:
            problem = failed(Hop.HTTP, Code.HTTP_CROSS_ORIGIN_REDIRECT,
                             f"the MCP server redirects to another origin ({redact_url(nxt)}); "
                             f"{settings.profile.label} does not follow it "
                             f"({settings.profile.mcp.measured or 'measured'})",
                             "give the client the URL the redirect leads to, or have the "
                             "server answer at its own URL", **http.details)
        if problem is not None:
            result.step.hops[-1] = dataclasses.replace(problem, duration_ms=http.duration_ms)
            return result
        moved = Target.parse(nxt).origin != prepared.origin
        result.step.notes.append(
            f"redirected to {redact_url(nxt)}; it is checked afresh (its own proxy decision)"
            + ("; it is not the configured server's origin, so neither the configured headers "
               "nor the client certificate are sent there" if moved else ""))
        context.progress.step_finished(result.step)  # a redirect: the next one is checked
        seen.add(nxt)
        url = nxt
        skew = result.date_skew_s if result.date_skew_s is not None else skew
