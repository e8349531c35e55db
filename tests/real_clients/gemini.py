"""Driving the real Gemini CLI (npm ``@google/gemini-cli``, a Node program; pinned).

Three probes, measured on 0.61.0 (``notes/gemini.md``):

- ``gemini mcp list`` (:func:`mcp_list`, :class:`GeminiList`, :func:`run_list_case`): one
  line per server on stderr, ``✓ NAME: URL (http) - Connected`` or ``✗ ... - Disconnected``,
  1.2-1.8 s. It only connects (``initialize``, 5 s per server, one after the other): a server
  that answers 401 is ``Disconnected`` like a dead one, and no reason is given. Its proxy
  routes are the session's (792 of 792 measured).
- a prompt run, ``gemini -p hi --debug`` (:func:`session_check`, :class:`GeminiSession`,
  :func:`run_case`): the session's own start-up, which connects to every server and says, per
  server, ``MCP server 'N' requires authentication`` (a 401), ``Error during discovery for MCP
  server 'N': <why>`` with the ``[cause]`` (a failure, or "No prompts, tools, or resources
  found" for a server that answered ``initialize``). The run is stopped once it prints
  ``Session ID:`` (MCP start-up is over; the model is never asked), 1.3-2.5 s.
- the OAuth login (:func:`login`, :func:`run_login_case`): a prompt run with
  ``"oauth": {"enabled": true}`` on the server, ``y`` typed at its consent question, and
  ``xdg-open`` on PATH replaced by a stand-in that records the authorization URL and the
  callback listeners (and, when asked, calls the callback); the run is stopped there, ~2 s.

Every run gets a fresh HOME (``Sandbox``), ``GEMINI_CLI_TRUST_WORKSPACE=true`` (else every
server is "Disabled" and a prompt run exits), settings that turn off usage statistics,
telemetry and update checks (else it calls play.googleapis.com), ``TMPDIR`` inside the sandbox
(error reports land there), and for the prompt runs ``GEMINI_API_KEY=dummy`` with
``GOOGLE_GEMINI_BASE_URL`` on a closed loopback port (no model call can leave).

Gemini CLI refuses OAuth endpoints whose names resolve (locally, even behind a proxy) to
private or loopback addresses, so with the lab's names on 127.0.0.1 every login stops at its
first OAuth request; a case's ``setup.job["hosts"]`` can map names to a public-looking address
only the proxy reaches (see :func:`_apply`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.real_clients.agreement import Outcome
from tests.real_clients.proxy_routes import Listing
from tests.real_clients.sandbox import Sandbox

# Where npm installed the client; the lead moves the pin to tests/real_clients/node/.
NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"  # node/package.json
PACKAGE = "@google/gemini-cli"
RELEASE = "0.61.0"
MODEL_BASE_URL = "http://127.0.0.1:9"  # nothing listens: no model call can succeed or leave


def package_dir() -> Path:
    return NODE_MODULES / PACKAGE


def binary() -> Path | None:
    exe = NODE_MODULES / ".bin" / "gemini"
    return exe if exe.exists() else None


def installed_release() -> str | None:
    """The version npm installed, read from its package.json (without running it)."""
    try:
        doc = json.loads((package_dir() / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version_ = doc.get("version")
    return version_ if isinstance(version_, str) else None


def missing() -> str | None:
    """None when the pinned Gemini CLI is installed here, else how to install it."""
    if binary() is None:
        return f"Gemini CLI is not installed: npm install --prefix {NODE_MODULES.parent} " \
               f"{PACKAGE}@{RELEASE}"
    found = installed_release()
    if found != RELEASE:
        return f"Gemini CLI {found} is installed, {RELEASE} is pinned"
    return None


QUIET_SETTINGS: dict[str, Any] = {
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
    # a prompt run needs an auth type; GOOGLE_GEMINI_BASE_URL alone selects "gateway",
    # which 0.61.0's non-interactive check refuses ("Invalid auth method selected.")
    "security": {"auth": {"selectedType": "gemini-api-key"}},
}
BASE_ENV = {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
PROMPT_ENV = {"GEMINI_API_KEY": "dummy", "GOOGLE_GEMINI_BASE_URL": MODEL_BASE_URL}
PROMPT_ARGS = ("-p", "hi", "-m", "gemini-2.5-flash", "--debug")


def server_entry(url: str, **extra: Any) -> dict[str, Any]:
    """A Streamable HTTP server as ``gemini mcp add -t http`` writes it."""
    return {"url": url, "type": "http", **extra}


def write_settings(box: Sandbox, servers: dict[str, dict[str, Any]],
                   extra: dict[str, Any] | None = None) -> Path:
    """``~/.gemini/settings.json`` with ``servers`` (merged into what is there)."""
    path = box.home / ".gemini" / "settings.json"
    doc: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    for key, value in {**QUIET_SETTINGS, **(extra or {})}.items():
        doc.setdefault(key, value)
    doc["mcpServers"] = {**doc.get("mcpServers", {}), **servers}
    return box.write(path, doc)


def _env(box: Sandbox, env: dict[str, str]) -> dict[str, str]:
    tmp = box.root / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**BASE_ENV, "TMPDIR": str(tmp), **env}


VERSION_LINE = re.compile(r"^(\d+\.\d+\.\d+\S*)$")


def version(box: Sandbox) -> str:
    exe = binary()
    assert exe is not None, missing()
    done = box.run([str(exe), "--version"], _env(box, {}), timeout=30)
    match = VERSION_LINE.match(done.stdout.strip())
    assert match, (done.stdout, done.stderr)
    return match.group(1)


@dataclass(frozen=True)
class Health:
    """What one probe said about one server."""

    state: str  # "needs_auth", "connected", "failed", "disabled"
    reason: str  # the client's words (failed: the error and its cause)
    line: str = ""

    @property
    def reached(self) -> bool:
        return self.state in ("needs_auth", "connected")


# --- gemini mcp list ---------------------------------------------------------------------------

_LIST_LINE = re.compile(r"^[✓✗○…⛔] (?P<name>[^:]+): (?P<url>\S+) \((?P<kind>[a-z]+)\) - "
                        r"(?P<status>.+)$")
_LIST_STATES = {"Connected": "connected", "Disconnected": "failed", "Disabled": "disabled",
                "Blocked": "disabled"}


def mcp_list(box: Sandbox, servers: dict[str, dict[str, Any]], env: dict[str, str],
             args: tuple[str, ...] = (), timeout: float = 60
             ) -> tuple[dict[str, Health], subprocess.CompletedProcess[str]]:
    """``gemini mcp list`` with ``servers`` in the user settings and exactly ``env``."""
    exe = binary()
    assert exe is not None, missing()
    write_settings(box, servers)
    run = run_gemini(box, (*args, "mcp", "list"), env, timeout=timeout)
    done = subprocess.CompletedProcess(["gemini", "mcp", "list"],
                                       -1 if run.returncode is None else run.returncode,
                                       run.stdout, run.stderr + ("\n(timed out: stopped by the "
                                                                 "driver)" if run.timed_out
                                                                 else ""))
    found: dict[str, Health] = {}
    for line in (done.stderr + "\n" + done.stdout).splitlines():
        match = _LIST_LINE.match(line.strip())
        if match and match.group("name") in servers:
            status = match.group("status").strip()
            found[match.group("name")] = Health(_LIST_STATES.get(status, "failed"), status,
                                                line.strip())
    return found, done


# --- the prompt run ----------------------------------------------------------------------------


@dataclass
class Run:
    """One prompt run, stopped early."""

    stderr: str
    stdout: str
    returncode: int | None  # None: stopped by the driver
    seconds: float
    stopped_on: str | None  # the marker that ended it, or None (it exited, or timed out)
    timed_out: bool = False


def run_prompt(box: Sandbox, env: dict[str, str], *, args: tuple[str, ...] = PROMPT_ARGS,
               stop: tuple[str, ...] = ("Session ID:",),
               answers: tuple[tuple[str, str], ...] = (), timeout: float = 60,
               path_prefix: str | None = None, watch: Path | None = None) -> Run:
    """Start ``gemini ARGS`` in ``box``; stop it at the first stderr line containing one of
    ``stop``, once ``watch`` (a file) exists, when it exits, or after ``timeout``. ``answers``:
    (text on stdout, what to type then): stdin stays open only when there are answers (a
    prompt run reads a piped stdin to its end as part of the prompt, when it has data within
    0.5 s)."""
    return run_gemini(box, args, {**PROMPT_ENV, **env}, stop=stop, answers=answers,
                      timeout=timeout, path_prefix=path_prefix, watch=watch)


def run_gemini(box: Sandbox, args: tuple[str, ...], env: dict[str, str], *,
               stop: tuple[str, ...] = (), answers: tuple[tuple[str, str], ...] = (),
               timeout: float = 60, path_prefix: str | None = None,
               watch: Path | None = None) -> Run:
    """``gemini ARGS`` in ``box`` in a process group of its own, which is killed when a stop
    condition of :func:`run_prompt` is met or the time is up."""
    exe = binary()
    assert exe is not None, missing()
    full = _env(box, env)
    if path_prefix:
        full["PATH"] = f"{path_prefix}:{full.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"
    line = box.shell_line([str(exe), *args], full)
    started = time.monotonic()
    proc = subprocess.Popen(["sh", "-c", line], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    if not answers:
        proc.stdin.close()
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def pump(name: str, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            chunks[name].append(data)

    readers = [threading.Thread(target=pump, args=("out", proc.stdout.fileno()), daemon=True),
               threading.Thread(target=pump, args=("err", proc.stderr.fileno()), daemon=True)]
    for reader in readers:
        reader.start()
    pending = list(answers)
    marker: str | None = None
    timed_out = False
    while proc.poll() is None:
        err = b"".join(chunks["err"]).decode(errors="replace")
        out = b"".join(chunks["out"]).decode(errors="replace")
        marker = next((m for m in stop if m in err), None)
        if marker is None and watch is not None and watch.exists():
            time.sleep(0.3)  # let the stand-in finish writing
            marker = f"file {watch.name}"
        if marker is not None:
            break
        while pending and pending[0][0] in out:
            with contextlib.suppress(OSError):
                proc.stdin.write(pending.pop(0)[1].encode())
                proc.stdin.flush()
        if time.monotonic() - started > timeout:
            timed_out = True
            break
        time.sleep(0.05)
    code = proc.poll()
    if code is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    with contextlib.suppress(OSError):
        proc.stdin.close()
    for reader in readers:
        reader.join(5)
    return Run(b"".join(chunks["err"]).decode(errors="replace"),
               b"".join(chunks["out"]).decode(errors="replace"), code,
               time.monotonic() - started, marker, timed_out)


_CAUSE = re.compile(r"\[cause\]: (?:\w*Error: )?(?P<msg>.+)")
_CODE = re.compile(r"^\s*code: '(?P<code>[A-Z_0-9]+)'")


OAUTH_PREFIX = "OAuth: "  # words taken from the login's own error line
_STOP_LINES = ("    at ", "[MCP", "MCP issues", "Scheduling MCP", "Registering notification")


def _error_block(lines: list[str], at: int) -> str:
    """The message at ``lines[at]`` (a JSON message continues on the lines under it) and the
    first ``[cause]`` (with its code) under it."""
    line = re.sub(r"^\[MCP \w+\] ", "", lines[at])
    words = line.split(": ", 1)[1].strip() if ": " in line else line.strip()
    end = min(at + 60, len(lines))
    j = at + 1
    if words.endswith(("[", "{")) or words.startswith(("[", "{")):
        more = []
        while j < end and not lines[j].startswith(_STOP_LINES) and "[cause]" not in lines[j]:
            more.append(lines[j].strip())
            j += 1
        words = re.sub(r"\s+", " ", " ".join([words, *more]))[:500]
    for k in range(j, end):
        if lines[k].startswith(("[MCP", "MCP issues", "Scheduling MCP")):
            break
        cause = _CAUSE.search(lines[k])
        if cause:
            words += " | cause: " + cause.group("msg").strip()
            for m in range(k + 1, min(k + 12, len(lines))):
                code = _CODE.match(lines[m])
                if code:
                    words += f" ({code.group('code')})"
                    break
            break
    return words


def parse_session(stderr: str, names: list[str]) -> dict[str, Health]:
    """Each server's state from a prompt run's ``--debug`` lines: the ``Error during discovery``
    line decides (its words name a 401, a server without tools, or a failure, whose cause is
    taken from the OAuth error before it when there is one); else a server that registered its
    handlers is connected, and one that only got ``requires authentication`` needs it."""
    lines = stderr.splitlines()
    found: dict[str, Health] = {}
    for name in names:
        quoted = f"'{name}'"
        discovery = oauth_error = info = registered = None
        for i, line in enumerate(lines):
            if quoted not in line:
                continue
            if f"Error during discovery for MCP server {quoted}:" in line and discovery is None:
                discovery = i
            elif (f"automatic OAuth for server {quoted}:" in line or
                  f"Could not configure OAuth for {quoted}" in line or
                  f"OAuth transport for server {quoted}:" in line) and oauth_error is None:
                oauth_error = i
            elif f"MCP server {quoted} requires authentication" in line or \
                    f"MCP server {quoted} rejected stored OAuth token" in line:
                info = i if info is None else info
            elif f"Registering notification handlers for server {quoted}" in line:
                registered = i
        if discovery is not None:
            words = _error_block(lines, discovery).split(f"MCP server {quoted}: ", 1)[-1]
            if oauth_error is not None:
                words = OAUTH_PREFIX + _error_block(lines, oauth_error).split(
                    f"server {quoted}: ", 1)[-1]
            if "No prompts, tools, or resources found" in words:
                state = "connected"
            elif oauth_error is None and ("requires authentication" in words or
                                          "rejected stored OAuth token" in words):
                state = "needs_auth"
            else:
                state = "failed"
            found[name] = Health(state, words[:600], lines[discovery].strip())
        elif registered is not None:
            found[name] = Health("connected", "", lines[registered].strip())
        elif info is not None:
            found[name] = Health("needs_auth", lines[info].strip(), lines[info].strip())
    return found


def session_check(box: Sandbox, servers: dict[str, dict[str, Any]], env: dict[str, str],
                  timeout: float = 60) -> tuple[dict[str, Health], Run]:
    """A prompt run's MCP start-up with ``servers`` in the user settings."""
    write_settings(box, servers)
    run = run_prompt(box, env, timeout=timeout)
    return parse_session(run.stderr, list(servers)), run


