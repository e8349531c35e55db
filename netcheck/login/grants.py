"""Steps ``token_endpoint`` (the code exchange), ``token_refresh`` and ``token_revocation`` of
a real login. Each request goes through every hop; what comes back is held, never shown."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from netcheck.hops.http import HttpRequest
from netcheck.login.session import LoginSession
from netcheck.login.tokens import audiences, jwt_claims, token_summary
from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult, skipped
from netcheck.net.http1 import HttpResponse
from netcheck.oauth.documents import DocumentProblem, json_object, oauth_failed, oauth_ok
from netcheck.oauth.endpoints import judge_token
from netcheck.pipeline import OAUTH_ORDER, probe
from netcheck.redaction import REDACTED, Secret

SECRET_FIELDS = ("code", "code_verifier", "refresh_token", "client_secret", "token")


def _post(session: LoginSession, step: Step, url: str, form: dict[str, str],
          headers: list[tuple[str, str | Secret]]) -> tuple[StepResult, HttpResponse | None]:
    shown = {k: (REDACTED if k in SECRET_FIELDS else v) for k, v in form.items()}
    request = HttpRequest("POST", url, [
        ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
        *headers], urlencode(form).encode(), shown_body=urlencode(shown))
    ctx = session.ctx
    result = probe(step, request, judge_token(url), ctx.prepared, ctx.run, ctx.observer,
                   date_skew_s=ctx.date_skew_s)
    return result.step, result.response if result.step.ok else None


def _token_answer(response: HttpResponse, what: str) -> dict[str, Any]:
    if 300 <= response.status < 400:
        raise DocumentProblem(Code.OAUTH_NOT_OAUTH_RESPONSE,
                              f"the token endpoint redirects ({response.status}) instead of "
                              f"answering {what}: an SSO portal or proxy intercepts API calls",
                              "ask IT to exempt the token endpoint from browser-style login "
                              "redirects")
    return json_object(response, "token endpoint's answer", Code.OAUTH_NOT_OAUTH_RESPONSE)


def _error_said(response: HttpResponse) -> str:
    """An OAuth error answer's ``error: description``, or ""."""
    try:
        doc = json_object(response, "answer")
    except DocumentProblem:
        return ""
    error, description = doc.get("error"), doc.get("error_description")
    return f"{error}{': ' + str(description)[:200] if description else ''}" \
        if isinstance(error, str) else ""


def _refusal(session: LoginSession, doc: dict[str, Any], refresh: bool) -> DocumentProblem:
    error = str(doc.get("error"))
    description = str(doc.get("error_description") or "")
    said = f"{error}{': ' + description[:300] if description else ''}"
    method = session.auth_method()
    if error == "invalid_grant" and refresh:
        return DocumentProblem(
            Code.REFRESH_INVALID_GRANT,
            f"the token endpoint refused the refresh token it issued moments ago ({said}): "
            "the login works, but when the access token expires the client's refresh fails "
            "and the user must log in again (measured: Claude Code then shows 'Needs "
            "authentication', Codex 'OAuth authorization required', mcp-remote opens a new "
            "browser login)",
            "the authorization server's refresh policy is the cause (rotation without grace, "
            "a refresh token bound to something the client does not send, a session "
            "revoked at once): tell its owners")
    if error == "invalid_grant":
        return DocumentProblem(
            Code.TOKEN_INVALID_GRANT,
            f"the token endpoint refused the authorization code ({said})",
            "the code_verifier or redirect_uri differ from the authorization request's, or "
            "the code was used or expired (a proxy, scanner or browser extension that opens "
            "the callback URL first uses it up): check the redirect_uri registered for the "
            "client and run the login again")
    if error in ("invalid_client", "unauthorized_client"):
        how = "sent no client credentials (a public client, 'none')" if method == "none" \
            else f"authenticated with {method}"
        return DocumentProblem(
            Code.TOKEN_INVALID_CLIENT,
            f"the token endpoint refused the client ({said}); the client {how}",
            "the token endpoint wants client authentication this client does not do: have "
            "the client registered as a public client (token_endpoint_auth_method 'none'), or "
            "give the client its secret (Claude Code: claude mcp add --client-secret); the "
            "server's token_endpoint_auth_methods_supported should say what it wants")
    if error == "invalid_target":
        slash = session.resource.endswith("/")
        return DocumentProblem(
            Code.TOKEN_INVALID_TARGET,
            f"the token endpoint refused the resource {session.resource!r} ({said})"
            + ("; it ends in a slash, which identity providers such as Entra ID refuse "
               "(AADSTS9010010)" if slash else ""),
            "the resource must be the MCP server's identifier as the authorization server "
            "knows it: " + ("have the protected-resource metadata's resource (or the URL "
                            "configured in the client) written without the trailing slash"
                            if slash else "ask the server's owners which resource to use"))
    return DocumentProblem(Code.TOKEN_REFUSED, f"the token endpoint refused the request ({said})",
                           "see the error description; the server's owners can tell why")


def _take_tokens(session: LoginSession, doc: dict[str, Any]) -> dict[str, Any]:
    access = doc.get("access_token")
    if not isinstance(access, str) or not access:
        raise DocumentProblem(Code.OAUTH_MISSING_FIELD,
                              "the token endpoint answered without an access_token",
                              "the token endpoint is broken: tell its owners")
    session.held.keep("access_token", access)
    refresh = doc.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        session.held.keep("refresh_token", refresh)
    for name in ("id_token",):
        if isinstance(doc.get(name), str):
            session.held.redactor.add(doc[name])
    details = token_summary(doc)
    session.claims = jwt_claims(access)
    details["access_token_claims"] = session.claims
    details["resource_sent"] = session.resource
    return details


