"""What a profile says about its client: one frozen record per concern.

A profile is a claim about a real client release: where its settings come from, how it picks a
proxy, what it trusts, which client certificates it can present, and which OAuth deviations it
refuses. Each field is a measured fact about that release (see ``tests/real_clients``), not a
reading of its documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

Env = Mapping[str, str]


class Reaction(StrEnum):
    """What a client does when it meets a deviation from the specification."""

    STOPS = "stops"  # the client gives up: netcheck fails the hop there
    GOES_ON = "goes_on"  # the client carries on: netcheck warns and names the rule


class CertFormat(StrEnum):
    """How a client certificate and its key can be stored."""

    PEM = "PEM certificate and PEM key in two files"
    PEM_COMBINED = "PEM certificate and key in one file"
    DER = "DER certificate and key"
    PKCS12 = "PKCS#12 (.p12/.pfx)"


@dataclass(frozen=True)
class ProxyRules:
    model: str  # a key of netcheck.proxy.registry.MODELS
    schemes: tuple[str, ...]  # proxy URL schemes the client accepts
    auth_schemes: tuple[str, ...]  # what it can answer a 407 with
    reads: frozenset[str] | None  # proxy variables it reads (lower case); None: every *_proxy
    # SOCKS schemes for which the client sends the name and the proxy resolves it (otherwise
    # the client resolves it and sends the address)
    socks_remote_dns: frozenset[str] = frozenset({"socks5h", "socks4a"})
    # a proxy variable it cannot use: STOPS the client at start, or it GOES_ON and each
    # request decides (ignores the value, or fails: the proxy_resolve hop says which)
    unusable_value: Reaction = Reaction.STOPS
    # the model of its OAuth requests, where they take another route than the MCP request
    # (Gemini CLI: the session's proxy); None: the same
    oauth_model: str | None = None
    # when it goes direct although a proxy variable is set, because a flag of its own is
    # missing: what to change (mcp-remote without --enable-proxy)
    ignored_proxy_fix: str = ""


@dataclass(frozen=True)
class TrustRules:
    """``sources(env)``: the trust sources the client verifies servers against, and why (see
    netcheck.settings.trust for the names). ``verification_off(env)``: the setting that turns
    certificate verification off, when one does."""

    sources: Callable[[Env], tuple[set[str], str]]
    ca_fix: str  # the variable a user sets to make the client trust a CA
    ca_fix_adds: bool  # True: it adds to the client's roots; False: it replaces them
    verification_off: Callable[[Env], str | None]
    unusable_extra_ca: Reaction  # an extra-CA file the client cannot read: does it stop?
    # the files the client's "system" store is read from, and where they came from; None: as
    # OpenSSL finds it (its default file, or SSL_CERT_FILE / SSL_CERT_DIR)
    system_store: Callable[[Env], tuple[list[str], str]] | None = None
    # where ca_fix replaces: the directories the client still reads roots from with it set
    # (OpenSSL's CA directory, Go's certificate directories), so that a file with the new
    # root alone keeps the public roots on this machine; and what else the hint must say
    ca_fix_keeps: Callable[[Env], list[str]] | None = None
    ca_fix_caveat: str = ""
    # whether a certificate name like "m*.corp.test" (a wildcard inside the left-most label)
    # matches: Node's checkServerIdentity and Claude Code accept it, OpenSSL's clients
    # (Python, curl) and Go do not
    partial_wildcards: bool = False
    # the sources an https:// proxy's own certificate is checked against, where the client
    # does not use the servers' (curl: --proxy-cacert or its default bundle), and the flag
    # that gives it one more CA
    proxy_sources: Callable[[Env], tuple[set[str], str]] | None = None
    proxy_ca_flag: str | None = None
    # sources whose unusable file the client treats otherwise than ``unusable_extra_ca``
    # (Copilot skips a bad NODE_EXTRA_CA_CERTS but fails on a bad SSL_CERT_FILE)
    unusable_by_source: Mapping[str, Reaction] = field(default_factory=dict)

    def on_unusable(self, source: str) -> Reaction:
        return self.unusable_by_source.get(source, self.unusable_extra_ca)


@dataclass(frozen=True)
class ClientCertRules:
    """Where the client takes its certificate from, and the formats it can present."""

    variables: tuple[str, str, str] | None  # cert, key, passphrase variables; None: no variables
    formats: frozenset[CertFormat]
    given_by: str  # how a user gives this client a certificate, for hints
    unknown: str = ""  # what netcheck cannot know about how the client presents it
    # a certificate it cannot use (format, unreadable file, no key): STOPS the client, or it
    # GOES_ON without sending one
    unusable: Reaction = Reaction.STOPS
    # False: the client has no way at all to present one (no variable, setting or flag);
    # ``given_by`` then says what its users can do instead
    can_present: bool = True


@dataclass(frozen=True)
class OAuthRules:
    """What the client does with each deviation of the authorization server's metadata."""

    issuer_mismatch: Reaction
    pkce_methods_absent: Reaction
    pkce_without_s256: Reaction
    uses_client_metadata_documents: bool  # without a registration endpoint, uses a CIMD URL
    insecure_endpoint: Reaction = Reaction.STOPS  # a plain http:// endpoint (not loopback)
    # a document found at an OpenID configuration URL must hold the OpenID provider fields
    # (jwks_uri, subject_types_supported, id_token_signing_alg_values_supported)
    openid_fields_required: bool = False
    # an issuer that differs only by its trailing slash is the same issuer (Codex,
    # mcp-remote); otherwise the comparison is character for character
    issuer_slash_tolerant: bool = False
    # Client ID Metadata Documents only when the server also takes public clients
    # ("none" in token_endpoint_auth_methods_supported), then before registration (Codex)
    cimd_needs_public_client: bool = False
    # an authorization endpoint on another origin than the issuer's, without "iss" in the
    # callback (authorization_response_iss_parameter_supported): Codex STOPS
    authorization_endpoint_other_origin: Reaction = Reaction.GOES_ON
    # no authorization-server metadata anywhere: the client assumes the MCP server's origin
    # is its authorization server and tries its metadata URLs, then POST /register there
    # (Codex); otherwise it stops at the protected-resource metadata
    falls_back_to_mcp_origin: bool = False
    # protected-resource metadata whose resource is another server's: the client STOPS, or
    # it GOES_ON as without one (Copilot: then the MCP server's origin, see above)
    prm_resource_mismatch: Reaction = Reaction.STOPS
    # no authorization-server metadata found at all: the client takes /authorize, /token and
    # /register on the MCP server's origin (Codex); otherwise it stops there
    default_endpoints_on_origin: bool = False
    # protected-resource metadata URLs: also ``<server path>/.well-known/oauth-protected-
    # resource``, "before_root" (Codex) or "after_root" (Copilot); "": not asked
    prm_path_appended: str = ""
    # without resource_metadata in the challenge, the path-inserted URL is asked before the
    # root one (False: the root one only: Gemini CLI)
    prm_path_inserted: bool = True
    # the client looks each OAuth endpoint's name up itself, also through a proxy, and refuses
    # private, loopback, link-local, CGNAT and reserved addresses (Gemini CLI)
    public_endpoints_only: bool = False
    # the client does not compare the issuer: it fetches the metadata again from the issuer
    # the document names (Gemini CLI), so another issuer is another server to reach
    refetches_from_issuer: bool = False
    # a callback without ``iss`` is refused once the issuer is known (RFC 9207: Gemini CLI)
    requires_iss: bool = False
    # a callback without ``iss`` is refused when the server advertises it
    # (authorization_response_iss_parameter_supported: Claude Code, Codex, mcp-remote)
    requires_advertised_iss: bool = False
    # the protected-resource metadata's resource may not have a longer path than the MCP
    # URL's: https://h/mcp/ is refused for https://h/mcp (Claude Code, Codex, mcp-remote)
    prm_resource_slash_strict: bool = False


