"""Driving Claude Code's interactive OAuth flow (``/mcp`` -> server -> Authenticate) in tmux.

``authenticate(box, name, server, env)`` starts interactive ``claude`` in a terminal of its own
(a private tmux server, ``tmux -L <unique>``), types ``/mcp``, opens the server, chooses
Authenticate and returns what Claude Code showed: the authorization URL (discovery, metadata
checks and client registration passed) or the ``✘`` line saying why it stopped, with the screen.
Optionally it then plays the browser (``browser=``: a callable given the authorization URL,
e.g. :func:`browser`) and reports what Claude Code shows after its callback.

    box = Sandbox(tmp, hosts={"mcp.test": "127.0.0.1", "auth.test": "127.0.0.1"})
    out = authenticate(box, "t", {"type": "http", "url": lab.mcp_url},
                       {"NODE_EXTRA_CA_CERTS": pki.path("public-ca.pem")})
    out.state       # "auth_url" | "failed" | ...
    out.auth_url    # https://auth.test:.../authorize?response_type=code&...
    out.error_line  # "✘ SDK auth failed: Incompatible auth server: does not support ..."

Every wait watches the screen for a state and is bounded; the tmux server is always killed.

Start-up speed: without a reachable api.anthropic.com, Claude Code 2.1.332 retries its remote
managed settings with back-off for about 17 s before it draws its prompt. With
``ANTHROPIC_BASE_URL`` set (here to a closed loopback port, ``quick_start=True``, the default)
it does not fetch them at all and is ready in about 3 s; measured (notes/claude-code-oauth.md)
to change nothing in the MCP OAuth flow. ``quick_start=False`` runs without it.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.real_clients import claude_code
from tests.real_clients.sandbox import Sandbox
from tests.real_clients.sandbox import available as sandbox_available

# A dummy key: Claude Code only checks that its last 20 characters are approved in .claude.json.
DUMMY_API_KEY = "sk-ant-api03-netcheck-dummy-key-never-valid-" + "0123456789abcdefghij"
# Port 9 (discard): nothing listens on it here, so any request to the API base fails at once.
QUICK_START_BASE_URL = "http://127.0.0.1:9"
WIDTH, HEIGHT = 500, 60  # wide enough that an authorization URL usually fits on one line
PENDING_ICONS = ("…", "◯")  # a server's icon in /mcp while Claude Code is still connecting
NOT_LOADED = "No MCP servers loaded"  # what /mcp says when every server's config was skipped


@dataclass
class AuthOutcome:
    """What interactive Claude Code showed after Authenticate."""

    # "auth_url" | "failed" (a ✘ line) | "no_authenticate" (the server's menu has no
    # Authenticate) | "not_loaded" (/mcp lists no server: the configuration was skipped;
    # error_line holds what /mcp said) | "stuck" (a wait ran out; stuck_at says which)
    state: str
    auth_url: str | None = None
    error_line: str | None = None  # the ✘ line, exact text (stripped)
    status: str | None = None  # the server's status in /mcp ("⚠ needs sign-in", "✘ failed")
    issue: str | None = None  # the server view's "Issue:" (why the start-up connection failed)
    options: list[str] = field(default_factory=list)  # the server menu /mcp offered
    screen: str = ""  # the screen at the outcome
    seconds: float = 0.0  # from start to the outcome
    stuck_at: str | None = None  # which wait ran out, when state == "stuck"
    # filled when a browser callable finished the flow
    after_callback: str | None = None  # the line Claude Code showed after its callback
    after_screen: str | None = None
    after_stuck: bool = False  # nothing recognisable was shown after the callback

    @property
    def reached_browser(self) -> bool:
        return self.state == "auth_url"

    @property
    def query(self) -> dict[str, str]:
        """The authorization URL's query parameters (one value each)."""
        if not self.auth_url:
            return {}
        return {k: v[0] for k, v in parse_qs(urlsplit(self.auth_url).query).items()}


class Stuck(Exception):
    def __init__(self, what: str, screen: str) -> None:
        super().__init__(what)
        self.what = what
        self.screen = screen