# --- proxy_routes.HealthCheck ------------------------------------------------------------------


class GeminiList:
    """``gemini mcp list`` over every URL (a 401 shows as ``failed``: no reason given)."""

    def trust_env(self, ca_file: str) -> dict[str, str]:
        return {"NODE_EXTRA_CA_CERTS": ca_file}

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        found, done = mcp_list(box, {n: server_entry(u) for n, u in servers.items()}, env,
                               args, timeout)
        return Listing({n: (h.state, h.reason) for n, h in found.items()}, done.stdout,
                       done.stderr, done.returncode)


class GeminiSession:
    """A prompt run's MCP start-up over every URL (the session's route)."""

    def trust_env(self, ca_file: str) -> dict[str, str]:
        return {"NODE_EXTRA_CA_CERTS": ca_file}

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        found, run = session_check(box, {n: server_entry(u) for n, u in servers.items()},
                                   env, timeout)
        return Listing({n: (h.state, h.reason) for n, h in found.items()}, run.stdout,
                       _start_words(run), run.returncode if run.returncode is not None else 0)


def _start_words(run: Run) -> str:
    """What a run said when it stopped before any server line (its last meaningful lines)."""
    keep = [line for line in run.stderr.splitlines() if line.strip() and not
            line.startswith(("    at ", "Warning: 256-color", "Ripgrep", "Ignore file"))]
    return "\n".join(keep[-8:])


