"""Whole OAuth logins of the real clients against netcheck's lab (``netcheck login``'s lab:
``netcheck.lab.lab.running_lab(None, login_fault, client_certs=False)``), for the agreement
of ``tests/test_login_agreement.py``, and ``netcheck login`` itself on the same lab.

Each driver runs one client's full login, the way its users start one, in a sandbox of its own
(``sandbox.Sandbox``: throwaway HOME, the lab's names on 127.0.0.1 in a private hosts file), and
plays the user's browser itself (:func:`browse`: the authorization URL's redirects followed
through the lab's proxy, trusting the lab's root, to the client's loopback callback):

- ``claude-code``: interactive ``claude``, ``/mcp`` -> the server -> Authenticate in tmux
  (:func:`tests.real_clients.claude_code_auth.authenticate`); done when it says it signed in
  and connected.
- ``codex``: ``codex mcp login NAME`` with a ``$BROWSER`` that records the URL; done when the
  login exits 0 *and* the MCP session with the stored token works (``codex app-server``'s
  ``mcpServerStatus/list`` has the server's ``serverInfo``): the login alone never calls the
  MCP server.
- ``mcp-remote``: ``mcp-remote-client URL`` (the bridge's twin, notes/mcp-remote.md), stdin
  held open, a ``www-browser`` stand-in that records the URL; done on ``Connected
  successfully!`` after the callback.
- ``copilot`` (optional): interactive ``copilot`` in tmux, which starts the server's OAuth
  flow by itself and opens the URL with ``xdg-open`` (a stand-in records it); done when its
  log says ``Service initialized as client`` after the callback.
- ``gemini`` (optional): the prompt run that logs in (``gemini.login``); with the lab's names
  on 127.0.0.1 it refuses the first OAuth endpoint (a private address), so it never gets
  as far as the browser here.

Every wait is bounded: a client still waiting for a callback the browser never brought (the
authorization server refused the request) is given :data:`GRACE` seconds to say something,
then stopped; the outcome is then "failed" with the browser's page as the words.

Each client gets the proxy (``HTTPS_PROXY`` = the lab's, with Basic auth), ``NO_PROXY`` for
loopback, and its own trust variable naming the lab's root; ``netcheck login --client PROFILE``
(:func:`netcheck_login`) gets exactly that environment, plus the browser stand-in of
tests/login as ``BROWSER``.

``python -m tests.real_clients.login_agreement [CLIENT ...]`` re-measures every client against
the healthy lab and each login fault, with netcheck's verdict beside each, and writes
``login-measured.json`` (see notes/login.md). It confines itself to loopback first.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.real_clients import claude_code, claude_code_auth, codex, copilot, gemini, mcp_remote
from tests.real_clients.sandbox import _ENTER, BASE_PATH, Sandbox
from tests.real_clients.sandbox import available as sandbox_available

HERE = Path(__file__).resolve().parent
MEASURED = HERE / "login-measured.json"
STAND_IN = HERE.parent / "login" / "browser_stand_in.py"
MCP_HOST, AUTH_HOST = "mcp.demo.test", "auth.demo.test"  # netcheck.lab.lab's names
HOSTS = {MCP_HOST: "127.0.0.1", AUTH_HOST: "127.0.0.1"}
SERVER = "lab"
HEALTHY = "healthy"
CLIENTS = ("claude-code", "codex", "mcp-remote")  # the ones the agreement test asserts
OPTIONAL = ("gemini", "copilot")
GRACE = 2.0  # seconds a client waiting for a callback that never comes gets to say something
CALLBACK_WAIT = 20  # netcheck login --callback-wait


def faults() -> list[str]:
    """``healthy`` and every :class:`netcheck.lab.apps.LoginFault` value, in order."""
    from netcheck.lab.apps import LoginFault

    return [HEALTHY, *(f.value for f in LoginFault)]


@contextlib.contextmanager
def lab_for(fault: str) -> Iterator[Any]:
    """The lab for ``fault`` (``healthy`` or a LoginFault value), no client certificates."""
    from netcheck.lab.apps import LoginFault
    from netcheck.lab.lab import running_lab

    with running_lab(None, None if fault == HEALTHY else LoginFault(fault),
                     client_certs=False) as lab:
        yield lab


@dataclass
class LoginOutcome:
    """How far one real client's login got."""

    client: str  # the netcheck profile it is measured for
    fault: str
    completed: bool  # it got a token and considers the server authenticated and connected
    said: str  # its own words (its last line about the login), or what the browser showed
    stage: str  # where it ended: "no_authorization_url", "browser", "callback", "connected"...
    browser: list[str] = field(default_factory=list)  # "STATUS origin/path" per page
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Missing(Exception):
    """The client cannot run here (not installed, no tmux, no sandbox): why."""


