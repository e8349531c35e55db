"""Shared fixtures: a throwaway PKI, real loopback servers and proxies, and a CLI runner that
validates every report it sees against the shipped JSON Schema."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from netcheck.cli import main
from netcheck.lab.https import server_context
from netcheck.report import load_schema
from tests import hostile, servers
from tests.confine import confine_to_loopback
from tests.pki import PASSPHRASE, Pki, build

PROXY_USER = "alice"
PROXY_PASSWORD = "pr0xy-S3cret!"
CONFINED: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The session's network is loopback only (:mod:`tests.confine`), before any test."""
    if not CONFINED:
        CONFINED.append(confine_to_loopback())


def pytest_report_header(config: pytest.Config) -> str:
    return f"network: {CONFINED[0] if CONFINED else 'not confined'}"


@pytest.fixture(autouse=True)
def hermetic_home(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the real ~/.claude settings of whoever runs the suite."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return build(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return load_schema()


@dataclass
class CliResult:
    status: int
    report: dict[str, Any] | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def verdict(self) -> tuple[str, str, str] | None:
        assert self.report is not None
        v = self.report["verdict"]
        return None if v is None else (v["step"], v["hop"], v["code"])

    @property
    def diagnosis(self) -> tuple[str, str, str]:
        """The verdict of a failed run, checking what a user relies on with it: exit status 1,
        ``ok`` false, and a verdict naming step, hop and code."""
        assert self.status == 1, (self.status, self.stdout, self.stderr)
        assert self.report is not None and self.report["ok"] is False
        verdict = self.verdict
        assert verdict is not None
        return verdict

    def hop(self, step: str, hop: str, index: int = 0) -> dict[str, Any]:
        assert self.report is not None
        found = [s for s in self.report["steps"] if s["step"] == step]
        return next(h for h in found[index]["hops"] if h["hop"] == hop)


@pytest.fixture
def run_cli(tmp_path: Path, schema: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Run ``netcheck`` in-process with exactly ``env`` (nothing from the real environment)."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> CliResult:
        report_path = tmp_path / f"report-{time.monotonic_ns()}.json"
        argv = list(args)
        if argv and argv[0] == "check" and "--json" not in argv:
            argv += ["--json", str(report_path)]
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        status = main(argv, environ=dict(env or {}), stdout=out, stderr=err)
        seconds = time.monotonic() - started
        report = None
        if report_path.exists():
            report = json.loads(report_path.read_text())
        elif "--json" in argv and argv[argv.index("--json") + 1] == "-" and argv[0] == "check":
            report = json.loads(out.getvalue())
        if report is not None:
            jsonschema.validate(report, schema)
        return CliResult(status, report, out.getvalue(), err.getvalue(), seconds)

    return run


@pytest.fixture(scope="session")
def dns_server() -> Iterator[servers.DnsServer]:
    server = servers.DnsServer(
        records={"mcp.test": "127.0.0.1", "auth.test": "127.0.0.1", "proxy.test": "127.0.0.1",
                 "blocked.test": "127.0.0.1"},
        nx={"nx.test"}, servfail={"fail.test"}, silent={"silent.test"})
    yield server
    server.close()


def _server(pki: Pki, **kwargs: Any) -> servers.TlsHttpServer:
    handler = kwargs.pop("handler", servers.mcp_401("https://mcp.test/.well-known/oauth-"
                                                    "protected-resource/mcp"))
    return servers.TlsHttpServer(handler, cert_file=kwargs.pop("cert_file",
                                                               pki.path("server.pem")), **kwargs)


@pytest.fixture
def serve(pki: Pki) -> Iterator[Any]:
    """Start one-off TLS servers for a test (``serve(handler, cert_file=...)``); all are
    closed when the test ends."""
    started: list[servers.TlsHttpServer] = []

    def start(handler: servers.Handler, **kwargs: Any) -> servers.TlsHttpServer:
        kwargs.setdefault("cert_file", pki.path("server.pem"))
        server = servers.TlsHttpServer(handler, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def hostile_server(pki: Pki) -> Iterator[hostile.RawHttpsServer]:
    """An HTTPS server answering each path with a script (``tests/hostile.py``)."""
    server = hostile.RawHttpsServer(server_context(pki.path("server.pem"), None))
    yield server
    server.close()


@pytest.fixture(scope="session")
def mtls13(pki: Pki) -> Iterator[servers.TlsHttpServer]:
    """TLS 1.3, client certificate required, CA names sent (like nginx)."""
    server = _server(pki, client_ca=pki.path("client-ca.pem"), tls_version="1.3",
                     send_ca_names=True)
    yield server
    server.close()


@pytest.fixture(scope="session")
def mtls12(pki: Pki) -> Iterator[servers.TlsHttpServer]:
    """TLS 1.2, client certificate required, no CA names (like many Java/Go gateways)."""
    server = _server(pki, client_ca=pki.path("client-ca.pem"), tls_version="1.2")
    yield server
    server.close()


@pytest.fixture(scope="session")
def reverse_proxy_style(pki: Pki) -> Iterator[servers.TlsHttpServer]:
    """Finishes the handshake without a certificate, then answers nginx's 400 page."""
    server = _server(pki, client_ca=pki.path("client-ca.pem"), require=False,
                     handler=servers.nginx_no_cert_page)
    yield server
    server.close()


@pytest.fixture(scope="session")
def plain_tls(pki: Pki) -> Iterator[servers.TlsHttpServer]:
    """An MCP server over TLS without client certificates."""
    server = _server(pki)
    yield server
    server.close()


@pytest.fixture(scope="session")
def basic_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.ProxyProcess]:
    with servers.proxy_py(tmp_path_factory.mktemp("proxy-basic"), "--basic-auth",
                          f"{PROXY_USER}:{PROXY_PASSWORD}",
                          plugins=("tests.proxy_plugins.TestNames",)) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def intercepting_proxy(tmp_path_factory: pytest.TempPathFactory,
                       pki: Pki) -> Iterator[servers.ProxyProcess]:
    work = tmp_path_factory.mktemp("proxy-mitm")
    (work / "certs").mkdir()
    with servers.proxy_py(work, "--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}",
                          "--ca-cert-file", pki.path("inspection-ca.pem"),
                          "--ca-key-file", pki.path("inspection-ca.key"),
                          "--ca-signing-key-file", pki.path("inspection-signing.key"),
                          "--ca-cert-dir", str(work / "certs"),
                          "--ca-file", pki.path("public-ca.pem"),
                          plugins=("tests.proxy_plugins.TestNames",)) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def egress_proxy(tmp_path_factory: pytest.TempPathFactory,
                 pki: Pki) -> Iterator[servers.ProxyProcess]:
    """A TLS-inspecting proxy whose root names no product ("Acme Egress Gateway")."""
    work = tmp_path_factory.mktemp("proxy-egress")
    (work / "certs").mkdir()
    with servers.proxy_py(work, "--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}",
                          "--ca-cert-file", pki.path("egress-ca.pem"),
                          "--ca-key-file", pki.path("egress-ca.key"),
                          "--ca-signing-key-file", pki.path("inspection-signing.key"),
                          "--ca-cert-dir", str(work / "certs"),
                          "--ca-file", pki.path("public-ca.pem"),
                          plugins=("tests.proxy_plugins.TestNames",)) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def tls_proxy(tmp_path_factory: pytest.TempPathFactory,
              pki: Pki) -> Iterator[servers.ProxyProcess]:
    """proxy.py serving its proxy port over TLS (an https:// proxy), with Basic auth; its
    certificate is the lab's server certificate (names 127.0.0.1 and localhost)."""
    with servers.proxy_py(tmp_path_factory.mktemp("proxy-tls"), "--basic-auth",
                          f"{PROXY_USER}:{PROXY_PASSWORD}", "--cert-file",
                          pki.path("server.pem"), "--key-file", pki.path("server.pem"),
                          plugins=("tests.proxy_plugins.TestNames",)) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def socks_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Pproxy]:
    with servers.pproxy(tmp_path_factory.mktemp("pproxy") / "pproxy.log") as proxy:
        yield proxy


@pytest.fixture(scope="session")
def blocking_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.ProxyProcess]:
    with servers.proxy_py(tmp_path_factory.mktemp("proxy-block"),
                          plugins=("tests.proxy_plugins.TestNames",
                                   "tests.proxy_plugins.BlockHosts"),
                          env={"NETCHECK_TEST_BLOCK_HOSTS": "blocked.test"}) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def negotiate_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.ProxyProcess]:
    with servers.proxy_py(tmp_path_factory.mktemp("proxy-negotiate"),
                          plugins=("tests.proxy_plugins.NegotiateOnly",)) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def silent_listener() -> Iterator[servers.SilentListener]:
    listener = servers.SilentListener()
    yield listener
    listener.close()


