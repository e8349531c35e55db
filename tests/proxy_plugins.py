"""proxy.py plugins that make the real proxy behave like corporate proxies do."""

from __future__ import annotations

import os
from typing import Any

from proxy.http.exception import HttpRequestRejected
from proxy.http.proxy import HttpProxyBasePlugin

BLOCK_PAGE = (b"<html><head><title>Website blocked - Access Denied</title>"
              b"<style>body{font-family:sans-serif}</style></head><body>"
              b"<h1>Access Denied</h1><p>Your organization's policy does not allow access to "
              b"this site (category: Uncategorized).</p><p>Contact your IT help desk.</p>"
              b"</body></html>")


KNOWN_NAMES = {"mcp.test", "auth.test", "auth2.test", "proxy.test", "blocked.test"}


class TestNames(HttpProxyBasePlugin):
    """The proxy's own name resolution for the tests: known .test names are loopback, other
    .test names fail as an unknown name does at a real proxy (502), and nothing is ever asked
    of the machine's DNS."""

    def resolve_dns(self, host: str, port: int) -> tuple[Any, Any]:
        if host in KNOWN_NAMES:
            return "127.0.0.1", None
        return None, None

    def before_upstream_connection(self, request: Any) -> Any:
        host = (request.host or b"").decode()
        if host.endswith(".test") and host not in KNOWN_NAMES:
            raise HttpRequestRejected(status_code=502, reason=b"Bad Gateway",
                                      headers={b"Content-Type": b"text/plain"},
                                      body=b"Unable to determine IP address from host name")
        return request


class BlockHosts(HttpProxyBasePlugin):
    """Refuse CONNECT to the hosts in NETCHECK_TEST_BLOCK_HOSTS with a 403 block page."""

    def before_upstream_connection(self, request: Any) -> Any:
        blocked = {h for h in os.environ.get("NETCHECK_TEST_BLOCK_HOSTS", "").split(",") if h}
        host = (request.host or b"").decode()
        if host in blocked:
            raise HttpRequestRejected(status_code=403, reason=b"Forbidden",
                                      headers={b"Content-Type": b"text/html"}, body=BLOCK_PAGE)
        return request


class NegotiateOnly(HttpProxyBasePlugin):
    """A proxy that wants Kerberos or NTLM, as Windows-integrated corporate proxies do."""

    def before_upstream_connection(self, request: Any) -> Any:
        raise HttpRequestRejected(
            status_code=407, reason=b"Proxy Authentication Required",
            headers={b"Proxy-Authenticate": b"Negotiate, NTLM", b"Content-Type": b"text/html"},
            body=b"<html><title>407</title><body>Authentication required</body></html>")