# --- the user's browser --------------------------------------------------------------------------


@dataclass
class Browsed:
    trail: list[str]  # "302 https://auth.demo.test:P/authorize" (never a query: codes)
    reached_callback: bool  # the redirects ended at a loopback URL, which was opened
    status: int | None  # the last page's status
    page: str  # the last page's text (tags dropped), trimmed
    callback_error: str | None = None  # the callback's error parameter, if it had one

    def words(self) -> str:
        last = self.trail[-1] if self.trail else "nothing opened"
        return f"the browser ended on {last}: {self.page[:200]}".strip()


def _text(body: str) -> str:
    title = re.search(r"<title>(.*?)</title>", body, re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<title>.*?</title>", " ", body, flags=re.S | re.I))
    text = " ".join(html.unescape(text).split())
    return " | ".join(t for t in ((title.group(1).strip() if title else ""), text) if t)[:300]


def browse(url: str, lab: Any, timeout: float = 10) -> Browsed:
    """GET ``url`` and follow its redirects, as the user's browser on the lab's network: the
    lab's names through its proxy (Basic auth), its root trusted; a loopback URL (the client's
    callback) is opened directly and ends the walk."""
    import httpx

    context = ssl.create_default_context(cafile=lab.public_roots)
    trail: list[str] = []
    with httpx.Client(proxy=lab.env["HTTPS_PROXY"], verify=context, timeout=timeout,
                      trust_env=False) as web, \
            httpx.Client(timeout=timeout, trust_env=False) as local:
        for _ in range(10):
            parts = urlsplit(url)
            where = f"{parts.scheme}://{parts.netloc}{parts.path}"
            loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
            try:
                response = (local if loopback else web).get(url)
            except httpx.HTTPError as exc:
                trail.append(f"{type(exc).__name__} {where}")
                return Browsed(trail, False, None, str(exc)[:200])
            trail.append(f"{response.status_code} {where}")
            location = response.headers.get("location")
            if loopback or not location:
                error = parse_qs(parts.query).get("error", [None])[0] if loopback else None
                return Browsed(trail, loopback, response.status_code, _text(response.text),
                               error)
            url = urljoin(url, location)
    return Browsed(trail, False, None, "more than 10 redirects")


# --- a client process, watched -------------------------------------------------------------------


class Watched:
    """A client started in its sandbox (a process group of its own), its output collected by
    threads; :meth:`wait_for` polls it, :meth:`stop` ends the group."""

    def __init__(self, box: Sandbox, argv: list[str], env: dict[str, str],
                 path_prefix: str | None = None) -> None:
        box._write_names()  # the sandbox's hosts file, as Sandbox.run writes it
        full = {"PATH": f"{path_prefix}:{BASE_PATH}" if path_prefix else BASE_PATH,
                "HOME": str(box.home), "LANG": "C.UTF-8", "PWD_IN": str(box.project), **env}
        command = ["unshare", "--mount", "--", "sh", "-c", _ENTER, "sh", str(box._etc), *argv]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, env=full, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.chunks: dict[str, list[bytes]] = {"out": [], "err": []}
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.readers = [threading.Thread(target=self._pump, args=(name, stream), daemon=True)
                        for name, stream in (("out", self.proc.stdout),
                                             ("err", self.proc.stderr))]
        for reader in self.readers:
            reader.start()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        while True:
            try:
                data = os.read(stream.fileno(), 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks[name].append(data)

    @property
    def out(self) -> str:
        return b"".join(self.chunks["out"]).decode(errors="replace")

    @property
    def err(self) -> str:
        return b"".join(self.chunks["err"]).decode(errors="replace")

    def wait_for(self, found: Callable[[], Any], timeout: float) -> Any:
        """``found()``'s first truthy value, or None once the process exited (and ``found``
        still says nothing) or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while True:
            value = found()
            if value:
                return value
            if self.proc.poll() is not None:
                time.sleep(0.1)  # the readers' last bytes
                return found() or None
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def stop(self) -> int | None:
        """Its exit status, or None when it had to be stopped."""
        code = self.proc.poll()
        if code is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        for reader in self.readers:
            reader.join(2)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        return code

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def _env(lab: Any, trust: dict[str, str]) -> dict[str, str]:
    """What a user of the lab's network sets: the proxy, loopback left direct, the root."""
    return {"HTTPS_PROXY": lab.env["HTTPS_PROXY"], "NO_PROXY": "localhost,127.0.0.1", **trust}


def client_env(client: str, lab: Any) -> dict[str, str]:
    """The client's environment for ``lab`` (netcheck gets the same)."""
    trust = {"codex": {codex.TRUST_VARIABLE: lab.public_roots}}.get(
        client, {"NODE_EXTRA_CA_CERTS": lab.public_roots})
    return _env(lab, trust)


def _stage(said: str) -> str:
    """After the callback: "authorized_request" when the words say the MCP server refused
    the new token, else "callback" (the callback or the code exchange failed)."""
    return "authorized_request" if re.search(r"rejected (them|a token)|HTTP 401|Auth required",
                                             said) else "callback"


def _last_line(text: str, *patterns: str) -> str:
    """The last line of ``text`` matching one of ``patterns`` (else its last line), trimmed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if any(re.search(p, line) for p in patterns):
            return line[:300]
    return lines[-1][:300] if lines else ""


# --- Claude Code ---------------------------------------------------------------------------------

CLAUDE_DONE = re.compile(r"Signed in and connected", re.I)


def run_claude_code(lab: Any, root: Path, fault: str, timeout: float = 75) -> LoginOutcome:
    """Interactive Claude Code: /mcp -> lab -> Authenticate, the browser played here."""
    reason = claude_code_auth.unavailable()
    if reason:
        raise Missing(reason)
    box = Sandbox(root / "claude-code", hosts=dict(HOSTS))
    walks: list[Browsed] = []

    def browser(url: str) -> None:
        walk = browse(url, lab)
        walks.append(walk)
        if not walk.reached_callback:  # Claude Code would wait for it until its own timeout
            time.sleep(GRACE)
            raise claude_code_auth.Stuck("the browser never reached the callback", "")

    started = time.monotonic()
    shown = claude_code_auth.authenticate(
        box, SERVER, {"type": "http", "url": lab.mcp_url}, client_env("claude-code", lab),
        timeout=timeout, browser=browser)
    trail = walks[0].trail if walks else []
    seconds = time.monotonic() - started
    if shown.auth_url is None:
        said = shown.error_line or shown.stuck_at or shown.state
        return LoginOutcome("claude-code", fault, False, said, "no_authorization_url", trail,
                            seconds)
    if walks and not walks[0].reached_callback:
        return LoginOutcome("claude-code", fault, False, walks[0].words(), "browser", trail,
                            seconds)
    said = shown.after_callback or ("nothing recognisable after the callback"
                                    if shown.after_stuck else "")
    done = bool(shown.after_callback and CLAUDE_DONE.search(shown.after_callback))
    return LoginOutcome("claude-code", fault, done, said, "connected" if done else _stage(said),
                        trail, seconds)


# --- Codex ---------------------------------------------------------------------------------------

# Codex stores the tokens in a file here (no keyring in the sandbox): the store is not what
# is measured, and "auto" would try the keyring first
CODEX_EXTRA = 'mcp_oauth_credentials_store = "file"'


def run_codex(lab: Any, root: Path, fault: str, timeout: float = 40) -> LoginOutcome:
    """``codex mcp login lab``, the browser played here, then the MCP session."""
    reason = codex.missing() or sandbox_available()
    if reason:
        raise Missing(reason)
    exe = codex.binary()
    assert exe is not None
    box = Sandbox(root / "codex", hosts=dict(HOSTS))
    env = client_env("codex", lab)
    servers: dict[str, str | dict[str, Any]] = {SERVER: lab.mcp_url}
    (codex.codex_home(box) / "config.toml").write_text(codex.config_toml(servers, CODEX_EXTRA))
    record = box.root / "browser-urls.txt"
    script = box.root / "browser.sh"
    script.write_text(codex.BROWSER)
    script.chmod(0o755)
    started = time.monotonic()
    child = Watched(box, [str(exe), "mcp", "login", SERVER],
                    {"CODEX_HOME": str(codex.codex_home(box)), "BROWSER": str(script),
                     "BROWSER_LOG": str(record), **env})
    walks: list[Browsed] = []
    try:
        # every URL Codex hands the browser is followed, as a user would: after an error
        # callback it registers again and opens a new one ("OAuth provider rejected
        # discovered scopes. Retrying without scopes...")
        for _ in range(CODEX_WALKS):
            url = child.wait_for(lambda: _new_url(record, child.out, len(walks)),
                                 timeout / 2 if not walks else 5)
            if not url:
                break
            walks.append(browse(url, lab))
            if not walks[-1].reached_callback:
                child.wait_for(lambda: False, GRACE)
                break
        if walks and walks[-1].reached_callback:
            child.wait_for(lambda: False, 15)
    finally:
        code = child.stop()
    said = _codex_words(child.out + "\n" + child.err)
    trail = [hop for walk in walks for hop in walk.trail]
    walk = walks[-1] if walks else None
    if walk is None:
        return LoginOutcome("codex", fault, False, said or f"exit {code}",
                            "no_authorization_url", trail, time.monotonic() - started)
    if not walk.reached_callback:
        return LoginOutcome("codex", fault, False, walk.words(), "browser", trail,
                            time.monotonic() - started)
    if code is None:
        said = (f"still waiting after {len(walks)} authorization URLs, each followed; "
                f"{said}; the browser's last page: {walk.page[:120]}")
    if code != 0:
        return LoginOutcome("codex", fault, False, said or f"exit {code}", "callback", trail,
                            time.monotonic() - started)
    found = codex.session_check(box, servers, env, extra_config=CODEX_EXTRA, timeout=30)
    entry = found.get(SERVER)
    seconds = time.monotonic() - started
    if entry is not None and entry.connected:
        return LoginOutcome("codex", fault, True,
                            f"{said}; session: connected ({entry.auth_status})", "connected",
                            trail, seconds)
    session = f"{entry.auth_status}: {entry.tools_error}" if entry else "no entry"
    return LoginOutcome("codex", fault, False, f"{said}; session: {session}"[:400],
                        "authorized_request", trail, seconds)


CODEX_WALKS = 3  # authorization URLs followed at most (Codex retries after an error callback)


def _new_url(record: Path, printed: str, seen: int) -> str | None:
    """The authorization URL after the ``seen`` first ones: those given to ``$BROWSER``
    (recorded), else those Codex printed."""
    given = [line for line in (record.read_text().splitlines() if record.exists() else [])
             if line]
    if len(given) <= seen:
        given = re.findall(r"^(https?://\S+)$", printed, re.M)
    return given[seen] if len(given) > seen else None


def _codex_words(said: str) -> str:
    """Its ``Error: ...`` line with the ``Caused by:`` lines under it, else its last line
    about the login (``Successfully logged in to MCP server 'lab'.``)."""
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    at = next((i for i, line in enumerate(lines) if line.startswith("Error:")), None)
    if at is not None:
        return " | ".join(line for line in lines[at:] if not line.startswith("WARNING:"))[:400]
    return _last_line("\n".join(lines), r"logged in", r"[Ff]ailed|[Rr]etrying")


# --- mcp-remote ----------------------------------------------------------------------------------


MCP_REMOTE_WAITING = "Waiting for authorization..."


def run_mcp_remote(lab: Any, root: Path, fault: str, timeout: float = 40) -> LoginOutcome:
    """``mcp-remote-client URL`` (no flags: no proxy, as an entry without --enable-proxy),
    the browser played here; done on ``Connected successfully!``."""
    reason = mcp_remote.missing() or sandbox_available()
    if reason:
        raise Missing(reason)
    exe, script = mcp_remote.node(), mcp_remote.binary()
    assert exe is not None and script is not None
    box = Sandbox(root / "mcp-remote", hosts=dict(HOSTS))
    bindir, _log = mcp_remote._standin(box)
    started = time.monotonic()
    child = Watched(box, [exe, str(script), lab.mcp_url], client_env("mcp-remote", lab),
                    path_prefix=str(bindir))
    walk: Browsed | None = None

    def url() -> str | None:
        found = re.search(re.escape(mcp_remote.AUTH_LINE) + r"\s*\n(\S+)", child.err)
        return found.group(1) if found else None

    def ended() -> str | None:
        err = child.err
        if mcp_remote.CONNECTED_LINE in err:
            return "connected"
        if err.count(mcp_remote.AUTH_LINE) > 1:
            return "asked again"
        return "fatal" if re.search(r"^(\[\d+\] )?Fatal error", err, re.M) else None

    try:
        first = child.wait_for(url, timeout / 2)
        if first:
            # as a user's browser, which takes seconds: once it waits for the callback (an
            # error callback that comes before that is lost, and it then waits for ever)
            child.wait_for(lambda: MCP_REMOTE_WAITING in child.err, 5)
            walk = browse(first, lab)
            child.wait_for(ended, 25 if walk.reached_callback else GRACE)
            if mcp_remote.CONNECTED_LINE in child.err:  # tools/list and "Exiting OK..."
                child.wait_for(lambda: False, 5)
    finally:
        code = child.stop()
    err = child.err
    seconds = time.monotonic() - started
    trail = walk.trail if walk else []
    if walk is None:
        return LoginOutcome("mcp-remote", fault, False, mcp_remote.said_of(err) or f"exit {code}",
                            "no_authorization_url", trail, seconds)
    if not walk.reached_callback:
        return LoginOutcome("mcp-remote", fault, False, walk.words(), "browser", trail, seconds)
    after = err.split(first, 1)[-1] if first else err
    if mcp_remote.CONNECTED_LINE in after:
        return LoginOutcome("mcp-remote", fault, True, mcp_remote.CONNECTED_LINE, "connected",
                            trail, seconds)
    said = mcp_remote.said_of(after) if re.search(r"Fatal error", after) else _last_line(
        after, r"[Ee]rror", r"[Ff]ail", r"authoriz")
    if after.count(mcp_remote.AUTH_LINE):  # it opened the browser again
        why = _last_line(re.sub(r"^\[\d+\] ", "", after, flags=re.M), r"rejected|[Ee]rror")
        said = f"asked to authorize again: {why}"
    return LoginOutcome("mcp-remote", fault, False, said, _stage(said), trail, seconds)


# --- Gemini CLI (optional) -----------------------------------------------------------------------


def run_gemini(lab: Any, root: Path, fault: str, timeout: float = 40) -> LoginOutcome:
    """Gemini CLI's automatic login (a prompt run, ``oauth.enabled``), up to the browser: it
    refuses OAuth endpoints on private addresses, and the lab's are on 127.0.0.1."""
    reason = gemini.missing() or sandbox_available()
    if reason:
        raise Missing(reason)
    box = Sandbox(root / "gemini", hosts=dict(HOSTS))
    started = time.monotonic()
    got = gemini.login(box, SERVER, gemini.server_entry(lab.mcp_url),
                       client_env("gemini", lab), timeout=timeout)
    seconds = time.monotonic() - started
    if got.auth_url is None:
        return LoginOutcome("gemini", fault, False, got.said[:300], "no_authorization_url",
                            [], seconds)
    # not followed further: the driver stops Gemini CLI at the browser
    return LoginOutcome("gemini", fault, False, "reached the browser (not followed further)",
                        "browser", [], seconds)


# --- GitHub Copilot CLI (optional) ---------------------------------------------------------------

COPILOT_CONNECTED = "Service initialized as client"  # its log, once a server is connected


def run_copilot(lab: Any, root: Path, fault: str, timeout: float = 60) -> LoginOutcome:
    """Interactive ``copilot`` in tmux: it starts the server's OAuth flow by itself and opens
    the URL with ``xdg-open`` (a stand-in records it); the browser played here; done when
    its log says the server's client is initialized after the callback."""
    reason = copilot.unavailable()
    if reason:
        raise Missing(reason)
    exe = copilot.binary()
    assert exe is not None
    copilot.PKG_CACHE.mkdir(parents=True, exist_ok=True)
    box = Sandbox(root / "copilot", hosts=dict(HOSTS))
    name = copilot.unique_names([SERVER])[SERVER]
    bindir, record = copilot.browser_stand_in(box)
    env = {**copilot.base_env(), "PATH": f"{bindir}:{BASE_PATH}", **client_env("copilot", lab)}
    term = claude_code_auth.Terminal(220, 50)
    started = time.monotonic()
    walk: Browsed | None = None
    said, done = "", False

    def opened() -> str | None:
        text = record.read_text().strip() if record.exists() else ""
        return text.splitlines()[0].split(" ", 1)[-1] if text else None

    baseline = [1 << 30]  # the 401s logged when the browser was opened (none counts before)

    def settled() -> str | None:
        log = copilot.read_log(box)
        failed = copilot._login_failure(log, name)
        if failed is not None:
            return f"failed: {failed}"
        if COPILOT_CONNECTED in log:
            return "connected"
        # the new token refused: it stays "needs auth"; the 401 is logged once the browser
        # came back, before "Successfully authenticated" or instead of it
        refusals = re.findall(r'HTTP 401 challenge.*?"error":"(.*)', log)
        if len(refusals) > baseline[0]:
            signed_in = f"Successfully authenticated with {name}"
            said = refusals[-1].replace('\\"', '"').replace(name, SERVER)
            step = signed_in.replace(name, SERVER) if signed_in in log else \
                "Completing authentication..."
            return f"{step}, then: {said[:200]}"
        return None

    pane = None
    try:
        term.start(box.shell_line([str(exe), "--additional-mcp-config",
                                   copilot.mcp_config({name: copilot.server_entry(lab.mcp_url)})],
                                  env))
        pane = copilot._pane_pid(term.socket)
        url = _poll(lambda: opened() or settled() or ("dead" if term.dead() else None),
                    timeout / 2)
        if url and url.startswith("http"):
            baseline[0] = len(re.findall(r"HTTP 401 challenge", copilot.read_log(box)))
            walk = browse(url, lab)
            end = _poll(settled, 20 if walk.reached_callback else GRACE)
            done = end == "connected"
            said = end or ""
        else:
            said = url or "no authorization URL"
    finally:
        term.close()
        copilot._kill_group(pane)
    seconds = time.monotonic() - started
    trail = walk.trail if walk else []
    if walk is None:
        return LoginOutcome("copilot", fault, False, said, "no_authorization_url", [], seconds)
    if not walk.reached_callback:
        return LoginOutcome("copilot", fault, False, walk.words(), "browser", trail, seconds)
    if not said:
        said = copilot._last_oauth_line(copilot.read_log(box), name) or "nothing in its log"
    return LoginOutcome("copilot", fault, done, said, "connected" if done else _stage(said),
                        trail, seconds)


def _poll(found: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    return found() or None


DRIVERS: dict[str, Callable[[Any, Path, str], LoginOutcome]] = {
    "claude-code": run_claude_code, "codex": run_codex, "mcp-remote": run_mcp_remote,
    "gemini": run_gemini, "copilot": run_copilot}


def unavailable(client: str) -> str | None:
    """Why ``client`` cannot be driven here, or None."""
    if client == "claude-code":
        return claude_code_auth.unavailable()
    if client == "copilot":
        return copilot.unavailable()
    driver = {"codex": codex, "mcp-remote": mcp_remote, "gemini": gemini}[client]
    return driver.missing() or sandbox_available()


def releases() -> dict[str, str | None]:
    """The installed releases, read from the packages (nothing is run)."""
    return {"claude-code": claude_code.RELEASE, "codex": codex.installed_release(),
            "mcp-remote": mcp_remote.installed_release(), "gemini": gemini.installed_release(),
            "copilot": copilot.package_version()}


# --- netcheck login on the same lab --------------------------------------------------------------


@dataclass
class NetcheckLogin:
    status: int
    ok: bool
    verdict: tuple[str, str, str] | None  # step, hop, code
    message: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"status": int(self.status), "ok": self.ok,
                "verdict": list(self.verdict) if self.verdict else None,
                "message": self.message, "seconds": round(self.seconds, 2)}


def netcheck_env(client: str, lab: Any, home: Path) -> dict[str, str]:
    """The client's environment, plus tests/login's browser stand-in as ``BROWSER`` and an
    empty ``HOME`` (the sandboxes' clients have one too)."""
    home.mkdir(parents=True, exist_ok=True)
    return {**client_env(client, lab), "NETCHECK_TEST_BROWSER_PROXY": lab.env["HTTPS_PROXY"],
            "NETCHECK_TEST_BROWSER_CA": lab.public_roots, "PATH": os.environ.get("PATH", ""),
            "BROWSER": f"{sys.executable} {STAND_IN}", "HOME": str(home)}


def netcheck_login(lab: Any, client: str, workdir: Path) -> NetcheckLogin:
    """``netcheck login LAB_URL --client PROFILE`` in-process, as tests/login does."""
    from netcheck.cli import main

    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / f"netcheck-{client}.json"
    argv = ["login", lab.mcp_url, "--client", client, "--public-roots", lab.public_roots,
            "--dns-server", lab.dns.address, "--json", str(report), "--callback-wait",
            str(CALLBACK_WAIT)]
    started = time.monotonic()
    out = io.StringIO()
    status = main(argv, netcheck_env(client, lab, workdir / "home"), out, io.StringIO())
    doc = json.loads(report.read_text(encoding="utf-8"))
    verdict = doc.get("verdict")
    return NetcheckLogin(status, bool(doc["ok"]),
                         (verdict["step"], verdict["hop"], verdict["code"]) if verdict else None,
                         (verdict or {}).get("message", "")[:300], time.monotonic() - started)


# --- re-measuring ------------------------------------------------------------------------------


def measure(clients: list[str], out: Callable[[str], None] = print) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    started = time.monotonic()
    for name in clients:
        reason = unavailable(name)
        if reason:
            skipped[name] = reason
    for fault in faults():
        with lab_for(fault) as lab, tempfile.TemporaryDirectory() as tmp:
            for name in clients:
                if name in skipped:
                    continue
                got = DRIVERS[name](lab, Path(tmp) / name, fault)
                said = netcheck_login(lab, name, Path(tmp) / "netcheck")
                row = {**got.to_json(), "seconds": round(got.seconds, 2),
                       "netcheck": said.to_json(), "agree": got.completed == said.ok}
                row = json.loads(_portless(json.dumps(row, ensure_ascii=False)))
                rows.append(row)
                out(f"{fault:22} {name:12} {'completed' if got.completed else 'failed':9} "
                    f"{got.seconds:5.1f}s netcheck {'ok' if said.ok else said.verdict} "
                    f"{'' if row['agree'] else 'DISAGREE '}| {got.said[:150]}")
    return {"measured": time.strftime("%Y-%m-%d", time.gmtime()), "releases": releases(),
            "skipped": skipped, "seconds": round(time.monotonic() - started, 1), "rows": rows}


def _portless(text: str) -> str:
    """The lab's ports, its client ids and the clients' process ids, which change with every
    run, as PORT, ID and PID (the table stays the same from one measurement to the next)."""
    text = re.sub(r"(demo\.test|localhost|127\.0\.0\.1):\d+", r"\1:PORT", text)
    text = re.sub(r"\blab-client-[0-9a-f]+", "lab-client-ID", text)
    return re.sub(r"\[\d+\] ", "[PID] ", text)


def main(argv: list[str]) -> int:
    from tests.confine import confine_or_exit

    confine_or_exit()  # before any thread: every client runs on loopback only
    clients = argv or [*CLIENTS, *OPTIONAL]
    doc = measure(clients)
    if not argv:
        MEASURED.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {MEASURED}")
    else:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