def exchange(session: LoginSession) -> StepResult:
    """The authorization code for tokens."""
    ctx, held = session.ctx, session.held
    endpoint = str((ctx.as_metadata or {})["token_endpoint"])
    form = {"grant_type": "authorization_code", "code": held.code or "",
            "code_verifier": held.verifier or "", "redirect_uri": ctx.redirect_uri,
            "resource": session.resource}
    headers = session.client_authentication(form)
    step, response = _post(session, Step.TOKEN_ENDPOINT, endpoint, form, headers)
    held.keep("code", None)  # used: a code is good once
    if response is None:
        return step
    details: dict[str, Any] = {"status": response.status, "grant_type": "authorization_code",
                               "client_auth": session.auth_method()}
    try:
        doc = _token_answer(response, "the code exchange")
        if isinstance(doc.get("error"), str):
            details["error"] = doc["error"]
            raise _refusal(session, doc, refresh=False)
        details.update(_take_tokens(session, doc))
    except DocumentProblem as problem:
        return ctx.conclude(step, oauth_failed(problem, details))
    notes = []
    aud = audiences(session.claims)
    if aud and session.resource not in aud:
        notes.append(f"the access token's aud ({', '.join(aud)}) does not name the resource "
                     f"sent ({session.resource}): an MCP server that checks its audience "
                     "refuses it")
    token_type = str(doc.get("token_type") or "")
    if token_type.lower() != "bearer":
        notes.append(f"token_type is {token_type or 'missing'!r}, not Bearer: some clients "
                     "refuse it")
    return ctx.conclude(step, oauth_ok(
        "the code was exchanged for an access token"
        + (" and a refresh token" if details["refresh_token_issued"] else
           " (no refresh token)"), details, notes, warning=bool(notes)))


def refresh(session: LoginSession) -> StepResult:
    """The refresh grant with the refresh token just issued (rotated tokens are held)."""
    ctx, held = session.ctx, session.held
    endpoint = str((ctx.as_metadata or {})["token_endpoint"])
    if not held.refresh_token:
        step = StepResult(step=Step.TOKEN_REFRESH, url=endpoint, hops=[
            skipped(h, "no refresh token was issued") for h in OAUTH_ORDER if h is not Hop.OAUTH])
        return ctx.conclude(step, HopResult(
            hop=Hop.OAUTH, status=Status.WARNING, code=Code.NO_REFRESH_TOKEN,
            message="the token endpoint issued no refresh token: the client cannot renew the "
                    "access token, and the user must log in again when it expires",
            hint="servers issue refresh tokens for the refresh_token grant (and often only "
                 "with a scope such as offline_access): ask the server's owners",
            details={"grant_types_supported": (ctx.as_metadata or {}).get(
                "grant_types_supported")}))
    form = {"grant_type": "refresh_token", "refresh_token": held.refresh_token,
            "resource": session.resource}
    headers = session.client_authentication(form)
    step, response = _post(session, Step.TOKEN_REFRESH, endpoint, form, headers)
    if response is None:
        return step
    details: dict[str, Any] = {"status": response.status, "grant_type": "refresh_token"}
    try:
        doc = _token_answer(response, "the refresh")
        if isinstance(doc.get("error"), str):
            details["error"] = doc["error"]
            raise _refusal(session, doc, refresh=True)
        rotated = isinstance(doc.get("refresh_token"), str)
        details.update(_take_tokens(session, doc))
        details["refresh_token_rotated"] = rotated
    except DocumentProblem as problem:
        if problem.code is Code.REFRESH_INVALID_GRANT:  # the login itself works: a warning
            return ctx.conclude(step, HopResult(
                hop=Hop.OAUTH, status=Status.WARNING, code=problem.code,
                message=problem.message, hint=problem.hint, details=details))
        return ctx.conclude(step, oauth_failed(problem, details))
    return ctx.conclude(step, oauth_ok(
        "the refresh token was exchanged for a new access token"
        + (" (and a new refresh token)" if rotated else ""), details))


def revocation(session: LoginSession) -> StepResult:
    """Revoke the tokens (RFC 7009) where the server offers it, refresh token first."""
    ctx, held = session.ctx, session.held
    endpoint = (ctx.as_metadata or {}).get("revocation_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        step = StepResult(step=Step.TOKEN_REVOCATION, url=None, hops=[
            skipped(h, "no revocation_endpoint") for h in OAUTH_ORDER if h is not Hop.OAUTH])
        return ctx.conclude(step, oauth_ok(
            "the server offers no revocation endpoint (RFC 7009): the tokens netcheck got "
            "stay valid until they expire; netcheck kept them in memory only", {}))
    revoked: list[str] = []
    last: StepResult | None = None
    for hint, token in (("refresh_token", held.refresh_token),
                        ("access_token", held.access_token)):
        if not token:
            continue
        form = {"token": token, "token_type_hint": hint}
        headers = session.client_authentication(form)
        last, response = _post(session, Step.TOKEN_REVOCATION, endpoint, form, headers)
        if response is None:
            return last
        if response.status != 200:
            said = _error_said(response)
            return ctx.conclude(last, oauth_ok(
                f"the revocation endpoint answered {response.status} for the {hint}"
                + (f" ({said})" if said else ""), {
                    "status": response.status, "revoked": revoked}, ["the token may stay "
                    "valid until it expires"], warning=True))
        revoked.append(hint)
    if last is None:
        last = StepResult(step=Step.TOKEN_REVOCATION, url=endpoint, hops=[
            skipped(h, "no token to revoke") for h in OAUTH_ORDER if h is not Hop.OAUTH])
    return ctx.conclude(last, oauth_ok(f"revoked: {', '.join(revoked) or 'nothing'}",
                                       {"revoked": revoked}))
