"""The MCP Python SDK's own authorization-server and protected-resource routes, served by uvicorn
over TLS that requires client certificates: a real third-party OAuth server for the tests.

Two servers, on two host names the test DNS responder knows: the MCP server (``mcp.test``:
``/mcp`` behind the SDK's RequireAuthMiddleware, and its RFC 9728 metadata) and the
authorization server (``auth.test``: metadata, /authorize, /token, /register). Variants change
one thing each, the way real deployments get it wrong.
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    ProviderTokenVerifier,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.routes import (
    build_metadata,
    create_auth_routes,
    create_protected_resource_routes,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.pki import Pki


class RecordingProvider:
    """A minimal in-memory provider that records every call netcheck causes."""

    def __init__(self) -> None:
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.registrations: list[OAuthClientInformationFull] = []
        self.codes_tried: list[str] = []
        self.refresh_tokens_tried: list[str] = []
        self.tokens_issued = 0

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        self.registrations.append(client_info)
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client: OAuthClientInformationFull,
                        params: AuthorizationParams) -> str:
        return f"https://auth.test/login?state={params.state}"

    async def load_authorization_code(self, client: Any, code: str) -> AuthorizationCode | None:
        self.codes_tried.append(code)
        return None

    async def exchange_authorization_code(self, client: Any, code: Any) -> Any:
        self.tokens_issued += 1
        raise AssertionError("netcheck must never obtain a token")

    async def load_refresh_token(self, client: Any, token: str) -> RefreshToken | None:
        self.refresh_tokens_tried.append(token)
        return None

    async def exchange_refresh_token(self, *args: Any) -> Any:
        self.tokens_issued += 1
        raise AssertionError("netcheck must never obtain a token")

    async def load_access_token(self, token: str) -> AccessToken | None:
        return None

    async def revoke_token(self, token: Any) -> None:
        return None


class LoginProvider(RecordingProvider):
    """A provider that completes logins (netcheck login): the user consents at once, codes
    and tokens are kept in memory, refresh rotates, revocation forgets."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.handed_out: list[str] = []  # every code and token, for leak checks

    def _new(self) -> str:
        value = secrets.token_urlsafe(24)
        self.handed_out.append(value)
        return value

    async def authorize(self, client: OAuthClientInformationFull,
                        params: AuthorizationParams) -> str:
        code = self._new()
        self.codes[code] = AuthorizationCode(
            code=code, scopes=params.scopes or [], expires_at=time.time() + 300,
            client_id=client.client_id or "", code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource)
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(self, client: Any, code: str) -> AuthorizationCode | None:
        self.codes_tried.append(code)
        return self.codes.get(code)

    def _tokens(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        self.tokens_issued += 1
        access, refresh = self._new(), self._new()
        expires = int(time.time()) + 3600
        self.access[access] = AccessToken(token=access, client_id=client_id, scopes=scopes,
                                          expires_at=expires, resource=resource)
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id,
                                             scopes=scopes, resource=resource)
        return OAuthToken(access_token=access, token_type="Bearer", expires_in=3600,
                          scope=" ".join(scopes) or None, refresh_token=refresh)

    async def exchange_authorization_code(self, client: Any, code: AuthorizationCode) -> Any:
        self.codes.pop(code.code, None)
        return self._tokens(code.client_id, code.scopes, code.resource)

    async def load_refresh_token(self, client: Any, token: str) -> RefreshToken | None:
        self.refresh_tokens_tried.append(token)
        return self.refresh.get(token)

    async def exchange_refresh_token(self, client: Any, token: RefreshToken,
                                     scopes: list[str]) -> Any:
        self.refresh.pop(token.token, None)
        return self._tokens(token.client_id, scopes or token.scopes, token.resource)

    async def load_access_token(self, token: str) -> AccessToken | None:
        return self.access.get(token)

    async def revoke_token(self, token: Any) -> None:
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


@dataclass
class Variant:
    """How this lab deviates from a healthy deployment."""

    metadata_at: str = "oauth"  # "oauth" (RFC 8414 URL) or "oidc" (OpenID configuration only)
    metadata_answer: str = "json"  # "json", "500" (a server error), "html" (a portal page)
    metadata_edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    prm: str = "normal"  # "normal", "missing" (404, and no resource_metadata in the challenge)
    prm_resource: str | None = None  # override PRM 'resource'
    token_html: bool = False  # the token endpoint answers an HTML page (a WAF, a portal)
    registration: bool = True
    auth_host: str = "auth.test"  # the host name clients use for the authorization server
    require_client_cert: bool = True
    login: bool = False  # logins complete (LoginProvider), revocation offered, MCP answers


@dataclass(frozen=True)
class Served:
    """One request a lab server answered."""

    server: str  # "mcp" or "auth"
    method: str
    path: str
    status: int | None
    content_type: str | None = None


