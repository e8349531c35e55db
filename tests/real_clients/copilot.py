"""Driving the real GitHub Copilot CLI (npm ``@github/copilot``, pinned at :data:`RELEASE`).

The npm package's ``copilot`` is a small Node loader (``npm-loader.js``) that spawns the
platform package's native program, ``@github/copilot-linux-x64/copilot``: a Node 24 single
executable application. That program is what the drivers run. On its first start in a HOME it
unpacks its JavaScript and native modules (about 235 MB) into ``~/.cache/copilot/pkg``;
``COPILOT_PKG_CACHE_HOME`` points it at another cache root, so every sandbox shares one
unpacked copy (:data:`PKG_CACHE`; the first run fills it in about 1.2 s, every later run
skips it). Its MCP transport, OAuth and HTTP client are native (Rust: rmcp, reqwest/hyper,
rustls) in ``runtime.node``, so Node's variables (``NODE_TLS_REJECT_UNAUTHORIZED``,
``NODE_USE_ENV_PROXY``) are not what decides its network behaviour: measure, per release.

Offline: ``COPILOT_OFFLINE=true`` (no GitHub login, telemetry or update checks) needs a model
provider, ``COPILOT_PROVIDER_BASE_URL``; a tiny OpenAI-compatible stub on loopback
(:class:`ModelStub`, one per test process) answers every completion with "ok".

Two drivers:

- :func:`prompt_run` / :func:`health_check`: ``copilot -p hi --output-format json
  --additional-mcp-config JSON``; its JSON lines ``session.mcp_server_status_changed`` give
  each server's state: ``needs-auth`` (the MCP URL answered 401 and the protected-resource
  metadata was fetched: that is as far as a prompt run looks), ``connected``, or ``failed``
  with ``error`` and ``errorClassification``. The run is stopped as soon as the prompt is
  sent (``user.message``: every server has settled by then), about 0.7 s.
- :func:`login`: interactive ``copilot`` in tmux starts every remote server's OAuth flow by
  itself (discovery, metadata, registration) and opens the authorization URL with
  ``xdg-open`` from PATH: a stand-in there records it. About 2-3 s.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import selectors
import shutil
import signal
import socketserver
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.real_clients.agreement import STEPS, Outcome, stop_from
from tests.real_clients.claude_code_auth import Terminal
from tests.real_clients.proxy_routes import Listing
from tests.real_clients.sandbox import BASE_PATH, Sandbox
from tests.real_clients.setup import Client, Setup

# Where npm installed the pinned package (tests/real_clients/node, as for the others).
NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"  # node/package.json
RELEASE = "1.0.102"
PLATFORM_PACKAGE = "@github/copilot-linux-x64"
# One unpacked copy of the program's package for every sandbox (COPILOT_PKG_CACHE_HOME).
PKG_CACHE = Path(tempfile.gettempdir()) / "netcheck-copilot-pkg"

BASE_ENV = {"COPILOT_OFFLINE": "true", "COPILOT_MODEL": "x", "COPILOT_AUTO_UPDATE": "false"}


def binary() -> Path | None:
    """The native program of the platform package (what npm-loader.js spawns)."""
    path = NODE_MODULES / PLATFORM_PACKAGE / "copilot"
    return path if path.is_file() else None


def missing() -> str | None:
    """None when Copilot CLI is installed here, else how to install it."""
    if binary() is None:
        return (f"GitHub Copilot CLI is not installed: npm install --prefix {NODE_MODULES.parent} "
                f"@github/copilot@{RELEASE}")
    return None


def package_version() -> str | None:
    """The platform package's version from its package.json (no need to run anything)."""
    path = NODE_MODULES / PLATFORM_PACKAGE / "package.json"
    if not path.is_file():
        return None
    version = json.loads(path.read_text()).get("version")
    return str(version) if version else None


VERSION_LINE = re.compile(r"^GitHub Copilot CLI (\d+\.\d+\.\d+)")


def version(box: Sandbox) -> str:
    """What ``copilot --version`` prints ("GitHub Copilot CLI 1.0.102." and an update hint)."""
    exe = binary()
    assert exe is not None, missing()
    done = box.run([str(exe), "--version"], base_env(), timeout=60)
    match = VERSION_LINE.match(done.stdout.strip())
    assert match, done.stdout + done.stderr
    return match.group(1)


