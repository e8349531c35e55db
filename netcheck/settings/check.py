"""Step ``settings``: validate proxy variables, client certificate and trust, before any network."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from netcheck.model import Code, Hop, HopResult, NotSent, Status, Step, StepResult, failed
from netcheck.net.deadline import Stopwatch
from netcheck.profiles import Reaction
from netcheck.proxy.registry import AT_START, start_error
from netcheck.proxy.url import ProxyURL, ProxyURLError
from netcheck.settings.client_identity import (
    ClientIdentity,
    IdentityError,
    check_identity,
    conversion,
    load_identity,
    stored_as,
)
from netcheck.settings.gather import Settings, is_proxy_variable

if TYPE_CHECKING:  # imported in finish_settings: after the handshake is free to start
    from netcheck.settings.trust import TrustSetup


@dataclass(frozen=True)
class Prepared:
    """What the settings step produced for the network steps (the run's own state, kept
    between requests, is in :mod:`netcheck.run_context`)."""

    settings: Settings
    identity: ClientIdentity | None
    # the trust stores, read after the certificate (see begin_settings): a handshake does not
    # verify, so it can start before they are read, and only judging its chain waits for them
    trust_ready: Future[TrustSetup]
    origin: str = ""  # the configured server's origin: configured headers go only there
    cert_not_sent: NotSent | None = None  # with identity None: why a configured one is not sent

    @property
    def trust(self) -> TrustSetup:
        return self.trust_ready.result()

    @property
    def proxy_trust(self) -> TrustSetup:
        """What the client checks an https:// proxy's own certificate against."""
        return self.trust.for_proxy(self.settings.profile.trust, self.settings.env)


def check_settings(settings: Settings, now: dt.datetime | None = None) -> tuple[StepResult,
                                                                               Prepared]:
    """The whole step: :func:`begin_settings`, then :func:`finish_settings`."""
    step, prepared = begin_settings(settings, now)
    finish_settings(step, prepared)
    return step, prepared


def begin_settings(settings: Settings, now: dt.datetime | None = None) -> tuple[StepResult,
                                                                               Prepared]:
    """The proxy variables and the client certificate: what a handshake needs. The step and
    ``prepared.trust`` are completed by :func:`finish_settings`, which the caller must call
    (a handshake may be waiting on it)."""
    now = now or dt.datetime.now(dt.UTC)
    step = StepResult(step=Step.SETTINGS, url=None)
    watch = Stopwatch()
    step.hops.append(_stamped(_check_proxy_variables(settings), watch))
    watch = Stopwatch()
    identity_hop, identity, not_sent = _check_identity(settings, now)
    step.hops.append(_stamped(identity_hop, watch))
    return step, Prepared(settings=settings, identity=identity, trust_ready=Future(),
                          cert_not_sent=not_sent)


def finish_settings(step: StepResult, prepared: Prepared) -> None:
    """The trust hop of ``step``: reads the stores and hands them to ``prepared.trust``."""
    watch = Stopwatch()
    try:
        trust_hop, trust = _check_trust(prepared.settings)
    except BaseException as exc:
        prepared.trust_ready.set_exception(exc)  # a handshake waiting on it must not hang
        raise
    prepared.trust_ready.set_result(trust)
    step.hops.append(_stamped(trust_hop, watch))


def _stamped(result: HopResult, watch: Stopwatch) -> HopResult:
    return replace(result, duration_ms=watch.ms())


