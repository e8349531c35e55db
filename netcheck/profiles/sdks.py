"""The MCP SDKs' clients, as measured against their releases (``tests/real_clients``)."""

from __future__ import annotations

from netcheck.profiles.catalog import CLIENTS, HTTPX2_RELEASE, UNDICI_RELEASE
from netcheck.profiles.claude_code import node_verification_off
from netcheck.profiles.rules import (
    CertFormat,
    ClientCertRules,
    Env,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    TrustRules,
)

TYPESCRIPT_RELEASE = CLIENTS["node"][1]
PYTHON_RELEASE = CLIENTS["python"][1]


def node_trust(env: Env) -> tuple[set[str], str]:
    """Node's: the bundled Mozilla roots, or OpenSSL's store (where SSL_CERT_FILE and
    SSL_CERT_DIR count) with ``NODE_OPTIONS=--use-openssl-ca``; plus NODE_EXTRA_CA_CERTS
    (measured with Gemini CLI and mcp-remote on Node 20)."""
    extra = {"NODE_EXTRA_CA_CERTS"} if env.get("NODE_EXTRA_CA_CERTS") else set()
    if "--use-openssl-ca" in env.get("NODE_OPTIONS", "").split():
        return {"system"} | extra, ("Node.js with --use-openssl-ca: OpenSSL's store "
                                    "(SSL_CERT_FILE, SSL_CERT_DIR) + NODE_EXTRA_CA_CERTS")
    return {"bundled"} | extra, "Node.js: bundled Mozilla roots + NODE_EXTRA_CA_CERTS"


# What a Node client trusts and how it reacts (the TypeScript SDK, Gemini CLI, mcp-remote)
NODE_TRUST = TrustRules(sources=node_trust, ca_fix="NODE_EXTRA_CA_CERTS", ca_fix_adds=True,
                        verification_off=node_verification_off,
                        unusable_extra_ca=Reaction.GOES_ON, partial_wildcards=True)


def python_trust(env: Env) -> tuple[set[str], str]:
    """httpx2's default SSL context: OpenSSL's default paths (measured on Linux: the system
    store, not certifi), which SSL_CERT_FILE / SSL_CERT_DIR replace (httpcore2 then builds
    its context from that alone; on Windows and macOS it uses the platform's store through
    truststore unless one is set)."""
    if env.get("SSL_CERT_FILE") or env.get("SSL_CERT_DIR"):
        return {"system"}, "httpx2: SSL_CERT_FILE / SSL_CERT_DIR replace the system store"
    return {"system"}, "httpx2: the system store (OpenSSL's default paths)"


MCP_TYPESCRIPT = Profile(
    name="node",
    client=CLIENTS["node"][0],
    release=TYPESCRIPT_RELEASE,
    measured=f"differential tests against npm @modelcontextprotocol/sdk@{TYPESCRIPT_RELEASE} "
             f"with undici@{UNDICI_RELEASE} EnvHttpProxyAgent as the global dispatcher",
    description="a Node.js program on the MCP TypeScript SDK, fetch through undici's "
                "EnvHttpProxyAgent, Node trust",
    proxy=ProxyRules(model="node-undici", schemes=("http", "https", "socks5", "socks"),
                     auth_schemes=("Basic",),
                     socks_remote_dns=frozenset({"socks5", "socks"}),  # read in its source
                     reads=frozenset({"http_proxy", "https_proxy"})),
    trust=NODE_TRUST,
    client_cert=ClientCertRules(
        variables=None, formats=frozenset({CertFormat.PEM, CertFormat.PEM_COMBINED}),
        given_by="the program's undici connect options (cert and key, PEM)",
        unknown="netcheck cannot see how the program passes it: it is checked as given in "
                "undici's connect options, and through a proxy as requestTls (undici sends "
                "connect's certificate on direct connections only; measured)"),
    oauth=OAuthRules(issuer_mismatch=Reaction.GOES_ON, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.STOPS, uses_client_metadata_documents=False,
                     insecure_endpoint=Reaction.GOES_ON, openid_fields_required=True),
)

MCP_PYTHON = Profile(
    name="python",
    client=CLIENTS["python"][0],
    release=PYTHON_RELEASE,
    measured=f"differential tests against PyPI mcp=={PYTHON_RELEASE} (httpx2 "
             f"{HTTPX2_RELEASE})",
    description="a Python program on the MCP Python SDK (httpx2), system trust",
    proxy=ProxyRules(model="python-httpx2", schemes=("http", "https", "socks5", "socks5h"),
                     auth_schemes=("Basic",), reads=None),
    trust=TrustRules(sources=python_trust, ca_fix="SSL_CERT_FILE", ca_fix_adds=False,
                     verification_off=lambda env: None, unusable_extra_ca=Reaction.STOPS),
    client_cert=ClientCertRules(
        variables=None, formats=frozenset({CertFormat.PEM, CertFormat.PEM_COMBINED}),
        given_by="the program's ssl context (load_cert_chain: PEM)",
        unknown="netcheck cannot see how the program passes it: it is checked as given to "
                "the ssl context of the program's httpx2 client (load_cert_chain)"),
    oauth=OAuthRules(issuer_mismatch=Reaction.STOPS, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.GOES_ON, uses_client_metadata_documents=False,
                     insecure_endpoint=Reaction.GOES_ON),
)
