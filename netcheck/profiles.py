"""Client profiles: which proxy model, trust stores and variables a given MCP client uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    proxy_model: str
    # Trust: the stores the client verifies servers against, before extra CA variables.
    default_stores: tuple[str, ...]  # of "bundled" (Mozilla roots), "system" (OS store)
    store_variable: str | None  # a variable that chooses the stores (CLAUDE_CODE_CERT_STORE)
    ca_file_variables: tuple[str, ...]  # variables that *replace* the stores with one file
    extra_ca_variable: str | None  # a variable that *adds* a CA file (NODE_EXTRA_CA_CERTS)
    reads_client_cert_variables: bool  # CLAUDE_CODE_CLIENT_CERT / _KEY / _KEY_PASSPHRASE
    proxy_auth_schemes: tuple[str, ...]  # schemes the client can answer a 407 with
    proxy_schemes: tuple[str, ...]  # proxy URL schemes the client accepts

    @property
    def ca_fix(self) -> str:
        """The variable a user sets to trust an extra CA with this client."""
        return self.extra_ca_variable or (self.ca_file_variables[0] if self.ca_file_variables
                                          else "--cacert")


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="claude-code",
            description="Claude Code (Node.js build): undici EnvHttpProxyAgent, Node trust",
            proxy_model="node-undici",
            default_stores=("bundled", "system"),
            store_variable="CLAUDE_CODE_CERT_STORE",
            ca_file_variables=(),
            extra_ca_variable="NODE_EXTRA_CA_CERTS",
            reads_client_cert_variables=True,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https"),
        ),
        Profile(
            name="node",
            description="Node.js clients using proxy-from-env (axios and many SDKs), Node trust",
            proxy_model="node-proxy-from-env",
            default_stores=("bundled",),
            store_variable=None,
            ca_file_variables=(),
            extra_ca_variable="NODE_EXTRA_CA_CERTS",
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https"),
        ),
        Profile(
            name="curl",
            description="curl (libcurl with OpenSSL)",
            proxy_model="curl",
            default_stores=("system",),
            store_variable=None,
            ca_file_variables=("CURL_CA_BUNDLE",),
            extra_ca_variable=None,
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic", "Digest", "NTLM", "Negotiate"),
            proxy_schemes=("http", "https", "socks4", "socks4a", "socks5", "socks5h"),
        ),
        Profile(
            name="python",
            description="Python clients on httpx (the MCP Python SDK), certifi trust",
            proxy_model="python-httpx",
            default_stores=("bundled",),
            store_variable=None,
            ca_file_variables=("SSL_CERT_FILE", "SSL_CERT_DIR"),
            extra_ca_variable=None,
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https", "socks5", "socks5h"),
        ),
        Profile(
            name="go",
            description="Go net/http clients, system trust",
            proxy_model="go",
            default_stores=("system",),
            store_variable=None,
            ca_file_variables=("SSL_CERT_FILE", "SSL_CERT_DIR"),
            extra_ca_variable=None,
            reads_client_cert_variables=False,
            proxy_auth_schemes=("Basic",),
            proxy_schemes=("http", "https", "socks5"),
        ),
    )
}

DEFAULT_PROFILE = "claude-code"