@pytest.fixture
def base_args(pki: Pki, dns_server: servers.DnsServer) -> list[str]:
    """Public roots = the test's public CA; names resolved by the test's DNS responder."""
    return ["--public-roots", pki.path("public-ca.pem"), "--dns-server", dns_server.address,
            "--timeout", "3", "--no-oauth"]


def client_cert_args(pki: Pki, name: str = "client") -> list[str]:
    return ["--cert", pki.path(f"{name}.pem"), "--key", pki.path(f"{name}.key")]


@pytest.fixture
def lab_args(pki: Pki, dns_server: servers.DnsServer) -> list[str]:
    """What a check of an :class:`~tests.sdk_lab.SdkLab` needs: its CA as the public roots,
    the test's resolver and the client certificate."""
    return ["--public-roots", pki.path("public-ca.pem"), "--dns-server", dns_server.address,
            "--timeout", "3", *client_cert_args(pki)]


@pytest.fixture(scope="session")
def healthy_lab(pki: Pki) -> Iterator[Any]:
    """One healthy MCP Python SDK lab for the session (tests that change it make their own)."""
    from tests.sdk_lab import SdkLab

    lab = SdkLab(pki)
    yield lab
    lab.close()


__all__ = ["PASSPHRASE", "PROXY_PASSWORD", "PROXY_USER", "CliResult", "client_cert_args"]
