"""The agreement cases: each one situation a user is in, built in the :class:`Rig` for one
client. ``klass`` numbers them as issue 8 does:

1 settings files, 2 proxy selection, 3 verification off, 4 OAuth deviations, 5 what the MCP URL
answers, 6 certificate and trust files, 7 eager failures of the client's HTTP stack.

Clients (``tests/real_clients/clients.py``): ``claude-code-mcp-list`` (the health check),
``claude-code-session`` (the interactive /mcp -> Authenticate flow), ``mcp-typescript-sdk``
and ``mcp-python-sdk``. OAuth deviations run in Claude Code's session, where the login happens
(its health check does not look at them, measured); everything else in its health check.
Codex, Copilot CLI and mcp-remote run every case of every class (:func:`for_every_client`):
Codex's health check for classes 1-3, 6 and 7, its login for 4, its app server's MCP session
for 5; Copilot's prompt run for all but class 4, its interactive login for 4; mcp-remote's
client for all. Cases of their own follow the shared ones.
"""

from __future__ import annotations

import dataclasses
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
CODEX_LIST, CODEX_LOGIN, CODEX_SESSION = "codex-mcp-list", "codex-login", "codex-session"
COPILOT_PROMPT, COPILOT_LOGIN = "copilot-prompt", "copilot-login"
MR = "mcp-remote"  # mcp-remote-client; its flags in Setup.server_config["args"]
GEMINI_SESSION, GEMINI_LOGIN = "gemini-session", "gemini-login"
# a unicast address nothing in the tests' network namespace reaches: names put there resolve
# to a public-looking address, and only the proxy (which resolves them itself) reaches them
PUBLIC = "192.0.3.1"
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
                       ("{other-ca}", lambda: rig.path("private-server-ca.pem")),
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


def with_args(build: Build, *args: str) -> Build:
    """``build`` with mcp-remote flags (what follows the URL in a Claude Desktop entry)."""
    def flagged(rig: Rig, client: Client) -> Setup:
        setup = build(rig, client)
        setup.server_config = {**setup.server_config, "args": list(args)}
        return setup
    return flagged


def held_port(build: Build, port: int) -> Build:
    """``build`` while 127.0.0.1:``port`` is held by another program (for the session)."""
    def held(rig: Rig, client: Client) -> Setup:
        rig.hold_port(port)
        return build(rig, client)
    return held


