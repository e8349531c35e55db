"""What the login's steps share: the check's flow context, what the user asked for, and what
the login has received so far (its secrets in :class:`~netcheck.login.tokens.Held`)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import quote

from netcheck.defaults import DEFAULT_CALLBACK_WAIT
from netcheck.login.listener import CallbackListener
from netcheck.login.tokens import Held
from netcheck.model import StepResult
from netcheck.oauth.context import FlowContext
from netcheck.oauth.discovery import canonical_resource
from netcheck.redaction import Secret


@dataclass(frozen=True)
class LoginOptions:
    """How the user takes part: their browser, or the URL printed and the result pasted."""

    environ: Mapping[str, str]
    say: Callable[[str], None]  # a line for the user (the URL to open, what is awaited)
    open_browser: bool = True
    callback_wait: float = DEFAULT_CALLBACK_WAIT
    stdin: IO[str] | None = None  # where a pasted redirected URL comes from (--no-browser)
    client_secret: str | None = field(default=None, repr=False)  # a pre-registered client's


@dataclass
class LoginSession:
    ctx: FlowContext
    options: LoginOptions
    held: Held
    state: str = ""
    listener: CallbackListener | None = None
    callback_step: StepResult | None = None  # its checks done before the browser opens
    claims: dict[str, Any] | None = None  # the access token's, when it is a JWT

    @property
    def resource(self) -> str:
        """RFC 8707 ``resource`` as the MCP SDKs send it: the protected-resource metadata's
        ``resource`` when there is one, else the server URL's canonical form."""
        given = (self.ctx.resource_metadata or {}).get("resource")
        return given if isinstance(given, str) and given else \
            canonical_resource(self.ctx.server_url)

    def registration_secret(self) -> str | None:
        """The client secret the registration issued, if it issued one."""
        secret = (self.ctx.registration or {}).get("client_secret")
        return secret if isinstance(secret, str) and secret else None

    @property
    def client_id(self) -> str:
        return self.ctx.client_id or ""

    def auth_method(self) -> str:
        """How the client authenticates at the token endpoint, as the MCP SDKs choose:
        the registered method if the server supports it, else client_secret_basic, then
        client_secret_post, for a client with a secret; "none" without one."""
        if not self.held.client_secret:
            return "none"
        supported = (self.ctx.as_metadata or {}).get("token_endpoint_auth_methods_supported")
        methods = supported if isinstance(supported, list) else ["client_secret_basic"]
        registered = (self.ctx.registration or {}).get("token_endpoint_auth_method")
        if isinstance(registered, str) and registered in methods:
            return registered
        for method in ("client_secret_basic", "client_secret_post"):
            if method in methods:
                return method
        return "client_secret_basic"

    def client_authentication(self, form: dict[str, str]) -> list[tuple[str, str | Secret]]:
        """Add the client's credentials to ``form`` or to the headers, as its method wants."""
        method = self.auth_method()
        secret = self.held.client_secret or ""
        if method == "client_secret_basic":
            pair = f"{quote(self.client_id, safe='')}:{quote(secret, safe='')}"
            token = base64.b64encode(pair.encode()).decode()
            self.held.redactor.add(token)
            return [("Authorization", Secret(f"Basic {token}"))]
        form["client_id"] = self.client_id
        if method == "client_secret_post":
            form["client_secret"] = secret
        return []