# --- the model provider stub ---------------------------------------------------------------------


class _ModelHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(json.dumps({"object": "list", "data": [{"id": "x", "object": "model"}]})
                   .encode(), "application/json")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            stream = bool(json.loads(raw).get("stream"))
        except (ValueError, AttributeError):
            stream = False
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        base = {"id": "c1", "created": 0, "model": "x"}
        if not stream:
            doc = {**base, "object": "chat.completion", "usage": usage, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "ok"},
                 "finish_reason": "stop"}]}
            self._send(json.dumps(doc).encode(), "application/json")
            return
        chunks = [{**base, "object": "chat.completion.chunk", "choices": [
                      {"index": 0, "delta": {"role": "assistant", "content": "ok"},
                       "finish_reason": None}]},
                  {**base, "object": "chat.completion.chunk", "choices": [
                      {"index": 0, "delta": {}, "finish_reason": "stop"}]},
                  {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}]
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(body.encode(), "text/event-stream")


class ModelStub:
    """An OpenAI-compatible endpoint on 127.0.0.1 answering every completion with "ok"."""

    def __init__(self) -> None:
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ModelHandler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self.server.serve_forever, name="copilot-model-stub",
                         daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_STUB: ModelStub | None = None
_STUB_LOCK = threading.Lock()


def model_stub() -> ModelStub:
    """The process's model stub (started on first use, in the caller's network namespace)."""
    global _STUB
    with _STUB_LOCK:
        if _STUB is None:
            _STUB = ModelStub()
        return _STUB


def base_env() -> dict[str, str]:
    """The variables every run gets (before the case's own, which may override them)."""
    return {**BASE_ENV, "COPILOT_PKG_CACHE_HOME": str(PKG_CACHE),
            "COPILOT_PROVIDER_BASE_URL": model_stub().url}


# --- the prompt run (health check) ---------------------------------------------------------------


@dataclass(frozen=True)
class ServerState:
    """One server's last settled state in a prompt run."""

    state: str  # "needs_auth" | "connected" | "failed" | "pending" (never settled)
    error: str = ""  # Copilot's words: the event's ``error``, or why it needs auth (its log)
    classification: str = ""  # the event's ``errorClassification`` (e.g. "http_404")

    @property
    def reached(self) -> bool:
        return self.state in ("needs_auth", "connected")

    @property
    def said(self) -> str:
        return f"{self.error} [{self.classification}]" if self.classification else self.error


_STATES = {"needs-auth": "needs_auth", "connected": "connected", "failed": "failed"}


@dataclass
class PromptRun:
    states: dict[str, ServerState]
    events: list[dict[str, Any]]
    stdout: str
    stderr: str
    returncode: int | None
    seconds: float
    log: str = ""  # ~/.copilot/logs/*.log of the run
    started: bool = True  # False: Copilot printed no event at all (it stopped at start)

    def stopped_at_start(self) -> str | None:
        """What Copilot said when it stopped before starting any server, else None."""
        if self.started:
            return None
        said = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return f"exit {self.returncode}: {said[0] if said else ''}"


def server_entry(url: str, kind: str = "http", **extra: Any) -> dict[str, Any]:
    """A remote server as ``--additional-mcp-config`` / ``~/.copilot/mcp-config.json`` write
    it: ``{"type": "http" | "sse", "url": ..., "headers": {...}}``."""
    return {"type": kind, "url": url, **extra}


def mcp_config(servers: dict[str, dict[str, Any]]) -> str:
    return json.dumps({"mcpServers": servers})


