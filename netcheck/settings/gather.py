"""Gathering the settings a client would use, recording where each value came from.

Flags override the environment. ``--proxy`` and ``--no-proxy`` are applied *as variables* (as if
the user had exported them), so every client model sees them the way it reads variables.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netcheck.defaults import DEFAULT_DEADLINE, DEFAULT_TIMEOUT
from netcheck.net.address import authority, port_problem
from netcheck.profiles import DEFAULT_PROFILE, PROFILES, Profile
from netcheck.profiles.rules import ClientSettings
from netcheck.proxy.models import is_http_url
from netcheck.proxy.url_checks import proxy_flag_problem
from netcheck.redaction import SECRET_VARIABLES, Secret, redact_proxy, redact_url
from netcheck.settings import claude_settings
from netcheck.settings.claude_settings import ClaudeSettings
from netcheck.settings.platform_paths import home_dir

PASSPHRASE_VARIABLE = "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"
CERT_VARIABLES = ("CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY", PASSPHRASE_VARIABLE)
TRUST_VARIABLES = ("NODE_EXTRA_CA_CERTS", "CODEX_CA_CERTIFICATE", "CLAUDE_CODE_CERT_STORE",
                   "SSL_CERT_FILE",
                   "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
OTHER_VARIABLES = ("REQUEST_METHOD", "NODE_USE_ENV_PROXY", "NODE_TLS_REJECT_UNAUTHORIZED",
                   "NODE_OPTIONS", "CLAUDE_CODE_PROXY_RESOLVES_HOSTS")


class UsageError(Exception):
    """Bad flags or an unusable URL: exit status 2."""


@dataclass(frozen=True)
class Options:
    """What the user asked for on the command line."""

    url: str
    client: str = DEFAULT_PROFILE
    proxy: str | None = None
    no_proxy: str | None = None
    cert: str | None = None
    key: str | None = None
    key_passphrase_env: str | None = None
    cacert: tuple[str, ...] = ()
    proxy_cacert: tuple[str, ...] = ()  # for an https:// proxy only (curl's --proxy-cacert)
    dns_server: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    public_roots: str | None = None
    headers: tuple[str, ...] = ()  # "Name: value", as in an MCP config's "headers"
    client_id: str | None = None
    client_metadata_url: str | None = None
    auth_server_metadata: str | None = None
    register: bool = False
    oauth: bool = True  # False: stop after the MCP server's first request
    deadline: float = DEFAULT_DEADLINE
    reuse_connections: bool = True  # keep-alive per origin and route, as clients do
    claude_settings: tuple[str, ...] = ()  # as `claude --settings` (a file or JSON)
    callback_port: int | None = None  # the OAuth redirect's loopback port (oauth.callbackPort)
    transport: str = "http"  # "sse": a legacy SSE server, first reached with a GET
    # the client's own arguments for this server, as in its configuration (mcp-remote's
    # --enable-proxy, --host, ...): the profile adapts to them (Profile.for_server)
    client_flags: tuple[str, ...] = ()
    # the client release the configuration pins (``npx mcp-remote@0.15.1``), if it does
    client_release: str | None = None


@dataclass(frozen=True)
class Sourced:
    value: str
    source: str  # "flag --cert", "env CLAUDE_CODE_CLIENT_CERT", ...

    def to_json(self) -> dict[str, str]:
        return {"value": self.value, "source": self.source}


@dataclass
class Settings:
    profile: Profile
    env: dict[str, str]  # the environment as the client sees it: its files, then flags
    origins: dict[str, str] = field(default_factory=dict)  # variable -> where, if not env
    claude: ClaudeSettings | None = None  # Claude Code's settings files, when the profile
    client_settings: ClientSettings | None = None  # the client's own settings files, read
    client_flags: tuple[str, ...] = ()  # the client's arguments the profile was adapted to
    cert: Sourced | None = None
    key: Sourced | None = None
    passphrase: Secret | None = None
    passphrase_source: str | None = None
    cacerts: list[str] = field(default_factory=list)
    proxy_cacerts: tuple[str, ...] = ()
    dns_server: tuple[str, int] | None = None
    timeout: float = DEFAULT_TIMEOUT
    public_roots: str | None = None
    headers: list[tuple[str, Secret]] = field(default_factory=list)
    deadline: float = DEFAULT_DEADLINE
    reuse_connections: bool = True

    def provenance(self, name: str) -> str:
        return self.origins.get(name, f"env {name}")

    def to_json(self) -> dict[str, Any]:
        return {
            "proxy_variables": {
                name: {"value": redact_proxy(value), "source": self.provenance(name)}
                for name, value in self.env.items() if is_proxy_variable(name)
            },
            "client_certificate": self.cert.to_json() if self.cert else None,
            "client_key": self.key.to_json() if self.key else None,
            "key_passphrase": {"set": True, "source": self.passphrase_source}
            if self.passphrase else None,
            "extra_ca_files": [{"value": p, "source": "flag --cacert"} for p in self.cacerts]
            + [{"value": p, "source": "flag --proxy-cacert"} for p in self.proxy_cacerts],
            "dns_server": authority(*self.dns_server) if self.dns_server
            else "system resolver",
            "timeout_seconds": self.timeout,
            "deadline_seconds": self.deadline,
            "reuse_connections": self.reuse_connections,
            "public_roots": self.public_roots or "certifi",
            "headers": [name for name, _value in self.headers],
            "claude_code_settings": self.claude.to_json() if self.claude else None,
            "client_settings_files": list(self.client_settings.files)
            if self.client_settings else None,
            "client_arguments": shown_arguments(self.client_flags),
        }


# a client's arguments whose next word can hold a secret (a header's value, a client secret)
SECRET_ARGUMENTS = frozenset({"--header", "--static-oauth-client-info",
                              "--static-oauth-client-metadata", "--authorize-param"})


def secret_arguments(args: tuple[str, ...]) -> list[str]:
    """The words of ``args`` that follow a flag whose value can be a secret."""
    return [args[i + 1] for i, word in enumerate(args[:-1]) if word in SECRET_ARGUMENTS]


def shown_arguments(args: tuple[str, ...]) -> list[str]:
    """``args`` as the report shows them: a secret-bearing flag's value redacted (a header
    keeps its name)."""
    hidden = {i + 1 for i, word in enumerate(args[:-1]) if word in SECRET_ARGUMENTS}
    return [(f"{args[i].partition(':')[0]}: <redacted>" if args[i - 1] == "--header" else
             "<redacted>") if i in hidden else word for i, word in enumerate(args)]


def is_proxy_variable(name: str) -> bool:
    """A proxy variable, or a client's own proxy setting put beside them (``@proxyUrl``)."""
    lower = name.lower()
    return lower.endswith("_proxy") or lower in ("request_method",) or \
        (name.startswith("@") and "proxy" in lower)


