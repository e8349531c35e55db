"""Step ``authorized_request``: the MCP server called with the access token, as the client
calls it after the login: initialize, notifications/initialized, tools/list."""

from __future__ import annotations

import json
from typing import Any

from netcheck.hops.http import (
    PROTOCOL_VERSION,
    HttpRequest,
    StatusJudge,
    bearer_challenge,
    error_status,
)
from netcheck.hops.http import initialize as initialize_request
from netcheck.login.session import LoginSession
from netcheck.login.tokens import audiences
from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult
from netcheck.net.http1 import HttpResponse
from netcheck.net.mcp_messages import read_answer
from netcheck.oauth.documents import DocumentProblem, oauth_failed, oauth_ok
from netcheck.pipeline import probe
from netcheck.redaction import Secret


def _judge(url: str) -> StatusJudge:
    """Any 2xx, 401 or 403 is an answer to judge with the token in mind; 404, 405 or 5xx
    fail the http hop."""
    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        said = f"{response.status} {response.reason}".strip()
        if 200 <= response.status < 300 or response.status in (401, 403):
            return HopResult(hop=Hop.HTTP, status=Status.OK, details=details, message=said)
        return error_status(response, url, details, "the request with the token")
    return judge


def _rpc(url: str, headers: list[tuple[str, str | Secret]], method: str, rpc_id: int | None,
         params: dict[str, Any] | None = None) -> HttpRequest:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if rpc_id is not None:
        message["id"] = rpc_id
    if params is not None:
        message["params"] = params
    body = json.dumps(message)
    return HttpRequest("POST", url, [("Accept", "application/json, text/event-stream"),
                                     ("Content-Type", "application/json"), *headers],
                       body.encode(), shown_body=body)


def call(session: LoginSession) -> StepResult:
    ctx = session.ctx
    url = ctx.server_url
    # the configured headers, the token in place of any Authorization among them
    secret_headers = [(k, v) for k, v in ctx.prepared.settings.headers
                      if k.lower() != "authorization"]
    secret_headers.append(("Authorization",
                           Secret(f"Bearer {session.held.access_token or ''}")))
    headers: list[tuple[str, str | Secret]] = list(secret_headers)
    first = probe(Step.AUTHORIZED_REQUEST, initialize_request(url, secret_headers),
                  _judge(url), ctx.prepared, ctx.run, ctx.observer, date_skew_s=ctx.date_skew_s)
    step, response = first.step, first.response
    if response is None or not step.ok:
        return step
    details: dict[str, Any] = {"status": response.status, "resource_sent": session.resource,
                               "access_token_aud": audiences(session.claims) or None}
    if response.status in (401, 403):
        return ctx.conclude(step, oauth_failed(_refused(session, response, details), details))
    answer = read_answer(response.content_type, response.body)
    result = (answer.message or {}).get("result")
    if answer.problem is not None or not isinstance(result, dict):
        why = answer.problem or f"a JSON-RPC error: {answer.error}"
        return ctx.conclude(step, oauth_failed(DocumentProblem(
            Code.HTTP_NOT_MCP, f"with the token, the server answered initialize with {why}",
            "the server accepted the token but did not answer as an MCP server: tell its "
            "owners"), details))
    given = result.get("serverInfo")
    info: dict[str, Any] = given if isinstance(given, dict) else {}
    details["server_name"] = info.get("name")
    details["server_version"] = info.get("version")
    details["protocol_version"] = result.get("protocolVersion")
    session_id = response.header("mcp-session-id")
    if session_id:
        session.held.redactor.add(session_id)
        headers.append(("Mcp-Session-Id", Secret(session_id)))
    version = str(result.get("protocolVersion") or PROTOCOL_VERSION)
    headers.append(("MCP-Protocol-Version", version))
    probe(Step.AUTHORIZED_REQUEST, _rpc(url, headers, "notifications/initialized", None),
          _judge(url), ctx.prepared, ctx.run)
    listed = probe(Step.AUTHORIZED_REQUEST, _rpc(url, headers, "tools/list", 2, {}),
                   _judge(url), ctx.prepared, ctx.run)
    tools = _tools(listed.response)
    if tools is None:
        failure = listed.step.first_failure()
        why = failure.message if failure is not None else \
            f"answered {listed.response.status if listed.response else 'nothing'}"
        return ctx.conclude(step, oauth_failed(DocumentProblem(
            Code.HTTP_MCP_ERROR, f"initialize worked with the token, but tools/list did not "
            f"({why})", "the server's owners can tell why from its logs"), details))
    details["tools"] = len(tools)
    name = details["server_name"] or "the MCP server"
    return ctx.conclude(step, oauth_ok(
        f"{name} accepted the token: initialize and tools/list answered ({len(tools)} "
        f"tool{'s' if len(tools) != 1 else ''})", details))


def _tools(response: HttpResponse | None) -> list[Any] | None:
    if response is None or not 200 <= response.status < 300:
        return None
    result = (read_answer(response.content_type, response.body).message or {}).get("result")
    tools = result.get("tools") if isinstance(result, dict) else None
    return tools if isinstance(tools, list) else None


def _refused(session: LoginSession, response: HttpResponse,
             details: dict[str, Any]) -> DocumentProblem:
    challenge = bearer_challenge(response) or {}
    error = challenge.get("error", "")
    description = challenge.get("error_description", "")
    quoted = response.header("www-authenticate") or "no WWW-Authenticate header"
    details["www_authenticate"] = quoted[:400]
    said = f"{error}{': ' + description if description else ''}" or "no error given"
    aud = audiences(session.claims)
    if response.status == 403 or error == "insufficient_scope":
        return DocumentProblem(
            Code.TOKEN_INSUFFICIENT_SCOPE,
            f"the MCP server refused the token with {response.status} ({said}): it lacks a "
            f"scope the server wants ({challenge.get('scope') or 'not named'})",
            "the client asks for the scopes in the challenge or the metadata's "
            "scopes_supported: have the server name the scopes it needs, or grant them")
    if (aud and session.resource not in aud) or "aud" in description.lower():
        return DocumentProblem(
            Code.TOKEN_AUDIENCE_MISMATCH,
            f"the MCP server refused the token ({said}): the token's audience "
            f"({', '.join(aud) or 'not in the token'}) is not this server "
            f"({session.resource}, the resource sent)",
            "the authorization server must issue tokens for the resource the client sends "
            "(RFC 8707): its owners must honour the resource parameter, or map this MCP "
            "server's URL to the audience it expects")
    return DocumentProblem(
        Code.TOKEN_REJECTED_BY_SERVER,
        f"the MCP server refused the token it should accept ({said}; WWW-Authenticate: "
        f"{quoted[:200]})",
        "the authorization server issued a token this MCP server does not trust: compare the "
        "token's claims in the report (aud, iss, scope) with what the server expects, with "
        "its owners")
