"""Steps ``authorization_endpoint`` and ``callback`` of a real login: the authorization
request as the client builds it, the client's listener, the user's browser, and what the
browser brings back."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from netcheck.hops.http import HttpRequest
from netcheck.login import browser
from netcheck.login.listener import CallbackListener
from netcheck.login.session import LoginSession
from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult, failed
from netcheck.oauth import callback as callback_checks
from netcheck.oauth.context import pkce_pair
from netcheck.oauth.documents import oauth_failed, oauth_ok
from netcheck.oauth.endpoints import judge_authorization, redirect_uri_refused
from netcheck.oauth.fetch import fetch_in_order
from netcheck.oauth.redirect_uri import rejection
from netcheck.redaction import redact_url


def authorization_url(session: LoginSession) -> str:
    """The authorization request: response_type, client_id, redirect_uri, PKCE S256, state,
    resource and scope, as the MCP SDKs' clients send them."""
    ctx = session.ctx
    verifier, challenge = pkce_pair()
    session.held.keep("verifier", verifier)
    session.state = secrets.token_urlsafe(24)
    session.held.redactor.add(session.state)
    params = {"response_type": "code", "client_id": session.client_id,
              "code_challenge": challenge, "code_challenge_method": "S256",
              "redirect_uri": ctx.redirect_uri, "state": session.state,
              "resource": session.resource}
    if ctx.scope:
        params["scope"] = ctx.scope
    endpoint = str((ctx.as_metadata or {})["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def authorization(session: LoginSession) -> StepResult:
    """Send the authorization request once through every hop (the browser would meet a
    refused redirect_uri the same way), get the callback listener ready, open the browser."""
    ctx = session.ctx
    url = authorization_url(session)
    fetched = fetch_in_order(ctx, Step.AUTHORIZATION_ENDPOINT, [url],
                             lambda u: HttpRequest("GET", u, [("Accept", "text/html")]),
                             judge_authorization, move_on=lambda status: False)
    step = fetched.step
    step.url = redact_url(str((ctx.as_metadata or {})["authorization_endpoint"]))
    if fetched.response is None:
        return step
    response = fetched.response
    details: dict[str, Any] = {"status": response.status, "client_id": session.client_id,
                               "redirect_uri": ctx.redirect_uri, "resource": session.resource,
                               "scope": ctx.scope, "code_challenge_method": "S256"}
    refused = rejection(response, ctx.redirect_uri)
    if refused is not None:
        return ctx.conclude(step, oauth_failed(redirect_uri_refused(ctx, refused), details))
    ctx.conclude(step, oauth_ok(f"the authorization request is accepted ({response.status}: "
                                f"{_answer(response.status)})", details))
    session.callback_step = _listen(session)
    if not session.callback_step.ok:
        return step  # the callback step says why; no browser is opened for nothing
    return ctx.conclude(step, _open(session, url))


def _answer(status: int) -> str:
    return "a redirect to a login or consent page" if 300 <= status < 400 else \
        "a login page" if status == 200 else "an answer the browser shows"


def _listen(session: LoginSession) -> StepResult:
    """The callback step's checks of this machine, then the client's listener itself."""
    ctx = session.ctx
    plan = ctx.callback
    step = callback_checks.check(plan, ctx.prepared.settings.env, ctx.machine, listening=True)
    for hop in step.hops:
        if ctx.observer:
            ctx.observer(Step.CALLBACK, hop)
    if not step.ok:
        return step
    try:
        session.listener = CallbackListener(plan.rules.listen_address, plan.port, plan.rules.path)
    except OSError as exc:
        step.hops.append(failed(Hop.CALLBACK_PORT, Code.CALLBACK_PORT_IN_USE,
                                f"the callback listener could not bind {plan.rules.listen_address}"
                                f":{plan.port} ({exc.strerror or exc})",
                                "another program took the port just now: run the login again"))
    else:
        step.notes.append(f"netcheck listened on {plan.rules.listen_address}:{plan.port} as "
                          f"{ctx.prepared.settings.profile.label} does ({plan.source})")
    return step


def _open(session: LoginSession, url: str) -> HopResult:
    options = session.options
    wait = f"waiting up to {options.callback_wait:g} s for the browser to come back"
    if not options.open_browser:
        options.say(f"Open this URL in a browser, sign in, then paste the URL the browser "
                    f"ends on here (or let it reach {session.ctx.redirect_uri}):\n{url}")
        if options.stdin is not None and session.listener is not None:
            browser.read_pasted(options.stdin, session.ctx.redirect_uri,
                                session.listener.deliver)
        return HopResult(hop=Hop.BROWSER, status=Status.OK, details={"opened": False},
                         message=f"--no-browser: the URL was printed; {wait} or for the "
                                 "redirected URL pasted on standard input")
    opened, how = browser.open_url(url, options.environ)
    if opened:
        options.say(f"Opened the authorization URL in your browser; {wait}. If no browser "
                    f"window appeared, open this URL yourself:\n{url}")
        return HopResult(hop=Hop.BROWSER, status=Status.OK, details={"opened": True},
                         message=f"{how}; {wait}")
    options.say(f"No browser could be opened ({how}); open this URL yourself:\n{url}")
    return HopResult(hop=Hop.BROWSER, status=Status.WARNING, details={"opened": False},
                     message=f"{how}: the URL was printed instead; {wait}",
                     notes=["on a machine without a browser, use --no-browser and paste the "
                            "redirected URL"])


def callback(session: LoginSession) -> StepResult:
    """Wait (bounded) for the browser's callback and check it as the client does."""
    step = session.callback_step or StepResult(step=Step.CALLBACK, url=None)
    step.url = session.ctx.redirect_uri
    if not step.ok or session.listener is None:
        return step
    wait = session.options.callback_wait
    target = session.listener.wait(min(wait, max(session.ctx.run.deadline.remaining(), 0.0)))
    session.listener.close()
    if target is None:
        return session.ctx.conclude(step, _no_callback(session, step, wait))
    query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    code = query.get("code")
    if code:
        session.held.keep("code", code)
    return session.ctx.conclude(step, _judge_callback(session, query))


def _no_callback(session: LoginSession, step: StepResult, wait: float) -> HopResult:
    remote = next((h for h in step.hops if h.hop is Hop.REMOTE_SESSION), None)
    forward = remote.details.get("forward") if remote is not None and \
        remote.status is Status.WARNING else None
    hint = (f"this machine is a remote session: {forward}" if forward else
            "finish the sign-in in the browser that opened (it ends on a page saying the "
            "callback was received); if the browser runs on another machine, run netcheck "
            "login --no-browser and paste the URL the browser ends on; a firewall or "
            "endpoint agent that blocks loopback connections also stops it")
    return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_TIMEOUT,
                  f"no callback reached {session.ctx.redirect_uri} within {wait:g} s: the "
                  "client would still be waiting", hint, waited_s=wait)


def _judge_callback(session: LoginSession, query: dict[str, str]) -> HopResult:
    ctx = session.ctx
    shown = {"parameters": sorted(query), "iss": query.get("iss")}
    error = query.get("error")
    if error:
        description = query.get("error_description", "")
        shown.update(error=error, error_description=description)
        said = f"{error}{': ' + description if description else ''}"
        if error == "access_denied":
            return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_ACCESS_DENIED,
                          f"the authorization server sent the browser back with "
                          f"access_denied ({said}): the user, or a policy, refused consent",
                          "sign in with an account allowed to use this server and accept the "
                          "consent; if a policy denies it (conditional access, an admin-only "
                          "app), ask the identity provider's admins to grant access",
                          **shown)
        return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_ERROR,
                      f"the authorization server sent the browser back with an error: {said}",
                      "invalid_scope: the scopes the client asks for are not allowed for it "
                      "(ask the server's owners which scopes to request); other errors: see "
                      "the description", **shown)
    if query.get("state") != session.state:
        return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_STATE_MISMATCH,
                      "the callback's state is not the one the client sent: the client "
                      "refuses it (another login's callback, or a page that rewrote the URL)",
                      "run the login again in one browser tab; a browser extension or proxy "
                      "that rewrites the redirect can cause this", **shown)
    if not query.get("code"):
        return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_ERROR,
                      "the callback carries neither a code nor an error",
                      "the authorization server's redirect is broken: tell its owners",
                      **shown)
    expected = ctx.issuer or str((ctx.as_metadata or {}).get("issuer") or "")
    iss = query.get("iss")
    rules = ctx.prepared.settings.profile.oauth
    label = ctx.prepared.settings.profile.label
    if iss is not None and expected and iss != expected:
        return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_ISS_MISMATCH,
                      f"the callback's iss {iss!r} is not the issuer {expected!r} (RFC 9207): "
                      "the response may come from another authorization server (a mix-up)",
                      "the authorization server must send its own issuer identifier: tell "
                      "its owners", **shown)
    advertised = (ctx.as_metadata or {}).get(
        "authorization_response_iss_parameter_supported") is True
    if iss is None and expected and (rules.requires_iss or
                                     (advertised and rules.requires_advertised_iss)):
        why = ("once the issuer is known" if rules.requires_iss else
               "when the server advertises it (authorization_response_iss_parameter_"
               "supported), as this one does")
        return failed(Hop.CALLBACK_RECEIVED, Code.CALLBACK_ISS_MISSING,
                      f"the callback has no iss parameter, and {label} refuses a callback "
                      f"without it {why} (RFC 9207)",
                      "the authorization server should send iss in every authorization "
                      "response, or stop advertising authorization_response_iss_parameter_"
                      "supported; until then this client cannot log in", **shown)
    result = HopResult(hop=Hop.CALLBACK_RECEIVED, status=Status.OK, details=shown,
                       message="the browser came back with a code and the state the client "
                               "sent" + (", and the issuer's iss" if iss else ""))
    if iss is None and advertised:
        result = result.noted("the server advertises iss in authorization responses but sent "
                              "none; clients that check RFC 9207 refuse this callback")
    return result
