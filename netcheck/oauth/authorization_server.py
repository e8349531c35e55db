"""Step ``authorization_server_metadata`` (RFC 8414 / OpenID Connect discovery)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from netcheck.model import Code, Hop, Status, Step, StepResult
from netcheck.oauth.context import FlowContext
from netcheck.oauth.discovery import authorization_server_metadata_urls, mcp_origin_metadata_urls
from netcheck.oauth.documents import (
    DocumentProblem,
    endpoint_url,
    json_object,
    oauth_failed,
    oauth_ok,
    string_field,
    string_list,
)
from netcheck.oauth.fetch import Fetched, fetch_in_order, judge_document
from netcheck.oauth.protected_resource import metadata_request
from netcheck.opening import open_ahead
from netcheck.profiles import Profile, Reaction, clients_that_stop

WHAT = "authorization server metadata"


SIDE_BY_SIDE_REQUESTS = 4  # registration, authorization, token, refresh


def issuers_match(a: str, b: str, slash_tolerant: bool = False) -> bool:
    """Simple string comparison (RFC 8414 3.3), as the MCP Python SDK 2.3.0 makes it: a
    missing trailing slash is a mismatch (measured), except for clients that tolerate it
    (Codex, mcp-remote)."""
    return a == b or (slash_tolerant and a.rstrip("/") == b.rstrip("/"))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or \
        {"https": 443, "http": 80}.get(parts.scheme.lower())


def _default_endpoints(ctx: FlowContext, step: StepResult) -> StepResult | None:
    """No metadata on the MCP server's origin either: a client that then takes /authorize,
    /token and /register there (Codex) goes on with those (a warning); None otherwise."""
    rules = ctx.prepared.settings.profile.oauth
    if not (ctx.issuer_from_mcp_origin and rules.default_endpoints_on_origin) or \
            not step.attempts or not all(a["status"] is not None and 400 <= a["status"] < 500
                                         for a in step.attempts):
        return None
    parts = urlsplit(ctx.server_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    doc = {"issuer": origin, "authorization_endpoint": f"{origin}/authorize",
           "token_endpoint": f"{origin}/token", "registration_endpoint": f"{origin}/register"}
    failure = step.first_failure()
    label = ctx.prepared.settings.profile.label
    message = (f"no authorization server metadata on the MCP server's origin either; {label} "
               f"then uses {origin}/authorize, /token and /register there")
    step.hops = [replace(h, status=Status.WARNING, code=None, message=message, hint=None)
                 if h is failure else h for h in step.hops if h.hop is not Hop.OAUTH]
    ctx.as_metadata = doc
    return ctx.conclude(step, oauth_ok(
        f"no metadata: {label} assumes the default endpoints on {origin}", {
            "document_url": None, **doc, "registration_endpoint": doc["registration_endpoint"]},
        [f"{message}. Fix: publish protected-resource and authorization server metadata "
         "(RFC 9728, RFC 8414); clients without this fallback stop earlier"], warning=True))


def deviation(profile: Profile, rule: str, code: Code, what: str, fix: str) -> str:
    """A deviation from the specification: a :class:`DocumentProblem` where the profile's
    client refuses it, else the warning to note (naming the clients that do refuse it)."""
    stoppers = clients_that_stop(rule)
    if getattr(profile.oauth, rule) is Reaction.STOPS:
        others = [c for c in stoppers if c != profile.label]
        also = f" ({', '.join(others)} too)" if others else ""
        raise DocumentProblem(code, f"{what}; {profile.label} stops here{also}", fix)
    refused = (f"; {', '.join(stoppers)} refuse{'s' if len(stoppers) == 1 else ''} it"
               if stoppers else "")
    return f"{what}; {profile.label} goes on regardless{refused}. Fix: {fix}"


def _plain_http(profile: Profile, field: str, url: str) -> list[str]:
    """An endpoint must be https; loopback http is a development setup (a note)."""
    try:
        if not endpoint_url(url, field):
            return []
    except DocumentProblem as problem:
        if problem.code is not Code.OAUTH_INSECURE_ENDPOINT:
            raise
        return [deviation(profile, "insecure_endpoint", problem.code,
                          f"{field} {url} is plain http: the MCP authorization specification "
                          "requires https (the authorization code and tokens cross it)",
                          "serve the endpoint over https")]
    return [f"{field} is plain http on loopback (development setups only)"]


def _from_issuer(ctx: FlowContext, issuer: str) -> Fetched:
    """The metadata fetched again from the issuer a document names (Gemini CLI's way)."""
    return fetch_in_order(ctx, Step.AUTHORIZATION_SERVER_METADATA,
                          authorization_server_metadata_urls(issuer), metadata_request,
                          judge_document, move_on=lambda status: 300 <= status < 500)


def _endpoint_origin(profile: Profile, doc: dict[str, Any], issuer: str) -> list[str]:
    """An authorization endpoint on another origin than the issuer's: a mix-up risk unless
    the server binds the callback to its issuer (``iss``, RFC 9207)."""
    endpoint = str(doc.get("authorization_endpoint"))
    if _origin(endpoint) == _origin(issuer) or \
            doc.get("authorization_response_iss_parameter_supported") is True:
        return []
    return [deviation(profile, "authorization_endpoint_other_origin",
                      Code.OAUTH_ENDPOINT_OTHER_ORIGIN,
                      f"the authorization endpoint {endpoint} is not on the issuer's origin "
                      f"({issuer}) and the server does not send iss with the callback "
                      "(authorization_response_iss_parameter_supported), so a client cannot "
                      "tell its callback from another server's (RFC 9207)",
                      "serve the authorization endpoint on the issuer's origin, or advertise "
                      "authorization_response_iss_parameter_supported: true and send iss")]


OPENID_FIELDS = ("jwks_uri", "subject_types_supported", "id_token_signing_alg_values_supported")


def _openid_fields(profile: Profile, doc: dict[str, Any], url: str) -> list[str]:
    """A document found at an OpenID configuration URL, read as OpenID provider metadata."""
    if "/.well-known/openid-configuration" not in urlsplit(url).path:
        return []
    missing = [f for f in OPENID_FIELDS if f not in doc]
    if not missing:
        return []
    what = (f"the metadata was found at an OpenID configuration URL but lacks the OpenID "
            f"provider fields {', '.join(missing)}")
    fix = ("serve the document at /.well-known/oauth-authorization-server (RFC 8414), or "
           "complete its OpenID fields")
    if profile.oauth.openid_fields_required:
        raise DocumentProblem(Code.OAUTH_MISSING_FIELD,
                              f"{what}; {profile.label} validates it as OpenID provider "
                              "metadata and stops", fix)
    return [f"{what}; {profile.label} does not need them, clients that validate OpenID "
            f"metadata stop here. Fix: {fix}"]


def run(ctx: FlowContext) -> StepResult:
    explicit = ctx.options.auth_server_metadata_url
    if explicit:
        urls = [explicit]
    elif ctx.issuer_from_mcp_origin:
        urls = mcp_origin_metadata_urls(ctx.server_url)
    else:
        assert ctx.issuer is not None
        urls = authorization_server_metadata_urls(ctx.issuer)
    # its endpoints are usually on its own origin: registration, authorization, token and
    # refresh go out side by side once the metadata is in. The metadata request takes the
    # first of these connections and leaves it for the authorization request; the other
    # three are ready for the rest when the metadata arrives
    open_ahead(urls[0], Step.AUTHORIZATION_SERVER_METADATA, SIDE_BY_SIDE_REQUESTS,
               ctx.prepared, ctx.run)
    fetched = fetch_in_order(ctx, Step.AUTHORIZATION_SERVER_METADATA, urls, metadata_request,
                             judge_document, move_on=lambda status: 300 <= status < 500)
    step = fetched.step
    if explicit:
        step.notes.append("discovery skipped: --auth-server-metadata (Claude Code's "
                          "oauth.authServerMetadataUrl) names the document")
    if fetched.response is None:
        return _default_endpoints(ctx, step) or step
    if ctx.issuer_from_mcp_origin:
        step.notes.append("found on the MCP server's origin, which the client took as its "
                          "authorization server (no protected-resource metadata named one)")
    details: dict[str, Any] = {"document_url": step.url, "expected_issuer": ctx.issuer}
    notes: list[str] = []
    profile = ctx.prepared.settings.profile
    try:
        doc = json_object(fetched.response, WHAT)
        issuer = string_field(doc, "issuer", WHAT)
        details["issuer"] = issuer
        if profile.oauth.refetches_from_issuer and ctx.issuer is not None and \
                issuer != ctx.issuer:
            again = _from_issuer(ctx, issuer)
            if again.response is None:
                again.step.notes.append(
                    f"{profile.label} does not compare the issuer: it fetches the metadata "
                    f"again from the one the document names ({issuer}), and that failed")
                return again.step
            again.step.attempts = [*step.attempts, *again.step.attempts]
            step, doc = again.step, json_object(again.response, WHAT)
            notes.append(f"the metadata names another issuer ({issuer}); {profile.label} "
                         "fetched it again from there, as it does")
        if ctx.issuer is not None and not issuers_match(
                issuer, ctx.issuer, profile.oauth.issuer_slash_tolerant):
            notes.append(deviation(profile, "issuer_mismatch", Code.OAUTH_ISSUER_MISMATCH,
                         f"the metadata's issuer {issuer} is not the issuer it was discovered "
                         f"from ({ctx.issuer}): RFC 8414 section 3.3 requires them equal "
                         "(mix-up defence)",
                         "the authorization server's 'issuer' must equal the URL listed in the "
                         "MCP server's authorization_servers, character for character"))
        methods = string_list(doc, "code_challenge_methods_supported", WHAT, required=False)
        details["code_challenge_methods_supported"] = methods
        if methods is None:
            notes.append(deviation(profile, "pkce_methods_absent", Code.OAUTH_PKCE_UNSUPPORTED,
                         "the metadata has no code_challenge_methods_supported: the MCP "
                         "authorization specification (2025-11-25) says a client must then "
                         "refuse to proceed",
                         "the authorization server must advertise code_challenge_methods_"
                         "supported: [\"S256\"]"))
        elif "S256" not in methods:
            notes.append(deviation(profile, "pkce_without_s256", Code.OAUTH_PKCE_UNSUPPORTED,
                         f"the authorization server does not support PKCE S256 (it lists "
                         f"{methods or 'nothing'}); the MCP authorization specification "
                         "requires S256", "enable PKCE with S256 on the authorization server"))
        for field in ("authorization_endpoint", "token_endpoint"):
            url = string_field(doc, field, WHAT)
            details[field] = url
            notes += _plain_http(profile, field, url)
        notes += _endpoint_origin(profile, doc, issuer)
        if profile.oauth.requires_iss and \
                doc.get("authorization_response_iss_parameter_supported") is not True:
            notes.append(f"{profile.label} refuses a callback without iss (RFC 9207), and this "
                         "server does not advertise authorization_response_iss_parameter_"
                         "supported: its callbacks most likely carry no iss, so the login "
                         "fails after the browser ('Missing \"iss\" parameter in authorization "
                         "response'). Fix: the authorization server must send iss with the "
                         "callback and advertise it")
        notes += _openid_fields(profile, doc, step.url or "")
        warning = bool(notes)
        registration = doc.get("registration_endpoint")
        if registration is not None:
            if not isinstance(registration, str):
                raise DocumentProblem(Code.OAUTH_WRONG_TYPE,
                                      "registration_endpoint must be a string")
            endpoint_url(registration, "registration_endpoint")
        details["registration_endpoint"] = registration
        details["client_id_metadata_document_supported"] = \
            doc.get("client_id_metadata_document_supported") is True
        details["grant_types_supported"] = doc.get("grant_types_supported")
    except DocumentProblem as problem:
        return ctx.conclude(step, oauth_failed(problem, details))
    if explicit and ctx.issuer is None:
        ctx.issuer = issuer
    ctx.as_metadata = doc
    if step.attempts and len(step.attempts) > 1:
        notes.append("found at " + step.url if step.url else "")
    grants = doc.get("grant_types_supported")
    if isinstance(grants, list) and "refresh_token" not in grants:
        notes.append("grant_types_supported lacks refresh_token: users will log in again when "
                     "the access token expires")
    pkce = "PKCE S256, " if "S256" in (methods or []) else ""
    return ctx.conclude(step, oauth_ok(f"issuer {issuer}: {pkce}authorization and token "
                                       "endpoints present", details, notes, warning))
