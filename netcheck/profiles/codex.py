"""Codex CLI, as measured against its npm release (``tests/real_clients/notes/codex.md``): the
native Rust binary (reqwest on hyper-util, rustls), driven with ``codex mcp list``,
``codex mcp login`` and its app server."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os

from netcheck.profiles.catalog import CLIENTS
from netcheck.profiles.rules import (
    CallbackRules,
    ClientCertRules,
    Env,
    McpRules,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    ReleaseLookup,
    TrustRules,
)
from netcheck.proxy import codex as codex_proxy

CLIENT, RELEASE = CLIENTS["codex"]
CA_VARIABLE = "CODEX_CA_CERTIFICATE"
# rustls-native-certs' candidates (openssl-probe): the first that exists is the system bundle
BUNDLE_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/ca-bundle.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
                "/etc/ssl/cert.pem")
CERT_DIR = "/etc/ssl/certs"


def trust_sources(env: Env) -> tuple[set[str], str]:
    """The system roots (as :func:`system_store` finds them) plus CODEX_CA_CERTIFICATE."""
    extra = {CA_VARIABLE} if env.get(CA_VARIABLE) else set()
    return {"system"} | extra, ("Codex: the system roots (SSL_CERT_FILE replaces them, "
                                "SSL_CERT_DIR their directory) + CODEX_CA_CERTIFICATE, which "
                                "adds to them")


def system_store(env: Env) -> tuple[list[str], str]:
    """SSL_CERT_FILE alone when set (it replaces the bundle file and the directory); else the
    first bundle file that exists, and SSL_CERT_DIR (a ':' list) or /etc/ssl/certs."""
    if env.get("SSL_CERT_FILE"):
        return [env["SSL_CERT_FILE"]], "env SSL_CERT_FILE (it replaces the system roots)"
    files = next(([f] for f in BUNDLE_FILES if os.path.isfile(f)), [])
    dirs = [d for d in env["SSL_CERT_DIR"].split(":") if d] if env.get("SSL_CERT_DIR") else \
        [CERT_DIR] if os.path.isdir(CERT_DIR) else []
    origin = " + ".join(filter(None, [
        "the first system bundle file" if files else "",
        "env SSL_CERT_DIR" if env.get("SSL_CERT_DIR") else ("its directory" if dirs else "")]))
    return files + dirs, origin or "none found"


def callback_id(url: str) -> str:
    """The last segment of Codex's redirect URI: base64url(SHA-256(the MCP URL))[:12]."""
    digest = hashlib.sha256(url.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:12]


def for_server(profile: Profile, url: str, client_args: tuple[str, ...]) -> Profile:
    """Codex's redirect URI names the server: ``/callback/<callback_id(url)>``."""
    return dataclasses.replace(profile, callback=dataclasses.replace(
        profile.callback, path=f"/callback/{callback_id(url)}"))


NO_CERTIFICATE = (
    "Codex cannot send a client certificate at all (no variable, config.toml key or flag for "
    f"one; measured on {RELEASE}): ask the gateway's owners for a way in without one for this "
    "client, or run a local relay that presents it (stunnel in client mode: accept = "
    "127.0.0.1:8443, connect = the server's host:443, cert and key = yours) and give Codex "
    "the relay's http://127.0.0.1:8443 URL, or use a client that can (Claude Code: "
    "CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY)")

CODEX = Profile(
    name="codex",
    client=CLIENT,
    release=RELEASE,
    measured=f"differential tests against npm @openai/codex@{RELEASE} (codex mcp list, codex "
             "mcp login with a $BROWSER stand-in, codex app-server's MCP status)",
    description="Codex CLI: UPPER-case proxy variables first, loopback proxied, no SOCKS, "
                "system roots + CODEX_CA_CERTIFICATE, no client certificate",
    proxy=ProxyRules(model=codex_proxy.MODEL, schemes=("http", "https"),
                     auth_schemes=("Basic",), unusable_value=Reaction.GOES_ON,
                     reads=frozenset({"http_proxy", "https_proxy", "all_proxy"})),
    trust=TrustRules(sources=trust_sources, ca_fix=CA_VARIABLE, ca_fix_adds=True,
                     verification_off=lambda env: None, unusable_extra_ca=Reaction.STOPS,
                     system_store=system_store, partial_wildcards=False),
    client_cert=ClientCertRules(variables=None, formats=frozenset(), given_by=NO_CERTIFICATE,
                                can_present=False),
    oauth=OAuthRules(issuer_mismatch=Reaction.STOPS, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.STOPS, uses_client_metadata_documents=True,
                     insecure_endpoint=Reaction.GOES_ON, issuer_slash_tolerant=True,
                     cimd_needs_public_client=True,
                     authorization_endpoint_other_origin=Reaction.STOPS,
                     falls_back_to_mcp_origin=True, default_endpoints_on_origin=True,
                     prm_path_appended="before_root",
                     # refuses a callback without iss the server advertises (measured: netcheck
                     # login agreement, tests/real_clients/notes/login.md, case no-iss)
                     requires_advertised_iss=True,
                     # a resource of https://h/mcp/ for https://h/mcp is refused (the same
                     # measurement, case resource-slash)
                     prm_resource_slash_strict=True),
    callback=CallbackRules(
        redirect_host="127.0.0.1", listen_address="127.0.0.1", path="/callback/ID",
        system_port=True,
        port_setting="mcp_oauth_callback_port in config.toml, or the server's "
                     "[mcp_servers.NAME.oauth] callback_port (which wins)",
        port_in_use_words="Error: Address in use (os error 98)",
        measured=f"Codex {RELEASE} on Linux, codex mcp login (notes/codex.md): redirect_uri "
                 "http://127.0.0.1:PORT/callback/ID, ID = base64url(SHA-256(the MCP URL))[:12], "
                 "listening on 127.0.0.1 only; PORT from the system unless set; a fixed port "
                 "held on 127.0.0.1 stops the login, one held on ::1 only does not"),
    mcp=McpRules(cross_origin_redirect=Reaction.STOPS,
                 measured="codex app-server: 'MCP HTTP redirect to a different origin is not "
                          "allowed'"),
    installed=ReleaseLookup(commands=("codex",), packages=("@openai/codex",),
                            version_args=("--version",),
                            version_pattern=r"(\d+\.\d+\.\d+)"),
    adapt=for_server,
)
