"""Hostile servers and proxies: every case ends in a diagnosis, in bounded time and memory.

Each case runs ``netcheck check`` as its own process against a real loopback server that
misbehaves, and asserts what a user relies on: exit status 1, a verdict naming step, hop and
code, no traceback, the run finished within ``--timeout`` + 1 s of its slowest hop, and the
process's own peak resident memory (VmHWM) under 150 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests import hostile
from tests.pki import Pki
from tests.servers import REPO

TIMEOUT = 2.0
PEAK_MB = 150
PRM_PATH = "/.well-known/oauth-protected-resource/mcp"
AS_PATH = "/.well-known/oauth-authorization-server"


@dataclass
class Run:
    status: int
    report: dict[str, Any]
    output: str
    seconds: float
    peak_mb: float

    @property
    def verdict(self) -> tuple[str, str, str]:
        v = self.report["verdict"]
        return (v["step"], v["hop"], v["code"])


# Runs ``python -m netcheck`` in this process and, at exit, writes the process's own peak
# resident size (VmHWM, kB) to $PEAK_FILE. (A child's ru_maxrss would also count the forking
# pytest process's pages from before exec, hundreds of MB late in a suite.)
MEASURED_MAIN = """
import os, sys
from netcheck.cli import main
status = main(sys.argv[1:])  # the entry point's own exit skips atexit: measure here
with open("/proc/self/status") as status_file:
    kb = next(line.split()[1] for line in status_file if line.startswith("VmHWM:"))
with open(os.environ["PEAK_FILE"], "w") as out:
    out.write(kb)
