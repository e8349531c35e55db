"""Driving the real Claude Code (npm ``@anthropic-ai/claude-code``, pinned in node/package.json).

``claude mcp list`` health-checks every configured MCP server; one line per server ends in
``Needs authentication``, ``Connected`` or ``Failed to connect`` (2.1.332 adds `` — <reason>``).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.real_clients.sandbox import Sandbox

NODE_DIR = Path(__file__).resolve().parent / "node"
RELEASE = json.loads((NODE_DIR / "package.json").read_text())["dependencies"][
    "@anthropic-ai/claude-code"]


def binary() -> Path | None:
    """The native binary npm installed (the package's postinstall may not have run)."""
    found = sorted((NODE_DIR / "node_modules" / "@anthropic-ai").glob("claude-code-*/claude"))
    return found[0] if found else None


def missing() -> str | None:
    """None when Claude Code is installed here, else how to install it."""
    if binary() is None:
        return f"Claude Code is not installed: npm ci --prefix {NODE_DIR}"
    return None


@dataclass(frozen=True)
class Health:
    """One server's line of ``claude mcp list``."""

    state: str  # "needs_auth", "connected", "failed"
    reason: str  # what Claude Code said after the state (2.1.332 and later), else ""
    line: str

    @property
    def reached(self) -> bool:
        return self.state in ("needs_auth", "connected")


_STATES = (("Needs authentication", "needs_auth"), ("Connected", "connected"),
           ("Failed to connect", "failed"))


def claude_json(servers: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"hasCompletedOnboarding": True, "mcpServers": servers, **extra}


BASE_ENV = {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1"}


def health_check(box: Sandbox, servers: dict[str, dict[str, Any]], env: dict[str, str],
                 args: tuple[str, ...] = (), timeout: float = 60) -> dict[str, Health]:
    """``claude mcp list`` in ``box`` with exactly ``env``; a :class:`Health` per server."""
    exe = binary()
    assert exe is not None, missing()
    config = box.home / ".claude.json"
    existing = json.loads(config.read_text()) if config.exists() else {}
    existing.update(claude_json(servers))
    box.write(".claude.json", existing)
    done = box.run([str(exe), *args, "mcp", "list"], {**BASE_ENV, **env}, timeout=timeout)
    return parse_list(done, list(servers))


class NoServerLine(Exception):
    """Claude Code printed no line for a server: it stopped at start (what it said is kept)."""

    def __init__(self, said: str) -> None:
        super().__init__(said)
        self.said = said


def parse_list(done: subprocess.CompletedProcess[str], names: list[str]) -> dict[str, Health]:
    found: dict[str, Health] = {}
    for line in done.stdout.splitlines():
        name = line.split(":", 1)[0]
        if name not in names:
            continue
        for text, state in _STATES:
            at = line.find(f"- ✘ {text}") if state == "failed" else line.rfind(text)
            if at >= 0:
                rest = line[at:].split("—", 1)
                found[name] = Health(state, rest[1].strip() if len(rest) > 1 else "", line)
                break
    missing_names = [n for n in names if n not in found]
    if missing_names:
        raise NoServerLine(f"exit {done.returncode}: "
                           f"{(done.stderr.strip() or done.stdout.strip())[:500]}")
    return found


VERSION_LINE = re.compile(r"^(\d+\.\d+\.\d+) \(Claude Code\)")


def version(box: Sandbox) -> str:
    exe = binary()
    assert exe is not None, missing()
    done = box.run([str(exe), "--version"], BASE_ENV, timeout=30)
    match = VERSION_LINE.match(done.stdout.strip())
    assert match, done.stdout
    return match.group(1)