@dataclass(frozen=True)
class McpRules:
    """What the client needs of the MCP URL's first answers."""

    # a redirect to another origin: the client STOPS ("MCP HTTP redirect to a different
    # origin is not allowed": Codex) or follows it as a new request
    cross_origin_redirect: Reaction = Reaction.GOES_ON
    measured: str = ""


@dataclass(frozen=True)
class CallbackRules:
    """Where the client waits for the browser at the end of the login: the loopback
    ``redirect_uri`` it sends and the listener behind it."""

    redirect_host: str  # the host in the redirect_uri ("localhost" or an address)
    listen_address: str  # the address the listener binds
    path: str = "/callback"
    port_variable: str | None = None  # an environment variable that fixes the port
    # no port set: a random free port from this range (tried up to 100 times), then
    # fallback_port, then one the system picks
    ephemeral_ports: tuple[int, int] | None = None
    ephemeral_ports_windows: tuple[int, int] | None = None  # the same on Windows, if it differs
    fallback_port: int | None = None
    default_port: int | None = None  # no port set and no random pick: this port
    # True: the listener is the application's (an SDK leaves it to the program)
    owned_by_application: bool = False
    measured: str = ""  # how and against which release these facts were measured
    # no port set and no range: a port the system picks (bind to 0), new for every login
    system_port: bool = False
    # the default port taken: the client tries the next ones, this many in all (mcp-remote 8)
    port_tries: int = 1
    # how a user fixes the port, for hints ("the server's oauth.callbackPort, ...")
    port_setting: str = ""
    # what the client says when its port is taken, for the verdict ({port}, {last}: the
    # port, and the last one it tries)
    port_in_use_words: str = ""


