"""The discovery URL orders a spec-following MCP client uses (the MCP Python SDK's, exactly)."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse, urlsplit

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
AS_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"


def _base(url: str) -> tuple[str, str]:
    # urlparse (not urlsplit) and urljoin below, as the SDK does: ";params" are dropped and dot
    # segments resolved exactly as the client's own URLs
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path


def protected_resource_metadata_urls(server_url: str, resource_metadata: str | None,
                                     appended: str = "", inserted: bool = True) -> list[str]:
    """RFC 9728 order: the challenge's ``resource_metadata``, path-inserted, then root;
    ``appended`` ("before_root", "after_root") adds ``<path>/.well-known/...`` where a
    client asks it too (Codex, Copilot); ``inserted`` False leaves the path-inserted URL out
    (Gemini CLI asks the root one only)."""
    urls = [resource_metadata] if resource_metadata else []
    base, path = _base(server_url)
    if path and path != "/" and inserted:
        urls.append(urljoin(base, f"{PRM_WELL_KNOWN}{path}"))
    tail = urljoin(base, f"{path.rstrip('/')}{PRM_WELL_KNOWN}") if path and path != "/" \
        else None
    if tail and appended == "before_root":
        urls.append(tail)
    urls.append(urljoin(base, PRM_WELL_KNOWN))
    if tail and appended == "after_root":
        urls.append(tail)
    return list(dict.fromkeys(urls))


def mcp_origin_metadata_urls(server_url: str) -> list[str]:
    """Where a client without protected-resource metadata looks for the authorization
    server's, taking the MCP server as it: its URL as an issuer, then its origin's root
    (Codex and Copilot ask these; 2025-03-26 clients assumed the MCP server's origin)."""
    base, _path = _base(server_url)
    return list(dict.fromkeys([*authorization_server_metadata_urls(server_url),
                               urljoin(base, AS_WELL_KNOWN), urljoin(base, OIDC_WELL_KNOWN)]))


def authorization_server_metadata_urls(issuer: str) -> list[str]:
    """RFC 8414 then OpenID Connect discovery, for issuers with and without a path."""
    base, path = _base(issuer)
    if path and path != "/":
        path = path.rstrip("/")
        return [urljoin(base, f"{AS_WELL_KNOWN}{path}"), urljoin(base, f"{OIDC_WELL_KNOWN}{path}"),
                urljoin(base, f"{path}{OIDC_WELL_KNOWN}")]
    return [urljoin(base, AS_WELL_KNOWN), urljoin(base, OIDC_WELL_KNOWN)]


def canonical_resource(server_url: str) -> str:
    """The MCP server's canonical URI for RFC 8707 ``resource``: no fragment, lower-case
    scheme and host."""
    parts = urlsplit(server_url)
    netloc = parts.netloc.lower()
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{netloc}{parts.path}{query}"