class Terminal:
    """One tmux server of its own (``tmux -L``), one pane."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.socket = f"netcheck-cc-{uuid.uuid4().hex[:12]}"
        self.width, self.height = width, height
        self.started = False

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=10, check=check)

    def start(self, shell_line: str) -> None:
        # A placeholder first, so remain-on-exit is set before the real command can exit.
        self._tmux("new-session", "-d", "-s", "cc", "-x", str(self.width), "-y",
                   str(self.height), "sleep 600")
        self.started = True
        self._tmux("set-option", "-t", "cc", "remain-on-exit", "on")
        self._tmux("respawn-pane", "-k", "-t", "cc", shell_line)

    def screen(self) -> str:
        done = self._tmux("capture-pane", "-p", "-J", "-t", "cc", check=False)
        return done.stdout

    def dead(self) -> bool:
        done = self._tmux("display-message", "-p", "-t", "cc", "#{pane_dead}", check=False)
        return done.stdout.strip() == "1"

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", "-t", "cc", *(["-l"] if literal else []), *keys)

    def wait(self, what: str, pred: Callable[[str], Any], timeout: float,
             step: float = 0.05) -> Any:
        """Poll the screen until ``pred(screen)`` is truthy; returns its value, or raises
        :class:`Stuck` naming ``what`` with the last screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            screen = self.screen()
            found = pred(screen)
            if found:
                return found
            if self.dead():
                raise Stuck(f"{what}: claude exited", self.screen())
            if time.monotonic() > deadline:
                raise Stuck(what, screen)
            time.sleep(step)

    def close(self) -> None:
        if self.started:
            path = self._tmux("display-message", "-p", "#{socket_path}", check=False).stdout
            self._tmux("kill-server", check=False)
            self.started = False
            if path.strip():  # tmux 3.3 leaves the socket file behind after kill-server
                Path(path.strip()).unlink(missing_ok=True)


# --- reading the screen ---------------------------------------------------------------------

def _lines(screen: str) -> list[str]:
    return [line.rstrip() for line in screen.splitlines()]


def _prompt_ready(screen: str) -> bool:
    lines = _lines(screen)
    return any(line.startswith("────") for line in lines) and any(
        line.strip() == "❯" for line in lines)


def _server_row(name: str) -> re.Pattern[str]:
    # "  > ⚠ t   needs sign-in" (selection mark, icon, name, two+ spaces, status); while
    # Claude Code is still connecting the row is "  > … t" (no status yet); a failed one is
    # "  > ✘ t" (the selection mark is U+276F on screen)
    return re.compile(rf"^\s*(❯)?\s*(\S)\s+{re.escape(name)}(?:\s{{2,}}(.*))?$")


def _menu(screen: str) -> tuple[list[str], int] | None:
    """The options of a server's view in /mcp and which one is selected, once the view is
    fully drawn (its footer "↑/↓ to navigate" below the options)."""
    lines = _lines(screen)
    footer = [i for i, line in enumerate(lines) if "to navigate" in line and "to select" in line]
    fields = [i for i, line in enumerate(lines) if _FIELD.match(line)]
    if not footer or not fields or footer[-1] < fields[-1]:
        return None
    options: list[str] = []
    selected = -1
    for line in lines[fields[-1] + 1:footer[-1]]:
        text = line.strip()
        if text.startswith("❯"):
            selected = len(options)
            options.append(text[1:].strip())
        elif line.startswith("    ") and text:
            options.append(text)
        elif text and options:  # anything else between the options: not drawn yet
            return None
    if selected < 0 or any(_ICON_ROW.match(o) for o in options):
        return None
    return options, selected


_FIELD = re.compile(r"^\s+(Status|Issue|Auth|URL|Config location|Command|Args):\s")
_ICON_ROW = re.compile(r"^\S\s+\S")  # "✘ t": a row of the server list, not an option


def _field(screen: str, name: str) -> str | None:
    """A field of the server view in /mcp ("Status", "Issue", "Auth", "URL")."""
    for line in _lines(screen):
        if line.strip().startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    return None


def auth_url(screen: str) -> str | None:
    """The authorization URL Claude Code printed (joined when the terminal wrapped it)."""
    lines = _lines(screen)
    for i, line in enumerate(lines):
        if not line.startswith("http"):
            continue
        url = line.strip()
        for more in lines[i + 1:]:
            if not more or more[0].isspace():
                break
            url += more.strip()
        if "response_type=" in url:
            return url
    for line in lines:  # indented somewhere else (another layout)
        match = re.search(r"https?://\S*response_type=\S*", line)
        if match:
            return match.group(0)
    return None


def cross_line(screen: str, before: str = "") -> str | None:
    """The first line starting with ✘ (Claude Code's failure mark) that was not on the screen
    ``before``, exact text stripped."""
    old = {line.strip() for line in _lines(before)}
    for line in _lines(screen):
        if line.strip().startswith("✘") and line.strip() not in old:
            return line.strip()
    return None


