"""What the OAuth steps share: the prepared settings, what the user asked for, and what earlier
steps found."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from netcheck.model import HopResult, StepResult
from netcheck.oauth.loopback import CallbackPlan, Machine, plan_callback
from netcheck.pipeline import Observer
from netcheck.redaction import Redactor
from netcheck.run_context import RunContext
from netcheck.settings.check import Prepared

PROBE_MARK = "netcheck-probe-invalid"


@dataclass(frozen=True)
class OAuthOptions:
    client_id: str | None = None  # a pre-registered client (Claude Code's oauth.clientId)
    client_metadata_url: str | None = None  # a CIMD document to fetch and validate
    auth_server_metadata_url: str | None = None  # Claude Code's oauth.authServerMetadataUrl
    register: bool = False  # perform a real DCR registration (and delete it if possible)
    # the loopback redirect_uri port (Claude Code: oauth.callbackPort); None: as the client
    # picks it (see the profile's CallbackRules)
    callback_port: int | None = None
    # netcheck login: a registered client is kept for the login (deleted when it ends)
    keep_registration: bool = False


@dataclass
class FlowContext:
    prepared: Prepared
    run: RunContext
    observer: Observer | None
    server_url: str
    challenge: dict[str, str] | None  # the Bearer challenge's parameters, if any
    options: OAuthOptions = field(default_factory=OAuthOptions)
    redactor: Redactor = field(default_factory=Redactor)  # learns secrets the flow receives
    # found along the way
    resource_metadata: dict[str, Any] | None = None
    issuer: str | None = None
    as_metadata: dict[str, Any] | None = None
    client_id: str | None = None
    client_is_real: bool = False  # a client the AS knows (pre-registered, CIMD or --register)
    # no usable protected-resource metadata, and the client takes the MCP server's origin as
    # its authorization server (OAuthRules.falls_back_to_mcp_origin)
    issuer_from_mcp_origin: bool = False
    date_skew_s: float | None = None  # the last HTTP Date header seen, against this clock
    registration: dict[str, Any] | None = None  # a kept registration's answer (login)
    machine: Machine = field(default_factory=Machine)  # resolver, port test, marker files
    _callback: CallbackPlan | None = field(default=None, repr=False)
    _callback_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def conclude(self, step: StepResult, hop: HopResult) -> StepResult:
        """Add the step's ``oauth`` hop and tell the observer."""
        step.hops.append(hop)
        if self.observer:
            self.observer(step.step, hop)
        return step

    @property
    def callback(self) -> CallbackPlan:
        """The client's callback port and redirect_uri, chosen once per run (the steps that
        send the redirect_uri may run concurrently)."""
        with self._callback_lock:
            if self._callback is None:
                settings = self.prepared.settings
                self._callback = plan_callback(settings.profile.callback,
                                               self.options.callback_port, settings.env,
                                               self.machine)
            return self._callback

    @property
    def redirect_uri(self) -> str:
        return self.callback.redirect_uri

    @property
    def scope(self) -> str | None:
        if self.challenge and self.challenge.get("scope"):
            return self.challenge["scope"]
        scopes = (self.resource_metadata or {}).get("scopes_supported")
        if isinstance(scopes, list) and all(isinstance(s, str) for s in scopes) and scopes:
            return " ".join(scopes)
        return None

    def probe_client_id(self) -> str:
        return self.client_id or "netcheck-connectivity-probe"


def invalid_value(kind: str) -> str:
    """A value no server can accept, marked as netcheck's so server logs say what it was."""
    return f"{PROBE_MARK}-{kind}-{secrets.token_urlsafe(12)}"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()
