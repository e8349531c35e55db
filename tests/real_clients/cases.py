"""The agreement cases: each one situation a user is in, built in the :class:`Rig` for one
client. ``klass`` numbers them as issue 8 does:

1 settings files, 2 proxy selection, 3 verification off, 4 OAuth deviations, 5 what the MCP URL
answers, 6 certificate and trust files, 7 eager failures of the client's HTTP stack.

Clients (``tests/real_clients/clients.py``): ``claude-code-mcp-list`` (the health check),
``claude-code-session`` (the interactive /mcp -> Authenticate flow), ``mcp-typescript-sdk``
and ``mcp-python-sdk``. OAuth deviations run in Claude Code's session, where the login happens
(its health check does not look at them, measured); everything else in its health check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import hostile
from tests.pki import PASSPHRASE
from tests.real_clients.agreement import Request, request, step_of
from tests.real_clients.clients import Cert, Client, Setup
from tests.real_clients.rig import Rig
from tests.sdk_lab import SdkLab

Build = Callable[[Rig, Client], Setup]

HEALTH, SESSION = "claude-code-mcp-list", "claude-code-session"
TS, PY = "mcp-typescript-sdk", "mcp-python-sdk"
SDKS = (TS, PY)
DEAD = "http://127.0.0.1:9"  # a proxy nothing answers at
MANAGED = "/etc/claude-code/managed-settings.json"


@dataclass(frozen=True)
class Case:
    name: str
    klass: int
    clients: tuple[str, ...]
    build: Build
    about: str


def trust(rig: Rig, client: Client) -> dict[str, str]:
    """How each client's user makes it trust the lab's public CA."""
    return client.trusts(rig.path("public-ca.pem"))


def served(lab: SdkLab) -> Callable[[], list[Request]]:
    """What the lab's two servers answered, as flow steps."""
    origins = {"mcp": f"https://mcp.test:{lab.mcp_port}",
               "auth": lab.issuer.rstrip("/")}

    def log() -> list[Request]:
        return [request(step_of(s.method, origins[s.server] + s.path, lab.mcp_url), s.status,
                        s.content_type) for s in lab.served]
    return log


def oauth(env: dict[str, str] | None = None, files: dict[str, Any] | None = None,
          trusted: bool = True, **variant: Any) -> Build:
    """The MCP Python SDK's servers (``variant`` changes one thing), with extra ``env`` and
    settings ``files``; ``trusted=False``: the client is not told about the lab's CA."""
    def build(rig: Rig, client: Client) -> Setup:
        lab = rig.sdk_lab(**variant)
        base = trust(rig, client) if trusted else {}
        placed = {path: fill(rig, content) for path, content in (files or {}).items()}
        return Setup(lab.mcp_url, {**base, **fill(rig, env or {})}, files=placed,
                     log=served(lab), job={"request_tls": True})
    return build