# --- the flow -------------------------------------------------------------------------------

def write_config(box: Sandbox, servers: dict[str, dict[str, Any]],
                 api_key: str = DUMMY_API_KEY) -> None:
    """``.claude.json`` for an interactive run: onboarding done, the dummy API key approved,
    the project trusted, the servers configured (user scope)."""
    path = box.home / ".claude.json"
    config = json.loads(path.read_text()) if path.exists() else {}  # what a case put there
    projects = config.setdefault("projects", {})
    project = projects.setdefault(str(box.project), {"hasTrustDialogAccepted": True})
    project["hasCompletedProjectOnboarding"] = True
    config.update(claude_code.claude_json(
        servers, customApiKeyResponses={"approved": [api_key[-20:]], "rejected": []},
        projects=projects))
    box.write(".claude.json", config)


def interactive_env(env: dict[str, str], api_key: str = DUMMY_API_KEY,
                    quick_start: bool = True) -> dict[str, str]:
    full = {**claude_code.BASE_ENV, "ANTHROPIC_API_KEY": api_key}
    if quick_start:
        full["ANTHROPIC_BASE_URL"] = QUICK_START_BASE_URL
    full.update(env)
    return full


def unavailable() -> str | None:
    """None when this driver can run here, else why not (for a test's skip)."""
    if shutil.which("tmux") is None:
        return "tmux is not installed"
    return claude_code.missing() or sandbox_available()


def authenticate(box: Sandbox, server_name: str, server: dict[str, Any], env: dict[str, str],
                 timeout: float = 90, *, settle: float = 45,
                 others: dict[str, dict[str, Any]] | None = None, quick_start: bool = True,
                 browser: Callable[[str], Any] | None = None,
                 mark: Callable[[str], Any] | None = None,
                 args: tuple[str, ...] = ()) -> AuthOutcome:
    """Run interactive ``claude`` in ``box`` with ``env`` (plus the dummy key and
    ``BASE_ENV``), choose Authenticate for ``server_name`` and return what it showed.

    ``timeout`` bounds the whole run; each step has its own, smaller, bound. ``settle``
    bounds the wait for the server's start-up connection to end (a server that holds the
    connection open keeps Claude Code "connecting" for longer than 45 s); after it the
    server is opened anyway. ``others`` adds more servers to the configuration.
    ``browser``, when given, is called with the authorization URL (act as the browser: GET
    it, follow the redirects to Claude Code's localhost callback); the line shown afterwards
    is recorded in ``after_callback``.
    ``mark``, when given, is called with "authenticate" just before Authenticate is chosen
    (so a lab can tell the start-up connection's requests from the flow's).
    """
    exe = claude_code.binary()
    assert exe is not None, claude_code.missing()
    write_config(box, {server_name: server, **(others or {})})
    full_env = interactive_env(env, quick_start=quick_start)
    term = Terminal()
    started = time.monotonic()
    deadline = started + timeout

    def left(cap: float) -> float:
        return max(0.5, min(cap, deadline - time.monotonic()))

    outcome = AuthOutcome(state="stuck")
    try:
        term.start(box.shell_line([str(exe), *args], full_env))
        term.wait("prompt", _prompt_ready, left(45 if quick_start else 60))
        for attempt in range(3):  # keys typed while Ink is still starting can be dropped
            term.keys("/mcp", literal=True)
            try:
                term.wait("/mcp completion", lambda s: "Manage MCP servers" in s, left(4))
                break
            except Stuck:
                if attempt == 2:
                    raise
                term.keys("C-u")
        term.keys("Enter")
        row = _server_row(server_name)

        def server_listed(screen: str) -> re.Match[str] | str | None:
            if NOT_LOADED in screen:  # no server survived the configuration check
                return next(line.replace("⎿", "").strip() for line in _lines(screen)
                            if NOT_LOADED in line)
            if "MCP servers" not in screen:
                return None
            for line in _lines(screen):
                match = row.match(line)
                # wait while the server is still being connected
                if match and match.group(2) not in PENDING_ICONS and \
                        "connecting" not in (match.group(3) or "").lower():
                    return match
            return None

        # select the server in the list (once Claude Code has settled its state), open it
        for _ in range(50):
            try:
                match = term.wait(f"server {server_name!r} settled in /mcp", server_listed,
                                  left(settle))
            except Stuck:  # still connecting: open it anyway (the status will say so)
                match = term.wait(f"server {server_name!r} in /mcp",
                                  lambda s: next(filter(None, map(row.match, _lines(s))), None),
                                  left(5))
            if isinstance(match, str):
                outcome.state, outcome.error_line, outcome.screen = "not_loaded", match, \
                    term.screen()
                return outcome
            if match.group(1):
                break
            term.keys("Down")
            time.sleep(0.1)
        term.keys("Enter")
        options, selected = term.wait("server menu", _stable(term, _menu), left(10))
        menu_screen = term.screen()
        outcome.status = _field(menu_screen, "Status")
        outcome.issue = _field(menu_screen, "Issue")
        outcome.options = options
        if "Authenticate" not in options:
            outcome.state = "no_authenticate"
            outcome.screen = term.screen()
            return outcome
        for _ in range(options.index("Authenticate") - selected):
            term.keys("Down")
        term.wait("Authenticate selected",
                  lambda s: (m := _menu(s)) and m[0][m[1]] == "Authenticate", left(5))
        if mark is not None:
            mark("authenticate")
        term.keys("Enter")
        found = term.wait("authorization URL or ✘",
                          lambda s: ("url", u) if (u := auth_url(s)) else
                          (("cross", c) if (c := cross_line(s, menu_screen)) else None),
                          left(40))
        outcome.screen = term.screen()
        if found[0] == "url":
            outcome.state, outcome.auth_url = "auth_url", found[1]
        else:
            outcome.state, outcome.error_line = "failed", found[1]
        outcome.seconds = time.monotonic() - started
        if browser is not None and outcome.auth_url:
            before = outcome.screen
            browser(outcome.auth_url)
            try:
                outcome.after_callback = term.wait(
                    "screen after the callback", lambda s: _after_callback(s, before), left(30))
            except Stuck:
                outcome.after_stuck = True
            outcome.after_screen = term.screen()
        return outcome
    except Stuck as stuck:
        outcome.state, outcome.stuck_at, outcome.screen = "stuck", stuck.what, stuck.screen
        return outcome
    finally:
        if not outcome.seconds:
            outcome.seconds = time.monotonic() - started
        term.close()


