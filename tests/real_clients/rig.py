"""The lab the agreement cases run in: real servers and proxies on loopback, started once.

- the MCP Python SDK's own authorization-server and protected-resource routes under uvicorn
  (``tests/sdk_lab.py``), one pair per case, each recording the requests it answers;
- one HTTPS server answering scripted bytes per path, for what the MCP URL itself answers;
- TLS servers requiring client certificates;
- proxy.py as a forward proxy with Basic auth, and as a TLS-inspecting one.

Every name resolves to 127.0.0.1 through the sandbox's hosts file (:data:`HOSTS`).
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from netcheck.lab.dns import DnsResponder
from netcheck.lab.https import server_context
from tests import hostile, servers
from tests.pki import Pki, build
from tests.real_clients.sandbox import Sandbox
from tests.sdk_lab import SdkLab, Variant

HOSTS = {"mcp.test": "127.0.0.1", "auth.test": "127.0.0.1", "proxy.test": "127.0.0.1",
         "mcp.corp.test": "127.0.0.1"}
NAMESERVER = "127.0.53.53"  # the rig's DNS responder, port 53 (the sandboxes' resolv.conf)
PROXY_USER, PROXY_PASSWORD = "alice", "pr0xy-S3cret!"


class Rig:
    """Servers and proxies shared by the cases of one session; :meth:`close` stops them."""

    def __init__(self, pki: Pki | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="netcheck-rig-")
        self.root = Path(self._tmp.name)
        self.pki = pki or build(self.root / "pki")
        self._stack = contextlib.ExitStack()
        # what close() asks to stop before it waits for anything (see SdkLab.stop_soon)
        self._stop_soon: list[Callable[[], None]] = []
        # the same for the servers of the case running now (:meth:`case`)
        self._case_stops: list[Callable[[], None]] | None = None
        self._proxies: dict[str, servers.ProxyProcess] = {}
        self._raw: hostile.RawHttpsServer | None = None
        self._paths = itertools.count()
        self._held: set[int] = set()
        self.nameserver = "127.0.0.1"  # nothing answers there, unless port 53 can be had
        with contextlib.suppress(OSError):
            dns = DnsResponder(HOSTS, host=NAMESERVER, port=53)
            self._stack.callback(dns.close)
            self.nameserver = NAMESERVER

    @contextlib.contextmanager
    def case(self) -> Iterator[None]:
        """One case: the MCP servers it starts are asked to stop when it ends (their threads
        go within 0.1 s; :meth:`close` joins them), so a session of hundreds of cases does
        not keep hundreds of servers, and their threads, alive to its end."""
        self._case_stops = []
        try:
            yield
        finally:
            stops, self._case_stops = self._case_stops, None
            for stop_soon in stops:
                stop_soon()

    def _stops_with_the_case(self, stop_soon: Callable[[], None]) -> None:
        self._stop_soon.append(stop_soon)
        if self._case_stops is not None:
            self._case_stops.append(stop_soon)

    def sandbox(self, root: Path) -> Sandbox:
        """A sandbox whose names are the lab's, from its hosts file and its resolver."""
        return Sandbox(root, dict(HOSTS), self.nameserver)

    def path(self, name: str) -> str:
        return self.pki.path(name)

    def sdk_lab(self, require_client_cert: bool = False, **variant: Any) -> SdkLab:
        lab = SdkLab(self.pki, Variant(require_client_cert=require_client_cert, **variant))
        self._stack.callback(lab.close)
        self._stops_with_the_case(lab.stop_soon)
        return lab

    def answering(self, script: hostile.Script) -> str:
        """The URL of a fresh path of the shared HTTPS server that answers with ``script``."""
        if self._raw is None:
            self._raw = hostile.RawHttpsServer(server_context(self.path("server.pem"), None))
            self._stack.callback(self._raw.close)
        path = f"/case-{next(self._paths)}/mcp"
        self._raw.routes[path] = script
        return f"https://mcp.test:{self._raw.port}{path}"

    def mcp_server(self, json_response: bool, cert: str = "server.pem",
                   host: str = "mcp.test") -> str:
        """The MCP Python SDK's own streamable HTTP server, without authorization, answering
        JSON or an event stream, with the certificate ``cert``; its URL (at ``host``)."""
        import uvicorn
        from mcp.server import MCPServer
        from mcp.server.transport_security import TransportSecuritySettings

        app = MCPServer("lab").streamable_http_app(
            json_response=json_response,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False,
                                               ssl_certfile=self.path(cert)))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)

        def stop_soon() -> None:
            server.should_exit = True

        def stop() -> None:
            stop_soon()
            thread.join(5)
        self._stack.callback(stop)
        self._stops_with_the_case(stop_soon)
        return f"https://{host}:{sock.getsockname()[1]}/mcp"

    def tls_server(self, handler: servers.Handler, **kwargs: Any) -> servers.TlsHttpServer:
        server = servers.TlsHttpServer(handler, cert_file=self.path("server.pem"), **kwargs)
        self._stack.callback(server.close)
        return server

    def proxy(self, kind: str = "basic") -> servers.ProxyProcess:
        """proxy.py: ``basic`` (Basic auth), ``inspecting`` (Basic auth and TLS inspection
        with the lab's Zscaler-named root), ``tls`` (Basic auth, its port speaks TLS: an
        https:// proxy, with the lab's server certificate)."""
        if kind not in self._proxies:
            work = self.root / f"proxy-{kind}"
            args = ["--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}"]
            if kind == "tls":
                args += ["--cert-file", self.path("server.pem"), "--key-file",
                         self.path("server.pem")]
            if kind == "inspecting":
                (work / "certs").mkdir(parents=True)
                args += ["--ca-cert-file", self.path("inspection-ca.pem"),
                         "--ca-key-file", self.path("inspection-ca.key"),
                         "--ca-signing-key-file", self.path("inspection-signing.key"),
                         "--ca-cert-dir", str(work / "certs"),
                         "--ca-file", self.path("public-ca.pem")]
            self._proxies[kind] = self._stack.enter_context(servers.proxy_py(
                work, *args, plugins=("tests.proxy_plugins.TestNames",)))
        return self._proxies[kind]

    def proxy_url(self, kind: str = "basic", password: str = PROXY_PASSWORD) -> str:
        url = self.proxy(kind).url_with(PROXY_USER, password)
        return url.replace("http://", "https://", 1) if kind == "tls" else url

    def hold_port(self, port: int) -> None:
        """Hold 127.0.0.1:``port`` as another program would, until the rig closes."""
        if port in self._held:
            return
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
        self._held.add(port)
        self._stack.callback(sock.close)

    def close(self) -> None:
        for stop_soon in self._stop_soon:  # every uvicorn server at once (a session has ~100)
            stop_soon()
        self._stack.close()
        self._tmp.cleanup()