def public_names(build: Build) -> Build:
    """``build`` with the lab's names on a public-looking address, reachable only through the
    Basic-auth proxy (Gemini CLI refuses OAuth endpoints that resolve to private or loopback
    addresses, and every lab name is on loopback): the case's OAuth rules can then be met."""
    def public(rig: Rig, client: Client) -> Setup:
        setup = build(rig, client)
        setup.job = {**setup.job, "hosts": {"mcp.test": PUBLIC, "auth.test": PUBLIC}}
        setup.env = {**setup.env, "HTTPS_PROXY": rig.proxy_url("basic")}
        return setup
    return public


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
    # Codex's own
    Case("codex-upper-case-wins", 2, (CODEX_LIST,),
         oauth(env={"HTTPS_PROXY": "{basic}", "https_proxy": DEAD}),
         "HTTPS_PROXY works, https_proxy is dead: Codex reads the upper case first"),
    Case("codex-cgi-no-proxy", 2, (CODEX_LIST,),
         oauth(env={"HTTPS_PROXY": DEAD, "REQUEST_METHOD": ""}),
         "REQUEST_METHOD set (even empty) turns every proxy off in Codex"),
    Case("codex-ssl-cert-file-replaces-system", 6, (CODEX_LIST,), oauth(trusted=False, env={
        "SSL_CERT_FILE": "{other-ca}"}),
         "SSL_CERT_FILE names a CA that signs nothing here (it replaces the system roots)"),
    Case("codex-issuer-other-path", 4, (CODEX_LOGIN, SESSION),
         oauth(metadata_edit=lambda d: {**d, "issuer": str(d["issuer"]) + "tenant"}),
         "the AS metadata's issuer has a path the discovered one lacks"),
    Case("codex-authorization-endpoint-other-host", 4, (CODEX_LOGIN, SESSION),
         oauth(metadata_edit=lambda d: {**d, "authorization_endpoint": str(d[
             "authorization_endpoint"]).replace("auth.test", "mcp.test")}),
         "the authorization endpoint is on another origin, without iss in the callback"),
    # Copilot CLI's own
    Case("copilot-proxyurl-setting-dead", 1, (COPILOT_PROMPT,), oauth(files={
        ".copilot/settings.json": {"proxyUrl": DEAD}}),
         "Copilot's settings.json proxyUrl names a dead proxy, no variable set"),
    Case("copilot-http-proxy-only-dead", 2, (COPILOT_PROMPT,), oauth(env={"HTTP_PROXY": DEAD}),
         "only HTTP_PROXY, dead, and an https server (Copilot falls back to it)"),
    Case("copilot-lower-case-wins", 2, (COPILOT_PROMPT,),
         oauth(env={"https_proxy": DEAD, "HTTPS_PROXY": "{basic}"}),
         "https_proxy dead, HTTPS_PROXY working: Copilot reads the lower case first"),
    Case("copilot-ssl-cert-file-missing", 7, (COPILOT_PROMPT,),
         oauth(trusted=False, env={"SSL_CERT_FILE": "/does/not/exist.pem"}),
         "SSL_CERT_FILE names a missing file and no other CA is given"),
    # Gemini CLI's own (its .env file is its class 1)
    Case("gemini-dotenv-proxy", 1, (GEMINI_SESSION,),
         oauth(files={".gemini/.env": f"HTTPS_PROXY={DEAD}\n"}),
         "~/.gemini/.env names a dead proxy (Gemini CLI loads it)"),
    Case("gemini-dotenv-first-file-only", 1, (GEMINI_SESSION,), oauth(files={
        "{project}/.gemini/.env": f"HTTPS_PROXY={DEAD}\n", ".gemini/.env": "NO_PROXY=mcp.test\n"}),
         "the project's .env names a dead proxy, the user's NO_PROXY (only the first is read)"),
    Case("gemini-dotenv-extra-ca", 1, (GEMINI_SESSION,),
         oauth(trusted=False, files={".gemini/.env": "NODE_EXTRA_CA_CERTS={ca}\n"}),
         "NODE_EXTRA_CA_CERTS only in ~/.gemini/.env (Node reads it before the file is loaded)"),
    Case("gemini-dotenv-tls-off", 3, (GEMINI_SESSION,),
         oauth(trusted=False, files={".gemini/.env": "NODE_TLS_REJECT_UNAUTHORIZED=0\n"}),
         "NODE_TLS_REJECT_UNAUTHORIZED=0 in ~/.gemini/.env, an untrusted server"),
    Case("gemini-no-proxy-switches-layer", 2, (GEMINI_SESSION,), oauth(env={
        "HTTPS_PROXY": "{basic}", "https_proxy": DEAD, "NO_PROXY": "other.example"}),
         "NO_PROXY set: the MCP transport's own agent takes https_proxy (dead)"),
    Case("gemini-http-proxy-for-https", 2, (GEMINI_SESSION,), oauth(env={"HTTP_PROXY": "{basic}"}),
         "only HTTP_PROXY: Gemini CLI's session proxy carries https too"),
    Case("node-use-openssl-ca", 6, (TS,), oauth(trusted=False, env={
        "NODE_OPTIONS": "--use-openssl-ca", "SSL_CERT_FILE": "{ca}"}),
         "NODE_OPTIONS=--use-openssl-ca: Node clients then take OpenSSL's store (SSL_CERT_FILE)"),
    # mcp-remote's own (its flags)
    Case("mr-enable-proxy-basic-auth", 2, (MR,),
         with_args(oauth(env={"HTTPS_PROXY": "{basic}"}), "--enable-proxy"),
         "mcp-remote --enable-proxy through a proxy with Basic auth"),
    Case("mr-enable-proxy-wrong-password", 2, (MR,),
         with_args(oauth(env={"HTTPS_PROXY": "{basic-wrong}"}), "--enable-proxy"),
         "mcp-remote --enable-proxy, the proxy password is out of date"),
    Case("mr-enable-proxy-no-proxy-both-cases", 2, (MR,), with_args(oauth(env={
        "NO_PROXY": ".test", "no_proxy": ".corp.example", "HTTP_PROXY": DEAD}),
        "--enable-proxy"), "mcp-remote --enable-proxy: no_proxy wins over NO_PROXY"),
    Case("mr-enable-proxy-inspecting-untrusted", 2, (MR,),
         with_args(oauth(env={"HTTPS_PROXY": "{inspecting}"}), "--enable-proxy"),
         "mcp-remote --enable-proxy through a TLS-inspecting proxy, its root not given"),
    Case("mr-enable-proxy-scheme-less", 7, (MR,),
         with_args(oauth(env={"HTTPS_PROXY": "127.0.0.1:9"}), "--enable-proxy"),
         "mcp-remote --enable-proxy with HTTPS_PROXY=host:port (no scheme): stops at start"),
    Case("mr-enable-proxy-http-proxy-unusable", 7, (MR,),
         with_args(oauth(env={"http_proxy": "proxy.test:3128"}), "--enable-proxy"),
         "mcp-remote --enable-proxy, http_proxy without a scheme, an https MCP URL"),
    Case("mr-static-client-info", 4, (MR,), with_args(oauth(registration=False),
         "--static-oauth-client-info", '{"client_id":"pre-registered"}'),
         "no registration endpoint; a pre-registered client id given to mcp-remote"),
    Case("mr-callback-port-taken", 1, (MR,), held_port(with_args(oauth(), "9696"), 9696),
         "the callback port given to mcp-remote (9696) is held by another program"),
]


CODEX_DRIVER = {4: CODEX_LOGIN, 5: CODEX_SESSION}  # else its health check
COPILOT_DRIVER = {4: COPILOT_LOGIN}  # else its prompt run
GEMINI_DRIVER = {4: GEMINI_LOGIN}  # else its prompt run's MCP start-up (no class 1: Claude's)
# mcp-remote and Gemini CLI wait on an event stream that carries no message (20 s, 10 min)
SLOW_FOR = {"mcp-sse-without-message": (MR, GEMINI_SESSION)}


def for_every_client(cases: list[Case]) -> list[Case]:
    """The shared cases (those without a client-specific name) with Codex, Copilot CLI and
    mcp-remote added, each through the driver that reaches the case's class."""
    out = []
    for case in cases:
        if case.name.startswith(("codex-", "copilot-", "gemini-", "mr-")):
            out.append(case)
            continue
        more = [CODEX_DRIVER.get(case.klass, CODEX_LIST),
                COPILOT_DRIVER.get(case.klass, COPILOT_PROMPT), MR]
        if case.klass != 1:
            more.append(GEMINI_DRIVER.get(case.klass, GEMINI_SESSION))
        more = [c for c in more if c not in SLOW_FOR.get(case.name, ())]
        out.append(dataclasses.replace(case, clients=(*case.clients, *more)))
        if case.klass == 4:  # Gemini CLI's OAuth rules, met on public-looking addresses
            out.append(Case(f"{case.name}@public", 4, (GEMINI_LOGIN,),
                            public_names(case.build), f"{case.about} (names on a public "
                            "address, reached through the proxy)"))
    return out


CASES = for_every_client(CASES)

