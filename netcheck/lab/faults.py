"""The realistic faults ``netcheck demo --fault NAME`` can plant, each one thing that breaks
MCP logins on corporate networks, with the verdict netcheck should reach."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    expect: tuple[str, str, str]  # (step, hop, code) of the verdict
    wrong_proxy_password: bool = False
    no_client_cert: bool = False
    intercept_tls: bool = False
    split_dns_no_proxy: bool = False  # NO_PROXY sends the AS direct; only the proxy knows it
    block_auth_server: bool = False
    pkce_plain_only: bool = False
    token_portal: bool = False
    web_page: bool = False


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("tls-inspection", "the proxy inspects TLS with a corporate root this client does not "
          "trust", ("resource", "tls", "tls_interception_untrusted"), intercept_tls=True),
    Fault("proxy-password", "the proxy password in HTTPS_PROXY is out of date",
          ("resource", "proxy_connect", "proxy_auth_rejected"), wrong_proxy_password=True),
    Fault("no-client-cert", "the MCP gateway requires a client certificate and none is set",
          ("resource", "client_cert", "client_cert_required"), no_client_cert=True),
    Fault("split-dns", "NO_PROXY sends the authorization server direct, but only the proxy "
          "can resolve it", ("authorization_server_metadata", "dns", "dns_nxdomain"),
          split_dns_no_proxy=True),
    Fault("blocked-auth-server", "the proxy's policy blocks the authorization server",
          ("authorization_server_metadata", "proxy_connect", "proxy_forbidden"),
          block_auth_server=True),
    Fault("pkce-plain", "the authorization server offers PKCE only as 'plain', not S256 "
          "(Claude Code refuses it)",
          ("authorization_server_metadata", "oauth", "oauth_pkce_unsupported"),
          pkce_plain_only=True),
    Fault("token-portal", "an SSO portal answers the token endpoint with a login page",
          ("token_endpoint", "oauth", "oauth_not_oauth_response"), token_portal=True),
    Fault("web-page", "a web page answers at the MCP URL (the wrong path, or a portal)",
          ("resource", "http", "http_not_mcp"), web_page=True),
)}
DEFAULT_FAULT = "tls-inspection"
