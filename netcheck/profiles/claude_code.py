"""Claude Code, as measured against its npm release (``tests/real_clients``)."""

from __future__ import annotations

import os
import stat

from netcheck.profiles.catalog import CLIENTS
from netcheck.profiles.rules import (
    CallbackRules,
    CertFormat,
    ClientCertRules,
    Env,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    ReleaseLookup,
    TrustRules,
)

CLIENT, RELEASE = CLIENTS["claude-code"]


def trust_sources(env: Env) -> tuple[set[str], str]:
    """CLAUDE_CODE_CERT_STORE (default ``bundled,system``) plus NODE_EXTRA_CA_CERTS."""
    value = env.get("CLAUDE_CODE_CERT_STORE") or ""
    stores = {s.strip().lower() for s in value.split(",")} & {"bundled", "system"}
    if not stores:  # empty, or nothing it knows: the default (measured)
        stores, value = {"bundled", "system"}, ""
    why = ("CLAUDE_CODE_CERT_STORE=" + value) if env.get("CLAUDE_CODE_CERT_STORE") else \
        "Claude Code default: bundled,system"
    return stores | ({"NODE_EXTRA_CA_CERTS"} if env.get("NODE_EXTRA_CA_CERTS") else set()), why


SYSTEM_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem")
SYSTEM_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")


def _with_directory_files(files: list[str], dirs: list[str]) -> list[str]:
    """``files``, then each file of ``dirs`` that is not one of them (after links: the same
    device and inode; one ``stat`` each, where resolving every link costs ten times more)."""
    files = list(files)
    seen = {identity for identity in map(_file_identity, files) if identity is not None}
    for directory in dirs:
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            path = os.path.join(directory, name)
            identity = _file_identity(path)
            if identity is not None and identity not in seen:
                seen.add(identity)
                files.append(path)
    return files


def _file_identity(path: str) -> tuple[int, int] | None:
    """The regular file ``path`` leads to, or None (missing, a directory, a broken link)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def system_store(env: Env) -> tuple[list[str], str]:
    """Claude Code's "system" store (measured on Linux): SSL_CERT_FILE, else the usual bundle
    files; and every certificate file in SSL_CERT_DIR (a ':' list), else the usual
    directories, hash-named or not."""
    files = [env["SSL_CERT_FILE"]] if env.get("SSL_CERT_FILE") else \
        [f for f in SYSTEM_FILES if os.path.isfile(f)]
    dirs = [d for d in env["SSL_CERT_DIR"].split(":") if d] if env.get("SSL_CERT_DIR") else \
        [d for d in SYSTEM_DIRS if os.path.isdir(d)]
    from netcheck.settings.files import unchanged

    found = unchanged.get([*files, *dirs], ("claude-code system store", tuple(files)),
                          lambda: _with_directory_files(files, dirs))
    files = list(found)
    origin = " + ".join(filter(None, [
        "env SSL_CERT_FILE" if env.get("SSL_CERT_FILE") else "the usual bundle files",
        "every file in " + ("env SSL_CERT_DIR" if env.get("SSL_CERT_DIR") else
                            "the usual certificate directories") if dirs else ""]))
    return files, origin


def node_verification_off(env: Env) -> str | None:
    """Node (and Claude Code) stop verifying certificates when this variable is exactly "0"."""
    return "NODE_TLS_REJECT_UNAUTHORIZED=0" if env.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0" \
        else None


CLAUDE_CODE = Profile(
    name="claude-code",
    client=CLIENT,
    release=RELEASE,
    measured=f"differential tests against npm @anthropic-ai/claude-code@{RELEASE} "
             "(claude mcp list and the /mcp authentication flow)",
    description="Claude Code: its own proxy selection, settings files, trust stores and "
                "CLAUDE_CODE_CLIENT_* certificate",
    proxy=ProxyRules(model="claude-code", schemes=("http", "https"), auth_schemes=("Basic",),
                     reads=frozenset({"http_proxy", "https_proxy", "all_proxy"})),
    trust=TrustRules(sources=trust_sources, ca_fix="NODE_EXTRA_CA_CERTS", ca_fix_adds=True,
                     verification_off=node_verification_off,
                     unusable_extra_ca=Reaction.GOES_ON, system_store=system_store,
                     partial_wildcards=True),
    client_cert=ClientCertRules(
        variables=("CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY",
                   "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"),
        formats=frozenset({CertFormat.PEM}),
        given_by="CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY (PEM files)",
        unusable=Reaction.GOES_ON),
    oauth=OAuthRules(issuer_mismatch=Reaction.GOES_ON, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.STOPS, uses_client_metadata_documents=True,
                     insecure_endpoint=Reaction.GOES_ON, openid_fields_required=True,
                     # refuses a callback without iss the server advertises (measured: netcheck
                     # login agreement, tests/real_clients/notes/login.md, case no-iss)
                     requires_advertised_iss=True,
                     # a resource of https://h/mcp/ for https://h/mcp is refused (the same
                     # measurement, case resource-slash)
                     prm_resource_slash_strict=True),
    reads_claude_settings=True,
    installed=ReleaseLookup(commands=("claude",), packages=("@anthropic-ai/claude-code",),
                            version_args=("--version",)),
    callback=CallbackRules(
        redirect_host="localhost", listen_address="127.0.0.1", path="/callback",
        port_variable="MCP_OAUTH_CALLBACK_PORT", ephemeral_ports=(49152, 65535),
        ephemeral_ports_windows=(39152, 49151), fallback_port=3118,
        port_setting="claude mcp add ... --callback-port PORT, the server's oauth.callbackPort, "
                     "or MCP_OAUTH_CALLBACK_PORT=PORT",
        port_in_use_words="OAuth callback port {port} is already in use",
        measured=f"Claude Code {RELEASE} on Linux, /mcp -> Authenticate (tests/real_clients/"
                 "notes/claude-code-callback.md): redirect_uri http://localhost:PORT/callback, "
                 "listening on 127.0.0.1:PORT only (ss -ltnp); no port set: PORT random in "
                 "49152-65535 (e.g. 54031, 65500, 49638), new for every login; the server's "
                 "oauth.callbackPort is used as given, before MCP_OAUTH_CALLBACK_PORT; a fixed "
                 "port held on 127.0.0.1 stops the login ('OAuth callback port N is already in "
                 "use'), one held on ::1 only does not. From the binary, not run: up to 100 "
                 "random tries, then port 3118; Windows draws from 39152-49151"),
)
