"""Steps ``authorization_endpoint``, ``token_endpoint`` and ``token_refresh``: reach each
endpoint with a request that is well-formed but cannot succeed, and check that an OAuth
server answered.

Nothing here can consume anything: the code, verifier and refresh token are random values
marked as netcheck's. A real refresh token is never sent (refresh tokens rotate).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from netcheck.hops.http import HttpRequest, StatusJudge, error_status
from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult
from netcheck.net.http1 import HttpResponse
from netcheck.oauth.context import FlowContext, invalid_value, pkce_pair
from netcheck.oauth.discovery import canonical_resource
from netcheck.oauth.documents import DocumentProblem, json_object, oauth_failed, oauth_ok
from netcheck.oauth.fetch import fetch_in_order
from netcheck.oauth.redirect_uri import rejection
from netcheck.redaction import REDACTED, redact_url


def _fatal_status(status: int) -> bool:
    return status in (404, 405) or status >= 500


def judge_authorization(url: str) -> StatusJudge:
    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        said = f"{response.status} {response.reason}".strip()
        if _fatal_status(response.status):
            return error_status(response, url, details, "the authorization request")
        if response.status < 400 or response.status == 400:
            return HopResult(hop=Hop.HTTP, status=Status.OK, details=details, message=said)
        return HopResult(hop=Hop.HTTP, status=Status.WARNING, details=details, message=said,
                         notes=["an unusual answer for an authorization endpoint; the user's "
                                "browser may still get a login page"])
    return judge


def authorization(ctx: FlowContext) -> StepResult:
    meta = ctx.as_metadata or {}
    endpoint = str(meta["authorization_endpoint"])
    _verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": ctx.probe_client_id(),
              "redirect_uri": ctx.redirect_uri, "code_challenge": challenge,
              "code_challenge_method": "S256", "state": secrets.token_urlsafe(16),
              "resource": canonical_resource(ctx.server_url)}
    if ctx.scope:
        params["scope"] = ctx.scope
    separator = "&" if "?" in endpoint else "?"
    url = f"{endpoint}{separator}{urlencode(params)}"
    fetched = fetch_in_order(ctx, Step.AUTHORIZATION_ENDPOINT, [url],
                             lambda u: HttpRequest("GET", u, [("Accept", "text/html")]),
                             judge_authorization, move_on=lambda status: False)
    step = fetched.step
    step.url = redact_url(endpoint)
    step.notes.append("in a real login the user's browser opens this URL with the browser's "
                      "own proxy settings (often a PAC file), which may route differently "
                      "from this command-line client")
    if fetched.response is None:
        return step
    response = fetched.response
    details: dict[str, Any] = {"status": response.status, "client_id": ctx.probe_client_id(),
                               "client_known": ctx.client_is_real, "scope": ctx.scope,
                               "resource": params["resource"],
                               "redirect_uri": params["redirect_uri"]}
    refused = rejection(response, params["redirect_uri"]) if ctx.client_is_real else None
    if refused is not None:
        return ctx.conclude(step, oauth_failed(redirect_uri_refused(ctx, refused), details))
    if 300 <= response.status < 400:
        location = response.header("location") or ""
        details["location"] = redact_url(location)
        message = f"redirects to {redact_url(location)[:120]} (a login or consent flow)"
    elif response.status == 400:
        message = ("answers 400 to a request from an unknown client, as an authorization "
                   "server should" if not ctx.client_is_real else
                   "answers 400 to the request; the browser would show this error")
        summary = response.page_summary()
        if summary:
            details["page"] = summary
    else:
        summary = response.page_summary()
        details["page"] = summary
        title = summary["title"] if summary and summary["title"] else None
        message = f"serves a page ({title or response.status})"
    return ctx.conclude(step, oauth_ok(f"authorization endpoint reachable: {message}", details))


def redirect_uri_refused(ctx: FlowContext, said: str) -> DocumentProblem:
    plan = ctx.callback
    client = ctx.probe_client_id()
    uri = plan.redirect_uri
    if plan.fixed:
        hint = (f"register exactly {uri} for client {client} with the server's owners, or set "
                "the callback port the registration has (here --callback-port; Claude Code: "
                f"the server's oauth.callbackPort) instead of {plan.port}")
    else:
        pattern = uri.replace(f":{plan.port}/", ":PORT/")
        hint = (f"the client drew port {plan.port} at random ({plan.source}), which no exact "
                "registration matches: set the port the registration has (here "
                "--callback-port; Claude Code: claude mcp add ... --callback-port PORT, the "
                f"server's oauth.callbackPort), or have {pattern} registered for client "
                f"{client} with a port you then set")
    return DocumentProblem(
        Code.OAUTH_REDIRECT_URI_REJECTED,
        f"the authorization server refuses the redirect_uri {uri} for client {client} "
        f"({said}): the browser would show this error instead of the login page", hint)


def judge_token(url: str) -> StatusJudge:
    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        if _fatal_status(response.status):
            return error_status(response, url, details, "the token request")
        return HopResult(hop=Hop.HTTP, status=Status.OK, details=details,
                         message=f"{response.status} {response.reason}".strip())
    return judge


def _token_step(ctx: FlowContext, step_name: Step, form: dict[str, str],
                shown: dict[str, str]) -> StepResult:
    meta = ctx.as_metadata or {}
    endpoint = str(meta["token_endpoint"])
    body = urlencode(form)
    request = HttpRequest("POST", endpoint, [
        ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
        body.encode(), shown_body=urlencode(shown), no_effect=True)  # invalid on purpose
    fetched = fetch_in_order(ctx, step_name, [endpoint], lambda u: request, judge_token,
                             move_on=lambda status: False)
    step = fetched.step
    if fetched.response is None:
        return step
    response = fetched.response
    details: dict[str, Any] = {"status": response.status, "grant_type": form["grant_type"]}
    if 300 <= response.status < 400:
        location = redact_url(response.header("location") or "")
        return ctx.conclude(step, oauth_failed(DocumentProblem(
            Code.OAUTH_NOT_OAUTH_RESPONSE,
            f"the token endpoint redirects ({response.status} to {location}) instead of "
            "answering: an SSO portal or proxy intercepts API calls",
            "ask IT to exempt the token endpoint from browser-style login redirects"),
            details))
    try:
        doc = json_object(response, "token endpoint's answer", Code.OAUTH_NOT_OAUTH_RESPONSE)
    except DocumentProblem as problem:
        return ctx.conclude(step, oauth_failed(problem, details))
    error = doc.get("error")
    if isinstance(error, str):
        details["error"] = error
        details["error_description"] = doc.get("error_description")
        return ctx.conclude(step, oauth_ok(
            f"the token endpoint answered with the OAuth error '{error}' to a deliberately "
            "invalid request: it is reachable and speaks OAuth", details))
    if "access_token" in doc:
        return ctx.conclude(step, oauth_ok(
            "the token endpoint issued a token for a deliberately invalid request", details,
            ["this authorization server does not validate codes or refresh tokens"],
            warning=True))
    return ctx.conclude(step, oauth_failed(DocumentProblem(
        Code.OAUTH_NOT_OAUTH_RESPONSE,
        f"the token endpoint answered {response.status} with JSON that is neither an OAuth "
        "error nor a token", "check that token_endpoint points at the OAuth server"), details))


def token(ctx: FlowContext) -> StepResult:
    verifier, _challenge = pkce_pair()
    form = {"grant_type": "authorization_code", "code": invalid_value("code"),
            "code_verifier": verifier, "redirect_uri": ctx.redirect_uri,
            "client_id": ctx.probe_client_id(),
            "resource": canonical_resource(ctx.server_url)}
    shown = {**form, "code": f"{REDACTED} (invalid on purpose)", "code_verifier": REDACTED}
    return _token_step(ctx, Step.TOKEN_ENDPOINT, form, shown)


def refresh(ctx: FlowContext) -> StepResult:
    form = {"grant_type": "refresh_token", "refresh_token": invalid_value("refresh-token"),
            "client_id": ctx.probe_client_id(),
            "resource": canonical_resource(ctx.server_url)}
    shown = {**form, "refresh_token": f"{REDACTED} (invalid on purpose)"}
    step = _token_step(ctx, Step.TOKEN_REFRESH, form, shown)
    step.notes.append("a real refresh token is never sent: refresh tokens rotate, and using one "
                      "would log the user out of their client")
    return step