@dataclass
class Hop:
    url: str
    status: int
    location: str | None
    body: bytes


def browser(hosts: dict[str, str], cafile: str, trail: list[Hop] | None = None,
            max_hops: int = 10) -> Callable[[str], list[Hop]]:
    """A stand-in for the user's browser, for ``authenticate(browser=...)``: GETs the
    authorization URL and follows every redirect (to Claude Code's
    ``http://localhost:PORT/callback``), resolving ``hosts`` itself (lab names to loopback)
    and trusting ``cafile``. Each response is appended to ``trail``."""
    context = ssl.create_default_context(cafile=cafile)
    hops = trail if trail is not None else []

    def get(url: str) -> Hop:
        parts = urlsplit(url)
        host = parts.hostname or ""
        address = hosts.get(host, "127.0.0.1" if host == "localhost" else host)
        assert address.startswith("127.") or address == "::1", f"not loopback: {url}"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(host, port, context=context, timeout=10)
            conn.sock = context.wrap_socket(socket.create_connection((address, port), 10),
                                            server_hostname=host)
        else:
            conn = http.client.HTTPConnection(address, port, timeout=10)
        try:
            conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                         headers={"Host": parts.netloc})
            response = conn.getresponse()
            return Hop(url, response.status, response.getheader("Location"), response.read())
        finally:
            conn.close()

    def browse(url: str) -> list[Hop]:
        for _ in range(max_hops):
            hop = get(url)
            hops.append(hop)
            if hop.status not in (301, 302, 303, 307, 308) or not hop.location:
                break
            url = urljoin(url, hop.location)
        return hops
    return browse


def _stable(term: Terminal, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` made to answer only when two captures 0.1 s apart agree (Ink draws a view in
    several writes; a capture can catch half of one)."""

    def check(screen: str) -> Any:
        first = parse(screen)
        if not first:
            return None
        time.sleep(0.1)
        return first if parse(term.screen()) == first else None
    return check


def _after_callback(screen: str, before: str) -> str | None:
    """The first line that tells how the flow ended after the browser step."""
    if auth_url(screen) is not None and "Waiting for you" in screen:
        return None
    cross = cross_line(screen, before)
    if cross:
        return cross
    for line in _lines(screen):
        text = line.replace("⎿", "").strip()
        if text and text not in before and any(
                word in text.lower() for word in ("authenticat", "connected", "success",
                                                  "error", "fail")):
            return text
    return None