GEMINI_LIST = GeminiList()
GEMINI_SESSION = GeminiSession()


# --- the login -----------------------------------------------------------------------------------

BROWSER = """#!/usr/bin/python3
# A browser stand-in: records the URL Gemini CLI opens and who listens for its callback; with
# a CALLBACK query (a template: {{state}}, {{iss}}), it then calls the redirect_uri with it.
import json, os, subprocess, sys, urllib.parse, urllib.request
url = sys.argv[1]
listening = [line for line in subprocess.run(["ss", "-ltnpH"], capture_output=True,
             text=True).stdout.splitlines() if '"node"' in line]
record = {{"url": url, "listening": listening}}
callback = {callback!r}
if callback is not None:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    target = query["redirect_uri"][0] + "?" + callback.format(
        state=urllib.parse.quote(query["state"][0]), iss=urllib.parse.quote({issuer!r}))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
    try:
        with opener.open(target, timeout=10) as answer:
            record["callback"] = [answer.status, answer.read(300).decode(errors="replace")]
    except urllib.error.HTTPError as exc:
        record["callback"] = [exc.code, exc.read(300).decode(errors="replace")]
    except OSError as exc:
        record["callback"] = [None, str(exc)]
with open({out!r} + ".part", "w") as fh:
    json.dump(record, fh)
os.replace({out!r} + ".part", {out!r})
"""


