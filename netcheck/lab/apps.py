"""The lab's MCP server and authorization server, as small request handlers.

They answer like real ones do where netcheck looks: the MCP server's 401 Bearer challenge and
RFC 9728 metadata, and with a token it accepts, initialize and tools/list; the authorization
server's RFC 8414 metadata, RFC 7591 registration (clients kept in memory, deleted through
RFC 7592), an authorization endpoint that refuses unknown clients and sends a known one's
browser back at once (no login page: the lab's user has consented), a token endpoint that
checks the code, the PKCE verifier, the redirect_uri and the client, refresh with rotation,
and RFC 7009 revocation. A login fault (:class:`LoginFault`) makes one of them behave as
real servers that break logins do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from netcheck.lab.https import LabRequest, LabResponse

TOKEN_LIFETIME_S = 3600
TOOLS = [{"name": "echo", "description": "Echo the text back",
          "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
         {"name": "time", "description": "The server's time",
          "inputSchema": {"type": "object", "properties": {}}}]


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """The client id and secret of an HTTP Basic Authorization header (RFC 6749 2.3.1)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (ValueError, UnicodeError):
        return None
    return unquote(user), unquote(password)


class LoginFault(StrEnum):
    """One way a real server breaks a login after discovery."""

    AUDIENCE = "audience"  # tokens name the issuer as audience, not the resource sent
    RESOURCE_SLASH = "resource-slash"  # the PRM resource ends in "/", the AS refuses that
    CLIENT_SECRET_BASIC = "client-secret-basic"  # /token wants Basic auth; metadata says none
    NO_REFRESH_TOKEN = "no-refresh-token"
    REFRESH_INVALID_GRANT = "refresh-invalid-grant"
    REDIRECT_LOCALHOST = "redirect-localhost"  # redirect_uris on localhost are refused
    ACCESS_DENIED = "access-denied"
    NO_ISS = "no-iss"  # iss advertised, not sent in the callback


@dataclass
class Tokens:
    """What the authorization server issued, which the MCP server accepts."""

    access: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> claims
    refresh: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> grant

    def issue(self, claims: dict[str, Any]) -> str:
        """An unsigned JWT (the MCP server looks it up: the lab trusts itself)."""
        def part(doc: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
        token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}." \
                f"{secrets.token_urlsafe(16)}"
        self.access[token] = claims
        return token


def _json(status: int, doc: dict[str, Any]) -> LabResponse:
    return LabResponse(status, json.dumps(doc).encode(), [("Content-Type", "application/json")])


