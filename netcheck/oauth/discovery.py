"""The discovery URL orders a spec-following MCP client uses (the MCP Python SDK's, exactly)."""

from __future__ import annotations

from urllib.parse import urlsplit

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
AS_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"


def _base(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path


def protected_resource_metadata_urls(server_url: str, resource_metadata: str | None) -> list[str]:
    """RFC 9728 order: the challenge's ``resource_metadata``, path-inserted, then root."""
    urls = [resource_metadata] if resource_metadata else []
    base, path = _base(server_url)
    if path and path != "/":
        urls.append(f"{base}{PRM_WELL_KNOWN}{path}")
    urls.append(f"{base}{PRM_WELL_KNOWN}")
    return urls


def authorization_server_metadata_urls(issuer: str) -> list[str]:
    """RFC 8414 then OpenID Connect discovery, for issuers with and without a path."""
    base, path = _base(issuer)
    path = path.rstrip("/")
    if path:
        return [f"{base}{AS_WELL_KNOWN}{path}", f"{base}{OIDC_WELL_KNOWN}{path}",
                f"{base}{path}{OIDC_WELL_KNOWN}"]
    return [f"{base}{AS_WELL_KNOWN}", f"{base}{OIDC_WELL_KNOWN}"]


def canonical_resource(server_url: str) -> str:
    """The MCP server's canonical URI for RFC 8707 ``resource``: no fragment, lower-case
    scheme and host."""
    parts = urlsplit(server_url)
    netloc = parts.netloc.lower()
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{netloc}{parts.path}{query}"