@dataclass
class SdkLab:
    pki: Pki
    variant: Variant = field(default_factory=Variant)
    provider: RecordingProvider = field(default_factory=RecordingProvider)
    served: list[Served] = field(default_factory=list)  # every request, in order

    def __post_init__(self) -> None:
        if self.variant.login and type(self.provider) is RecordingProvider:
            self.provider = LoginProvider()
        self.mcp_sock = _bind()
        self.as_sock = _bind()
        self.mcp_port = self.mcp_sock.getsockname()[1]
        self.as_port = self.as_sock.getsockname()[1]
        self.mcp_url = f"https://mcp.test:{self.mcp_port}/mcp"
        self.issuer = f"https://{self.variant.auth_host}:{self.as_port}/"
        self.threads: list[threading.Thread] = []
        self.servers = [self._serve(self._logged("auth", self._as_app()), self.as_sock),
                        self._serve(self._logged("mcp", self._mcp_app()), self.mcp_sock)]

    # --- apps --------------------------------------------------------------------------------

    def _as_app(self) -> Starlette:
        v = self.variant
        options = ClientRegistrationOptions(enabled=v.registration)
        revocation = RevocationOptions(enabled=v.login)
        routes = create_auth_routes(self.provider, AnyHttpUrl(self.issuer),
                                    client_registration_options=options,
                                    revocation_options=revocation)
        metadata = build_metadata(AnyHttpUrl(self.issuer), None, options, revocation)
        document = json.loads(metadata.model_dump_json(exclude_none=True))
        if v.metadata_edit:
            document = v.metadata_edit(document)
        routes = [r for r in routes if getattr(r, "path", "") not in (
            "/.well-known/oauth-authorization-server",) and not
            (v.token_html and getattr(r, "path", "") == "/token")]

        async def serve_metadata(request: Request) -> Response:
            if v.metadata_answer == "500":
                return Response("upstream error", status_code=500)
            if v.metadata_answer == "html":
                return HTMLResponse("<html><head><title>Sign in</title></head></html>")
            return JSONResponse(document)

        path = "/.well-known/oauth-authorization-server" if v.metadata_at == "oauth" else \
            "/.well-known/openid-configuration"
        routes.append(Route(path, serve_metadata, methods=["GET"]))
        if v.token_html:
            async def portal(request: Request) -> Response:
                return HTMLResponse("<html><head><title>Sign in - Corporate SSO</title></head>"
                                    "<body>Please sign in to continue.</body></html>",
                                    status_code=200)
            routes.append(Route("/token", portal, methods=["POST"]))
        return Starlette(routes=routes)

    def _mcp_app(self) -> Starlette:
        v = self.variant
        resource = v.prm_resource or self.mcp_url
        prm_routes = create_protected_resource_routes(AnyHttpUrl(resource),
                                                      [AnyHttpUrl(self.issuer)],
                                                      scopes_supported=["mcp:tools"])
        prm_url = f"https://mcp.test:{self.mcp_port}/.well-known/oauth-protected-resource/mcp"

        async def mcp(scope: Any, receive: Any, send: Any) -> None:
            request = Request(scope, receive)
            message = await request.json() if v.login and scope["method"] == "POST" else {}
            method = message.get("method") if isinstance(message, dict) else None
            if v.login and "id" not in message:
                response: Response = Response(status_code=202)
            elif method == "initialize":
                response = JSONResponse({"jsonrpc": "2.0", "id": message["id"], "result": {
                    "protocolVersion": message.get("params", {}).get("protocolVersion"),
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "sdk-lab", "version": "1"}}})
            elif method == "tools/list":
                response = JSONResponse({"jsonrpc": "2.0", "id": message["id"], "result": {
                    "tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}})
            else:
                response = JSONResponse({"jsonrpc": "2.0", "id": 1, "result": {}})
            await response(scope, receive, send)

        protected = RequireAuthMiddleware(
            mcp, required_scopes=[],
            resource_metadata_url=AnyHttpUrl(prm_url) if v.prm == "normal" else None)
        routes: list[Any] = [Route("/mcp", protected, methods=["POST", "GET"])]
        if v.prm == "normal":
            routes += prm_routes
        verifier = ProviderTokenVerifier(self.provider)  # type: ignore[arg-type]
        return Starlette(routes=routes, middleware=[
            Middleware(AuthenticationMiddleware, backend=BearerAuthBackend(verifier)),
            Middleware(AuthContextMiddleware)])

    # --- serving -----------------------------------------------------------------------------

    def _logged(self, name: str, app: Any) -> Any:
        """``app``, recording each request it answers in :attr:`served`."""

        async def logged(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            status: list[int] = []
            types: list[str] = []

            async def send_noting(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                    types.extend(v.decode("latin-1") for k, v in message.get("headers", [])
                                 if k.lower() == b"content-type")
                await send(message)

            try:
                await app(scope, receive, send_noting)
            finally:
                self.served.append(Served(name, scope["method"], scope["path"],
                                          status[0] if status else None,
                                          types[0] if types else None))

        return logged

    def _serve(self, app: Starlette, sock: socket.socket) -> uvicorn.Server:
        config = uvicorn.Config(
            app, log_level="error", lifespan="off", access_log=False,
            ssl_certfile=self.pki.path("server.pem"),
            ssl_ca_certs=self.pki.path("client-ca.pem"),
            ssl_cert_reqs=ssl.CERT_REQUIRED if self.variant.require_client_cert else
            ssl.CERT_NONE)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        self.threads.append(thread)
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return server

    def stop_soon(self) -> None:
        """Ask the servers to stop, without waiting (uvicorn looks every 0.1 s): many labs
        stopping at once take that time once, not once each."""
        for server in self.servers:
            server.should_exit = True

    def close(self) -> None:
        self.stop_soon()
        for thread in self.threads:
            thread.join(5)


def _bind() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
