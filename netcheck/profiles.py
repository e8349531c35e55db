"""Client profiles: which proxy model, trust stores and variables a given MCP client uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    proxy_model: str
    # The variable a user sets to make this client trust a CA (which stores the client uses
    # is decided in settings/trust.py).
    ca_fix: str
    reads_client_cert_variables: bool  # CLAUDE_CODE_CLIENT_CERT / _KEY / _KEY_PASSPHRASE
    proxy_auth_schemes: tuple[str, ...]  # schemes the client can answer a 407 with
    proxy_schemes: tuple[str, ...]  # proxy URL schemes the client accepts


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="claude-code",
            description="Claude Code (Node.js build): undici EnvHttpProxyAgent, Node trust",
            proxy_model="node-undici",
            ca_fix="NODE_EXTRA_CA_CERTS",
            reads_client_cert_variables=True,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https"),
        ),
        Profile(
            name="node",
            description="Node.js clients using proxy-from-env (axios and many SDKs), Node trust",
            proxy_model="node-proxy-from-env",
            ca_fix="NODE_EXTRA_CA_CERTS",
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https"),
        ),
        Profile(
            name="curl",
            description="curl (libcurl with OpenSSL)",
            proxy_model="curl",
            ca_fix="CURL_CA_BUNDLE",
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic", "Digest", "NTLM", "Negotiate"),
            proxy_schemes=("http", "https", "socks4", "socks4a", "socks5", "socks5h"),
        ),
        Profile(
            name="python",
            description="Python clients on httpx (the MCP Python SDK), certifi trust",
            proxy_model="python-httpx",
            ca_fix="SSL_CERT_FILE",
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https", "socks5", "socks5h"),
        ),
        Profile(
            name="go",
            description="Go net/http clients, system trust",
            proxy_model="go",
            ca_fix="SSL_CERT_FILE",
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https", "socks5"),
        ),
    )
}

DEFAULT_PROFILE = "claude-code"