sys.exit(status)
"""


@pytest.fixture
def netcheck_measured(tmp_path: Path, schema: dict[str, Any],  # type: ignore[no-untyped-def]
                      dns_server):
    """Run ``netcheck check`` as its own process; it reports its own peak memory. Any name
    lookup goes to the test's loopback resolver."""

    def run(url: str, *args: str, env: dict[str, str] | None = None) -> Run:
        report = tmp_path / f"report-{time.monotonic_ns()}.json"
        peak_file = tmp_path / "peak-kb"
        cmd = [sys.executable, "-c", MEASURED_MAIN, "check", url, "--timeout", str(TIMEOUT),
               "--dns-server", dns_server.address, "--json", str(report), *args]
        child_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
                     "PYTHONPATH": str(REPO), "PEAK_FILE": str(peak_file), **(env or {})}
        started = time.monotonic()
        try:
            done = subprocess.run(cmd, env=child_env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=60, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail("netcheck did not finish within 60 s")
        seconds = time.monotonic() - started
        output = done.stdout.decode("utf-8", "replace")
        assert report.exists(), output
        doc = json.loads(report.read_text())
        jsonschema.validate(doc, schema)
        return Run(done.returncode, doc, output, seconds, int(peak_file.read_text()) / 1024)

    return run


def assert_diagnosis(run: Run, expected: tuple[str, str, str], *, slowest_hop: float = 0.0
                     ) -> None:
    """Exit 1 with this verdict; no traceback; bounded time and memory."""
    assert run.status == 1, run.output
    assert run.report["ok"] is False
    assert run.verdict == expected, (run.verdict, run.report["verdict"]["message"])
    assert "Traceback" not in run.output
    assert run.report["verdict"]["message"] and run.report["verdict"]["hint"]
    # process start-up and imports, plus the slowest hop's bound, plus 1 s
    assert run.seconds < 3.0 + slowest_hop + 1.0, run.seconds
    assert 10 < run.peak_mb < PEAK_MB, run.peak_mb


def cacert(pki: Pki) -> list[str]:
    return ["--cacert", pki.path("public-ca.pem")]


def with_metadata(server: hostile.RawHttpsServer, prm: hostile.Script) -> str:
    """The MCP server answers 401 pointing at its metadata, which ``prm`` serves."""
    server.routes["/mcp"] = hostile.challenge(server.url(PRM_PATH))
    server.routes[PRM_PATH] = prm
    return server.url("/mcp")


# --- bodies ------------------------------------------------------------------------------------


def test_fifty_megabyte_body(netcheck_measured, pki, hostile_server):
    url = with_metadata(hostile_server, hostile.flood(50 << 20))
    run = netcheck_measured(url, *cacert(pki))
    assert_diagnosis(run, ("protected_resource_metadata", "oauth", "oauth_invalid_json"))
    assert "larger than 64 KiB" in run.report["verdict"]["message"]
    http = next(s for s in run.report["steps"] if s["step"] == "protected_resource_metadata")
    assert next(h for h in http["hops"] if h["hop"] == "http")["details"]["wire_bytes"] \
        <= 1 << 20


def test_body_dripping_one_byte_per_second(netcheck_measured, pki, hostile_server):
    url = with_metadata(hostile_server, hostile.drip(every=1.0))
    run = netcheck_measured(url, *cacert(pki))
    assert_diagnosis(run, ("protected_resource_metadata", "http", "http_timeout"),
                     slowest_hop=TIMEOUT)
    assert "body did not finish" in run.report["verdict"]["message"]


def test_gzip_bomb(netcheck_measured, pki, hostile_server):
    url = with_metadata(hostile_server, hostile.gzip_bomb())
    run = netcheck_measured(url, *cacert(pki))
    assert_diagnosis(run, ("protected_resource_metadata", "oauth", "oauth_invalid_json"))
    assert "once decompressed" in run.report["verdict"]["message"]
    assert hostile_server.seen[-1].headers["accept-encoding"] == "gzip, deflate"


def test_gzip_metadata_is_decoded_and_a_cut_stream_is_named(netcheck_measured, pki,
                                                             hostile_server):
    doc = {"resource": hostile_server.url("/mcp"),
           "authorization_servers": [hostile_server.url("/")]}
    run = netcheck_measured(with_metadata(hostile_server, hostile.gzipped(doc)), *cacert(pki))
    # the compressed metadata was read: the flow went on to the (absent) AS metadata
    assert_diagnosis(run, ("authorization_server_metadata", "http", "http_not_found"))
    run = netcheck_measured(with_metadata(hostile_server, hostile.gzipped(doc, cut=12)),
                            *cacert(pki))
    assert_diagnosis(run, ("protected_resource_metadata", "http", "http_protocol_error"))
    assert "ends before its compressed stream" in run.report["verdict"]["message"]


@pytest.mark.parametrize(("body", "code"), [
    (b'{"resource": "https://x", "authorization_servers": [', "oauth_invalid_json"),
    (json.dumps({"resource": "R", "authorization_servers": "x"}).encode(), "oauth_wrong_type"),
    (b'\xff\xfe{"resource": "\xc3\x28"}', "oauth_invalid_json"),
], ids=["truncated-json", "servers-not-a-list", "not-utf8"])
def test_bad_protected_resource_metadata(netcheck_measured, pki, hostile_server, body, code):
    body = body.replace(b'"R"', json.dumps(hostile_server.url("/mcp")).encode())
    url = with_metadata(hostile_server, hostile.answer(200, body, [("Content-Type",
                                                                    "application/json")]))
    run = netcheck_measured(url, *cacert(pki))
    assert_diagnosis(run, ("protected_resource_metadata", "oauth", code))


def test_issuer_of_the_wrong_type(netcheck_measured, pki, hostile_server):
    server = hostile_server
    url = with_metadata(server, hostile.json_answer({
        "resource": server.url("/mcp"), "authorization_servers": [server.url("/")]}))
    server.routes[AS_PATH] = hostile.json_answer({
        "issuer": 42, "authorization_endpoint": server.url("/authorize"),
        "token_endpoint": server.url("/token"), "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"]})
    run = netcheck_measured(url, *cacert(pki))
    assert_diagnosis(run, ("authorization_server_metadata", "oauth", "oauth_wrong_type"))
    assert "'issuer'" in run.report["verdict"]["message"]