@dataclass
class Login:
    """How far a login got: the authorization URL (the browser step), or its words."""

    auth_url: str | None
    listening: list[str]  # the callback listeners (ss -ltnp lines of node) when it was opened
    said: str  # the failure (or, after a callback, what followed it), or "browser opened"
    run: Run
    query: dict[str, str] = field(default_factory=dict)
    callback: list[Any] | None = None  # [status, body] the callback answered the stand-in

    @property
    def reached(self) -> bool:
        return self.auth_url is not None


def login(box: Sandbox, name: str, server: dict[str, Any], env: dict[str, str],
          timeout: float = 60, callback: str | None = None, issuer: str = "") -> Login:
    """A prompt run that logs in to ``server`` (``oauth.enabled``), stopped at the browser;
    with ``callback`` (a query template, e.g. ``"code=x&state={state}"``) the stand-in calls
    the redirect_uri back and the run goes on until the server's outcome."""
    from urllib.parse import parse_qs, urlsplit

    bin_dir = box.root / "browser-bin"
    bin_dir.mkdir(exist_ok=True)
    out = box.root / "browser-opened.json"
    out.unlink(missing_ok=True)
    stand_in = bin_dir / "xdg-open"
    stand_in.write_text(BROWSER.format(out=str(out), callback=callback, issuer=issuer))
    stand_in.chmod(0o755)
    entry = {**server, "oauth": {"enabled": True, **server.get("oauth", {})}}
    write_settings(box, {name: entry})
    run = run_prompt(box, env, stop=(f"Error during discovery for MCP server '{name}'",
                                     "Session ID:"),
                     answers=(("Do you want to continue?", "y\n"),), timeout=timeout,
                     path_prefix=str(bin_dir), watch=out if callback is None else None)
    health = parse_session(run.stderr, [name])
    said = health[name].reason if name in health else _start_words(run)
    if out.exists():
        record = json.loads(out.read_text())
        query = {k: v[0] for k, v in parse_qs(urlsplit(record["url"]).query).items()}
        return Login(record["url"], record["listening"],
                     "browser opened" if callback is None else said, run, query,
                     record.get("callback"))
    return Login(None, [], said, run)


