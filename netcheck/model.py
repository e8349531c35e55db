"""The vocabulary of a check: steps, hops, statuses, failure codes and their results.

Everything here is plain data. The report module turns it into JSON; the CLI renders that JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future


class Step(StrEnum):
    """The requests of the MCP OAuth flow, in flow order (``settings`` is local validation)."""

    SETTINGS = "settings"
    RESOURCE = "resource"
    PROTECTED_RESOURCE_METADATA = "protected_resource_metadata"
    AUTHORIZATION_SERVER_METADATA = "authorization_server_metadata"
    CLIENT_REGISTRATION = "client_registration"
    AUTHORIZATION_ENDPOINT = "authorization_endpoint"
    CALLBACK = "callback"  # the browser's way back to the client's loopback listener (local)
    TOKEN_ENDPOINT = "token_endpoint"
    TOKEN_REFRESH = "token_refresh"
    # netcheck login only: the MCP server called with the token, then the tokens revoked
    AUTHORIZED_REQUEST = "authorized_request"
    TOKEN_REVOCATION = "token_revocation"


class Hop(StrEnum):
    """The hops one request crosses, in order."""

    PROXY_RESOLVE = "proxy_resolve"
    DNS = "dns"
    TCP = "tcp"
    PROXY_TLS = "proxy_tls"
    PROXY_CONNECT = "proxy_connect"
    TLS = "tls"
    CLIENT_CERT = "client_cert"
    HTTP = "http"
    OAUTH = "oauth"
    # step callback (checked on this machine, as the browser meets them)
    REMOTE_SESSION = "remote_session"
    LOCALHOST_RESOLVE = "localhost_resolve"
    CALLBACK_PORT = "callback_port"
    # netcheck login only: the user's browser, and the callback it brings back
    BROWSER = "browser"
    CALLBACK_RECEIVED = "callback_received"


# the hops of a request, in the order a request crosses them (a step's report lists these)
ORDER = (Hop.PROXY_RESOLVE, Hop.DNS, Hop.TCP, Hop.PROXY_TLS, Hop.PROXY_CONNECT, Hop.TLS,
         Hop.CLIENT_CERT, Hop.HTTP)
OAUTH_ORDER = (*ORDER, Hop.OAUTH)


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


class StepStatus(StrEnum):
    """A step's outcome in the report: it ran and passed (maybe with warnings), or failed, or
    never ran (``not_run``, with the reason)."""

    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    NOT_RUN = "not_run"


class Code(StrEnum):
    """Why a hop failed. A closed set: the report schema lists exactly these values.

    The docstring of each group is the documentation users see in docs/failure-codes.md.
    """

    # settings / local input
    CERT_FILE_UNREADABLE = "cert_file_unreadable"
    CERT_INVALID = "cert_invalid"
    KEY_FILE_UNREADABLE = "key_file_unreadable"
    KEY_MISSING = "key_missing"
    KEY_INVALID = "key_invalid"
    KEY_PASSPHRASE_REQUIRED = "key_passphrase_required"
    KEY_PASSPHRASE_WRONG = "key_passphrase_wrong"
    KEY_CERT_MISMATCH = "key_cert_mismatch"
    CERT_FORMAT_UNSUPPORTED = "cert_format_unsupported"
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    CERT_NOT_FOR_CLIENT_AUTH = "cert_not_for_client_auth"
    CA_FILE_UNREADABLE = "ca_file_unreadable"
    CA_FILE_NO_CERTIFICATES = "ca_file_no_certificates"
    # proxy_resolve
    PROXY_URL_INVALID = "proxy_url_invalid"
    PROXY_REFUSED_BY_CLIENT = "proxy_refused_by_client"
    PROXY_SCHEME_UNSUPPORTED = "proxy_scheme_unsupported"
    # dns
    DNS_NXDOMAIN = "dns_nxdomain"
    DNS_SERVFAIL = "dns_servfail"
    DNS_NO_ANSWER = "dns_no_answer"
    DNS_TIMEOUT = "dns_timeout"
    DNS_NO_RESOLVER = "dns_no_resolver"
    DNS_ERROR = "dns_error"
    DNS_PRIVATE_ADDRESS = "dns_private_address"  # added in 1.5: refused by the client
    # tcp
    TCP_REFUSED = "tcp_refused"
    TCP_TIMEOUT = "tcp_timeout"
    TCP_UNREACHABLE = "tcp_unreachable"
    TCP_ERROR = "tcp_error"
    # proxy_connect
    PROXY_AUTH_REQUIRED = "proxy_auth_required"
    PROXY_AUTH_REJECTED = "proxy_auth_rejected"
    PROXY_AUTH_UNSUPPORTED = "proxy_auth_unsupported"
    PROXY_FORBIDDEN = "proxy_forbidden"
    PROXY_UPSTREAM_FAILED = "proxy_upstream_failed"
    PROXY_CONNECT_REJECTED = "proxy_connect_rejected"
    PROXY_PROTOCOL_ERROR = "proxy_protocol_error"
    PROXY_CLOSED = "proxy_closed"
    PROXY_TIMEOUT = "proxy_timeout"
    # tls
    TLS_TIMEOUT = "tls_timeout"
    TLS_CLOSED = "tls_closed"
    TLS_PROTOCOL_ERROR = "tls_protocol_error"
    TLS_HANDSHAKE_FAILED = "tls_handshake_failed"
    TLS_UNTRUSTED = "tls_untrusted"
    TLS_INTERCEPTION_UNTRUSTED = "tls_interception_untrusted"
    TLS_MISSING_INTERMEDIATE = "tls_missing_intermediate"
    TLS_HOSTNAME_MISMATCH = "tls_hostname_mismatch"
    TLS_EXPIRED = "tls_expired"
    TLS_NOT_YET_VALID = "tls_not_yet_valid"
    # client_cert
    CLIENT_CERT_REQUIRED = "client_cert_required"
    CLIENT_CERT_REJECTED = "client_cert_rejected"
    CLIENT_CERT_CA_MISMATCH = "client_cert_ca_mismatch"
    # http
    HTTP_TIMEOUT = "http_timeout"
    HTTP_CLOSED = "http_closed"
    HTTP_PROTOCOL_ERROR = "http_protocol_error"
    HTTP_NOT_FOUND = "http_not_found"
    HTTP_METHOD_NOT_ALLOWED = "http_method_not_allowed"
    HTTP_SERVER_ERROR = "http_server_error"
    HTTP_UNEXPECTED_STATUS = "http_unexpected_status"
    HTTP_TOO_MANY_REDIRECTS = "http_too_many_redirects"
    HTTP_CROSS_ORIGIN_REDIRECT = "http_cross_origin_redirect"  # added in 1.5
    HTTP_NOT_MCP = "http_not_mcp"
    HTTP_MCP_ERROR = "http_mcp_error"
    # oauth (the answer had an acceptable status but the wrong content)
    OAUTH_INVALID_JSON = "oauth_invalid_json"
    OAUTH_MISSING_FIELD = "oauth_missing_field"
    OAUTH_WRONG_TYPE = "oauth_wrong_type"
    OAUTH_RESOURCE_MISMATCH = "oauth_resource_mismatch"
    OAUTH_ISSUER_MISMATCH = "oauth_issuer_mismatch"
    OAUTH_PKCE_UNSUPPORTED = "oauth_pkce_unsupported"
    OAUTH_INSECURE_ENDPOINT = "oauth_insecure_endpoint"
    OAUTH_ENDPOINT_OTHER_ORIGIN = "oauth_endpoint_other_origin"  # added in 1.5
    OAUTH_NO_REGISTRATION = "oauth_no_registration"
    OAUTH_REGISTRATION_REFUSED = "oauth_registration_refused"
    OAUTH_CLIENT_METADATA_INVALID = "oauth_client_metadata_invalid"
    OAUTH_NOT_OAUTH_RESPONSE = "oauth_not_oauth_response"
    OAUTH_REDIRECT_URI_REJECTED = "oauth_redirect_uri_rejected"
    # callback (the browser's way back to the client)
    LOCALHOST_UNRESOLVED = "localhost_unresolved"
    LOCALHOST_MISMATCH = "localhost_mismatch"
    CALLBACK_PORT_IN_USE = "callback_port_in_use"
    CALLBACK_PORT_UNAVAILABLE = "callback_port_unavailable"
    # netcheck login (added in 1.6): the callback, the code exchange, the token at the MCP
    # server, the refresh
    CALLBACK_TIMEOUT = "callback_timeout"
    CALLBACK_ACCESS_DENIED = "callback_access_denied"
    CALLBACK_ERROR = "callback_error"
    CALLBACK_STATE_MISMATCH = "callback_state_mismatch"
    CALLBACK_ISS_MISSING = "callback_iss_missing"
    CALLBACK_ISS_MISMATCH = "callback_iss_mismatch"
    TOKEN_INVALID_GRANT = "token_invalid_grant"
    TOKEN_INVALID_CLIENT = "token_invalid_client"
    TOKEN_INVALID_TARGET = "token_invalid_target"
    TOKEN_REFUSED = "token_refused"
    TOKEN_REJECTED_BY_SERVER = "token_rejected_by_server"
    TOKEN_AUDIENCE_MISMATCH = "token_audience_mismatch"
    TOKEN_INSUFFICIENT_SCOPE = "token_insufficient_scope"
    NO_REFRESH_TOKEN = "no_refresh_token"
    REFRESH_INVALID_GRANT = "refresh_invalid_grant"
    # whole run
    NETCHECK_UNSUPPORTED = "netcheck_unsupported"
    INTERNAL_ERROR = "internal_error"
    RUN_DEADLINE_EXCEEDED = "run_deadline_exceeded"
    INTERRUPTED = "interrupted"  # the user stopped the run (Ctrl-C) while this hop waited


@dataclass(frozen=True)
class HopResult:
    """What one hop saw, decided once: a change is a new result (:meth:`noted`,
    :meth:`with_details`, ``dataclasses.replace``). ``details`` holds hop-specific evidence
    (JSON-ready values only)."""

    hop: Hop
    status: Status
    message: str
    duration_ms: float = 0.0
    code: Code | None = None
    hint: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    notes: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED

    def noted(self, *notes: str, warn: bool = True) -> HopResult:
        """This result with ``notes`` added; a passed hop becomes a warning unless ``warn``
        is false."""
        status = Status.WARNING if warn and self.status is Status.OK else self.status
        return replace(self, notes=(*self.notes, *notes), status=status)

    def with_details(self, **details: Any) -> HopResult:
        return replace(self, details={**self.details, **details})


@dataclass(frozen=True)
class NotSent:
    """Why the client presents no certificate although one is configured, and the fix."""

    why: str
    fix: str


T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a hop returns: its result and, when it passed, what the next hop needs."""

    result: HopResult
    value: T | None = None


