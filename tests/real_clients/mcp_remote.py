"""Driving the real mcp-remote (npm ``mcp-remote``): the stdio bridge Claude Desktop, Cursor and
Windsurf configurations run for a remote server (``npx mcp-remote URL [flags]``).

The package ships two programs on the same code (measured on 0.15.1, see notes/mcp-remote.md):
``dist/proxy.js`` (``mcp-remote``, the bridge) and ``dist/client.js`` (``mcp-remote-client``:
connects, lists tools and resources, exits). Both parse the same flags, make the same requests
in the same order before the MCP session (measured side by side: same proxy, trust and OAuth
outcome, same request list), so the client stands for the bridge here:

- :func:`run` starts ``mcp-remote-client URL FLAGS`` (or the bridge) in a sandbox, stdin held
  open, and stops it at the first of: the authorization URL printed (the browser step: it then
  waits for the callback for ever), the program's exit, the deadline. A browser stand-in
  (``www-browser`` on PATH, which the ``open`` package's bundled xdg-open runs when no desktop
  is detected) records the URL it was given and exits 0, so no real browser is ever started.
- :func:`health_check`: one run per server, side by side (3 at a time, each in a sandbox of
  its own under the given one): ``needs_auth`` (the
  authorization URL was printed), ``connected`` (``Connected successfully!``), ``failed`` with
  its words (``Fatal error: ...`` and the causes), or ``missing`` (it stopped at start,
  before any request: a bad proxy value with ``--enable-proxy``, an http:// URL without
  ``--allow-http``). About 0.3 s to 1 s a server.
- :func:`login`: the authorization URL and what can be read from it (``redirect_uri``,
  ``resource``, ``scope``, ``code_challenge_method``, ``client_id``) and the callback listener.
- :func:`run_case`: one agreement case (``clients.Setup``) -> ``agreement.Outcome``.
- :class:`McpRemoteCheck`: the ``proxy_routes.HealthCheck`` for :class:`RouteLab`.

Every run gets the sandbox's throwaway HOME, so ``~/.mcp-auth`` (mcp-remote's token, client
registration and PKCE store, ``MCP_REMOTE_CONFIG_DIR`` elsewhere) starts empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.real_clients.agreement import STEPS, Outcome, stop_from
from tests.real_clients.sandbox import _ENTER, BASE_PATH, Sandbox

if TYPE_CHECKING:
    from tests.real_clients.proxy_routes import Listing
    from tests.real_clients.setup import Setup

NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"  # node/package.json
PACKAGE = "mcp-remote"
RELEASE = "0.15.1"
# what 0.15.1's dist bundles (tsup keeps the pnpm paths as comments): read, see bundled()
BUNDLED_SDK = "@modelcontextprotocol/client"

AUTH_LINE = "Please authorize this client by visiting:"
CONNECTED_LINE = "Connected successfully!"
STARTED_LINE = "Discovering OAuth server configuration..."
BROWSER_NAME = "www-browser"
_STANDIN = """#!/bin/sh
printf '%s\\n' "$*" >> {log}
exit 0
"""


def package_dir() -> Path:
    return NODE_MODULES / PACKAGE


def node() -> str | None:
    return shutil.which("node", path=BASE_PATH)


def binary(bridge: bool = False) -> Path | None:
    """``dist/client.js`` (``mcp-remote-client``), or ``dist/proxy.js`` (``mcp-remote``)."""
    path = package_dir() / "dist" / ("proxy.js" if bridge else "client.js")
    return path if path.exists() else None


def installed_release() -> str | None:
    """The installed package's version, read from its package.json (nothing is run)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return str(json.loads((package_dir() / "package.json").read_text())["version"])
    return None


def missing() -> str | None:
    """None when node and the pinned mcp-remote are installed here, else what is missing."""
    if node() is None:
        return f"node is not installed (needs Node >= 20 on {BASE_PATH})"
    if binary() is None or binary(bridge=True) is None:
        return (f"mcp-remote is not installed: npm install --prefix {NODE_MODULES.parent} "
                f"{PACKAGE}@{RELEASE}")
    if installed_release() != RELEASE:
        return f"mcp-remote {installed_release()} is installed, not the pinned {RELEASE}"
    return None