# --- headers -----------------------------------------------------------------------------------


def test_ten_thousand_response_headers(netcheck_measured, pki, hostile_server):
    hostile_server.routes["/mcp"] = hostile.many_headers(10_000)
    run = netcheck_measured(hostile_server.url("/mcp"), *cacert(pki))
    assert_diagnosis(run, ("resource", "http", "http_protocol_error"))
    assert "larger than 64 KiB" in run.report["verdict"]["message"]


def test_malformed_www_authenticate(netcheck_measured, pki, hostile_server):
    hostile_server.routes["/mcp"] = hostile.answer(401, b"{}", [
        ("WWW-Authenticate", 'Bearer resource_metadata="https://unterminated, =,, realm=,"x'),
        ("WWW-Authenticate", '==,, "unterminated \\'), ("WWW-Authenticate", "")])
    run = netcheck_measured(hostile_server.url("/mcp"), *cacert(pki))
    # the challenge's URL is unusable, so discovery falls back to the well-known URLs (as the
    # SDKs do), which this server does not serve
    assert_diagnosis(run, ("protected_resource_metadata", "http", "http_not_found"))
    resource = next(h for h in run.report["steps"][1]["hops"] if h["hop"] == "http")
    assert resource["details"]["www_authenticate"][0]["scheme"] == "Bearer"


# --- redirects ---------------------------------------------------------------------------------


def test_endless_redirect_loop(netcheck_measured, pki, hostile_server):
    hostile_server.routes["/mcp"] = hostile.redirect(hostile_server.url("/a"))
    hostile_server.routes["/a"] = hostile.redirect(hostile_server.url("/mcp"))
    run = netcheck_measured(hostile_server.url("/mcp"), *cacert(pki))
    assert_diagnosis(run, ("resource", "http", "http_too_many_redirects"))


def test_redirect_to_another_origin_keeps_credentials_and_certificate(
        netcheck_measured, pki, hostile_server, serve):
    from tests.servers import mcp_401

    other = serve(mcp_401(), client_ca=pki.path("client-ca.pem"), require=True)
    hostile_server.routes["/mcp"] = hostile.redirect(other.url("localhost"))
    run = netcheck_measured(hostile_server.url("/mcp"), *cacert(pki),
                            "--cert", pki.path("client.pem"), "--key", pki.path("client.key"),
                            "--header", "Authorization: Bearer tok-not-for-others")
    assert_diagnosis(run, ("resource", "client_cert", "client_cert_required"))
    assert "did not present yours" in run.report["verdict"]["message"]
    initialize = next(r for r in hostile_server.seen if r.path == "/mcp")
    assert initialize.headers["authorization"] == "Bearer tok-not-for-others"
    assert all(r.client_cert_subject is None for r in other.requests)
    assert all("authorization" not in r.headers for r in other.requests)
    assert "tok-not-for-others" not in json.dumps(run.report) + run.output


# --- TLS and proxies ---------------------------------------------------------------------------


def test_tls_server_sending_garbage(netcheck_measured):
    server = hostile.RawProxy(hostile.garbage_tls, read_request=False)
    try:
        run = netcheck_measured(f"https://localhost:{server.port}/mcp")
    finally:
        server.close()
    assert_diagnosis(run, ("resource", "tls", "tls_protocol_error"))


@pytest.mark.parametrize(("script", "expected"), [
    (hostile.accept_then_close, ("resource", "tls", "tls_closed")),
    (hostile.body_without_status_line, ("resource", "proxy_connect", "proxy_protocol_error")),
], ids=["accepts-connect-then-closes", "body-without-status-line"])
def test_hostile_proxy(netcheck_measured, pki, script, expected):
    proxy = hostile.RawProxy(script)
    try:
        run = netcheck_measured("https://localhost:8443/mcp", *cacert(pki),
                                env={"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}"})
    finally:
        proxy.close()
    assert_diagnosis(run, expected)
    if expected[1] == "tls":
        assert "proxy" in run.report["verdict"]["hint"]