# --- one agreement case --------------------------------------------------------------------------

HEALTH_DEPTH = "resource"  # the prompt run without OAuth: it only POSTs initialize
# a session waits up to 10 minutes for an answer (MCP_DEFAULT_TIMEOUT_MSEC); the drivers less
HEALTH_TIMEOUT = 10
LOGIN_DEPTH = "client_registration"  # the login: up to the authorization URL (the browser)

START_RULES = (r"Invalid proxy configuration detected|An unexpected critical error occurred|"
               r"not running in a trusted directory|is not allowed in NODE_OPTIONS|"
               r"^Invalid URL")
GEMINI_RULES = (
    (START_RULES, "settings"),
    (r"Protected resource .* does not match|OAuth endpoint origin .* does not match",
     "protected_resource_metadata"),
    (r"Failed to fetch authorization server metadata", "authorization_server_metadata"),
    (r"Client registration failed|dynamic registration not supported|Cannot perform dynamic "
     r"registration", "client_registration"),
    (r"Streamable HTTP error|Error POSTing to endpoint|Unexpected content type|SSE error|"
     r"invalid_union|\"jsonrpc\"|^fetch failed", "resource"),
)
_ENDPOINT = re.compile(r'(?:OAuth endpoint|Insecure HTTP OAuth endpoint|Loopback OAuth endpoint)'
                       r' "(?P<url>[^"]+)"|OAuth endpoint host "(?P<host>[^"]+)"')


def _apply(box: Sandbox, setup: Any) -> None:
    """The case's files, and the host names it gives (``setup.job["hosts"]``: name ->
    address, e.g. public-looking addresses only the proxy can reach; None removes the name
    from the hosts file, so only the proxy can resolve it)."""
    for path, content in setup.files.items():
        box.write(path.replace("{project}", str(box.project)), content)
    for name, address in setup.job.get("hosts", {}).items():
        if address is None:
            box.hosts.pop(name, None)
        else:
            box.hosts[name] = address


