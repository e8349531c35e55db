"""Real servers on loopback for the tests: TLS/mTLS HTTP servers, a DNS responder, a forward
proxy (proxy.py, in its own process), a closed port and a silent listener."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from OpenSSL import SSL, crypto

from netcheck.lab.dns import DnsResponder
from netcheck.lab.listener import Listener

REPO = Path(__file__).resolve().parent.parent

Handler = Callable[["Request"], tuple[int, list[tuple[str, str]], bytes]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_cert_subject: str | None


def mcp_401(resource_metadata: str | None = None) -> Handler:
    """An MCP server that wants OAuth: 401 with a Bearer challenge."""

    def handle(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        challenge = "Bearer" + (f' resource_metadata="{resource_metadata}"'
                                if resource_metadata else "")
        return 401, [("WWW-Authenticate", challenge), ("Content-Type", "application/json")], \
            b'{"error":"invalid_token"}'
    return handle


def nginx_no_cert_page(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    """nginx's answer when ``ssl_verify_client on`` sees no certificate (optional verify)."""
    if req.client_cert_subject:
        return mcp_401()(req)
    body = (b"<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n"
            b"<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL "
            b"certificate was sent</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>")
    return 400, [("Content-Type", "text/html"), ("Server", "nginx")], body


class TlsHttpServer:
    """An HTTPS (or plain HTTP) server in a thread, built on pyOpenSSL.

    ``client_ca`` makes it ask for client certificates; ``require`` makes it refuse a missing
    one; ``send_ca_names`` puts the CA's name in the CertificateRequest, as nginx does.
    """

    def __init__(self, handler: Handler, *, cert_file: str | None,
                 tls_version: str = "1.3", client_ca: str | None = None, require: bool = True,
                 send_ca_names: bool = False, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.ctx = None
        if cert_file:
            ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
            version = SSL.TLS1_3_VERSION if tls_version == "1.3" else SSL.TLS1_2_VERSION
            ctx.set_min_proto_version(version)
            ctx.set_max_proto_version(version)
            ctx.use_certificate_chain_file(cert_file)
            ctx.use_privatekey_file(cert_file)
            if client_ca:
                mode = SSL.VERIFY_PEER | (SSL.VERIFY_FAIL_IF_NO_PEER_CERT if require else 0)
                ctx.set_verify(mode, lambda *args: bool(args[-1]))
                ctx.load_verify_locations(client_ca)
                # clients resume sessions (Claude Code does): without an id context, OpenSSL
                # fails every resumed handshake once it verifies client certificates
                ctx.set_session_id(b"netcheck-tests")
                if send_ca_names:
                    with open(client_ca, "rb") as fh:
                        ca = crypto.load_certificate(crypto.FILETYPE_PEM, fh.read())
                    ctx.set_client_ca_list([ca.get_subject()])
            self.ctx = ctx
        self.listener = Listener(self._handle, "test-https", host)
        self.port = self.listener.port

    def _handle(self, raw: socket.socket) -> None:
        raw.setblocking(True)  # pyOpenSSL wants a blocking socket
        conn: object = raw
        subject = None
        try:
            if self.ctx is not None:
                tls = SSL.Connection(self.ctx, raw)
                tls.set_accept_state()
                tls.do_handshake()
                peer = tls.get_peer_certificate()
                subject = (peer.to_cryptography().subject.rfc4514_string()
                           if peer is not None else None)
                conn = tls
            data = b""
            first = conn.recv(65536)  # type: ignore[attr-defined]
            if first[:1] == b"\x16":  # a TLS ClientHello on a plain HTTP port
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")  # type: ignore[attr-defined]
                return
            data = first
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)  # type: ignore[attr-defined]
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in
                       (line.split(":", 1) for line in lines[1:] if ":" in line)}
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                chunk = conn.recv(65536)  # type: ignore[attr-defined]
                if not chunk:
                    break
                body += chunk
            request = Request(method, path, headers, body, subject)
            self.requests.append(request)
            status, resp_headers, resp_body = self.handler(request)
            out = f"HTTP/1.1 {status} X\r\n".encode()
            for k, v in [*resp_headers, ("Content-Length", str(len(resp_body))),
                         ("Connection", "close")]:
                out += f"{k}: {v}\r\n".encode()
            conn.sendall(out + b"\r\n" + resp_body)  # type: ignore[attr-defined]
        except (OSError, SSL.Error, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                raw.close()

    def url(self, host: str = "localhost", path: str = "/mcp") -> str:
        scheme = "https" if self.ctx is not None else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.listener.close()


DnsServer = DnsResponder  # the lab's loopback DNS responder (dnspython), also used here


def closed_port() -> int:
    """A loopback port nothing listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


class SilentListener:
    """Accepts connections and never says a word (nor closes them)."""

    def __init__(self) -> None:
        self.held: list[socket.socket] = []
        self.listener = Listener(self.held.append, "test-silent")
        self.port = self.listener.port

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


@dataclass
class ProxyProcess:
    """proxy.py, a real forward proxy from PyPI, run in its own process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_with(self, user: str, password: str) -> str:
        from urllib.parse import quote

        return f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextlib.contextmanager
def proxy_py(workdir: Path, *args: str, plugins: tuple[str, ...] = (),
             env: dict[str, str] | None = None) -> Iterator[ProxyProcess]:
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
    log = workdir / "proxy.log"
    cmd = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0",
           "--port-file", str(port_file), "--num-acceptors", "1", "--threaded",
           "--log-level", "WARNING", "--log-file", str(log), *args]
    if plugins:
        cmd += ["--plugins", ",".join(plugins)]
    child_env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    child_env["PYTHONPATH"] = str(REPO) + os.pathsep + child_env.get("PYTHONPATH", "")
    child_env.update(env or {})
    process = subprocess.Popen(cmd, env=child_env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not (port_file.exists() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"proxy.py did not start: {log.read_text() if log.exists() else ''}")
        time.sleep(0.05)
    proxy = ProxyProcess(port=int(port_file.read_text()), process=process, log=log)
    try:
        yield proxy
    finally:
        proxy.stop()


SOCKS_USER, SOCKS_PASSWORD = "alice", "s3cret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Pproxy:
    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    log: Path


def _start_pproxy(log: Path) -> Pproxy:
    auth = f"#{SOCKS_USER}:{SOCKS_PASSWORD}"
    listeners = {"socks5": "socks5://127.0.0.1:{}", "socks5-auth": "socks5://127.0.0.1:{}" + auth,
                 "socks4": "socks4://127.0.0.1:{}", "socks4-auth": "socks4://127.0.0.1:{}" + auth}
    ports = {name: _free_port() for name in listeners}
    # --auth 0: no "authenticated recently from this address" shortcut between connections
    cmd = [sys.executable, "-m", "pproxy", "--auth", "0", "-v"]
    for name, template in listeners.items():
        cmd += ["-l", template.format(ports[name])]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    proxy = Pproxy(ports, process, log)
    deadline = time.monotonic() + 10
    pending = set(ports.values())
    while pending:
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"pproxy did not start: {log.read_text(errors='replace')}")
        for port in list(pending):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                pending.discard(port)
        time.sleep(0.02)
    return proxy


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextlib.contextmanager
def pproxy(log: Path) -> Iterator[Pproxy]:
    """pproxy (PyPI), a real SOCKS server, listening as SOCKS5 and SOCKS4, each with and without
    authentication (``ports``: socks5, socks5-auth, socks4, socks4-auth). It resolves names
    with the system resolver: only ``localhost`` and loopback addresses are asked of it."""
    for attempt in range(3):  # a picked port can be taken before pproxy binds it
        try:
            proxy = _start_pproxy(log)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield proxy
    finally:
        _stop(proxy.process)