def _check_proxy_variables(settings: Settings) -> HopResult:
    """Proxy variables (and Claude Code's settings files, which most often set them)."""
    profile = settings.profile
    read = profile.proxy.reads
    details: dict[str, object] = {}
    problems: list[tuple[bool, str]] = []
    for name, value in settings.env.items():
        if not value or not is_proxy_variable(name) or name.lower() in ("no_proxy",
                                                                          "request_method"):
            continue
        matters = read is None or name.lower() in read
        origin = settings.provenance(name)
        try:
            proxy = ProxyURL.parse(value)
        except ProxyURLError as exc:
            problems.append((matters, f"{name} ({origin}) is not a usable proxy URL: {exc}"))
            continue
        details[name] = {"proxy": proxy.display, "source": origin,
                         "username": proxy.username is not None,
                         "password": proxy.password is not None}
        if matters and proxy.scheme not in profile.proxy.schemes:
            problems.append((True, f"{name} uses a {proxy.scheme}:// proxy, which "
                                   f"{profile.name} does not support"))
    hard = [text for matters, text in problems if matters]
    broken = start_error(profile.proxy.model, settings.env)
    if broken is not None:
        variable, error = broken
        where = f"{variable} ({settings.provenance(variable)})" if variable else "a proxy setting"
        result = failed(Hop.PROXY_RESOLVE, _start_code(error),
                        f"{profile.label} cannot start with {where}: {error}; it reads every "
                        "proxy setting when it starts, so every request fails, whatever its "
                        "URL", _start_hint(variable), variables=details)
    elif hard and (profile.proxy.model in AT_START or
                   profile.proxy.unusable_value is Reaction.GOES_ON):
        # a client that checks its proxy settings at start has passed them: the others fail
        # only the requests that use them (the proxy_resolve hop of each request says so)
        result = HopResult(hop=Hop.PROXY_RESOLVE, status=Status.WARNING,
                           message=f"{len(details)} proxy variable(s) parsed",
                           details={"variables": details},
                           notes=[f"{text}: {profile.label} fails the requests that would use "
                                  "it" for text in hard])
    elif hard:
        code = Code.PROXY_SCHEME_UNSUPPORTED if "does not support" in hard[0] else \
            Code.PROXY_URL_INVALID
        result = failed(Hop.PROXY_RESOLVE, code, hard[0],
                        "write it as http://[user:password@]host:port" if code is
                        Code.PROXY_URL_INVALID else
                        f"{profile.name} supports {', '.join(profile.proxy.schemes)} proxies; "
                        "ask for an HTTP proxy port", variables=details)
    else:
        count = len(details)
        result = HopResult(hop=Hop.PROXY_RESOLVE, status=Status.OK,
                           message=f"{count} proxy variable(s) parsed" if count else
                           "no proxy variables set", details={"variables": details})
    ignored = [f"ignored by {profile.name}: {text}" for matters, text in problems if not matters]
    if ignored:
        result = result.noted(*ignored)
    if settings.claude is not None:
        result = result.with_details(claude_code_settings=settings.claude.to_json())
        notes = settings.claude.notes()
        result = result.noted(*notes) if notes else result
    return result


def _start_code(error: str) -> Code:
    """A value the client cannot parse, or one it parses and refuses."""
    return Code.PROXY_URL_INVALID if "Invalid" in error and "URL" in error else \
        Code.PROXY_REFUSED_BY_CLIENT


def _start_hint(variable: str | None) -> str:
    if variable and variable.lower() == "no_proxy":
        return ("remove the entry, or write it with its scheme (https://xn--...) or as "
                "Unicode; fix it even if the server you check is not in it")
    return ("write it as http://[user:password@]host:port, even if the server you check "
            "does not use it")


IGNORED_LOAD_FAILURES = frozenset({Code.CERT_FILE_UNREADABLE, Code.KEY_FILE_UNREADABLE,
                                   Code.CERT_INVALID, Code.KEY_MISSING})