def _served(setup: Any) -> list[Any]:
    return setup.log() if setup.log else []


def _step(said: str, setup: Any, depth: str) -> str:
    """Where Gemini CLI stopped: from its words, else from what the lab's servers answered."""
    from tests.real_clients.agreement import STEPS, step_of

    oauth = said.startswith(OAUTH_PREFIX)
    words = said[len(OAUTH_PREFIX):] if oauth else said
    for pattern, step in GEMINI_RULES:
        if oauth and step == "resource":
            continue  # a login's own "fetch failed" is one of its OAuth requests
        if re.search(pattern, words, re.IGNORECASE):
            return step
    endpoint = _ENDPOINT.search(words)
    served = _served(setup)
    if endpoint and endpoint.group("url"):
        found = step_of("GET", endpoint.group("url"), setup.url)
        return found if found != "resource" else "protected_resource_metadata"
    if endpoint:  # a name it could not look up: its first OAuth request, or a new issuer's
        return "authorization_server_metadata" if any(
            r.ok for r in served if r.step == "protected_resource_metadata") \
            else "protected_resource_metadata"
    for step in STEPS[1:STEPS.index(depth) + 1]:
        if not any(r.ok for r in served if r.step == step):
            return step
    return depth


def run_case(box: Sandbox, setup: Any) -> Outcome:
    """One agreement case through the session's start-up (a prompt run without OAuth, depth
    ``resource``): reached = the server answered 401 ("requires authentication") or
    ``initialize``; else the step its words (or the lab's log) name."""
    _apply(box, setup)
    server = server_entry(setup.url, **setup.server_config)
    found, run = session_check(box, {"t": server}, setup.env, timeout=HEALTH_TIMEOUT)
    health = found.get("t")
    if health is None:
        return _no_line(run)
    if health.reached:
        return Outcome(True, None, f"{health.state}: {health.reason[:200]}")
    return Outcome(False, _step(health.reason, setup, HEALTH_DEPTH), health.reason[:300])


def run_login_case(box: Sandbox, setup: Any) -> Outcome:
    """One agreement case through the login (``oauth.enabled``, depth
    ``client_registration``): reached = it opened the browser on the authorization URL."""
    _apply(box, setup)
    server = server_entry(setup.url, **setup.server_config)
    out = login(box, "t", server, setup.env, timeout=30)
    if out.reached:
        return Outcome(True, None, f"authorization URL {(out.auth_url or '')[:200]}")
    if "t" not in parse_session(out.run.stderr, ["t"]):
        return _no_line(out.run)
    return Outcome(False, _step(out.said, setup, LOGIN_DEPTH), out.said[:300])


def _no_line(run: Run) -> Outcome:
    """A run that printed nothing about the server: it stopped at start (its words), or it
    was still waiting for the server's answer when the driver's time ran out."""
    critical = [line for line in run.stderr.splitlines()
                if re.search(START_RULES, line, re.I)]
    if critical:
        return Outcome(False, "settings", " / ".join(critical)[:300])
    if run.timed_out:
        return Outcome(False, "resource", f"no answer it could use within {run.seconds:.0f} s "
                                          "(still waiting for the server)")
    return Outcome(False, "resource", _start_words(run)[-300:])


def run_list_case(box: Sandbox, setup: Any) -> Outcome:
    """One agreement case through ``gemini mcp list`` (depth ``resource``): it says only
    Connected / Disconnected, so a 401 is read from the lab's log (the MCP request answered
    401 or 2xx) and where it stopped from the log alone."""
    _apply(box, setup)
    found, done = mcp_list(box, {"t": server_entry(setup.url, **setup.server_config)},
                           setup.env, timeout=30)
    health = found.get("t")
    if health is None:
        critical = [line for line in done.stderr.splitlines()
                    if re.search(START_RULES, line, re.I)]
        if critical:
            return Outcome(False, "settings", " / ".join(critical)[:300])
        return Outcome(False, "resource", (done.stderr.strip() or done.stdout.strip())[-300:])
    if health.state == "connected":
        return Outcome(True, None, health.line)
    if any(r.ok for r in _served(setup) if r.step == "resource"):
        return Outcome(True, None, f"{health.line} (the lab answered its request: 401)")
    return Outcome(False, "resource", health.line)
