"""The lab's MCP server and authorization server, as small request handlers.

They answer like real ones do where netcheck looks: the MCP server's 401 Bearer challenge and
RFC 9728 metadata; the authorization server's RFC 8414 metadata, RFC 7591 registration errors,
an authorization endpoint that refuses unknown clients, and OAuth JSON errors from /token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from netcheck.lab.https import LabRequest, LabResponse


def _json(status: int, doc: dict[str, Any]) -> LabResponse:
    return LabResponse(status, json.dumps(doc).encode(), [("Content-Type", "application/json")])


@dataclass
class McpServer:
    url: str  # https://mcp.demo.test:PORT/mcp
    issuer: str
    web_page: bool = False  # a web app answers at the MCP URL instead of the MCP server

    @property
    def metadata_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"

    def __call__(self, request: LabRequest) -> LabResponse:
        path = urlsplit(request.path).path
        if path == urlsplit(self.metadata_url).path and request.method == "GET":
            return _json(200, {"resource": self.url, "authorization_servers": [self.issuer],
                               "scopes_supported": ["mcp:tools"],
                               "bearer_methods_supported": ["header"]})
        if path == urlsplit(self.url).path and self.web_page:
            return LabResponse(200, b"<html><head><title>Acme Intranet - Home</title></head>"
                                    b"<body>Welcome</body></html>",
                               [("Content-Type", "text/html; charset=utf-8")])
        if path == urlsplit(self.url).path:
            response = _json(401, {"error": "invalid_token",
                                   "error_description": "Authentication required"})
            response.headers.append(("WWW-Authenticate",
                                     f'Bearer resource_metadata="{self.metadata_url}", '
                                     'scope="mcp:tools"'))
            return response
        return _json(404, {"error": "not_found"})


@dataclass
class AuthorizationServer:
    issuer: str  # https://auth.demo.test:PORT/
    token_portal: bool = False  # the token endpoint is answered by an SSO portal page
    pkce_methods: tuple[str, ...] = ("S256",)  # code_challenge_methods_supported

    def endpoint(self, path: str) -> str:
        return self.issuer.rstrip("/") + path

    def __call__(self, request: LabRequest) -> LabResponse:
        path = urlsplit(request.path).path
        if path == "/.well-known/oauth-authorization-server" and request.method == "GET":
            return _json(200, {
                "issuer": self.issuer,
                "authorization_endpoint": self.endpoint("/authorize"),
                "token_endpoint": self.endpoint("/token"),
                "registration_endpoint": self.endpoint("/register"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": list(self.pkce_methods),
                "token_endpoint_auth_methods_supported": ["none"]})
        if path == "/register" and request.method == "POST":
            return self._register(request)
        if path == "/authorize" and request.method == "GET":
            return _json(400, {"error": "invalid_request", "error_description":
                               "unknown client_id"})
        if path == "/token" and request.method == "POST":
            if self.token_portal:
                return LabResponse(200, b"<html><head><title>Sign in - Corporate SSO</title>"
                                        b"</head><body>Please sign in.</body></html>",
                                   [("Content-Type", "text/html")])
            form = parse_qs(request.body.decode("utf-8", "replace"))
            grant = form.get("grant_type", [""])[0]
            if grant not in ("authorization_code", "refresh_token"):
                return _json(400, {"error": "unsupported_grant_type"})
            return _json(401, {"error": "invalid_client", "error_description":
                               "unknown client_id"})
        return _json(404, {"error": "not_found"})

    @staticmethod
    def _register(request: LabRequest) -> LabResponse:
        try:
            doc = json.loads(request.body)
        except ValueError:
            return _json(400, {"error": "invalid_client_metadata",
                               "error_description": "body is not JSON"})
        uris = doc.get("redirect_uris") if isinstance(doc, dict) else None
        if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
            return _json(400, {"error": "invalid_redirect_uri",
                               "error_description": "redirect_uris must be a list of URIs"})
        # the lab never keeps clients: a real registration is answered, not stored
        return _json(201, {"client_id": "demo-client", "client_name": doc.get("client_name"),
                           "redirect_uris": uris})