# A program on an MCP SDK runs its own callback listener; netcheck checks a stand-in at the
# address and port a program commonly uses, and --callback-port names the real one.
APPLICATION_CALLBACK = CallbackRules(
    redirect_host="127.0.0.1", listen_address="127.0.0.1", default_port=33418,
    owned_by_application=True,
    measured="not a property of the SDK: the application chooses its redirect_uri and runs "
             "the listener")


@dataclass(frozen=True)
class ClientSettings:
    """What a client's own settings files add to its environment: values under names no
    variable has (``@proxyUrl``), each with the file it came from, and the files read."""

    values: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)  # name -> "the file (key)"
    files: tuple[dict[str, Any], ...] = ()  # each file: path, read, applied, why (report)


@dataclass(frozen=True)
class ReleaseLookup:
    """How netcheck finds which release of the client is installed here, without running its
    network code (:mod:`netcheck.profiles.installed`)."""

    commands: tuple[str, ...]  # its executables, looked for on PATH
    # the npm packages whose package.json carries the release (a platform package named
    # NAME-os-arch counts too)
    packages: tuple[str, ...] = ()
    version_args: tuple[str, ...] = ()  # when the files do not tell: COMMAND ARGS; () never
    version_pattern: str = r"(\d+\.\d+\.\d+)"
    npx: bool = False  # users run it through npx: npm's npx cache holds the release


@dataclass(frozen=True)
class Profile:
    name: str
    client: str  # the client's name as users know it
    release: str  # the release the profile was measured against
    measured: str  # how it was measured, for the report and --help
    description: str
    proxy: ProxyRules
    trust: TrustRules
    client_cert: ClientCertRules
    oauth: OAuthRules
    is_mcp_client: bool = True  # False: a raw HTTP client, its OAuth rules are the spec's
    reads_claude_settings: bool = False  # applies the env blocks of Claude Code's settings files
    callback: CallbackRules = APPLICATION_CALLBACK  # the loopback callback of the login
    installed: ReleaseLookup | None = None  # None: not a program here (an SDK, a library)
    mcp: McpRules = McpRules()
    # the profile as the client runs for one server: its URL and its own arguments change
    # what it does (mcp-remote's --enable-proxy, --host; Codex's callback path); None: as is
    adapt: Callable[[Profile, str, tuple[str, ...]], Profile] | None = None
    # where the client's own settings add to its environment, read by gather (Claude Code's
    # settings files are read by netcheck.settings.claude_settings)
    settings_reader: Callable[[Mapping[str, str], Path, Path], ClientSettings] | None = None
    # what the client's arguments for a server set among netcheck's options (mcp-remote's
    # --static-oauth-client-info sets the client id, --transport sse-only the transport),
    # and the problem that stops the client at start with them (None: it starts)
    options_from_args: Callable[[str, tuple[str, ...]], tuple[Mapping[str, Any], str | None]] \
        | None = None

    def for_server(self, url: str, client_args: tuple[str, ...] = ()) -> Profile:
        """This profile as its client runs for ``url`` with ``client_args``."""
        return self.adapt(self, url, client_args) if self.adapt is not None else self

    @property
    def label(self) -> str:
        return f"{self.client} {self.release}"
