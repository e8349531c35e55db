"""What a profile says about its client: one frozen record per concern.

A profile is a claim about a real client release: where its settings come from, how it picks a
proxy, what it trusts, which client certificates it can present, and which OAuth deviations it
refuses. Each field is a measured fact about that release (see ``tests/real_clients``), not a
reading of its documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

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


# A program on an MCP SDK runs its own callback listener; netcheck checks a stand-in at the
# address and port a program commonly uses, and --callback-port names the real one.
APPLICATION_CALLBACK = CallbackRules(
    redirect_host="127.0.0.1", listen_address="127.0.0.1", default_port=33418,
    owned_by_application=True,
    measured="not a property of the SDK: the application chooses its redirect_uri and runs "
             "the listener")


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

    @property
    def label(self) -> str:
        return f"{self.client} {self.release}"
