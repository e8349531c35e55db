"""Step ``client_registration``: how the client gets a client id, probed without creating one.

Order (MCP 2025-11-25): a pre-registered id (``--client-id``); a Client ID Metadata Document
when the authorization server supports it; dynamic client registration (RFC 7591). By default
the DCR probe sends metadata designed to be refused, so a well-formed RFC 7591 error proves the
endpoint works and no client is created. ``--register`` registers for real, reports it, and
deletes the client through RFC 7592 when the server offers that.
"""

from __future__ import annotations

import json
from typing import Any

from netcheck.hops.http import HttpRequest, StatusJudge, error_status
from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult, skipped
from netcheck.net.http1 import HttpResponse
from netcheck.oauth.context import PROBE_MARK, FlowContext
from netcheck.oauth.documents import (
    DocumentProblem,
    json_object,
    oauth_failed,
    oauth_ok,
    string_field,
    string_list,
)
from netcheck.oauth.fetch import fetch_in_order, judge_document
from netcheck.oauth.protected_resource import metadata_request
from netcheck.pipeline import OAUTH_ORDER
from netcheck.redaction import Secret

CHECK_CLIENT_NAME = "netcheck connectivity check - safe to delete"


def _no_request_step(ctx: FlowContext, hop: HopResult, why: str) -> StepResult:
    step = StepResult(step=Step.CLIENT_REGISTRATION, url=None,
                      hops=[skipped(h, why) for h in OAUTH_ORDER if h is not Hop.OAUTH])
    return ctx.conclude(step, hop)


def uses_cimd(ctx: FlowContext) -> bool:
    """Whether the profile's client gets its client id from a Client ID Metadata Document at
    this server: the server supports them, the client uses them, and, for a client that
    needs it, the server takes public clients ("none" among its token endpoint auth
    methods: Codex)."""
    meta = ctx.as_metadata or {}
    rules = ctx.prepared.settings.profile.oauth
    if meta.get("client_id_metadata_document_supported") is not True or \
            not rules.uses_client_metadata_documents:
        return False
    methods = meta.get("token_endpoint_auth_methods_supported")
    return not rules.cimd_needs_public_client or (isinstance(methods, list) and
                                                  "none" in methods)


def known_client(ctx: FlowContext) -> None:
    """Set the client id the later requests carry when it is known without a request: a
    pre-registered id, or the document URL of a Client ID Metadata Document the server
    supports (if that document fails to validate, this step fails and the later steps are
    not run). Otherwise they carry netcheck's probe id."""
    meta = ctx.as_metadata or {}
    if ctx.options.client_id:
        ctx.client_id, ctx.client_is_real = ctx.options.client_id, True
    elif ctx.options.client_metadata_url and \
            meta.get("client_id_metadata_document_supported") is True:
        ctx.client_id, ctx.client_is_real = ctx.options.client_metadata_url, True


def run(ctx: FlowContext) -> StepResult:
    meta = ctx.as_metadata or {}
    if ctx.options.client_id:
        ctx.client_id, ctx.client_is_real = ctx.options.client_id, True
        return _no_request_step(ctx, oauth_ok(
            f"pre-registered client id {ctx.options.client_id}: nothing to probe",
            {"method": "pre-registered"}), "a pre-registered client needs no request")
    advertised = meta.get("client_id_metadata_document_supported") is True
    cimd = uses_cimd(ctx)
    label = ctx.prepared.settings.profile.label
    if advertised and ctx.options.client_metadata_url:  # a document the user names (their
        # application's, or mcp-remote's --client-metadata-url)
        return _client_metadata_document(ctx, ctx.options.client_metadata_url)
    endpoint = meta.get("registration_endpoint")
    if cimd and ctx.prepared.settings.profile.oauth.cimd_needs_public_client:
        return _no_request_step(ctx, oauth_ok(
            f"the server supports Client ID Metadata Documents and public clients: {label} "
            "uses its own document URL as client id, before registration", {
                "method": "client_id_metadata_document"}), "the client's own document")
    if isinstance(endpoint, str) and endpoint:
        step = _register(ctx, endpoint) if ctx.options.register else _probe(ctx, endpoint)
        if cimd:
            step.notes.append("the server also supports Client ID Metadata Documents, which "
                              "clients prefer: pass --client-metadata-url to check yours")
        return step
    if cimd:
        return _no_request_step(ctx, oauth_ok(
            "the server supports Client ID Metadata Documents; the client uses its own "
            "document URL as client id (pass --client-metadata-url to check it)",
            {"method": "client_id_metadata_document"}), "no document URL given")
    unused = (f"; it supports Client ID Metadata Documents, but {label} does not use them"
              + (" with a server that takes no public clients (no 'none' among its "
                 "token_endpoint_auth_methods_supported)"
                 if ctx.prepared.settings.profile.oauth.uses_client_metadata_documents else "")
              if advertised else " and no Client ID Metadata Document support")
    return _no_request_step(ctx, oauth_failed(DocumentProblem(
        Code.OAUTH_NO_REGISTRATION,
        "the authorization server offers no way for the client to get a client id: no "
        f"registration_endpoint{unused} (some clients then POST to /register anyway and "
        "fail)",
        "pre-register a client with the server's owners and pass its id with --client-id "
        "(Claude Code: the server's oauth.clientId)"), {"method": None}),
        "no registration path to probe")