def fill(rig: Rig, value: Any) -> Any:
    """``{ca}``, ``{basic}``, ``{inspecting}`` in a case's values: the lab's CA file and
    proxies (with their credentials)."""
    if isinstance(value, dict):
        return {k: fill(rig, v) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    for name, make in (("{ca}", lambda: rig.path("public-ca.pem")),
                       ("{garbage}", lambda: rig.path("not-a-cert.pem")),
                       ("{basic-wrong}", lambda: rig.proxy_url("basic", "wrong")),
                       ("{basic}", lambda: rig.proxy_url("basic")),
                       ("{tls-proxy}", lambda: rig.proxy_url("tls")),
                       ("{inspecting}", lambda: rig.proxy_url("inspecting")),
                       ("{bundle}", lambda: bundle(rig, "inspection-ca.pem"))):
        if name in value:
            value = value.replace(name, make())
    return value


def bundle(rig: Rig, extra: str) -> str:
    """The lab's public CA and ``extra`` in one file (what a user builds to add a root)."""
    path = rig.root / f"bundle-{extra}"
    if not path.exists():
        path.write_bytes(b"".join(Path(rig.path(n)).read_bytes()
                                  for n in ("public-ca.pem", extra)))
    return str(path)


def answered(script: hostile.Script) -> Build:
    def build(rig: Rig, client: Client) -> Setup:
        return Setup(rig.answering(script), trust(rig, client))
    return build


def open_mcp(json_response: bool, cert: str = "server.pem", host: str = "mcp.test") -> Build:
    def build(rig: Rig, client: Client) -> Setup:
        return Setup(rig.mcp_server(json_response, cert, host), trust(rig, client))
    return build


def edit(**fields: object) -> Callable[[dict[str, object]], dict[str, object]]:
    def change(doc: dict[str, object]) -> dict[str, object]:
        doc = {**doc, **fields}
        return {k: v for k, v in doc.items() if v is not None}
    return change


def mtls(cert: Cert | None, env: dict[str, str] | None = None) -> Build:
    """Servers that require a client certificate; Claude Code gets it through its
    variables, an SDK program in code."""
    def build(rig: Rig, client: Client) -> Setup:
        lab = rig.sdk_lab(require_client_cert=True)
        setup = Setup(lab.mcp_url, {**trust(rig, client), **(env or {})}, log=served(lab),
                      job={"request_tls": True})
        if cert is None:
            return setup
        given = Cert(rig.path(cert.cert), rig.path(cert.key) if cert.key else None,
                     cert.passphrase)
        if client.profile != "claude-code":
            setup.cert = given
            return setup
        setup.env["CLAUDE_CODE_CLIENT_CERT"] = given.cert
        if given.key:
            setup.env["CLAUDE_CODE_CLIENT_KEY"] = given.key
        if given.passphrase:
            setup.env["CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"] = given.passphrase
        return setup
    return build


def _sse(body: bytes) -> hostile.Script:
    return hostile.answer(200, body, [("Content-Type", "text/event-stream")])


HTML = b"<html><head><title>Acme Intranet</title></head><body>Welcome</body></html>"
PAIR = Cert("client.pem", "client.key")
USER = ".claude/settings.json"


def env_block(**variables: str) -> dict[str, Any]:
    return {"env": variables}


CASES: list[Case] = [
    # 1 - where Claude Code's settings come from
    Case("settings-user-proxy", 1, (HEALTH,), oauth(files={USER: env_block(
        HTTPS_PROXY=DEAD)}), "the user settings name a proxy that does not answer"),
    Case("settings-user-empty-proxy", 1, (HEALTH,),
         oauth(env={"HTTPS_PROXY": DEAD}, files={USER: env_block(HTTPS_PROXY="")}),
         "the shell has a dead proxy; the user settings empty it"),
    Case("settings-user-extra-ca", 1, (HEALTH,),
         oauth(trusted=False, files={USER: env_block(NODE_EXTRA_CA_CERTS="{ca}")}),
         "the lab's CA is given only in the user settings"),
    Case("settings-claude-json-env", 1, (HEALTH,), oauth(files={
        ".claude.json": {"hasCompletedOnboarding": True, **env_block(HTTPS_PROXY=DEAD)}}),
         "~/.claude.json has an env block with a dead proxy"),
    Case("settings-managed-over-user", 1, (HEALTH,), oauth(files={
        USER: env_block(HTTPS_PROXY=""), MANAGED: env_block(HTTPS_PROXY=DEAD)}),
         "managed settings name a dead proxy the user settings do not"),
    Case("settings-managed-drop-in", 1, (HEALTH,), oauth(files={
        "/etc/claude-code/managed-settings.d/10-proxy.json": env_block(HTTPS_PROXY=DEAD)}),
         "a managed drop-in file names a dead proxy"),
    Case("settings-project-untrusted", 1, (HEALTH,), oauth(files={
        "{project}/.claude/settings.json": env_block(HTTPS_PROXY=DEAD)}),
         "project settings name a dead proxy, in a folder not trusted"),
    Case("settings-project-trusted", 1, (SESSION,), oauth(files={
        "{project}/.claude/settings.json": env_block(HTTPS_PROXY=DEAD)}),
         "project settings name a dead proxy, in the trusted folder of a session"),
    Case("settings-ssl-cert-file-in-settings", 1, (HEALTH,),
         oauth(trusted=False, files={USER: env_block(SSL_CERT_FILE="{ca}")}),
         "SSL_CERT_FILE given only in the user settings"),
    Case("settings-empty-extra-ca-in-managed", 1, (HEALTH,), oauth(trusted=False, files={
        USER: env_block(NODE_EXTRA_CA_CERTS="{ca}"), MANAGED: env_block(
            NODE_EXTRA_CA_CERTS="")}),
         "the user settings give the CA; managed settings set it empty"),
    # 2 - proxy selection
    Case("proxy-basic-auth", 2, (HEALTH, *SDKS), oauth(env={"HTTPS_PROXY": "{basic}"}),
         "through a proxy with Basic auth"),
    Case("proxy-https", 2, (HEALTH, *SDKS), oauth(env={"HTTPS_PROXY": "{tls-proxy}"}),
         "an https:// proxy (TLS to the proxy) with Basic auth"),
    Case("proxy-wrong-password", 2, (HEALTH, *SDKS), oauth(env={"HTTPS_PROXY": "{basic-wrong}"}),
         "the proxy password is out of date"),
    Case("proxy-inspecting-untrusted", 2, (HEALTH, *SDKS),
         oauth(env={"HTTPS_PROXY": "{inspecting}"}),
         "a TLS-inspecting proxy whose root the client does not trust"),
    Case("proxy-inspecting-trusted", 2, (HEALTH,), oauth(env={
        "HTTPS_PROXY": "{inspecting}", "NODE_EXTRA_CA_CERTS": "{bundle}"}),
         "a TLS-inspecting proxy whose root the client was given"),
    Case("proxy-all-proxy-only", 2, (HEALTH, *SDKS), oauth(env={"ALL_PROXY": "{basic}"}),
         "only ALL_PROXY names the (working) proxy"),
    Case("proxy-empty-lower-https", 2, (HEALTH, *SDKS),
         oauth(env={"https_proxy": "", "HTTPS_PROXY": DEAD}),
         "https_proxy is empty, HTTPS_PROXY names a dead proxy"),
    Case("proxy-no-proxy-both-cases", 2, (HEALTH, *SDKS), oauth(env={
        "NO_PROXY": ".test", "no_proxy": ".corp.example", "HTTP_PROXY": DEAD}),
         "NO_PROXY and no_proxy differ; HTTP_PROXY names a dead proxy"),
    Case("proxy-scheme-less-https", 2, (SESSION,), oauth(env={"HTTPS_PROXY": "127.0.0.1:9"}),
         "HTTPS_PROXY without a scheme (host:port), in a session (a terminal)"),
    Case("proxy-socks", 2, (HEALTH,), oauth(env={"HTTPS_PROXY": "socks5://127.0.0.1:9"}),
         "HTTPS_PROXY names a SOCKS proxy"),
    Case("proxy-garbage-http-beside-https", 2, (HEALTH, TS),
         oauth(env={"HTTPS_PROXY": "{basic}", "http_proxy": "not a url"}),
         "a working HTTPS_PROXY and an unusable http_proxy"),
    # 3 - verification off
    Case("verification-off", 3, (HEALTH, *SDKS),
         oauth(trusted=False, env={"NODE_TLS_REJECT_UNAUTHORIZED": "0"}),
         "an untrusted server with NODE_TLS_REJECT_UNAUTHORIZED=0"),
    Case("verification-off-false", 3, (HEALTH,),
         oauth(trusted=False, env={"NODE_TLS_REJECT_UNAUTHORIZED": "false"}),
         "an untrusted server with NODE_TLS_REJECT_UNAUTHORIZED=false"),
    Case("verification-off-in-settings", 3, (HEALTH,), oauth(trusted=False, files={
        USER: env_block(NODE_TLS_REJECT_UNAUTHORIZED="0")}),
         "NODE_TLS_REJECT_UNAUTHORIZED=0 in the user settings"),
    # 4 - what the authorization server's metadata says
    Case("healthy", 4, (HEALTH, SESSION, *SDKS), oauth(),
         "a healthy MCP server and authorization server"),
    Case("issuer-mismatch", 4, (SESSION, *SDKS),
         oauth(metadata_edit=edit(issuer="https://other.test/")),
         "the AS metadata names another issuer"),
    Case("issuer-without-slash", 4, (SESSION, *SDKS),
         oauth(metadata_edit=lambda d: {**d, "issuer": str(d["issuer"]).rstrip("/")}),
         "the issuer differs from the discovered one by its trailing slash"),
    Case("pkce-absent", 4, (SESSION, *SDKS),
         oauth(metadata_edit=edit(code_challenge_methods_supported=None)),
         "the AS metadata has no code_challenge_methods_supported"),
    Case("pkce-plain", 4, (SESSION, *SDKS),
         oauth(metadata_edit=edit(code_challenge_methods_supported=["plain"])),
         "the AS offers PKCE only as plain"),
    Case("no-registration", 4, (SESSION, *SDKS), oauth(registration=False),
         "no registration_endpoint, no client metadata documents"),
    Case("no-registration-cimd", 4, (SESSION,), oauth(
        registration=False, metadata_edit=edit(client_id_metadata_document_supported=True)),
         "no registration_endpoint; client metadata documents advertised"),
    Case("prm-missing", 4, (SESSION, *SDKS), oauth(prm="missing"),
         "no protected-resource metadata, and no resource_metadata in the challenge"),
    Case("prm-resource-elsewhere", 4, (SESSION, *SDKS),
         oauth(prm_resource="https://other.test/mcp"),
         "the protected-resource metadata is for another host"),
    Case("openid-configuration-only", 4, (SESSION, *SDKS), oauth(metadata_at="oidc"),
         "the RFC 8414 document is served only at the OpenID configuration URL"),
    Case("plain-http-authorization-endpoint", 4, (SESSION, *SDKS),
         oauth(metadata_edit=edit(authorization_endpoint="http://auth.test/authorize")),
         "the authorization endpoint is plain http"),
    Case("as-metadata-500", 4, (SESSION, *SDKS), oauth(metadata_answer="500"),
         "the AS metadata URL answers 500"),
    Case("as-metadata-html", 4, (SESSION, *SDKS), oauth(metadata_answer="html"),
         "a login page answers at the AS metadata URL"),
    # 5 - what the MCP URL answers
    Case("mcp-html-page", 5, (HEALTH, *SDKS),
         answered(hostile.answer(200, HTML, [("Content-Type", "text/html")])),
         "a web page answers at the MCP URL"),
    Case("mcp-json-not-jsonrpc", 5, (HEALTH, *SDKS),
         answered(hostile.json_answer({"status": "ok"})),
         "JSON of another API answers at the MCP URL"),
    Case("mcp-no-auth-json", 5, (HEALTH, *SDKS), open_mcp(json_response=True),
         "an MCP server that needs no authorization (the SDK's server, JSON answers)"),
    Case("mcp-no-auth-sse", 5, (HEALTH, *SDKS), open_mcp(json_response=False),
         "an MCP server that needs no authorization (the SDK's server, event streams)"),
    Case("mcp-sse-without-message", 5, (PY,), answered(_sse(b"event: ping\ndata: hi\n\n")),
         "an event stream that carries no JSON-RPC message"),
    Case("mcp-404", 5, (HEALTH, *SDKS), answered(hostile.answer(404, b"Not Found")),
         "nothing at the MCP URL"),
    Case("mcp-500", 5, (HEALTH, *SDKS), answered(hostile.answer(500, b"oops")),
         "the MCP URL answers 500"),
    # 6 - client certificate and trust files
    Case("mtls-pem", 6, (HEALTH, *SDKS), mtls(PAIR),
         "servers requiring a client certificate; PEM certificate and key"),
    Case("mtls-none", 6, (HEALTH, *SDKS), mtls(None),
         "servers requiring a client certificate; none given"),
    Case("mtls-combined-pem", 6, (HEALTH, *SDKS), mtls(Cert("client-combined.pem")),
         "PEM certificate and key in one file, the key not named separately"),
    Case("mtls-combined-pem-named-twice", 6, (HEALTH,),
         mtls(Cert("client-combined.pem", "client-combined.pem")),
         "one PEM file named as both certificate and key"),
    Case("mtls-pkcs12", 6, (HEALTH, PY), mtls(Cert("client.p12", None, PASSPHRASE)),
         "a PKCS#12 file (with its passphrase)"),
    Case("mtls-der", 6, (HEALTH, PY), mtls(Cert("client.der", "client-key.der")),
         "DER certificate and key"),
    Case("mtls-encrypted-key", 6, (HEALTH, *SDKS),
         mtls(Cert("client.pem", "client-pkcs8-encrypted.key", PASSPHRASE)),
         "an encrypted PKCS#8 key with its passphrase"),
    Case("mtls-wrong-passphrase", 6, (HEALTH,),
         mtls(Cert("client.pem", "client-pkcs8-encrypted.key", "not-the-passphrase")),
         "an encrypted key with the wrong passphrase"),
    Case("mtls-missing-file", 6, (HEALTH,), mtls(Cert("missing.pem", "client.key")),
         "CLAUDE_CODE_CLIENT_CERT names a file that does not exist"),
    Case("mtls-expired", 6, (HEALTH, *SDKS), mtls(Cert("expired-client.pem",
                                                       "expired-client.key")),
         "an expired client certificate"),
    Case("tls-partial-wildcard", 6, (HEALTH, *SDKS),
         open_mcp(True, "server-partial-wildcard.pem", "mcp.corp.test"),
         "an MCP server (no authorization) whose certificate names m*.corp.test, a partial "
         "wildcard"),
    Case("extra-ca-missing-with-ssl-cert-file", 6, (HEALTH,), oauth(trusted=False, env={
        "NODE_EXTRA_CA_CERTS": "/does/not/exist.pem", "SSL_CERT_FILE": "{ca}"}),
         "NODE_EXTRA_CA_CERTS names a missing file; SSL_CERT_FILE holds the CA"),
    Case("extra-ca-garbage", 6, (HEALTH, TS), oauth(trusted=False, env={
        "NODE_EXTRA_CA_CERTS": "{garbage}"}), "NODE_EXTRA_CA_CERTS names a garbage file"),
    # 7 - the client's HTTP stack fails before any request
    Case("http-proxy-unusable", 7, (HEALTH, TS), oauth(env={"http_proxy": "proxy.test:3128"}),
         "http_proxy without a scheme, and an https MCP URL"),
    Case("no-proxy-punycode", 7, (HEALTH, PY), oauth(env={"NO_PROXY": "xn--bcher-kva.example"}),
         "a NO_PROXY entry with an xn-- label, and no proxy at all"),
]