def bundled() -> dict[str, str]:
    """The packages 0.15.1's ``dist`` bundles, from the pnpm paths tsup leaves in comments
    (``// node_modules/.pnpm/@modelcontextprotocol+client@2.0.0/...``): name -> version."""
    found: dict[str, str] = {}
    for path in sorted((package_dir() / "dist").glob("*.js")):
        for m in re.finditer(r"^// node_modules/\.pnpm/((?:@[^+/]+\+)?[^@/]+)@([^/]+)/",
                             path.read_text(errors="replace"), re.MULTILINE):
            found[m.group(1).replace("+", "/", 1)] = m.group(2)
    return found


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Run:
    """What one run of mcp-remote(-client) said and did."""

    argv: list[str]
    stderr: str
    stdout: str
    returncode: int | None  # None: stopped by the driver (browser step or deadline)
    stopped: str  # "authorization_url", "exit", "timeout"
    seconds: float
    browser: list[str] = field(default_factory=list)  # what the browser stand-in was given

    @property
    def authorization_url(self) -> str | None:
        m = re.search(re.escape(AUTH_LINE) + r"\s*\n(\S+)", self.stderr)
        return m.group(1) if m else None

    @property
    def started(self) -> bool:
        """It got past its argument parsing (and so built its HTTP dispatcher)."""
        return STARTED_LINE in self.stderr

    @property
    def connected(self) -> bool:
        return CONNECTED_LINE in self.stderr

    @property
    def callback_listener(self) -> tuple[str, int] | None:
        m = re.search(r"OAuth callback server running at http://([\d.]+):(\d+)", self.stderr)
        return (m.group(1), int(m.group(2))) if m else None

    @property
    def said(self) -> str:
        """Its words when it failed: the ``Fatal error`` line with its causes and codes
        (``Fatal error: TypeError: fetch failed <- Error: connect ECONNREFUSED ...``), or
        the last line it logged."""
        return said_of(self.stderr)


def said_of(stderr: str) -> str:
    raw = stderr.splitlines()
    for i, line in enumerate(raw):
        text = re.sub(r"^\[\d+\] ", "", line).strip()
        if not text.startswith(("Fatal error:", "Error: Non-HTTPS")):
            continue
        block: list[str] = []
        for follow in raw[i + 1:]:
            if re.match(r"^\[\d+\] ", follow) or follow.startswith("Fatal error:"):
                break
            block.append(follow)
        parts = [text]
        if text.endswith("ZodError: ["):
            parts = [text[:-1].rstrip() + " " + _zod_summary(["[", *block])]
        codes: list[str] = []
        for follow in block:
            inner = follow.strip()
            m = re.match(r"^(?:\[cause\]|cause):\s*(.+)", inner)
            if m:
                parts.append(m.group(1))
            m = re.match(r"^code: '([A-Z_0-9]+)'", inner)
            if m and m.group(1) not in codes:
                codes.append(m.group(1))
        return " <- ".join(parts) + (f" [{', '.join(codes)}]" if codes else "")
    logged = [re.sub(r"^\[\d+\] ", "", ln).strip() for ln in raw
              if ln.strip() and not ln.startswith(" ")]
    return logged[-1] if logged else ""


def _zod_summary(lines: list[str]) -> str:
    """``at a, b (message)``: the fields a ZodError names (nested union errors included)."""
    text = "\n".join(ln for ln in lines if not ln.strip().startswith("at "))
    try:
        issues = json.loads(text[:text.rindex("]") + 1])
    except ValueError:
        return "(unparsed)"
    fields: list[str] = []

    def walk(items: Any) -> None:
        for issue in items if isinstance(items, list) else []:
            if not isinstance(issue, dict):
                walk(issue)
                continue
            path = ".".join(str(p) for p in issue.get("path", []))
            if path and path not in fields:
                fields.append(path)
            for nested in issue.get("errors", []):
                walk(nested)

    walk(issues)
    first = issues[0].get("message", "") if issues and isinstance(issues[0], dict) else ""
    return f"at {', '.join(fields) or '(top level)'} ({first})"


def _standin(box: Sandbox) -> tuple[Path, Path]:
    """A browser stand-in directory for PATH, and the file it writes the URLs to."""
    bindir = box.root / "browser-bin"
    bindir.mkdir(exist_ok=True)
    log = box.root / "browser.log"
    log.unlink(missing_ok=True)
    script = bindir / BROWSER_NAME
    script.write_text(_STANDIN.format(log=log))
    script.chmod(0o755)
    return bindir, log