def _client_metadata_document(ctx: FlowContext, url: str) -> StepResult:
    fetched = fetch_in_order(ctx, Step.CLIENT_REGISTRATION, [url], metadata_request,
                             judge_document, move_on=lambda status: False)
    step = fetched.step
    if fetched.response is None:
        return step
    what = "client metadata document"
    details: dict[str, Any] = {"method": "client_id_metadata_document", "document_url": url}
    try:
        doc = json_object(fetched.response, what)
        client_id = string_field(doc, "client_id", what)
        string_field(doc, "client_name", what)
        uris = string_list(doc, "redirect_uris", what, required=True) or []
        details.update({"client_id": client_id, "redirect_uris": uris})
        if client_id != url:
            raise DocumentProblem(Code.OAUTH_CLIENT_METADATA_INVALID,
                                  f"the document's client_id {client_id} is not its own URL "
                                  f"{url}; authorization servers reject it",
                                  "set client_id to the document's exact URL")
        if not uris:
            raise DocumentProblem(Code.OAUTH_CLIENT_METADATA_INVALID,
                                  "the document lists no redirect_uris")
    except DocumentProblem as problem:
        return ctx.conclude(step, oauth_failed(problem, details))
    ctx.client_id, ctx.client_is_real = url, True
    return ctx.conclude(step, oauth_ok(f"client metadata document valid (client_id {url})",
                                       details))


def _judge_registration(url: str) -> StatusJudge:
    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        if response.status in (200, 201, 400, 401, 403):
            return HopResult(hop=Hop.HTTP, status=Status.OK, details=details,
                             message=f"{response.status} {response.reason}".strip())
        return error_status(response, url, details, "the registration request")
    return judge


def _post_json(url: str, body: dict[str, Any]) -> HttpRequest:
    text = json.dumps(body)
    return HttpRequest("POST", url, [("Content-Type", "application/json"),
                                     ("Accept", "application/json")], text.encode(),
                       shown_body=text)


def _send(ctx: FlowContext, endpoint: str, body: dict[str, Any],
          note: str) -> tuple[StepResult, HttpResponse | None, dict[str, Any]]:
    """POST a registration request through the pipeline; the answer's status is judged by
    the caller (401/403 are answered here: registration is closed)."""
    fetched = fetch_in_order(ctx, Step.CLIENT_REGISTRATION, [endpoint],
                             lambda url: _post_json(url, body), _judge_registration,
                             move_on=lambda status: False)
    step = fetched.step
    step.notes.append(note)
    response = fetched.response
    details: dict[str, Any] = {"method": "dynamic_client_registration", "endpoint": endpoint,
                               "status": response.status if response is not None else None}
    if response is not None and response.status in (401, 403):
        ctx.conclude(step, _refused(response, details))
        return step, None, details
    return step, response, details


def _probe(ctx: FlowContext, endpoint: str) -> StepResult:
    body = {"client_name": f"{PROBE_MARK}: connectivity probe, invalid on purpose",
            "redirect_uris": f"{PROBE_MARK}-not-a-list",
            "grant_types": [f"{PROBE_MARK}-grant"], "token_endpoint_auth_method": "none"}
    step, response, details = _send(
        ctx, endpoint, body, "probe only: the registration request was invalid on purpose, so "
        "no client is created (use --register for a real registration)")
    if response is None:
        return step
    try:
        doc = json_object(response, "registration answer", Code.OAUTH_NOT_OAUTH_RESPONSE)
    except DocumentProblem as problem:
        return ctx.conclude(step, oauth_failed(problem, details))
    if response.status == 400:
        error = doc.get("error")
        if not isinstance(error, str):
            return ctx.conclude(step, oauth_failed(DocumentProblem(
                Code.OAUTH_NOT_OAUTH_RESPONSE,
                "the registration endpoint answered 400 without an RFC 7591 'error' field",
                "the endpoint may not be an OAuth registration endpoint"), details))
        details["error"] = error
        return ctx.conclude(step, oauth_ok(
            f"the endpoint speaks RFC 7591: it refused the deliberately invalid metadata with "
            f"'{error}'", details))
    # 200/201: the server registered even invalid metadata
    _learn_secrets(ctx, doc)
    details["client_id"] = doc.get("client_id")
    deleted = delete(ctx, doc)
    details["deleted"] = deleted
    return ctx.conclude(step, oauth_ok(
        "the server registered a client even for invalid metadata (it validates nothing)",
        details, [f"client {doc.get('client_id')} was created by the probe; deletion: "
                  f"{deleted}"], warning=True))