def skipped(hop: Hop, why: str) -> HopResult:
    return HopResult(hop=hop, status=Status.SKIPPED, message=why)


class Finding(Exception):
    """A failure found deep in a check (a bad file, a broken document), raised to the code
    that owns the hop and turned into its failed :class:`HopResult` there."""

    default_hint: str | None = None

    def __init__(self, code: Code, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint or self.default_hint


def failed(hop: Hop, code: Code, message: str, hint: str | None = None,
           **details: Any) -> HopResult:
    return HopResult(hop=hop, status=Status.FAILED, message=message, code=code, hint=hint,
                     details=dict(details))


@dataclass
class StepResult:
    """One request of the flow (or the local ``settings`` validation) and its hops."""

    step: Step
    url: str | None
    hops: list[HopResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # every URL tried for this step, in order (discovery tries several); the hops above are
    # those of the decisive one
    attempts: list[dict[str, Any]] = field(default_factory=list)
    # evidence for some hops still being worked out in the background (the other clients'
    # proxy decisions, a local lookup): notes and details, never a failure, so the flow goes
    # on without it; settle() adds it before the step is shown or reported
    pending: list[tuple[Hop, Future[Callable[[HopResult], HopResult]]]] = field(
        default_factory=list, init=False, repr=False, compare=False)
    _settling: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                      compare=False)

    def settle(self, timeout: float | None = None) -> None:
        """Add the pending evidence to its hops, waiting at most ``timeout`` seconds for each
        piece (what is not there by then, or failed, is left out)."""
        with self._settling:
            while self.pending:
                hop, future = self.pending.pop(0)
                try:
                    complete = future.result(timeout)
                except Exception:  # noqa: BLE001 - evidence only: the hop stands without it
                    continue
                at = next((i for i, result in enumerate(self.hops) if result.hop is hop), None)
                if at is not None:
                    self.hops[at] = complete(self.hops[at])

    @property
    def ran(self) -> bool:
        return any(h.status is not Status.SKIPPED for h in self.hops)

    @property
    def ok(self) -> bool:
        """The step ran and no hop failed (a step that never ran is not ok)."""
        return self.ran and not any(h.failed for h in self.hops)

    @property
    def status(self) -> StepStatus:
        if not self.ran:
            return StepStatus.NOT_RUN
        if any(h.failed for h in self.hops):
            return StepStatus.FAILED
        if any(h.status is Status.WARNING for h in self.hops):
            return StepStatus.WARNING
        return StepStatus.PASSED

    @property
    def not_run_reason(self) -> str | None:
        """Why a step never ran (an earlier step failed, the deadline...); None if it ran."""
        if self.ran:
            return None
        if self.hops:
            return self.hops[0].message
        note = next((n for n in self.notes if n.startswith("not run: ")), None)
        return note.removeprefix("not run: ") if note else "nothing to do"

    def first_failure(self) -> HopResult | None:
        return next((h for h in self.hops if h.failed), None)


def internal_error(step: Step, exc: Exception) -> StepResult:
    """The step in which netcheck hit a bug: the error's type only (its text may hold
    secrets)."""
    return StepResult(step=step, url=None, hops=[failed(
        Hop.HTTP, Code.INTERNAL_ERROR,
        f"netcheck hit an internal error ({exc.__class__.__name__}) in this step",
        "this is a bug in netcheck: please report it with this report attached")])