def run(box: Sandbox, url: str, flags: Iterable[str] = (), env: dict[str, str] | None = None,
        *, bridge: bool = False, stdin: str = "", timeout: float = 20,
        stop_at_browser: bool = True) -> Run:
    """``mcp-remote-client URL FLAGS`` (``bridge``: ``mcp-remote``) in ``box`` with exactly
    ``env`` (plus PATH with the browser stand-in first, HOME, LANG); ``stdin`` is written and
    the pipe then held open until the run ends."""
    exe, script = node(), binary(bridge)
    assert exe is not None and script is not None, missing()
    bindir, log = _standin(box)
    box._write_names()  # the sandbox's hosts file, as Sandbox.run writes it
    argv = [exe, str(script), url, *flags]
    full = {"PATH": f"{bindir}:{BASE_PATH}", "HOME": str(box.home), "LANG": "C.UTF-8",
            "PWD_IN": str(box.project), **(env or {})}
    command = ["unshare", "--mount", "--", "sh", "-c", _ENTER, "sh", str(box._etc), *argv]
    started = time.monotonic()
    proc = subprocess.Popen(command, env=full, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    err: list[str] = []
    out: list[str] = []
    at_browser = threading.Event()

    def read(stream: Any, into: list[str], watch: bool) -> None:
        for line in stream:
            into.append(line)
            if watch and AUTH_LINE in line:
                at_browser.set()

    readers = [threading.Thread(target=read, args=(proc.stderr, err, stop_at_browser),
                                daemon=True),
               threading.Thread(target=read, args=(proc.stdout, out, False), daemon=True)]
    for reader in readers:
        reader.start()
    assert proc.stdin is not None
    with contextlib.suppress(OSError):
        proc.stdin.write(stdin)
        proc.stdin.flush()
    stopped = "timeout"
    deadline = started + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stopped = "exit"
            break
        if at_browser.wait(0.02):
            stopped = "authorization_url"
            time.sleep(0.3)  # the URL's own line, and the stand-in's call, follow at once
            break
    returncode = proc.poll()
    if returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    for reader in readers:
        reader.join(2)
    with contextlib.suppress(OSError):
        proc.stdin.close()
    seconds = time.monotonic() - started
    browser = log.read_text().splitlines() if log.exists() else []
    return Run(argv[1:], "".join(err), "".join(out), returncode, stopped, seconds, browser)


VERSION_LINE = re.compile(r"^(\d+\.\d+\.\d+)$")


def version(box: Sandbox) -> str:
    """What ``mcp-remote-client --version`` prints (0.15.1: ``0.15.1``, about 0.2 s)."""
    exe, script = node(), binary()
    assert exe is not None and script is not None, missing()
    done = box.run([exe, str(script), "--version"], {}, timeout=30)
    match = VERSION_LINE.match(done.stdout.strip())
    assert match, done.stdout
    return match.group(1)


# --- the health check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """One server's outcome."""

    state: str  # "needs_auth", "connected", "failed", "missing" (stopped at start)
    reason: str  # its words when it failed
    run: Run = field(repr=False)

    @property
    def reached(self) -> bool:
        return self.state in ("needs_auth", "connected")


def health_of(done: Run) -> Health:
    if done.authorization_url:
        return Health("needs_auth", "", done)
    if done.connected:
        return Health("connected", "", done)
    if not done.started:
        return Health("missing", done.said, done)
    if done.stopped == "timeout":
        return Health("failed", f"no outcome in {done.seconds:.0f} s: {done.said}", done)
    return Health("failed", done.said, done)


def flags_for(url: str, flags: Iterable[str]) -> list[str]:
    """The flags a user must give for ``url``: ``--allow-http`` for an http:// URL whose host
    is not ``localhost`` or ``127.0.0.1`` (0.15.1 refuses it at start otherwise)."""
    flags = list(flags)
    parts = urlsplit(url)
    if (parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1")
            and "--allow-http" not in flags):
        flags.append("--allow-http")
    return flags


def health_check(box: Sandbox, servers: dict[str, str], env: dict[str, str],
                 flags: Iterable[str] = (), timeout: float = 20,
                 parallel: int = 3) -> dict[str, Health]:
    """One ``mcp-remote-client`` per server (name -> URL), at most ``parallel`` at a time. A
    single server runs in ``box``; several each get a sandbox of their own under
    ``box.root`` (same names, a HOME each): two private /etc overlays cannot be mounted on
    one sandbox's directories at once (measured: ``mount: /etc: special device overlay does
    not exist``)."""
    flags = list(flags)
    if len(servers) == 1:
        (name, url), = servers.items()
        return {name: health_of(run(box, url, flags_for(url, flags), env, timeout=timeout))}

    def one(index: int, url: str) -> Health:
        own = Sandbox(box.root / f"server-{index}", dict(box.hosts), box.nameserver)
        return health_of(run(own, url, flags_for(url, flags), env, timeout=timeout))

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {name: pool.submit(one, i, url)
                   for i, (name, url) in enumerate(servers.items())}
        return {name: f.result() for name, f in futures.items()}


class McpRemoteCheck:
    """``proxy_routes.HealthCheck``: one ``mcp-remote-client`` per URL, side by side (each in
    a sandbox of its own under the run's); pass
    ``args=("--enable-proxy",)`` to :meth:`RouteLab.run` for the proxy-aware runs (without
    it 0.15.1 reads no proxy variable). Servers whose run stopped at start are left out of
    the listing, whose stderr is then that run's (RouteLab reports ``exit 1: Fatal error...``).
    """

    def trust_env(self, ca_file: str) -> dict[str, str]:
        return {"NODE_EXTRA_CA_CERTS": ca_file}  # 0.15.1 (Node 20) honours it

    def check(self, box: Sandbox, servers: dict[str, str], env: dict[str, str],
              args: tuple[str, ...], timeout: float) -> Listing:
        from tests.real_clients.proxy_routes import Listing

        health = health_check(box, servers, env, args, timeout=min(timeout, 20))
        states = {n: (h.state, h.reason) for n, h in health.items() if h.state != "missing"}
        stopped = [h for h in health.values() if h.state == "missing"]
        if stopped:
            first = stopped[0].run
            return Listing(states, first.stdout, first.said + "\n" + first.stderr,
                           first.returncode if first.returncode is not None else -9)
        return Listing(states, "", "", 0)


MCP_REMOTE = McpRemoteCheck()


# --- the login, up to the browser ------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    """The authorization URL mcp-remote built and what it says about the callback."""

    authorization_url: str | None
    params: dict[str, str]  # the URL's query (response_type, client_id, redirect_uri, ...)
    listener: tuple[str, int] | None  # where the callback server listens (127.0.0.1, port)
    browser: list[str]  # what the browser stand-in was given
    said: str  # its words when it did not get there
    run: Run = field(repr=False)

    @property
    def redirect_uri(self) -> str | None:
        return self.params.get("redirect_uri")


def login(box: Sandbox, url: str, flags: Iterable[str] = (), env: dict[str, str] | None = None,
          timeout: float = 20) -> Login:
    done = run(box, url, flags_for(url, flags), env, timeout=timeout)
    auth = done.authorization_url
    params = {k: v[0] for k, v in parse_qs(urlsplit(auth).query).items()} if auth else {}
    return Login(auth, params, done.callback_listener, done.browser,
                 "" if auth else done.said, done)


# the default callback port (measured against 0.15.1's logs for several URLs): md5 of the
# server URL (joined with "|" to --resource, --authorize-param, --header values before their
# ${VAR} expansion, --client-metadata-url, --token-endpoint when given), first 4 hex digits
def default_callback_port(url: str, resource: str | None = None,
                          headers: dict[str, str] | None = None) -> int:
    parts = [url]
    if resource:
        parts.append(resource)
    if headers:
        parts.append(json.dumps({k: headers[k] for k in sorted(headers)}, separators=(",", ":"),
                                ensure_ascii=False))
    digest = hashlib.md5("|".join(parts).encode()).hexdigest()
    return 3335 + int(digest[:4], 16) % 45816


# --- one agreement case ---------------------------------------------------------------------

RULES = (
    (r"Callback port \d+ is already in use|Could not find a free callback port", "callback"),
    (r"Protected resource .* does not match", "protected_resource_metadata"),
    (r"Issuer mismatch|does not support code challenge method|"
     r"trying to load OAuth metadata|ZodError: at .*\b(jwks_uri|subject_types_supported|"
     r"id_token_signing_alg_values_supported)\b", "authorization_server_metadata"),
    (r"does not support dynamic client registration", "client_registration"),
    (r"Unexpected content type|Error POSTing to endpoint|SSE error|ZodError: at .*\bjsonrpc\b",
     "resource"),
)


def case_flags(setup: Setup) -> list[str]:
    """A case's mcp-remote flags: ``setup.server_config["args"]``, what follows the URL in a
    Claude Desktop entry's ``args`` (``["--enable-proxy"]``, ``["--header", "A: b"]``...)."""
    return [str(a) for a in setup.server_config.get("args", [])]


def run_case(box: Sandbox, setup: Setup) -> Outcome:
    """One agreement case, up to the browser step (the depth ``client_registration``): the
    case's environment plus ``setup.server_config["env"]`` (an entry's ``env`` block), its
    flags (:func:`case_flags`); ``setup.cert`` is not given (0.15.1 cannot present one).
    Where it stopped: its words (:data:`RULES`), else the first step of the flow the lab's
    servers gave no usable answer for (``setup.log``), else ``resource``."""
    for path, content in setup.files.items():
        box.write(path.replace("{project}", str(box.project)), content)
    env = {**setup.env, **{k: str(v) for k, v in setup.server_config.get("env", {}).items()}}
    done = run(box, setup.url, flags_for(setup.url, case_flags(setup)), env)
    health = health_of(done)
    if health.reached:
        return Outcome(True, None, health.state)
    said = health.reason or done.stopped
    if health.state == "missing":
        return Outcome(False, "settings", said[:300])
    if any(re.search(p, said, re.IGNORECASE) for p, _ in RULES):
        return Outcome(False, stop_from([], RULES, said), said[:300])
    served = setup.log() if setup.log else []
    for step in STEPS[1:STEPS.index("client_registration") + 1]:
        if not any(r.ok for r in served if r.step == step):
            return Outcome(False, step, said[:300])
    return Outcome(False, "client_registration", said[:300])
