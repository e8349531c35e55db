"""A whole check: the settings step, then the MCP server URL (following redirects)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from netcheck.model import Code, Hop, Step, StepResult, failed, skipped
from netcheck.hops.http import initialize, judge_initialize
from netcheck.pipeline import ORDER, Observer, probe
from netcheck.proxy.models import Target
from netcheck.proxy.url import ProxyURL, ProxyURLError
from netcheck.redaction import Redactor, redact_url
from netcheck.settings.check import check_settings
from netcheck.settings.gather import Options, Settings, UsageError, gather, is_proxy_variable

MAX_REDIRECTS = 5


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


def validate_url(url: str) -> str:
    """The MCP server URL, or :class:`UsageError` (exit status 2)."""
    try:
        target = Target.parse(url)
    except ValueError:
        raise UsageError(f"{url!r} is not an absolute http(s) URL with a host") from None
    if target.scheme not in ("http", "https"):
        raise UsageError(f"{url!r}: MCP servers are reached over http:// or https://")
    return url


def secrets_of(settings: Settings, environ: Mapping[str, str]) -> Redactor:
    """A redactor that knows every secret this run was given."""
    redactor = Redactor()
    for name, value in list(settings.env.items()) + list(environ.items()):
        if is_proxy_variable(name) and value:
            try:
                proxy = ProxyURL.parse(value)
            except ProxyURLError:
                continue
            if proxy.password is not None:
                redactor.add_basic_credentials(proxy.username or "", proxy.password.reveal())
    redactor.add(settings.passphrase)
    for _name, header_value in settings.headers:
        redactor.add(header_value)
        scheme, _, token = header_value.reveal().partition(" ")
        if token and scheme.lower() in ("bearer", "basic", "token", "digest"):
            redactor.add(token)
    return redactor


def run_check(options: Options, environ: Mapping[str, str], observer: Observer | None = None,
              now: dt.datetime | None = None) -> CheckRun:
    """Run every step for ``options.url``; raises :class:`UsageError` for bad input only."""
    url = validate_url(options.url)
    settings = gather(options, environ)
    run = CheckRun(options=options, settings=settings, environ=environ,
                   started_at=now or dt.datetime.now(dt.UTC))
    run.redactor = secrets_of(settings, environ)
    settings_step, prepared = check_settings(settings, now)
    prepared.origin = Target.parse(url).origin
    run.steps.append(settings_step)
    if observer:
        for hop in settings_step.hops:
            observer(Step.SETTINGS, hop)
    if not settings_step.ok:
        run.steps.append(StepResult(step=Step.RESOURCE, url=url,
                                    hops=[skipped(h, "the settings step failed") for h in ORDER]))
        run.finished_at = dt.datetime.now(dt.UTC)
        return run

    seen = {url}
    skew = None
    for _ in range(MAX_REDIRECTS + 1):
        headers = settings.headers if Target.parse(url).origin == prepared.origin else []
        result = probe(Step.RESOURCE, initialize(url, headers), judge_initialize(url), prepared,
                       observer, date_skew_s=skew)
        run.steps.append(result.step)
        if result.redirect is None or not result.step.ok:
            break
        nxt = urljoin(url, result.redirect)
        problem = None
        if nxt in seen or len(seen) > MAX_REDIRECTS:
            problem = failed(Hop.HTTP, Code.HTTP_TOO_MANY_REDIRECTS,
                             f"redirect loop or more than {MAX_REDIRECTS} redirects (last: "
                             f"{redact_url(nxt)})",
                             "the server's redirects never settle: check the URL with its owners")
        elif urlsplit(nxt).scheme not in ("http", "https") or not urlsplit(nxt).hostname:
            problem = failed(Hop.HTTP, Code.HTTP_UNEXPECTED_STATUS,
                             f"redirect to an unusable URL: {redact_url(nxt)}",
                             "the server's redirect is broken: tell its owners")
        if problem is not None:
            http = result.step.hops[-1]
            problem.details, problem.duration_ms = http.details, http.duration_ms
            result.step.hops[-1] = problem
            break
        result.step.notes.append(f"redirected to {nxt}; it is checked afresh (its own proxy "
                                 "decision); no credentials are forwarded")
        seen.add(nxt)
        url = nxt
    run.finished_at = dt.datetime.now(dt.UTC)
    return run