def _popen_lines(box: Sandbox, argv: list[str], env: dict[str, str], timeout: float,
                 stop: Any) -> tuple[list[str], str, int | None, float]:
    """Run ``argv`` in ``box`` (through :meth:`Sandbox.shell_line`, stdin /dev/null), read its
    stdout line by line until ``stop(line)`` is true, it exits, or ``timeout``; then kill its
    process group. Returns (lines, stderr, returncode or None when killed, seconds)."""
    line = box.shell_line(argv, env)
    started = time.monotonic()
    proc = subprocess.Popen(["sh", "-c", line], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    os.set_blocking(proc.stdout.fileno(), False)
    lines: list[str] = []
    buffer = b""
    killed = False
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                killed = True
                break
            if not sel.select(min(left, 0.5)):
                if proc.poll() is not None:
                    break
                continue
            chunk: bytes | None = proc.stdout.read()  # None: nothing yet (non-blocking)
            if chunk is None:
                continue
            if not chunk:  # end of output
                break
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            done = False
            for raw in complete:
                text = raw.decode("utf-8", "replace")
                lines.append(text)
                if stop(text):
                    done = True
            if done:
                killed = True
                break
    seconds = time.monotonic() - started
    if killed and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
    if buffer:
        lines.append(buffer.decode("utf-8", "replace"))
    return lines, err.decode("utf-8", "replace"), None if killed else proc.returncode, seconds


def _sent_prompt(line: str) -> bool:
    return line.startswith('{"type":"user.message"') or line.startswith('{"type":"result"')


def read_log(box: Sandbox) -> str:
    logs = sorted((box.home / ".copilot" / "logs").glob("*.log"))
    return "\n".join(p.read_text(errors="replace") for p in logs)


_NEEDS_AUTH_WHY = re.compile(r'reporting the server as needing auth \{"server":"([^"]+)",'
                             r'"error":"((?:[^"\\]|\\.)*)"')


def prompt_run(box: Sandbox, servers: dict[str, dict[str, Any]], env: dict[str, str],
               args: tuple[str, ...] = (), timeout: float = 60,
               config_flag: bool = True) -> PromptRun:
    """``copilot -p hi`` in ``box`` with :func:`base_env` and then exactly ``env``; the servers
    go in ``--additional-mcp-config`` (``config_flag=False``: the caller placed them in a
    config file). Stops once the prompt is sent (every server settled) or at ``timeout``."""
    exe = binary()
    assert exe is not None, missing()
    PKG_CACHE.mkdir(parents=True, exist_ok=True)
    argv = [str(exe), "-p", "hi", "--allow-all-tools", "--output-format", "json", *args]
    if config_flag:
        argv += ["--additional-mcp-config", mcp_config(servers)]
    lines, stderr, code, seconds = _popen_lines(box, argv, {**base_env(), **env}, timeout,
                                                _sent_prompt)
    events: list[dict[str, Any]] = []
    for text in lines:
        with contextlib.suppress(ValueError):
            doc = json.loads(text)
            if isinstance(doc, dict):
                events.append(doc)
    log = read_log(box)
    why = {m.group(1): json.loads(f'"{m.group(2)}"') for m in _NEEDS_AUTH_WHY.finditer(log)}
    states: dict[str, ServerState] = {}
    for event in events:
        data = event.get("data") or {}
        if event.get("type") != "session.mcp_server_status_changed":
            continue
        name, status = data.get("serverName"), data.get("status")
        if name not in servers:
            continue
        if status in _STATES:
            states[name] = ServerState(_STATES[status], str(data.get("error") or why.get(name, "")),
                                       str(data.get("errorClassification") or ""))
        elif name not in states:
            states[name] = ServerState("pending", f"still {status} after {seconds:.0f} s")
    return PromptRun(states, events, "\n".join(lines), stderr, code, seconds, log,
                     started=bool(events))


def unique_names(names: list[str]) -> dict[str, str]:
    """A fresh server name per run for each of ``names`` (Copilot caches tools by name)."""
    tag = uuid.uuid4().hex[:8]
    return {n: f"{n}-{tag}" for n in names}


def health_check(box: Sandbox, servers: dict[str, dict[str, Any]], env: dict[str, str],
                 args: tuple[str, ...] = (), timeout: float = 60) -> dict[str, ServerState]:
    """Every server's state in one prompt run (names as given; unique ones are used inside)."""
    fresh = unique_names(list(servers))
    run = prompt_run(box, {fresh[n]: s for n, s in servers.items()}, env, args, timeout)
    start = run.stopped_at_start()
    out: dict[str, ServerState] = {}
    for name in servers:
        found = run.states.get(fresh[name])
        out[name] = found or ServerState("missing", start or "no event for this server")
    return out


class CopilotPrompt:
    """:class:`tests.real_clients.proxy_routes.HealthCheck` for Copilot CLI: every URL an
    ``http`` server in ``--additional-mcp-config``, one prompt run."""

    def trust_env(self, ca_file: str) -> dict[str, str]:
        return {"NODE_EXTRA_CA_CERTS": ca_file}  # 1.0.102 honours it (notes/copilot.md)

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        fresh = unique_names(list(servers))
        run = prompt_run(box, {fresh[n]: server_entry(u) for n, u in servers.items()}, env,
                         args, min(timeout, 60))
        states = {n: (run.states[fresh[n]].state, run.states[fresh[n]].said)
                  for n in servers if fresh[n] in run.states}
        return Listing(states, run.stdout, run.stderr,
                       run.returncode if run.returncode is not None else 0)


COPILOT_PROMPT = CopilotPrompt()


# --- the interactive login -------------------------------------------------------------------


@dataclass
class LoginOutcome:
    """What interactive Copilot did with one server's OAuth flow."""

    state: str  # "auth_url" (the browser was opened) | "failed" | "connected" | "stuck"
    auth_url: str | None = None
    error: str | None = None  # Copilot's words (its log's "OAuth authentication failed ...")
    screen: str = ""
    log: str = ""
    seconds: float = 0.0

    @property
    def reached_browser(self) -> bool:
        return self.state == "auth_url"

    @property
    def query(self) -> dict[str, str]:
        if not self.auth_url:
            return {}
        return {k: v[0] for k, v in parse_qs(urlsplit(self.auth_url).query).items()}

    @property
    def redirect_uri(self) -> str | None:
        return self.query.get("redirect_uri")


def browser_stand_in(box: Sandbox) -> tuple[Path, Path]:
    """An ``xdg-open`` (and ``BROWSER``) on the sandbox's PATH that records its argument:
    (bin directory, record file)."""
    bindir = box.root / "browser-bin"
    bindir.mkdir(exist_ok=True)
    record = box.root / "opened.txt"
    for name in ("xdg-open", "browser"):
        script = bindir / name
        script.write_text(f'#!/bin/sh\nprintf "%s %s\\n" "$(basename "$0")" "$*" >> {record}\n')
        script.chmod(0o755)
    return bindir, record


_LOGIN_FAILED = re.compile(r"OAuth authentication failed for (\S+?): (.*)$", re.M)


def _login_failure(log: str, name: str) -> str | None:
    for match in _LOGIN_FAILED.finditer(log):
        if match.group(1) == name:
            return match.group(2).strip()
    return None


def login(box: Sandbox, server: dict[str, Any], env: dict[str, str], timeout: float = 30,
          args: tuple[str, ...] = ()) -> LoginOutcome:
    """Interactive ``copilot`` in tmux with ``server`` (a fresh name) in
    ``--additional-mcp-config``: returns once its OAuth flow opened the authorization URL
    (recorded by the ``xdg-open`` stand-in), failed (its log says why), the server connected
    without OAuth, or ``timeout``."""
    exe = binary()
    assert exe is not None, missing()
    PKG_CACHE.mkdir(parents=True, exist_ok=True)
    name = unique_names(["login"])["login"]
    bindir, record = browser_stand_in(box)
    full_env = {**base_env(), "PATH": f"{bindir}:{BASE_PATH}", **env}
    term = Terminal(220, 50)
    started = time.monotonic()
    outcome = LoginOutcome("stuck")
    try:
        term.start(box.shell_line([str(exe), *args, "--additional-mcp-config",
                                   mcp_config({name: server})], full_env))
        while time.monotonic() - started < timeout:
            time.sleep(0.1)
            if record.exists() and record.read_text().strip():
                opened = record.read_text().strip().splitlines()[0].split(" ", 1)
                outcome.state, outcome.auth_url = "auth_url", opened[1] if len(opened) > 1 \
                    else ""
                break
            log = read_log(box)
            failed = _login_failure(log, name)
            if failed is not None:
                outcome.state, outcome.error = "failed", failed
                break
            if "Service initialized as client" in log:  # the only server connected
                outcome.state = "connected"
                break
            if term.dead():
                outcome.state, outcome.error = "failed", "copilot exited"
                break
        outcome.screen = term.screen()
    finally:
        outcome.seconds = time.monotonic() - started
        pane = _pane_pid(term.socket) if term.started else None
        term.close()
        _kill_group(pane)
    outcome.log = read_log(box)
    if outcome.state == "stuck":
        outcome.error = _last_oauth_line(outcome.log, name)
    return outcome


def _pane_pid(socket_name: str) -> int | None:
    done = subprocess.run(["tmux", "-L", socket_name, "display-message", "-p", "-t", "cc",
                           "#{pane_pid}"], capture_output=True, text=True, timeout=10,
                          check=False)
    return int(done.stdout.strip()) if done.stdout.strip().isdigit() else None


def _kill_group(pid: int | None) -> None:
    """Copilot shuts down slowly on tmux's SIGHUP (its callback port stays taken for a
    while): end its process group at once."""
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _last_oauth_line(log: str, name: str) -> str | None:
    lines = [line for line in log.splitlines() if name in line]
    return lines[-1][:300] if lines else None


def unavailable() -> str | None:
    """None when these drivers can run here, else why not (for a test's skip)."""
    from tests.real_clients.sandbox import available

    if shutil.which("tmux") is None:
        return "tmux is not installed"
    return missing() or available()



# --- one agreement case ----------------------------------------------------------------------

# Copilot's words -> the flow step they name (agreement.STEPS)
COPILOT_RULES = (
    (r"invalid extra CA certificate|no trust roots available", "settings"),
    (r"Client registration failed|does not support dynamic client registration",
     "client_registration"),
    (r"Incompatible authorization server|OAuth discovery failed|"
     r"Failed to discover authorization server metadata", "authorization_server_metadata"),
    (r"Unexpected content type|unexpected server response: HTTP|"
     r"connection closed: initialize response|JSON-RPC", "resource"),
)
PROMPT_DEPTH = "resource"  # a prompt run says needs-auth on the 401 (it fetches PRM, ignores it)
LOGIN_DEPTH = "client_registration"  # the login opens the browser after registration


def _write_files(box: Sandbox, files: dict[str, Any]) -> None:
    for path, content in files.items():
        box.write(path.replace("{project}", str(box.project)), content)


def _stop(said: str, setup: Setup, depth: str) -> Outcome:
    """Where Copilot stopped: from its words, else from what the lab's servers answered (the
    first step up to ``depth`` without an answer it could use)."""
    if any(re.search(p, said, re.IGNORECASE) for p, _ in COPILOT_RULES):
        return Outcome(False, stop_from([], COPILOT_RULES, said), said[:300])
    served = setup.log() if setup.log else []
    for step in STEPS[1:STEPS.index(depth) + 1]:
        if not any(r.ok for r in served if r.step == step):
            return Outcome(False, step, said[:300])
    return Outcome(False, depth, said[:300])


def _entry(setup: Setup) -> dict[str, Any]:
    return server_entry(setup.url, **setup.server_config)


def run_prompt_case(box: Sandbox, setup: Setup) -> Outcome:
    """One agreement case (``clients.Setup``) with the prompt run only (depth
    :data:`PROMPT_DEPTH`). Copilot cannot be given a client certificate: ``setup.cert`` is
    not used."""
    _write_files(box, setup.files)
    state = health_check(box, {"t": _entry(setup)}, setup.env)["t"]
    if state.reached:
        return Outcome(True, None, state.state)
    if state.state == "missing" and state.error.startswith("exit"):
        return Outcome(False, "settings", state.error[:300])
    return _stop(state.said or state.state, setup, PROMPT_DEPTH)


def run_login_case(box: Sandbox, setup: Setup) -> Outcome:
    """One agreement case with the interactive login only (depth :data:`LOGIN_DEPTH`)."""
    _write_files(box, setup.files)
    out = login(box, _entry(setup), setup.env)
    if out.state in ("auth_url", "connected"):
        return Outcome(True, None, out.state)
    return _stop(out.error or out.state, setup, LOGIN_DEPTH)


def run_case(box: Sandbox, setup: Setup) -> Outcome:
    """One agreement case: the prompt run, and when it says the server needs authorization,
    the interactive login, which goes on to the browser step (depth :data:`LOGIN_DEPTH`)."""
    first = run_prompt_case(box, setup)
    if not first.reached or first.said != "needs_auth":
        return first
    second = run_login_case(box, setup)
    return second if not second.reached else Outcome(True, None, f"needs_auth, {second.said}")


def clients() -> dict[str, Client]:
    """The drivers as ``clients.Client`` entries (profile "copilot")."""
    return {c.name: c for c in (
        Client("copilot", "copilot", LOGIN_DEPTH, run_case),
        Client("copilot-prompt", "copilot", PROMPT_DEPTH, run_prompt_case),
        Client("copilot-login", "copilot", LOGIN_DEPTH, run_login_case))}