def _check_identity(settings: Settings, now: dt.datetime) -> tuple[
        HopResult, ClientIdentity | None, NotSent | None]:
    """The client certificate as the profile's client takes it: loaded and checked, or
    refused (the client cannot start), or set aside (the client sends none, silently)."""
    profile = settings.profile
    rules = profile.client_cert
    if settings.cert is None:
        if settings.key is not None:
            return failed(Hop.CLIENT_CERT, Code.CERT_INVALID,
                          f"a client key is set ({settings.key.source}) but no certificate",
                          f"set {rules.variables[0]} or --cert too" if rules.variables
                          else "pass --cert too"), None, None
        unread = rules.variables is None and settings.env.get("CLAUDE_CODE_CLIENT_CERT")
        return HopResult(hop=Hop.CLIENT_CERT, status=Status.OK,
                         message="no client certificate configured",
                         notes=[f"CLAUDE_CODE_CLIENT_CERT is set but {profile.name} does not "
                                "read it; pass --cert to use it"] if unread else []), None, None
    cert, key = settings.cert.value, settings.key.value if settings.key else None
    details: dict[str, Any] = {"certificate": settings.cert.to_json(),
                               "key": settings.key.to_json() if settings.key else None}
    if not rules.can_present:
        why = (f"{profile.label} has no way to present a client certificate (no variable, "
               "setting or flag for one)")
        return HopResult(hop=Hop.CLIENT_CERT, status=Status.WARNING, details=details,
                         message=f"a client certificate is given, but {why}: netcheck does not "
                                 "present it either, as the client would not",
                         notes=[f"if a server demands one: {rules.given_by}"]
                         ), None, NotSent(why, rules.given_by)
    stored = stored_as(cert, key)
    details["stored_as"] = stored.value if stored else None
    unusable = None if stored is None or stored in rules.formats else \
        f"{profile.label} cannot use a {stored.value}"
    fix = conversion(stored, cert, key, rules.variables, rules.given_by) if stored else ""
    if unusable and rules.unusable is Reaction.STOPS:
        return failed(Hop.CLIENT_CERT, Code.CERT_FORMAT_UNSUPPORTED,
                      f"{unusable}: it fails before any request", fix, **details), None, None
    try:
        if unusable:
            raise IdentityError(Code.CERT_INVALID, unusable, fix)
        identity = load_identity(cert, key, settings.passphrase)
    except IdentityError as exc:
        if rules.unusable is Reaction.GOES_ON and exc.code in IGNORED_LOAD_FAILURES:
            why = f"{profile.label} sends none: {exc.message}"
            return HopResult(hop=Hop.CLIENT_CERT, status=Status.WARNING, details=details,
                             message=f"the client certificate is set but {why}; it says so "
                                     "only in its debug log",
                             notes=[f"fix: {exc.hint}"]), None, NotSent(why, exc.hint or "")
        hint = exc.hint
        if exc.code is Code.KEY_MISSING and rules.variables is None and hint:
            hint = hint.replace(" or CLAUDE_CODE_CLIENT_KEY", "")  # this client reads no variable
        return failed(Hop.CLIENT_CERT, exc.code, exc.message, hint, **details), None, None
    verdict = check_identity(identity, now)
    details.update(identity.summary())
    if verdict.failure:
        return failed(Hop.CLIENT_CERT, verdict.failure.code, verdict.failure.message,
                      verdict.failure.hint, **details), identity, None
    return HopResult(hop=Hop.CLIENT_CERT,
                     status=Status.WARNING if verdict.warnings else Status.OK,
                     message=f"client certificate "
                             f"{identity.certificate.subject.rfc4514_string()} loaded "
                             f"({identity.format}), key matches", details=details,
                     notes=[*verdict.warnings, *([rules.unknown] if rules.unknown else [])]
                     ), identity, None


def _check_trust(settings: Settings) -> tuple[HopResult, TrustSetup]:
    from netcheck.settings.trust import load_trust

    trust = load_trust(settings.profile.trust, settings.env, settings.cacerts,
                       settings.public_roots, client=settings.profile.client,
                       proxy_cacerts=settings.proxy_cacerts)
    details = {"sources": [s.to_json() for s in trust.sources], "client_uses": trust.why}
    label = settings.profile.label
    # the stores found on this machine may be missing; files the user named are judged as the
    # client judges them: a client that skips an unusable file goes on without it
    named = [s for s in trust.sources if s.error and (s.used or s.origin == "--public-roots")
             and (s.name not in ("bundled", "system") or s.origin.startswith(("env ", "--")))]
    rules = settings.profile.trust
    bad_used = [s for s in named if rules.on_unusable(s.name) is Reaction.STOPS or
                s.origin.startswith("flag") or s.origin == "--public-roots"]
    if bad_used:
        source = bad_used[0]
        assert source.error is not None
        code = Code.CA_FILE_NO_CERTIFICATES if "no certificates" in source.error else \
            Code.CA_FILE_UNREADABLE
        return failed(Hop.TLS, code, f"{source.error}; {label} cannot start with it",
                      "point it at a PEM file of CA certificates", **details), trust
    notes = []
    if trust.verification_off:
        notes.append(f"SECURITY: {trust.verification_off} turns {settings.profile.client}'s "
                     "certificate verification off: it connects to servers whose "
                     "certificates it cannot verify, and a TLS-inspecting proxy is invisible "
                     "to it; the TLS hops below say what each chain would need")
    notes += [f"{s.name} ({s.origin}): {s.error}; {label} skips it and goes on with the other "
              "stores, so servers that need this CA fail; point it at a PEM file of CA "
              "certificates" for s in named]
    notes += [f"{s.name}: {s.error}" for s in trust.sources if s.error and s not in named]
    usable = trust.used
    count = len({c for s in usable for c in s.certificates})
    message = f"{count} trusted certificates from " \
              f"{', '.join(s.name for s in usable) or 'no source'}" if usable else \
        "the client would trust no certificate at all"
    warn = bool(named) or not usable or bool(trust.verification_off)
    return HopResult(hop=Hop.TLS, status=Status.WARNING if warn else Status.OK,
                     details=details, message=message, notes=notes), trust