def gather(options: Options, environ: Mapping[str, str], cwd: Path | None = None) -> Settings:
    """Settings for ``options`` under ``environ`` (in ``cwd``, where Claude Code looks for
    project settings); raises :class:`UsageError` for bad flags."""
    profile = PROFILES.get(options.client)
    if profile is None:
        raise UsageError(f"unknown --client {options.client!r}; choose one of "
                         f"{', '.join(PROFILES)}")
    if options.client_flags and profile.adapt is None:
        raise UsageError(f"--client-arg is for clients that take arguments per server "
                         f"(mcp-remote), not {profile.name}")
    profile = profile.for_server(options.url, options.client_flags)
    if not 0 < options.timeout < 3600:
        raise UsageError("--timeout must be a number of seconds above 0 and below 3600")
    if not 0 < options.deadline <= 86400:
        raise UsageError("--deadline must be a number of seconds above 0 and at most 86400")
    if options.callback_port is not None and not 0 < options.callback_port <= 65535:
        raise UsageError("--callback-port must be a whole number from 1 to 65535")
    env, claude = dict(environ), None
    origins: dict[str, str] = {}
    if options.proxy_cacert and profile.trust.proxy_ca_flag != "--proxy-cacert":
        raise UsageError(f"--proxy-cacert is for the curl profile: {profile.client} checks a "
                         "proxy's certificate against the same CAs as servers' (--cacert)")
    if options.claude_settings and not profile.reads_claude_settings:
        raise UsageError(f"--claude-settings is for the claude-code profile, not {profile.name}")
    if profile.reads_claude_settings:
        home = Path(home_dir(environ))
        claude = claude_settings.read(environ, home, cwd or Path.cwd(), options.claude_settings)
        env, origins = claude.apply(environ)
    client_settings = None
    if profile.settings_reader is not None:
        client_settings = profile.settings_reader(environ, Path(home_dir(environ)),
                                                  cwd or Path.cwd())
        env.update(client_settings.values)
        origins.update(client_settings.origins)
    if options.proxy is not None:
        if (problem := proxy_flag_problem(options.proxy)) is not None:
            raise UsageError(problem)
        for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
            env[name] = options.proxy
            origins[name] = "flag --proxy"
    if options.no_proxy is not None:
        for name in ("no_proxy", "NO_PROXY"):
            env[name] = options.no_proxy
            origins[name] = "flag --no-proxy"

    settings = Settings(profile=profile, env=env, origins=origins, claude=claude,
                        client_settings=client_settings, client_flags=options.client_flags,
                        timeout=options.timeout,
                        cacerts=list(options.cacert), proxy_cacerts=options.proxy_cacert,
                        public_roots=options.public_roots,
                        deadline=options.deadline,
                        reuse_connections=options.reuse_connections)
    reads_env = profile.client_cert.variables is not None
    if options.cert:
        settings.cert = Sourced(options.cert, "flag --cert")
    elif reads_env and env.get("CLAUDE_CODE_CLIENT_CERT"):
        settings.cert = Sourced(env["CLAUDE_CODE_CLIENT_CERT"],
                                settings.provenance("CLAUDE_CODE_CLIENT_CERT"))
    if options.key:
        settings.key = Sourced(options.key, "flag --key")
    elif reads_env and env.get("CLAUDE_CODE_CLIENT_KEY"):
        settings.key = Sourced(env["CLAUDE_CODE_CLIENT_KEY"],
                               settings.provenance("CLAUDE_CODE_CLIENT_KEY"))
    if options.key_passphrase_env:
        name = options.key_passphrase_env
        if name not in environ:
            raise UsageError(f"--key-passphrase-env names {name}, which is not set")
        settings.passphrase = Secret(environ[name])
        settings.passphrase_source = f"env {name} (--key-passphrase-env)"
    elif env.get(PASSPHRASE_VARIABLE):
        settings.passphrase = Secret(env[PASSPHRASE_VARIABLE])
        settings.passphrase_source = settings.provenance(PASSPHRASE_VARIABLE)
    if options.dns_server:
        settings.dns_server = parse_dns_server(options.dns_server)
    settings.headers = [parse_header(h) for h in options.headers]
    for flag, url in (("--client-metadata-url", options.client_metadata_url),
                      ("--auth-server-metadata", options.auth_server_metadata)):
        if url is not None:
            require_http_url(flag, url)
    return settings


def require_http_url(flag: str, url: str) -> None:
    if not is_http_url(url):
        raise UsageError(f"{flag} wants an absolute https:// URL, not {url!r}")


def parse_header(text: str) -> tuple[str, Secret]:
    """``Name: value``; the value is kept secret (it is often a token or an API key)."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n") or "\n" in value \
            or "\r" in value:
        raise UsageError("--header wants 'Name: value'")
    return name, Secret(value.strip())


def parse_dns_server(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"--dns-server wants an IP address[:port], not {text!r}") from None
    if port_problem(port) is not None:
        raise UsageError(f"--dns-server port {port!r} is not a port number")
    return host, int(port)


def relevant_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a support engineer needs to see, with secrets redacted."""
    names = [n for n in environ if is_proxy_variable(n) or (n.lower().startswith("npm_config_")
             and n.lower().endswith("proxy"))]
    names += [n for n in (*CERT_VARIABLES, *TRUST_VARIABLES, *OTHER_VARIABLES) if n in environ]
    out = {}
    for name in sorted(set(names)):
        value = environ[name]
        if name in SECRET_VARIABLES:
            out[name] = "<redacted, set>"
        else:
            out[name] = redact_proxy(value) if is_proxy_variable(name) else redact_url(value)
    return out
