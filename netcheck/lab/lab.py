"""Assemble the lab: certificates, DNS, the MCP server, its authorization server, the proxy."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netcheck.lab import apps, pki
from netcheck.lab.dns import DnsResponder
from netcheck.lab.faults import Fault
from netcheck.lab.https import LabHttpsServer, server_context
from netcheck.lab.proxy import LabProxy, ProxyConfig
from netcheck.settings.gather import Options

MCP_HOST = "mcp.demo.test"
AUTH_HOST = "auth.demo.test"
PROXY_USER = "demo"


@dataclass
class Lab:
    """One running lab; :meth:`options` and :attr:`env` are what the user's shell would hold."""

    fault: Fault | None
    workdir: Path
    login_fault: apps.LoginFault | None = None  # netcheck login: how a server breaks it
    # the authorization server asks for no client certificate (a browser without one)
    open_authorization_server: bool = False
    # False: neither server asks for a client certificate (clients that cannot send one)
    client_certs: bool = True
    env: dict[str, str] = field(default_factory=dict)
    _closers: list[Any] = field(default_factory=list)

    def start(self) -> None:
        f = self.fault or Fault("healthy", "", ("", "", ""))
        public = pki.make_ca("netcheck demo public root", "netcheck demo")
        inspection = pki.make_ca("Zscaler Root CA (simulated by netcheck demo)", "Zscaler Inc.")
        client_ca = pki.make_ca("Corp Client CA", "netcheck demo corp")
        w = self.workdir
        self.public_roots = public.write_cert(w / "public-roots.pem")
        server_pem = pki.issue(public, MCP_HOST, names=(MCP_HOST, AUTH_HOST)).write(
            w / "server.pem")
        client_ca_pem = client_ca.write_cert(w / "client-ca.pem")
        self.client_pem = pki.issue(client_ca, "alice@corp.example", client=True).write(
            w / "client.pem")

        self.dns = DnsResponder({MCP_HOST: "127.0.0.1", AUTH_HOST: "127.0.0.1"},
                                nx=[AUTH_HOST] if f.split_dns_no_proxy else [])
        self._closers.append(self.dns)
        context = server_context(server_pem, client_ca_pem if self.client_certs else None)
        auth_server = LabHttpsServer(
            apps.AuthorizationServer("https://placeholder/"),
            server_context(server_pem, None) if self.open_authorization_server else context)
        self.issuer = issuer = f"https://{AUTH_HOST}:{auth_server.port}/"
        tokens = apps.Tokens()
        self.authorization_server = apps.AuthorizationServer(
            issuer, token_portal=f.token_portal,
            pkce_methods=("plain",) if f.pkce_plain_only else ("S256",),
            login_fault=self.login_fault, tokens=tokens)
        auth_server.app = self.authorization_server
        mcp_server = LabHttpsServer(apps.McpServer("https://placeholder/mcp", issuer), context)
        self.mcp_url = f"https://{MCP_HOST}:{mcp_server.port}/mcp"
        mcp_server.app = apps.McpServer(
            self.mcp_url, issuer, web_page=f.web_page, tokens=tokens,
            resource_slash=self.login_fault is apps.LoginFault.RESOURCE_SLASH)
        self._closers += [auth_server, mcp_server]

        intercept = None
        if f.intercept_tls:
            minted = pki.issue(inspection, MCP_HOST, names=(MCP_HOST, AUTH_HOST))
            intercept = server_context(minted.write(w / "intercept.pem"), None)
        password = secrets.token_urlsafe(12)
        self.proxy = LabProxy(ProxyConfig(
            user=PROXY_USER, password=password,
            names={MCP_HOST: "127.0.0.1", AUTH_HOST: "127.0.0.1"},
            blocked={AUTH_HOST} if f.block_auth_server else set(),
            intercept_context=intercept))
        self._closers.append(self.proxy)
        given = "expired-" + password if f.wrong_proxy_password else password
        self.env = {"HTTPS_PROXY": f"http://{PROXY_USER}:{given}@127.0.0.1:{self.proxy.port}"}
        if f.split_dns_no_proxy:
            self.env["NO_PROXY"] = f"localhost,127.0.0.1,{AUTH_HOST}"
        if not f.no_client_cert:
            self.env["CLAUDE_CODE_CLIENT_CERT"] = self.client_pem
            self.env["CLAUDE_CODE_CLIENT_KEY"] = self.client_pem

    def options(self, timeout: float = 5.0) -> Options:
        return Options(url=self.mcp_url, public_roots=self.public_roots,
                       dns_server=self.dns.address, timeout=timeout)

    def close(self) -> None:
        for closer in self._closers:
            with contextlib.suppress(OSError):
                closer.close()


@contextlib.contextmanager
def running_lab(fault: Fault | None, login_fault: apps.LoginFault | None = None, *,
                open_authorization_server: bool = False,
                client_certs: bool = True) -> Iterator[Lab]:
    """A started lab in a temporary directory, removed (with every key) afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="netcheck-demo-"))
    lab = Lab(fault=fault, workdir=workdir, login_fault=login_fault,
              open_authorization_server=open_authorization_server,
              client_certs=client_certs)
    try:
        lab.start()
        yield lab
    finally:
        lab.close()
        shutil.rmtree(workdir, ignore_errors=True)
