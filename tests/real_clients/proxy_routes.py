"""Which route the real Claude Code takes to each MCP server URL, for one environment.

A :class:`RouteLab` starts, once per session:

- one loopback server per lab URL (TLS with a throwaway lab CA, or plain HTTP), on a port of its
  own, so a port names the URL: each answers /mcp with 401 and a Bearer challenge and serves
  protected-resource and authorization-server metadata and a registration endpoint
  (:func:`mcp_oauth`), so a health check says "Needs authentication" and the OAuth discovery
  requests travel the same route as the MCP request;
- recording forward proxies: real proxy.py processes with the
  :class:`tests.real_clients.recording_plugin.Recorder` plugin (which logs each CONNECT /
  absolute-form target and serves only the lab's names, on loopback), each behind a small
  :class:`Tap` that notes what every connection to the proxy began with (an HTTP request line
  and whether it carried ``Proxy-Authorization``, a TLS ClientHello, a SOCKS greeting...) and
  the proxy's first answer line;
- a host table: every lab name resolves to 127.0.0.1 (``[::1]`` to ::1) inside each run's
  :class:`Sandbox`, whose resolv.conf points at a loopback address where nothing answers, so
  no other name reaches the machine's DNS.

:meth:`RouteLab.run` then costs one ``claude mcp list`` (a fresh HOME each time, every lab URL
configured as an ``http`` MCP server, the lab CA trusted through ``NODE_EXTRA_CA_CERTS``, which
2.1.332 honours, stdin and stdout pipes) and returns a :class:`Route` per URL: ``DIRECT`` (the
server was reached and no proxy saw the request), ``PROXY <port>`` (a recording proxy carried
it), or ``FAILED`` with what Claude Code said (``exit N: ...`` when it stopped before printing a
line). The proxies' own logs are kept whole in their work directories
(``<lab root>/proxy-<name>/records.jsonl``).

Run as a script for one quick look: ``python -m tests.real_clients.proxy_routes``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import trustme

from tests import servers
from tests.confine import confine_or_exit
from tests.real_clients import claude_code
from tests.real_clients.sandbox import Sandbox

PLUGIN = "tests.real_clients.recording_plugin.Recorder"

# name -> (scheme, host used in the URL). Every host resolves to 127.0.0.1 in the sandbox.
DEFAULT_URLS: dict[str, tuple[str, str]] = {
    "netcheck": ("https", "mcp.netcheck.test"),
    "corp": ("https", "a.corp.example"),
    "localhost": ("https", "localhost"),
    "ip": ("https", "127.0.0.1"),
    "plain": ("http", "plain.netcheck.test"),
    "single": ("https", "intranet"),
}
LAB_NAMES = ("mcp.netcheck.test", "a.corp.example", "corp.example", "plain.netcheck.test",
             "intranet", "proxyonly.netcheck.test",
             "auth.netcheck.test", "mcp.test", "auth.test")
# More URLs: a bare domain (for ".domain" entries) and an IPv6 literal.
EXTENDED_URLS: dict[str, tuple[str, str]] = {**DEFAULT_URLS, "bare": ("https", "corp.example"),
                                             "ip6": ("https", "[::1]")}
DEFAULT_PROXIES = ("p1", "p2", "p3", "p4", "p5", "p6")


# --- the servers ------------------------------------------------------------------------------


def oauth_server(authorization_server: str | None = None) -> servers.Handler:
    """An MCP server that wants OAuth: 401 with a Bearer challenge on /mcp, protected-resource
    metadata naming ``authorization_server`` (default: its own origin, taken from the Host
    header), and, as an authorization server, its metadata and a registration endpoint; so a
    health check can say "Needs authentication" and the discovery requests travel like the
    MCP request."""

    def handle(req: servers.Request) -> tuple[int, list[tuple[str, str]], bytes]:
        return _oauth_answer(req, authorization_server)
    return handle


def mcp_oauth(req: servers.Request) -> tuple[int, list[tuple[str, str]], bytes]:
    """:func:`oauth_server` that is its own authorization server."""
    return _oauth_answer(req, None)


def _oauth_answer(req: servers.Request, authorization_server: str | None
                  ) -> tuple[int, list[tuple[str, str]], bytes]:
    host = req.headers.get("host", "localhost")
    origin = f"{_SCHEMES.get(host, 'https')}://{host}"
    json_type = [("Content-Type", "application/json")]
    path = req.path.split("?", 1)[0]
    if path.startswith("/.well-known/oauth-protected-resource"):
        body = {"resource": f"{origin}/mcp",
                "authorization_servers": [authorization_server or origin]}
        return 200, json_type, json.dumps(body).encode()
    if path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        body = {"issuer": origin, "authorization_endpoint": f"{origin}/authorize",
                "token_endpoint": f"{origin}/token", "registration_endpoint": f"{origin}/register",
                "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_methods_supported": ["none"]}
        return 200, json_type, json.dumps(body).encode()
    if path == "/register" and req.method == "POST":
        try:
            sent: dict[str, Any] = json.loads(req.body or b"{}")
        except ValueError:
            sent = {}
        client = {**sent, "client_id": "lab-client", "client_id_issued_at": int(time.time())}
        return 201, json_type, json.dumps(client).encode()
    if path.startswith("/mcp"):
        challenge = f'Bearer resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp"'
        return 401, [("WWW-Authenticate", challenge), *json_type], b'{"error":"invalid_token"}'
    return 404, json_type, b'{"error":"not_found"}'


_SCHEMES: dict[str, str] = {}  # "host:port" -> scheme, filled in as servers start


# --- the tap in front of each proxy ------------------------------------------------------------


def _classify(first: bytes) -> str:
    if not first:
        return "empty"
    if first[:1] == b"\x16":
        return "tls"
    if first[:1] == b"\x05":
        return "socks5"
    if first[:1] == b"\x04":
        return "socks4"
    head = first.split(b"\r\n", 1)[0]
    if b" HTTP/1." in head:
        return "http"
    return "other"


class Tap:
    """A TCP relay in front of one proxy: records how each connection to the proxy began."""

    def __init__(self, upstream_port: int, name: str) -> None:
        self.upstream_port = upstream_port
        self.name = name
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, name=f"tap-{name}", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        event: dict[str, Any] = {"t": time.time(), "proxy": self.name, "port": self.port}
        upstream = None
        try:
            client.settimeout(10)
            try:
                first = client.recv(65536)
            except OSError:
                first = b""
            kind = _classify(first)
            event["kind"] = kind
            if kind == "http":
                head = first.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                event["request"] = head[0].rsplit(" ", 1)[0]
                event["proxy_authorization"] = any(
                    line.lower().startswith("proxy-authorization:") for line in head[1:])
            else:
                event["first_bytes"] = first[:16].hex()
            if not first:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            upstream.sendall(first)
            done = threading.Event()

            def back() -> None:
                got_first = False
                try:
                    while True:
                        data = upstream.recv(65536)
                        if not data:
                            break
                        if not got_first:
                            got_first = True
                            line = data.split(b"\r\n", 1)[0]
                            event["answer"] = (line.decode("latin-1") if line.startswith(b"HTTP/")
                                               else data[:16].hex())
                        client.sendall(data)
                except OSError:
                    pass
                finally:
                    done.set()
                    with contextlib.suppress(OSError):
                        client.shutdown(socket.SHUT_WR)

            threading.Thread(target=back, daemon=True).start()
            client.settimeout(None)
            upstream.settimeout(None)
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    upstream.sendall(data)
            except OSError:
                pass
            with contextlib.suppress(OSError):
                upstream.shutdown(socket.SHUT_WR)
            done.wait(30)
        except OSError as exc:
            event["error"] = str(exc)
        finally:
            with self._lock:
                self.events.append(event)
            for s in (client, upstream):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()

    def since(self, mark: float) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["t"] >= mark]

    def close(self) -> None:
        self.sock.close()


@dataclass
class RecordingProxy:
    name: str
    process: servers.ProxyProcess
    tap: Tap
    records: Path

    @property
    def port(self) -> int:
        """The port clients are given (the tap's)."""
        return self.tap.port

    def records_since(self, mark: float) -> list[dict[str, Any]]:
        if not self.records.exists():
            return []
        out = []
        for line in self.records.read_text().splitlines():
            with contextlib.suppress(ValueError):
                rec = json.loads(line)
                if rec["t"] >= mark:
                    out.append(rec)
        return out


# --- results --------------------------------------------------------------------------------


@dataclass
class Route:
    """What happened to one URL in one run."""

    url: str
    route: str  # "DIRECT", "PROXY <port>", "FAILED", or "MIXED ..." when both were seen
    state: str  # Claude Code's health state: needs_auth / connected / failed / missing
    reason: str  # what Claude Code said after the state
    server_requests: int
    proxied: dict[str, int] = field(default_factory=dict)  # proxy port -> requests seen for URL
    proxy_auth: list[bool] = field(default_factory=list)  # Proxy-Authorization on each, in order

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    env: dict[str, str]
    routes: dict[str, Route]
    contacts: list[dict[str, Any]]  # every tap event in the run (lab or not), for evidence
    foreign: list[str]  # targets a proxy was asked for that are not lab URLs (filtered out)
    stdout: str
    stderr: str
    seconds: float


# --- the client's health check ----------------------------------------------------------------


@dataclass
class Listing:
    """What one health check said: per server name, its state (``needs_auth``, ``connected``,
    ``failed``) and the client's words; servers it printed nothing for are missing."""

    states: dict[str, tuple[str, str]]
    stdout: str
    stderr: str
    returncode: int


class HealthCheck(Protocol):
    """A real client's health check over several servers at once, in a sandbox."""

    def trust_env(self, ca_file: str) -> dict[str, str]:
        """The variables that make this client trust the lab's CA."""

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        """Configure ``servers`` (name -> URL) as its users do, run the check with exactly
        ``env`` (and the client's own base variables)."""


class ClaudeCodeList:
    """``claude mcp list``: every URL an ``http`` server in ``~/.claude.json``."""

    def trust_env(self, ca_file: str) -> dict[str, str]:
        return {"NODE_EXTRA_CA_CERTS": ca_file}  # 2.1.332 honours it

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        box.write(".claude.json", claude_code.claude_json(
            {n: {"type": "http", "url": u} for n, u in servers.items()}))
        exe = claude_code.binary()
        assert exe is not None, claude_code.missing()
        # stdin a pipe, as stdout is: Claude Code repairs a scheme-less HTTPS_PROXY only when
        # neither is a terminal (with a terminal it stops at start instead).
        done = box.run([str(exe), *args, "mcp", "list"], {**claude_code.BASE_ENV, **env},
                       timeout=timeout, stdin="")
        lines = done.stdout.splitlines()
        printed = [n for n in servers if any(line.startswith(n + ":") for line in lines)]
        health: dict[str, claude_code.Health] = {}
        with contextlib.suppress(claude_code.NoServerLine):
            health = claude_code.parse_list(done, printed)
        return Listing({n: (h.state, h.reason) for n, h in health.items()}, done.stdout,
                       done.stderr, done.returncode)


CLAUDE_CODE_LIST = ClaudeCodeList()


# --- the lab ---------------------------------------------------------------------------------


class RouteLab:
    """Session-long servers and proxies; :meth:`run` is one ``claude mcp list``."""

    def __init__(self, root: Path | None = None, urls: dict[str, tuple[str, str]] | None = None,
                 proxies: tuple[str, ...] = DEFAULT_PROXIES) -> None:
        self._stack = contextlib.ExitStack()
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="proxy-routes-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self.hosts = {name: "127.0.0.1" for name in LAB_NAMES}
        self.ca = trustme.CA(organization_name="netcheck proxy-routes lab")
        leaf = self.ca.issue_cert(*LAB_NAMES, "localhost", "127.0.0.1", "::1")
        self.ca_file = self.root / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.cert_file = self.root / "server.pem"
        leaf.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))
        self.servers: dict[str, servers.TlsHttpServer] = {}
        self.urls: dict[str, str] = {}
        self.proxies: dict[str, RecordingProxy] = {}
        self._runs = 0
        try:
            for name, (scheme, host) in (DEFAULT_URLS if urls is None else urls).items():
                self.add_server(name, scheme, host)
            for name in proxies:
                self.add_proxy(name)
        except BaseException:
            self.close()
            raise

    # setup

    def add_server(self, name: str, scheme: str, host: str,
                   handler: servers.Handler | None = None, path: str = "/mcp") -> str:
        server = servers.TlsHttpServer(handler or mcp_oauth,
                                       cert_file=str(self.cert_file) if scheme == "https"
                                       else None,
                                       host="::1" if host.startswith("[") else "127.0.0.1")
        self._stack.callback(server.close)
        self.servers[name] = server
        self.urls[name] = server.url(host, path)
        _SCHEMES[f"{host}:{server.port}"] = scheme
        return self.urls[name]

    def add_proxy(self, name: str, *args: str, tls: bool = False) -> RecordingProxy:
        """Another recording proxy (``args`` go to proxy.py, e.g. ``--basic-auth u:p``;
        ``tls`` makes it take TLS from clients with the lab certificate)."""
        work = self.root / f"proxy-{name}"
        work.mkdir(parents=True, exist_ok=True)
        records = work / "records.jsonl"
        if tls:
            key = work / "key.pem"
            cert = work / "cert.pem"
            text = self.cert_file.read_text()
            start = text.index("-----BEGIN CERTIFICATE-----")
            key.write_text(text[:start])
            cert.write_text(text[start:])
            args = (*args, "--key-file", str(key), "--cert-file", str(cert))
        env = {"NETCHECK_RECORD_FILE": str(records),
               "NETCHECK_RECORD_HOSTS": ",".join(LAB_NAMES)}
        process = self._stack.enter_context(
            servers.proxy_py(work, *args, plugins=(PLUGIN,), env=env))
        tap = Tap(process.port, name)
        self._stack.callback(tap.close)
        proxy = RecordingProxy(name, process, tap, records)
        self.proxies[name] = proxy
        return proxy

    def proxy_url(self, name: str, scheme: str = "http://") -> str:
        return f"{scheme}127.0.0.1:{self.proxies[name].port}"

    # one run

    def run(self, env: dict[str, str], urls: list[str] | None = None, *,
            trust: bool = True, timeout: float = 90, settle: float = 0.3,
            args: tuple[str, ...] = (), files: dict[str, Any] | None = None,
            client: HealthCheck | None = None) -> RunResult:
        """One health check of ``client`` (default: ``claude mcp list``) with exactly ``env``
        (plus what makes the client trust the lab CA, unless ``trust`` is false); one
        :class:`Route` per URL (default: every lab URL). ``files`` are written into the
        sandbox (HOME-relative or /etc/...) before the run."""
        client = client or CLAUDE_CODE_LIST
        urls = urls or list(self.urls.values())
        names = [f"s{i}" for i in range(len(urls))]
        self._runs += 1
        box_root = self.root / "runs" / f"run-{self._runs}"
        # Names outside the host table must not reach the machine's DNS server (a bad proxy
        # value such as ALL_PROXY="not a url" makes Claude Code look its host up): the
        # sandbox's resolver is a loopback address where nothing answers.
        box = Sandbox(box_root, hosts=self.hosts)
        for path, content in (files or {}).items():
            box.write(path, content)
        full_env = {**(client.trust_env(str(self.ca_file)) if trust else {}), **env}
        before = {name: len(s.requests) for name, s in self.servers.items()}
        mark = time.time()
        started = time.monotonic()
        listing = client.check(box, dict(zip(names, urls, strict=True)), full_env, args,
                               timeout)
        seconds = time.monotonic() - started
        time.sleep(settle)  # let the taps and proxy logs finish writing
        contacts = [e for p in self.proxies.values() for e in p.tap.since(mark)]
        records = {p.port: p.records_since(mark) for p in self.proxies.values()}
        ports = {urlsplit(u).port: u for u in urls}
        routes: dict[str, Route] = {}
        for name, url in zip(names, urls, strict=True):
            port = urlsplit(url).port
            server_name = next((k for k, v in self.urls.items()
                                if urlsplit(v).port == port), None)
            # a URL the lab does not serve (e.g. an sdk_lab server): requests not counted
            seen = (len(self.servers[server_name].requests) - before[server_name]
                    if server_name is not None else -1)
            # Requests for this URL per proxy: what the tap read in clear (every request,
            # including those the proxy refused, e.g. 407) or what the plugin logged (also
            # inside TLS to an https:// proxy, but only requests the proxy accepted).
            proxied: dict[str, int] = {}
            auth: list[bool] = []
            for proxy_port, recs in records.items():
                clear = [e for e in sorted(contacts, key=lambda e: e["t"])
                         if e["port"] == proxy_port and e.get("kind") == "http"
                         and _target_port(e["request"]) == port]
                logged = [r for r in recs if int(r["target"].rsplit(":", 1)[1]) == port]
                count = max(len(clear), len(logged))
                if count:
                    proxied[str(proxy_port)] = count
                    auth += ([bool(e.get("proxy_authorization")) for e in clear] if clear
                             else [bool(r["proxy_authorization"]) for r in logged])
            if name in listing.states:
                state, reason = listing.states[name]
            else:  # no line for this server: the client stopped before (e.g. a bad proxy URL)
                said = (listing.stderr.strip() or listing.stdout.strip()).splitlines()
                state = "missing"
                reason = f"exit {listing.returncode}: {said[0] if said else ''}"
            carried = sum(proxied.values())
            if carried and seen > carried:
                route = "MIXED " + ",".join(f"PROXY {p}" for p in proxied) + " + DIRECT"
            elif carried:
                route = " + ".join(f"PROXY {p}" for p in proxied)
            elif seen > 0:
                route = "DIRECT"
            elif seen < 0:  # not counted: reached (by the health state) and not proxied
                route = "DIRECT" if state in ("needs_auth", "connected") else "FAILED"
            else:
                route = "FAILED"
            routes[url] = Route(url, route, state, reason, seen, proxied, auth)
        foreign = sorted({r["target"] for recs in records.values() for r in recs
                          if int(r["target"].rsplit(":", 1)[1]) not in ports})
        shutil.rmtree(box_root, ignore_errors=True)
        return RunResult(env, routes, contacts, foreign, listing.stdout, listing.stderr,
                         seconds)

    def close(self) -> None:
        self._stack.close()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> RouteLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _target_port(request_line: str) -> int | None:
    """The port of ``CONNECT host:port`` or of ``GET http://host:port/...``."""
    try:
        method, target = request_line.split(" ", 1)
        if method == "CONNECT":
            return int(target.rsplit(":", 1)[1])
        parts = urlsplit(target)
        return parts.port or (80 if parts.scheme == "http" else 443)
    except (ValueError, IndexError):
        return None


@contextlib.contextmanager
def route_lab(**kwargs: Any) -> Iterator[RouteLab]:
    lab = RouteLab(**kwargs)
    try:
        yield lab
    finally:
        lab.close()


def main() -> None:
    confine_or_exit()  # before any thread: nothing a client does leaves loopback
    with route_lab() as lab:
        for env in ({}, {"HTTPS_PROXY": lab.proxy_url("p1"), "HTTP_PROXY": lab.proxy_url("p2"),
                         "NO_PROXY": "localhost"}):
            result = lab.run(env)
            print(json.dumps(env))
            for url, route in result.routes.items():
                print(f"  {url:45} {route.route:14} {route.state} {route.reason[:80]}")
            print(f"  ({result.seconds:.1f} s; not lab targets: {result.foreign})")


if __name__ == "__main__":
    main()
