"""Raw HTTP clients: their proxy and trust rules (``proxy-vectors.json``); they are no MCP
clients, so their OAuth rules are the MCP specification's (2025-11-25)."""

from __future__ import annotations

from netcheck.profiles.catalog import CLIENTS
from netcheck.profiles.file_stores import go_cert_dirs, go_system_store
from netcheck.profiles.rules import (
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

SPEC_OAUTH = OAuthRules(issuer_mismatch=Reaction.STOPS, pkce_methods_absent=Reaction.STOPS,
                        pkce_without_s256=Reaction.STOPS, uses_client_metadata_documents=False)


def curl_trust(env: Env) -> tuple[set[str], str]:
    if env.get("CURL_CA_BUNDLE"):
        return {"CURL_CA_BUNDLE"}, "curl: CURL_CA_BUNDLE replaces the system store"
    return {"system"}, "curl: the system store"


def go_trust(env: Env) -> tuple[set[str], str]:
    return {"system"}, ("Go: the system store, SSL_CERT_FILE (or its first bundle file) and "
                        "every file of SSL_CERT_DIR (or /etc/ssl/certs, /etc/pki/tls/certs)")


def curl_proxy_trust(env: Env) -> tuple[set[str], str]:
    return {"system", "--proxy-cacert"}, (
        "curl checks an https:// proxy's certificate against --proxy-cacert, else its default "
        "bundle, never against --cacert or CURL_CA_BUNDLE; measured on curl 7.88.1")


CURL_CAVEAT = ("unless curl was built with a CA directory that holds them, as Debian's curl "
               "7.88 is with /etc/ssl/certs (measured), and RHEL's is not")


CURL = Profile(
    name="curl",
    client=CLIENTS["curl"][0],
    release=CLIENTS["curl"][1],
    measured="proxy rules from the measured proxy vectors (curl 7.88); not an MCP client",
    description="curl (libcurl with OpenSSL)",
    proxy=ProxyRules(model="curl", schemes=("http", "https", "socks4", "socks4a", "socks5",
                                            "socks5h"),
                     auth_schemes=("Basic", "Digest", "NTLM", "Negotiate"),
                     reads=frozenset({"http_proxy", "https_proxy", "all_proxy"})),
    trust=TrustRules(sources=curl_trust, ca_fix="CURL_CA_BUNDLE", ca_fix_adds=False,
                     verification_off=lambda env: None, unusable_extra_ca=Reaction.STOPS,
                     ca_fix_caveat=CURL_CAVEAT, proxy_sources=curl_proxy_trust,
                     proxy_ca_flag="--proxy-cacert"),
    client_cert=ClientCertRules(variables=None, formats=frozenset(CertFormat),
                                given_by="--cert and --key"),
    oauth=SPEC_OAUTH,
    is_mcp_client=False,
    installed=ReleaseLookup(commands=("curl",), version_args=("--version",),
                            version_pattern=r"^curl (\d+\.\d+\.\d+)"),
)

GO = Profile(
    name="go",
    client=CLIENTS["go"][0],
    release=CLIENTS["go"][1],
    measured="proxy rules from the measured proxy vectors (Go net/http); not an MCP client",
    description="Go net/http clients, system trust",
    proxy=ProxyRules(model="go", schemes=("http", "https", "socks5"), auth_schemes=("Basic",),
                     reads=frozenset({"http_proxy", "https_proxy"})),
    trust=TrustRules(sources=go_trust, ca_fix="SSL_CERT_FILE", ca_fix_adds=False,
                     verification_off=lambda env: None, unusable_extra_ca=Reaction.STOPS,
                     system_store=go_system_store, ca_fix_keeps=go_cert_dirs),
    client_cert=ClientCertRules(variables=None,
                                formats=frozenset({CertFormat.PEM, CertFormat.PEM_COMBINED}),
                                given_by="the program's tls.Config (PEM)"),
    oauth=SPEC_OAUTH,
    is_mcp_client=False,
)