@dataclass
class McpServer:
    url: str  # https://mcp.demo.test:PORT/mcp
    issuer: str
    web_page: bool = False  # a web app answers at the MCP URL instead of the MCP server
    tokens: Tokens = field(default_factory=Tokens)
    resource_slash: bool = False  # its metadata names its resource with a trailing slash

    @property
    def metadata_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"

    def __call__(self, request: LabRequest) -> LabResponse:
        path = urlsplit(request.path).path
        if path == urlsplit(self.metadata_url).path and request.method == "GET":
            resource = self.url + "/" if self.resource_slash else self.url
            return _json(200, {"resource": resource, "authorization_servers": [self.issuer],
                               "scopes_supported": ["mcp:tools"],
                               "bearer_methods_supported": ["header"]})
        if path == urlsplit(self.url).path and self.web_page:
            return LabResponse(200, b"<html><head><title>Acme Intranet - Home</title></head>"
                                    b"<body>Welcome</body></html>",
                               [("Content-Type", "text/html; charset=utf-8")])
        if path == urlsplit(self.url).path:
            refused = self._refusal(request)
            if refused is not None:
                response = _json(401, {"error": "invalid_token", "error_description": refused})
                error = "" if refused == "Authentication required" else \
                    f', error="invalid_token", error_description="{refused}"'
                response.headers.append(("WWW-Authenticate",
                                         f'Bearer resource_metadata="{self.metadata_url}", '
                                         f'scope="mcp:tools"{error}'))
                return response
            return self._mcp(request)
        return _json(404, {"error": "not_found"})

    def _refusal(self, request: LabRequest) -> str | None:
        """Why the request's token is not good here (its audience is checked against this
        server's URL), or None."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return "Authentication required"
        claims = self.tokens.access.get(token)
        if claims is None or claims.get("exp", 0) < time.time():
            return "The access token is unknown or expired"
        if claims.get("aud") not in (self.url, self.url + "/"):
            return f"The token audience {claims.get('aud')} is not this resource"
        return None

    def _mcp(self, request: LabRequest) -> LabResponse:
        try:
            message = json.loads(request.body)
        except ValueError:
            return _json(400, {"jsonrpc": "2.0", "id": None,
                               "error": {"code": -32700, "message": "Parse error"}})
        method = message.get("method") if isinstance(message, dict) else None
        if "id" not in message:  # a notification
            return LabResponse(202)
        if method == "initialize":
            result: dict[str, Any] = {
                "protocolVersion": message.get("params", {}).get("protocolVersion"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "netcheck-lab", "version": "1.0"}}
            response = _json(200, {"jsonrpc": "2.0", "id": message["id"], "result": result})
            response.headers.append(("Mcp-Session-Id", secrets.token_hex(16)))
            return response
        if method == "tools/list":
            return _json(200, {"jsonrpc": "2.0", "id": message["id"],
                               "result": {"tools": TOOLS}})
        return _json(200, {"jsonrpc": "2.0", "id": message["id"],
                           "error": {"code": -32601, "message": "Method not found"}})


@dataclass
class AuthorizationServer:
    issuer: str  # https://auth.demo.test:PORT/
    token_portal: bool = False  # the token endpoint is answered by an SSO portal page
    pkce_methods: tuple[str, ...] = ("S256",)  # code_challenge_methods_supported
    login_fault: LoginFault | None = None
    tokens: Tokens = field(default_factory=Tokens)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # every secret it handed out or received (codes, verifiers, tokens), for tests that
    # prove none of them leaves netcheck
    secrets_seen: list[str] = field(default_factory=list)

    def endpoint(self, path: str) -> str:
        return self.issuer.rstrip("/") + path

    def __call__(self, request: LabRequest) -> LabResponse:
        parts = urlsplit(request.path)
        path = parts.path
        if path == "/.well-known/oauth-authorization-server" and request.method == "GET":
            return _json(200, self.metadata())
        if path == "/register" and request.method == "POST":
            return self._register(request)
        if path.startswith("/register/") and request.method == "DELETE":
            return self._unregister(path.removeprefix("/register/"), request)
        if path == "/authorize" and request.method == "GET":
            return self._authorize({k: v[0] for k, v in parse_qs(parts.query).items()})
        if path == "/token" and request.method == "POST":
            if self.token_portal:
                return LabResponse(200, b"<html><head><title>Sign in - Corporate SSO</title>"
                                        b"</head><body>Please sign in.</body></html>",
                                   [("Content-Type", "text/html")])
            return self._token(request)
        if path == "/revoke" and request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
            self.tokens.access.pop(form.get("token", ""), None)
            self.tokens.refresh.pop(form.get("token", ""), None)
            return LabResponse(200)
        return _json(404, {"error": "not_found"})

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("/authorize"),
            "token_endpoint": self.endpoint("/token"),
            "registration_endpoint": self.endpoint("/register"),
            "revocation_endpoint": self.endpoint("/revoke"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": list(self.pkce_methods),
            "token_endpoint_auth_methods_supported": ["none"],
            "authorization_response_iss_parameter_supported": True,
            "scopes_supported": ["mcp:tools"]}

    def _register(self, request: LabRequest) -> LabResponse:
        try:
            doc = json.loads(request.body)
        except ValueError:
            return _json(400, {"error": "invalid_client_metadata",
                               "error_description": "body is not JSON"})
        uris = doc.get("redirect_uris") if isinstance(doc, dict) else None
        if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris) or \
                not uris:
            return _json(400, {"error": "invalid_redirect_uri",
                               "error_description": "redirect_uris must be a list of URIs"})
        client_id = f"lab-client-{secrets.token_hex(6)}"
        access = secrets.token_urlsafe(24)
        self.secrets_seen.append(access)
        self.clients[client_id] = {"redirect_uris": uris, "registration_access_token": access}
        return _json(201, {"client_id": client_id, "client_name": doc.get("client_name"),
                           "redirect_uris": uris, "token_endpoint_auth_method": "none",
                           "registration_client_uri": self.endpoint(f"/register/{client_id}"),
                           "registration_access_token": access})

    def _unregister(self, client_id: str, request: LabRequest) -> LabResponse:
        client = self.clients.get(client_id)
        if client is None or request.headers.get("authorization") != \
                f"Bearer {client['registration_access_token']}":
            return _json(401, {"error": "invalid_token"})
        del self.clients[client_id]
        return LabResponse(204)

    def _authorize(self, query: dict[str, str]) -> LabResponse:
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            return _json(400, {"error": "invalid_request", "error_description":
                               "unknown client_id"})
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in client["redirect_uris"] or (
                self.login_fault is LoginFault.REDIRECT_LOCALHOST and
                urlsplit(redirect_uri).hostname == "localhost"):
            return LabResponse(400, b"<html><head><title>Sign-in error</title></head><body>"
                                    b"Invalid redirect_uri: redirect URIs on localhost are not "
                                    b"allowed; use 127.0.0.1</body></html>",
                               [("Content-Type", "text/html; charset=utf-8")])
        back: dict[str, str] = {"state": query.get("state", "")}
        if self.login_fault is LoginFault.ACCESS_DENIED:
            back = {"error": "access_denied", "error_description": "The user or an "
                    "administrator denied the request", **back}
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            back = {"error": "invalid_request", "error_description": "PKCE S256 required",
                    **back}
        else:
            code = secrets.token_urlsafe(24)
            self.secrets_seen.append(code)
            self.codes[code] = {"client_id": query["client_id"], "redirect_uri": redirect_uri,
                                "challenge": query["code_challenge"],
                                "resource": query.get("resource"),
                                "scope": query.get("scope", "mcp:tools")}
            back = {"code": code, **back}
        if self.login_fault is not LoginFault.NO_ISS:
            back["iss"] = self.issuer
        separator = "&" if "?" in redirect_uri else "?"
        return LabResponse(302, b"", [("Location",
                                       f"{redirect_uri}{separator}{urlencode(back)}")])

    def _token(self, request: LabRequest) -> LabResponse:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        if grant not in ("authorization_code", "refresh_token"):
            return _json(400, {"error": "unsupported_grant_type"})
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if self.login_fault is LoginFault.CLIENT_SECRET_BASIC and basic is None:
            return _json(401, {"error": "invalid_client", "error_description":
                               "client authentication required (client_secret_basic)"})
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        client = self.clients.get(client_id)
        if client is None or client.get("client_secret") not in (None, secret):
            return _json(401, {"error": "invalid_client", "error_description":
                               "unknown client_id or wrong client credentials"})
        resource = form.get("resource")
        if self.login_fault is LoginFault.RESOURCE_SLASH and resource and \
                resource.endswith("/"):
            return _json(400, {"error": "invalid_target", "error_description":
                               "The resource parameter does not match a registered resource "
                               "(it must not end with a trailing slash)"})
        if grant == "authorization_code":
            grant_doc = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            self.secrets_seen.append(verifier)
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant_doc is None or grant_doc["client_id"] != client_id or \
                    grant_doc["redirect_uri"] != form.get("redirect_uri") or \
                    grant_doc["challenge"] != challenge:
                return _json(400, {"error": "invalid_grant", "error_description":
                                   "the code, verifier or redirect_uri does not match"})
        else:
            grant_doc = self.tokens.refresh.pop(form.get("refresh_token", ""), None)
            if self.login_fault is LoginFault.REFRESH_INVALID_GRANT or grant_doc is None or \
                    grant_doc["client_id"] != client_id:
                return _json(400, {"error": "invalid_grant", "error_description":
                                   "the refresh token is invalid, expired or revoked"})
        return _json(200, self._issue(grant_doc))

    def _issue(self, grant: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        audience = self.issuer if self.login_fault is LoginFault.AUDIENCE or \
            not grant.get("resource") else grant["resource"]
        access = self.tokens.issue({"iss": self.issuer, "aud": audience,
                                    "sub": "alice@corp.example", "client_id":
                                    grant["client_id"], "scope": grant["scope"],
                                    "iat": now, "exp": now + TOKEN_LIFETIME_S})
        self.secrets_seen.append(access)
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                  "expires_in": TOKEN_LIFETIME_S, "scope": grant["scope"]}
        if self.login_fault is not LoginFault.NO_REFRESH_TOKEN:
            refresh = secrets.token_urlsafe(32)
            self.tokens.refresh[refresh] = {k: grant[k] for k in
                                            ("client_id", "resource", "scope")}
            self.secrets_seen.append(refresh)
            answer["refresh_token"] = refresh
        return answer
