"""Step ``protected_resource_metadata`` (RFC 9728): where the MCP server's authorization
server is."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from netcheck.hops.http import PROTOCOL_VERSION, HttpRequest
from netcheck.model import Code, Hop, Status, Step, StepResult
from netcheck.oauth.context import FlowContext
from netcheck.oauth.discovery import protected_resource_metadata_urls
from netcheck.oauth.documents import (
    DocumentProblem,
    endpoint_url,
    json_object,
    oauth_failed,
    oauth_ok,
    string_field,
    string_list,
)
from netcheck.oauth.fetch import fetch_in_order, judge_document
from netcheck.profiles import Reaction
from netcheck.proxy.models import is_http_url

WHAT = "protected resource metadata"


def metadata_request(url: str) -> HttpRequest:
    return HttpRequest("GET", url, [("Accept", "application/json"),
                                    ("MCP-Protocol-Version", PROTOCOL_VERSION)])


def resource_matches(resource: str, server_url: str, slash_strict: bool = False) -> bool:
    """Same origin, and the server's path starts with the resource's path. ``slash_strict``:
    the resource's path may not be longer than the server's, so ``/mcp/`` is not a prefix of
    ``/mcp`` (Claude Code, Codex, mcp-remote: measured, notes/login.md, resource-slash)."""
    if not is_http_url(resource):
        return False
    a, b = urlsplit(resource), urlsplit(server_url)
    if (a.scheme.lower(), (a.hostname or "").lower(), a.port) != \
            (b.scheme.lower(), (b.hostname or "").lower(), b.port):
        return False
    if slash_strict and len(b.path or "/") < len(a.path or "/"):
        return False
    prefix = a.path.rstrip("/")
    return b.path == prefix or b.path.startswith(prefix + "/") or not prefix


def _without_metadata(ctx: FlowContext, step: StepResult, refused: str | None
                      ) -> StepResult | None:
    """A client that falls back to the MCP server's origin when there is no usable metadata
    (every URL answered 4xx, or ``refused``: the document was for another resource): the
    step warns and the next one looks for the authorization server's metadata there. None
    when the profile's client stops here instead, or the failure was not an answer."""
    profile = ctx.prepared.settings.profile
    if not profile.oauth.falls_back_to_mcp_origin:
        return None
    failure = step.first_failure()
    if refused is None and (failure is None or failure.hop is not Hop.HTTP or
                            not all(a["status"] is not None and 400 <= a["status"] < 500
                                    for a in step.attempts)):
        return None  # a network failure or a 5xx: the client stops as every client does
    why = refused or (failure.message if failure else "no protected-resource metadata")
    message = (f"{why}; {profile.label} then takes the MCP server's origin as its "
               "authorization server (as 2025-03-26 clients did) and looks for its metadata "
               "there")
    fix = ("publish protected-resource metadata (RFC 9728) naming the authorization server, "
           "as the MCP authorization specification requires; clients without this fallback "
           "stop here")
    step.hops = [replace(h, status=Status.WARNING, code=None, message=message, hint=None)
                 if h is failure else h for h in step.hops if h.hop is not Hop.OAUTH]
    ctx.issuer, ctx.issuer_from_mcp_origin = None, True
    return ctx.conclude(step, oauth_ok(f"no usable metadata: {profile.label} falls back to "
                                       "the MCP server's origin", {"document_url": step.url},
                                       [f"{message}. Fix: {fix}"], warning=True))


def run(ctx: FlowContext) -> StepResult:
    hinted = (ctx.challenge or {}).get("resource_metadata")
    unusable = hinted if hinted and not is_http_url(hinted) else None
    if unusable:
        hinted = None  # the SDKs drop a resource_metadata that is not a URL and fall back
    profile = ctx.prepared.settings.profile
    urls = protected_resource_metadata_urls(ctx.server_url, hinted,
                                            profile.oauth.prm_path_appended,
                                            profile.oauth.prm_path_inserted)
    fetched = fetch_in_order(ctx, Step.PROTECTED_RESOURCE_METADATA, urls, metadata_request,
                             judge_document, move_on=lambda status: 300 <= status < 500)
    step = fetched.step
    if unusable:
        step.notes.append(f"the 401 challenge's resource_metadata {unusable!r} is not a usable "
                          "URL (the server's WWW-Authenticate header is malformed); like the "
                          "MCP SDKs, netcheck ignored it and tried the well-known URLs")
    elif not hinted:
        step.notes.append("the 401 challenge named no resource_metadata; the well-known URLs "
                          "were tried in the spec's order")
    if fetched.response is None:
        return _without_metadata(ctx, step, None) or step
    details: dict[str, object] = {"document_url": step.url}
    try:
        doc = json_object(fetched.response, WHAT)
        servers = string_list(doc, "authorization_servers", WHAT, required=True) or []
        if not servers:
            raise DocumentProblem(Code.OAUTH_MISSING_FIELD,
                                  f"'authorization_servers' in the {WHAT} is empty",
                                  "the server's metadata must name its authorization server")
        resource = string_field(doc, "resource", WHAT)
        details.update({"resource": resource, "authorization_servers": servers,
                        "scopes_supported": doc.get("scopes_supported")})
        if not resource_matches(resource, ctx.server_url,
                                profile.oauth.prm_resource_slash_strict):
            raise DocumentProblem(
                Code.OAUTH_RESOURCE_MISMATCH,
                f"the metadata is for resource {resource}, not for {ctx.server_url}: clients "
                "reject it (then some fall back to /register on the MCP host, which 404s)",
                "the server's PRM 'resource' must be its own URL (same origin, a path prefix "
                "of the MCP endpoint)")
        for server in servers:
            endpoint_url(server, "authorization server")
    except DocumentProblem as problem:
        if problem.code is Code.OAUTH_RESOURCE_MISMATCH and \
                profile.oauth.prm_resource_mismatch is Reaction.GOES_ON:
            fallen = _without_metadata(ctx, step, problem.message)
            if fallen is not None:
                return fallen
        return ctx.conclude(step, oauth_failed(problem, details))
    ctx.resource_metadata = doc
    ctx.issuer = servers[0]
    notes = []
    if len(servers) > 1:
        notes.append(f"{len(servers)} authorization servers listed; clients take the first "
                     f"({servers[0]})")
    return ctx.conclude(step, oauth_ok(f"authorization server {servers[0]} for resource "
                                       f"{resource}", details, notes))
