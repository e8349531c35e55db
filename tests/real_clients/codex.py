"""Driving the real Codex CLI (npm ``@openai/codex``: a static Rust binary, driven directly
rather than through the package's node wrapper, which only execs it).

Three ways in, each going a different depth (measured on 0.171.0, see notes/codex.md):

- :func:`health_check`: ``codex mcp list --json``. Per server ``auth_status``: Codex's OAuth
  discovery alone (GET of the MCP URL, protected-resource metadata, authorization-server
  metadata with its issuer check), never an MCP session and never registration.
  ``not_logged_in`` = it found a usable authorization server (the health check's "needs
  authentication"); ``unsupported`` = it found no OAuth at all (an MCP server without
  authorization, but also a 404 or an HTML page at the MCP URL); ``unknown`` = a discovery
  request failed (connection, TLS, proxy, 5xx, issuer or resource mismatch). No words: the
  status is all it prints. About 0.15 s.
- :func:`login`: ``codex mcp login NAME`` with a ``$BROWSER`` stand-in that records the URL it
  is given: discovery again, the PKCE and endpoint-origin checks, dynamic registration, then
  the authorization URL (the browser step), or ``Error: ...`` naming why it stopped. About
  0.25 s.
- :func:`session_check`: ``codex app-server --listen stdio://``, JSON-RPC ``initialize`` then
  ``mcpServerStatus/list``: the MCP session itself (``initialize`` to the server) beside the
  auth status, with the rmcp error in ``toolsError``. 0.3 s to 2 s (it retries refused
  connections).

Agreement drivers: :func:`run_case` (health; classes 1-3, 6, 7), :func:`run_login` (class 4),
:func:`run_session` (class 5: the health check cannot tell an MCP server without authorization
from a web page, both are ``unsupported``).

Every run: a throwaway ``CODEX_HOME`` (``HOME/.codex``), a ``config.toml`` naming a model
provider on a closed loopback port, no update check, no analytics, the ``plugins`` feature off
(with it on, the app server looks up api.github.com and chatgpt.com at start; ``mcp list`` and
``mcp login`` look up nothing either way, measured).
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.real_clients.agreement import STEPS, Outcome, Request, step_of, stop_from
from tests.real_clients.proxy_routes import Listing
from tests.real_clients.sandbox import _ENTER, BASE_PATH, Sandbox

if TYPE_CHECKING:  # clients imports the drivers
    from tests.real_clients.setup import Setup

# Where npm installed the pinned package (tests/real_clients/node, as for the others).
NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"  # node/package.json
RELEASE = "0.171.0"
PACKAGE = "@openai/codex"

# The variable a Codex user sets to trust a corporate root: it adds to the system roots (which
# SSL_CERT_FILE would replace), and Codex's own error messages name it first.
TRUST_VARIABLE = "CODEX_CA_CERTIFICATE"


def trusts(ca_file: str) -> dict[str, str]:
    """How a Codex user makes it trust one more root (``clients.Client.trusts``)."""
    return {TRUST_VARIABLE: ca_file}


PROVIDER_PORT = 9  # nothing listens there in the test namespace: Codex never calls it here


def binary() -> Path | None:
    """The native binary of the platform package (``@openai/codex-linux-x64``)."""
    found = sorted((NODE_MODULES / "@openai").glob("codex-linux-*/vendor/*/bin/codex"))
    return found[0] if found else None


def installed_release() -> str | None:
    """The installed package's version, read from its package.json (nothing is run)."""
    try:
        doc = json.loads((NODE_MODULES / PACKAGE / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = doc.get("version")
    return version if isinstance(version, str) else None


def missing() -> str | None:
    """None when the pinned Codex is installed here, else how to install it."""
    if binary() is None or installed_release() != RELEASE:
        return (f"Codex {RELEASE} is not installed: npm install --prefix "
                f"{NODE_MODULES.parent} {PACKAGE}@{RELEASE}")
    return None


# --- configuration ---------------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def config_toml(servers: dict[str, str | dict[str, Any]], extra: str = "") -> str:
    """``config.toml``: the base settings, ``extra`` (top-level TOML, e.g.
    ``mcp_oauth_callback_port = 5555``), and one ``[mcp_servers.NAME]`` table per server (a URL,
    or the table's keys: ``url``, ``http_headers``, ``enabled``, ``oauth``...)."""
    lines = ['model_provider = "lab"', 'model = "lab-model"', "check_for_update_on_startup = false",
             extra.strip(), "",
             "[features]", "plugins = false", "",
             "[analytics]", "enabled = false", "",
             "[model_providers.lab]", 'name = "lab"',
             f'base_url = "http://127.0.0.1:{PROVIDER_PORT}/v1"', 'wire_api = "responses"', ""]
    for name, spec in servers.items():
        table = {"url": spec} if isinstance(spec, str) else spec
        lines.append(f"[mcp_servers.{name}]")
        lines += [f"{key} = {_toml(value)}" for key, value in table.items()]
        lines.append("")
    return "\n".join(lines)


def codex_home(box: Sandbox) -> Path:
    home = box.home / ".codex"
    home.mkdir(parents=True, exist_ok=True)
    return home


def _env(box: Sandbox, env: dict[str, str]) -> dict[str, str]:
    return {"CODEX_HOME": str(codex_home(box)), **env}


def run(box: Sandbox, args: list[str], env: dict[str, str], *, timeout: float = 60,
        stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """``codex ARGS`` in ``box`` with exactly ``env`` (plus CODEX_HOME, PATH, HOME, LANG)."""
    exe = binary()
    assert exe is not None, missing()
    return box.run([str(exe), *args], _env(box, env), timeout=timeout, stdin=stdin)


def _popen(box: Sandbox, args: list[str], env: dict[str, str], **kwargs: Any
           ) -> subprocess.Popen[bytes]:
    """``codex ARGS`` started in ``box`` (as :meth:`Sandbox.run` runs it), not waited for."""
    exe = binary()
    assert exe is not None, missing()
    box._write_names()  # the sandbox's hosts file, as Sandbox.run writes it
    full = {"PATH": BASE_PATH, "HOME": str(box.home), "LANG": "C.UTF-8",
            "PWD_IN": str(box.project), **_env(box, env)}
    command = ["unshare", "--mount", "--", "sh", "-c", _ENTER, "sh", str(box._etc), str(exe),
               *args]
    return subprocess.Popen(command, env=full, **kwargs)


VERSION_LINE = re.compile(r"^codex-cli (\d+\.\d+\.\d+\S*)$")


def version(box: Sandbox) -> str:
    """What ``codex --version`` prints (``codex-cli 0.171.0``), parsed (0.1 s)."""
    done = run(box, ["--version"], {}, timeout=30)
    match = VERSION_LINE.match(done.stdout.strip())
    assert match, done.stdout
    return match.group(1)


# --- the health check: codex mcp list --json -------------------------------------------------

STATES = {"not_logged_in": "needs_auth", "unsupported": "no_oauth", "unknown": "failed",
          "bearer_token": "not_checked", "o_auth": "not_checked"}


@dataclass(frozen=True)
class Health:
    """One server's entry in ``codex mcp list --json``."""

    status: str  # Codex's auth_status: not_logged_in, unsupported, unknown, bearer_token, o_auth
    enabled: bool

    @property
    def state(self) -> str:
        """needs_auth, no_oauth, failed, not_checked (a bearer token or stored tokens: Codex
        asks the server nothing), disabled (``enabled = false``: not asked either)."""
        return STATES.get(self.status, self.status) if self.enabled else "disabled"

    @property
    def reached(self) -> bool:
        return self.state == "needs_auth"


class NoListing(Exception):
    """``codex mcp list`` printed no JSON (a config it cannot read): what it said is kept."""

    def __init__(self, said: str) -> None:
        super().__init__(said)
        self.said = said


def health_check(box: Sandbox, servers: dict[str, str | dict[str, Any]], env: dict[str, str],
                 args: tuple[str, ...] = (), timeout: float = 60,
                 extra_config: str = "") -> dict[str, Health]:
    """``codex mcp list --json`` over ``servers`` (name -> URL or table) with exactly ``env``."""
    (codex_home(box) / "config.toml").write_text(config_toml(servers, extra_config))
    done = run(box, [*args, "mcp", "list", "--json"], env, timeout=timeout)
    return parse_list(done)


def parse_list(done: subprocess.CompletedProcess[str]) -> dict[str, Health]:
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        doc = None
    if not isinstance(doc, list):
        said = (done.stderr.strip() or done.stdout.strip()).replace("\n", " | ")
        raise NoListing(f"exit {done.returncode}: {said[:500]}")
    return {entry["name"]: Health(str(entry.get("auth_status")), bool(entry.get("enabled")))
            for entry in doc}


# --- the login: codex mcp login NAME with a browser stand-in ---------------------------------

BROWSER = '#!/bin/sh\nprintf "%s\\n" "$1" >> "$BROWSER_LOG"\nexit 0\n'


@dataclass
class Login:
    """How far ``codex mcp login`` got: the authorization URL it gave the browser, or why not."""

    url: str | None
    said: str  # what it printed (stdout and stderr)
    returncode: int | None  # None: still waiting for the callback when stopped (the normal end)
    listening: list[str] = field(default_factory=list)  # its listeners, ``ADDR:PORT`` (ss)
    seconds: float = 0.0

    @property
    def query(self) -> dict[str, str]:
        if self.url is None:
            return {}
        return {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}

    @property
    def error(self) -> str:
        """Its ``Error: ...`` lines, joined (empty when it reached the browser)."""
        lines = [line.strip() for line in self.said.splitlines() if line.strip()]
        start = next((i for i, line in enumerate(lines) if line.startswith("Error:")), 0)
        return " | ".join(lines[start:])[:1000]


def login(box: Sandbox, name: str, servers: dict[str, str | dict[str, Any]],
          env: dict[str, str], *, timeout: float = 20, extra_config: str = "",
          args: tuple[str, ...] = (), no_browser: bool = False) -> Login:
    """``codex mcp login NAME`` until it hands the browser its URL (then it is stopped while it
    waits for the callback), or exits, or ``timeout`` passes."""
    (codex_home(box) / "config.toml").write_text(config_toml(servers, extra_config))
    record = box.root / "browser-urls.txt"
    record.unlink(missing_ok=True)
    browser = box.root / "browser.sh"
    browser.write_text(BROWSER)
    browser.chmod(0o755)
    out_path, err_path = box.root / "login.out", box.root / "login.err"
    argv = ["mcp", "login", *args, name, *(["--no-browser"] if no_browser else [])]
    started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = _popen(box, argv, {"BROWSER": str(browser), "BROWSER_LOG": str(record), **env},
                       stdout=out, stderr=err, stdin=subprocess.PIPE)
        url, listening = None, []
        try:
            while time.monotonic() - started < timeout:
                # Codex prints the URL too: the fallback for a $BROWSER it could not run (it
                # splits the variable at white space, so a path with spaces fails)
                url = _first_line(record) or _printed_url(out_path)
                if url or child.poll() is not None:
                    break
                time.sleep(0.03)
            if url and child.poll() is None:
                listening = listeners(child.pid)
        finally:
            returncode = child.poll()
            if returncode is None:
                child.kill()
            child.wait(10)
    said = out_path.read_text(errors="replace") + err_path.read_text(errors="replace")
    return Login(url, said.strip(), returncode, listening, time.monotonic() - started)


def _first_line(path: Path) -> str | None:
    if not path.exists():
        return None
    lines = path.read_text().split("\n")
    return lines[0] if len(lines) > 1 and lines[0] else None


def _printed_url(path: Path) -> str | None:
    found = re.search(r"^(https?://\S+)$", path.read_text(errors="replace"), re.M)
    return found.group(1) if found else None


def listeners(pid: int) -> list[str]:
    """The TCP sockets process ``pid`` listens on (``ss -ltnpH``, this network namespace)."""
    done = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, timeout=10,
                          check=False)
    return [line.split()[3] for line in done.stdout.splitlines()
            if f"pid={pid}," in line and len(line.split()) > 3]


# --- the session: codex app-server, mcpServerStatus/list --------------------------------------


@dataclass(frozen=True)
class SessionStatus:
    """One server in the app server's ``mcpServerStatus/list``."""

    name: str
    auth_status: str  # unknown, unsupported, notLoggedIn, bearerToken, oAuth
    server_info: dict[str, Any] | None  # the server's initialize result: the session worked
    tools_error: str | None  # rmcp's error, trimmed (see :func:`rmcp_error`)

    @property
    def connected(self) -> bool:
        return self.server_info is not None

    @property
    def state(self) -> str:
        if self.connected:
            return "connected"
        if self.auth_status == "notLoggedIn":
            return "needs_auth"
        return "failed"


def rmcp_error(text: str | None) -> str | None:
    """``MCP startup failed: handshaking with MCP server failed: Send message error Transport
    [<type names>] error: WHAT, when send initialize request: ...`` -> ``WHAT``."""
    if not text:
        return text
    found = re.search(r"\] error: (.*?)(?:, when send initialize request|$)", text, re.S)
    return (found.group(1) if found else text)[:600]


def session_check(box: Sandbox, servers: dict[str, str | dict[str, Any]], env: dict[str, str],
                  *, timeout: float = 40, extra_config: str = "") -> dict[str, SessionStatus]:
    """``mcpServerStatus/list`` from ``codex app-server --listen stdio://``."""
    (codex_home(box) / "config.toml").write_text(config_toml(servers, extra_config))
    child = _popen(box, ["app-server", "--listen", "stdio://"], env, stdin=subprocess.PIPE,
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdin is not None and child.stdout is not None
    deadline = time.monotonic() + timeout
    pending = b""
    poller = select.poll()  # not select(): a test session holds more than 1024 descriptors
    poller.register(child.stdout, select.POLLIN)

    def send(message: dict[str, Any]) -> None:
        assert child.stdin is not None
        child.stdin.write((json.dumps(message) + "\n").encode())
        child.stdin.flush()

    def answer(request_id: int) -> dict[str, Any]:
        nonlocal pending
        assert child.stdout is not None
        while time.monotonic() < deadline:
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                with _ignored():
                    message = json.loads(line)
                    if isinstance(message, dict) and message.get("id") == request_id:
                        return message
            if poller.poll(200):
                chunk = os.read(child.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                pending += chunk
            elif child.poll() is not None:
                break
        raise NoListing(f"the app server gave no answer to request {request_id} "
                        f"(exit {child.poll()})")
    try:
        send({"id": 0, "method": "initialize",
              "params": {"clientInfo": {"name": "netcheck-tests", "version": "0"}}})
        answer(0)
        send({"method": "initialized"})
        send({"id": 1, "method": "mcpServerStatus/list", "params": {}})
        result = answer(1).get("result") or {}
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
    return {entry["name"]: SessionStatus(entry["name"], str(entry.get("authStatus")),
                                         entry.get("serverInfo"),
                                         rmcp_error(entry.get("toolsError")))
            for entry in result.get("data", [])}


class _ignored:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *rest: object) -> bool:
        return kind is not None and issubclass(kind, ValueError)  # type: ignore[arg-type]


# --- proxy_routes.HealthCheck ------------------------------------------------------------------


class CodexList:
    """``codex mcp list --json`` as :class:`tests.real_clients.proxy_routes.HealthCheck`."""

    def trust_env(self, ca_file: str) -> dict[str, str]:
        return trusts(ca_file)

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        (codex_home(box) / "config.toml").write_text(config_toml(dict(servers)))
        done = run(box, [*args, "mcp", "list", "--json"], env, timeout=timeout)
        try:
            health = parse_list(done)
        except NoListing:
            health = {}
        return Listing({n: (h.state, h.status) for n, h in health.items()}, done.stdout,
                       done.stderr, done.returncode)


CODEX_LIST = CodexList()


# --- one agreement case ------------------------------------------------------------------------

SERVER = "t"

# Codex's words -> the step they name (login and session words; the health check has none).
RULES: tuple[tuple[str, str], ...] = (
    (r"selected by (CODEX_CA_CERTIFICATE|SSL_CERT_FILE)", "settings"),
    (r"issuer does not match|issuer mismatch", "authorization_server_metadata"),
    (r"Protected resource metadata resource mismatch", "protected_resource_metadata"),
    (r"required PKCE code challenge method", "authorization_server_metadata"),
    (r"authorization endpoint origin does not match", "authorization_server_metadata"),
    (r"none published usable metadata", "authorization_server_metadata"),
    (r"Dynamic client registration not supported|Registration failed: HTTP",
     "client_registration"),
    (r"Unexpected content type|unexpected server response|Deserialize error|"
     r"handshaking with MCP server failed: connection closed|redirect to a different origin",
     "resource"),
)

_FAILED_URL = re.compile(r"(?:discovery failed for|error sending request for url \()"
                         r"\s*(https?://[^\s)]+)")


def _words_step(said: str, mcp_url: str) -> str | None:
    for pattern, step in RULES:
        if re.search(pattern, said, re.IGNORECASE):
            return step
    urls = _FAILED_URL.findall(said)
    if urls:  # the innermost URL named is the request that failed
        return step_of("GET", urls[-1], mcp_url)
    return None


def _stop(said: str, setup: Setup, depth: str, served: list[Request] | None = None) -> Outcome:
    """Where Codex stopped: from its words, else from what the lab answered (``served``, by
    default ``setup.log()``): the first step up to ``depth`` it got no usable answer from."""
    step = _words_step(said, setup.url)
    if step is not None:
        return Outcome(False, step, said[:300])
    if served is None:
        served = setup.log() if setup.log else []
    if served:
        for name in STEPS[1:STEPS.index(depth) + 1]:
            if not any(r.ok for r in served if r.step == name):
                return Outcome(False, name, said[:300])
        return Outcome(False, depth, said[:300])
    return Outcome(False, stop_from([], (), said), said[:300])


def _write_files(box: Sandbox, setup: Setup) -> str:
    """The case's files; a ``config.toml`` entry (TOML text) goes in front of Codex's own."""
    extra = ""
    for path, content in setup.files.items():
        if path in ("config.toml", ".codex/config.toml") and isinstance(content, str):
            extra = content
            continue
        box.write(path.replace("{project}", str(box.project)), content)
    return extra


def _server(setup: Setup) -> dict[str, Any]:
    return {"url": setup.url, **setup.server_config}


def trusting(setup: Setup) -> dict[str, str]:
    """The case's environment as a Codex user gives it, written back into ``setup.env``.

    Codex does not read NODE_EXTRA_CA_CERTS (measured); its users name their extra root in
    CODEX_CA_CERTIFICATE. So when a case gives a root in NODE_EXTRA_CA_CERTS (``cases.trust``
    does, for every profile but python) and sets neither Codex variable, CODEX_CA_CERTIFICATE
    names the same file. ``setup.env`` is changed in place, so netcheck, run after the client on
    the same :class:`Setup` (``measure.run_pair``), sees the environment Codex saw."""
    env = setup.env
    if env.get("NODE_EXTRA_CA_CERTS") and not {TRUST_VARIABLE, "SSL_CERT_FILE"} & set(env):
        env[TRUST_VARIABLE] = env["NODE_EXTRA_CA_CERTS"]
    return dict(env)


def run_case(box: Sandbox, setup: Setup) -> Outcome:
    """One case through ``codex mcp list --json`` (depth: authorization_server_metadata).

    The health check prints no reason. When it did not say ``not_logged_in``, the reason is
    borrowed from ``codex mcp login`` (which runs the same discovery first and says why it
    stopped), as long as the step it names is within the health check's depth; else it is read
    from the requests the lab answered during the health check."""
    depth = "authorization_server_metadata"
    extra = _write_files(box, setup)
    env = trusting(setup)
    try:
        health = health_check(box, {SERVER: _server(setup)}, env, extra_config=extra)
    except NoListing as stopped:
        return Outcome(False, "settings", stopped.said[:300])
    entry = health.get(SERVER)
    if entry is None:
        return Outcome(False, "settings", "no entry for the server")
    if entry.reached:
        return Outcome(True, None, entry.status)
    served = setup.log() if setup.log else []
    if entry.state in ("failed", "no_oauth"):
        words = login(box, SERVER, {SERVER: _server(setup)}, env, extra_config=extra).error
        step = _words_step(words, setup.url)
        if step is not None and STEPS.index(step) <= STEPS.index(depth):
            return Outcome(False, step, f"{entry.status} ({words})"[:300])
    return _stop(entry.status, setup, depth, served)


def run_login(box: Sandbox, setup: Setup) -> Outcome:
    """One case through ``codex mcp login`` (depth: client_registration, the browser step)."""
    extra = _write_files(box, setup)
    done = login(box, SERVER, {SERVER: _server(setup)}, trusting(setup),
                 extra_config=extra)
    if done.url is not None:
        return Outcome(True, None, "authorization URL")
    said = done.error or f"exit {done.returncode}: {done.said[-300:]}"
    return _stop(said, setup, "client_registration")


def run_session(box: Sandbox, setup: Setup) -> Outcome:
    """One case through the app server's ``mcpServerStatus/list`` (the MCP session; depth:
    authorization_server_metadata, as its auth status comes from the same discovery)."""
    extra = _write_files(box, setup)
    try:
        found = session_check(box, {SERVER: _server(setup)}, trusting(setup),
                              extra_config=extra)
    except NoListing as stopped:
        return Outcome(False, "settings", stopped.said[:300])
    entry = found.get(SERVER)
    if entry is None:
        return Outcome(False, "settings", "no entry for the server")
    if entry.state == "connected":
        return Outcome(True, None, "connected")
    said = f"{entry.auth_status}: {entry.tools_error or ''}".strip()
    if entry.state == "needs_auth":
        return Outcome(True, None, said[:300])
    return _stop(said, setup, "authorization_server_metadata")
