"""Driving the real MCP TypeScript SDK (npm ``@modelcontextprotocol/sdk`` on ``undici``'s
``EnvHttpProxyAgent``, pinned in node/package.json) through ``node/ts_client.mjs``.

One run = one job (a dict, see ts_client.mjs): ``{"url": ..., "ca": [...], "cert": ...,
"key": ..., "pfx": ..., "passphrase_env": ..., "client_metadata_url": ..., "timeout_ms": ...}``.
The program connects with ``Client`` + ``StreamableHTTPClientTransport`` and an in-memory OAuth
provider that stops at the authorization URL; it prints one JSON line: how far it got, the
error, and every request the SDK made.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.real_clients.sandbox import Sandbox

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "ts_client.mjs"
_DEPS = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]
SDK_RELEASE = _DEPS["@modelcontextprotocol/sdk"]
UNDICI_RELEASE = _DEPS["undici"]


def node() -> str | None:
    return shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")


def missing() -> str | None:
    """None when node and the SDK are installed here, else what is missing."""
    if node() is None:
        return "node is not installed (needs Node >= 20 on /usr/local/bin:/usr/bin:/bin)"
    for pkg in ("@modelcontextprotocol/sdk", "undici"):
        if not (NODE_DIR / "node_modules" / pkg / "package.json").exists():
            return f"{pkg} is not installed: npm ci --prefix {NODE_DIR}"
    return None


@dataclass(frozen=True)
class TsOutcome:
    """What the SDK client did with one job."""

    reached: str  # "authorization_url", "connected", "error"
    stage: str  # where it stopped: setup, dispatcher, connect, redirect, connected
    authorization_url: str | None
    error: dict[str, Any] | None  # {name, message, code?, cause: {...}}
    # [{method, url, status? / error? / pending?, content_type?, location?}]
    requests: list[dict[str, Any]]
    transport_errors: list[dict[str, Any]]  # what Client.onerror saw (SSE parse errors...)
    versions: dict[str, str]
    stderr: str
    returncode: int
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def ok(self) -> bool:
        """The client got as far as a user would need: the browser step, or connected."""
        return self.reached in ("authorization_url", "connected")

    @property
    def error_text(self) -> str:
        """``name: message`` of the error and each cause, joined with `` <- ``."""
        parts, err = [], self.error
        while err:
            code = f" [{err['code']}]" if err.get("code") else ""
            parts.append(f"{err.get('name')}{code}: {err.get('message')}")
            err = err.get("cause")
        return " <- ".join(parts)

    def request_lines(self) -> list[str]:
        """One line per request: ``GET url -> 200`` or ``GET url -> ERR code``."""
        lines = []
        for r in self.requests:
            if "status" in r:
                end = str(r["status"])
            elif r.get("pending"):
                end = "(no answer yet when the program ended)"
            else:
                err = r.get("error") or {}
                cause = err.get("cause") or {}
                end = f"ERR {cause.get('code') or cause.get('message') or err.get('message')}"
            lines.append(f"{r['method']} {r['url']} -> {end}")
        return lines


def run(box: Sandbox, job: dict[str, Any], env: dict[str, str] | None = None,
        timeout: float = 60) -> TsOutcome:
    """Run the SDK client in ``box`` with exactly ``env`` (plus PATH, HOME, LANG)."""
    exe = node()
    assert exe is not None and missing() is None, missing()
    job = {"timeout_ms": 15000, **job}
    done = box.run([exe, str(SCRIPT)], dict(env or {}), timeout=timeout,
                   stdin=json.dumps(job))
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{")), None)
    if line is None:
        # Node did not get to run the program (a bad NODE_OPTIONS, a crash at start)
        return TsOutcome("error", "node", None,
                         {"name": "NodeDidNotRun", "message": done.stderr.strip()[-2000:]},
                         [], [], {}, done.stderr, done.returncode)
    data = json.loads(line)
    return TsOutcome(reached=data["reached"], stage=data.get("stage", ""),
                     authorization_url=data.get("authorization_url"), error=data.get("error"),
                     requests=data.get("requests", []),
                     transport_errors=data.get("transport_errors", []),
                     versions=data.get("versions", {}), stderr=done.stderr,
                     returncode=done.returncode, raw=data)