def _refused(response: HttpResponse, details: dict[str, Any]) -> HopResult:
    return oauth_failed(DocumentProblem(
        Code.OAUTH_REGISTRATION_REFUSED,
        f"the registration endpoint answered {response.status}: it needs an initial access "
        "token or is closed, so MCP clients cannot register themselves",
        "pre-register a client with the server's owners and pass its id with --client-id "
        "(Claude Code: the server's oauth.clientId)"), details)


def _learn_secrets(ctx: FlowContext, doc: dict[str, Any]) -> None:
    for name in ("client_secret", "registration_access_token"):
        value = doc.get(name)
        if isinstance(value, str):
            ctx.redactor.add(value)


def _register(ctx: FlowContext, endpoint: str) -> StepResult:
    body: dict[str, Any] = {"client_name": CHECK_CLIENT_NAME,
                            "redirect_uris": [ctx.redirect_uri],
                            "grant_types": ["authorization_code", "refresh_token"],
                            "response_types": ["code"], "token_endpoint_auth_method": "none"}
    if ctx.scope:
        body["scope"] = ctx.scope
    step, response, details = _send(ctx, endpoint, body,
                                    "netcheck login: a real registration, for the login"
                                    if ctx.options.keep_registration else
                                    "--register: a real registration was requested")
    if response is None:
        return step
    try:
        doc = json_object(response, "registration answer", Code.OAUTH_NOT_OAUTH_RESPONSE)
        if response.status == 400:
            raise DocumentProblem(Code.OAUTH_REGISTRATION_REFUSED,
                                  f"the server refused a well-formed registration: "
                                  f"{doc.get('error')}: {doc.get('error_description')}",
                                  "ask the server's owners which client metadata they accept")
        client_id = string_field(doc, "client_id", "registration answer")
    except DocumentProblem as problem:
        return ctx.conclude(step, oauth_failed(problem, details))
    _learn_secrets(ctx, doc)
    ctx.client_id, ctx.client_is_real = client_id, True
    details["client_id"] = client_id
    details["client_secret_issued"] = isinstance(doc.get("client_secret"), str)
    if ctx.options.keep_registration:  # netcheck login: deleted when the login ends
        ctx.registration = doc
        return ctx.conclude(step, oauth_ok(f"registered client {client_id}", details,
                                           ["netcheck login: the client is deleted again "
                                            "when the login ends, where the server allows"]))
    deleted = delete(ctx, doc)
    details["deleted"] = deleted
    note = (f"client {client_id} deleted again (RFC 7592)" if deleted == "deleted" else
            f"client {client_id} remains registered ({deleted}); ask the server's owners to "
            "delete it if needed")
    return ctx.conclude(step, oauth_ok(f"registered client {client_id}", details, [note]))


def delete(ctx: FlowContext, doc: dict[str, Any]) -> str:
    """Delete a registered client through RFC 7592, when the server offers it."""
    from netcheck.pipeline import probe

    uri, token = doc.get("registration_client_uri"), doc.get("registration_access_token")
    if not isinstance(uri, str) or not isinstance(token, str):
        return "not offered by the server (no RFC 7592 registration_client_uri)"
    request = HttpRequest("DELETE", uri, [("Authorization", Secret(f"Bearer {token}"))])

    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        ok = response.status in (200, 204)
        return HopResult(hop=Hop.HTTP, status=Status.OK if ok else Status.WARNING,
                         details=details, message=f"{response.status}")

    result = probe(Step.CLIENT_REGISTRATION, request, judge, ctx.prepared, ctx.run)
    if result.response is not None and result.response.status in (200, 204):
        return "deleted"
    failure = result.step.first_failure()
    status = result.response.status if result.response is not None else None
    return f"delete failed ({failure.message if failure else status})"
