"""The environment Claude Code really runs with: the process environment under the ``env``
blocks of its settings files (measured against Claude Code 2.1.332 and again on 2.1.337, see
``tests/real_clients/notes/claude-code-settings-tls.md``).

Lowest to highest, each overriding the one before it, key by key:

1. the process environment;
2. ``env`` at the top of ``~/.claude.json``;
3. the user settings, ``~/.claude/settings.json``
   (``$CLAUDE_CONFIG_DIR`` moves both files);
4. the project's ``.claude/settings.json`` then ``.claude/settings.local.json`` in the current
   directory, in a session whose folder the user trusted (``claude mcp list`` skips them);
5. each ``--settings`` file or JSON, in order (netcheck: ``--claude-settings``);
6. the managed settings file, then its drop-in directory, file by file in name order.

SSL_CERT_FILE and SSL_CERT_DIR count only from the process environment. An empty value
removes a variable, except that an empty NODE_EXTRA_CA_CERTS does not cancel a value another
settings file gives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netcheck.redaction import SECRET_VARIABLES, redact_proxy, redact_url
from netcheck.settings.platform_paths import managed_settings_dir

PROCESS_ONLY = frozenset({"SSL_CERT_FILE", "SSL_CERT_DIR"})
NEC = "NODE_EXTRA_CA_CERTS"


def managed_dir(platform: str | None = None) -> Path:
    """Where this platform keeps managed settings (Linux measured; the others are the paths
    the 2.1.332 binary names): see :mod:`netcheck.settings.platform_paths`."""
    return Path(managed_settings_dir(platform))


@dataclass(frozen=True)
class Source:
    """One place Claude Code may take variables from."""

    scope: str  # "~/.claude.json", "user", "project", "local", "--settings", "managed"
    where: str  # the file (or "--claude-settings JSON")
    env: dict[str, str]
    applies: bool  # in the session netcheck models
    in_mcp_list: bool = True  # whether `claude mcp list` applies it too
    why_not: str = ""

    @property
    def label(self) -> str:
        return f"{self.scope} settings {self.where}"


@dataclass
class ClaudeSettings:
    """What the settings files hold, and the environment they make."""

    sources: list[Source] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that do not parse

    def apply(self, process: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """The environment Claude Code runs with, and where each variable set by a file
        came from."""
        merged: dict[str, str] = {}
        origins: dict[str, str] = {}
        for source in self.sources:
            if not source.applies:
                continue
            for name, value in source.env.items():
                if name in PROCESS_ONLY or (name == NEC and value == "" and merged.get(NEC)):
                    continue
                merged[name] = value
                origins[name] = source.label
        return {**process, **merged}, origins

    def to_json(self) -> list[dict[str, Any]]:
        return [{"scope": s.scope, "file": s.where, "applied": s.applies,
                 "applied_by_mcp_list": s.in_mcp_list and s.applies,
                 "why_not": s.why_not or None,
                 "variables": {k: shown(k, v) for k, v in s.env.items()}}
                for s in self.sources]

    def notes(self) -> list[str]:
        notes = list(self.problems)
        for source in self.sources:
            network = sorted(k for k in source.env if relevant(k))
            if source.applies and not source.in_mcp_list and network:
                notes.append(f"{source.label} sets {', '.join(network)}: the Claude Code session "
                             "uses them, `claude mcp list` does not, so the two can disagree")
            if not source.applies and network:
                notes.append(f"{source.label} sets {', '.join(network)}, which Claude Code does "
                             f"not apply here: {source.why_not}")
            ignored = sorted(k for k in source.env if k in PROCESS_ONLY)
            if ignored:
                notes.append(f"{source.label} sets {', '.join(ignored)}, which Claude Code reads "
                             "only from the process environment: export it instead")
        return notes


def relevant(name: str) -> bool:
    """A variable that changes how Claude Code connects."""
    upper = name.upper()
    return upper.endswith("_PROXY") or upper.startswith(("CLAUDE_CODE_CLIENT_", "SSL_CERT_")) \
        or upper in ("NODE_EXTRA_CA_CERTS", "CLAUDE_CODE_CERT_STORE", "NODE_USE_ENV_PROXY",
                     "NODE_TLS_REJECT_UNAUTHORIZED", "CLAUDE_CODE_PROXY_RESOLVES_HOSTS")


def shown(name: str, value: str) -> str:
    if name in SECRET_VARIABLES:
        return "<redacted, set>"
    return redact_proxy(value) if name.upper().endswith("_PROXY") else redact_url(value)


def _env_block(doc: Any) -> dict[str, str]:
    env = doc.get("env") if isinstance(doc, dict) else None
    if not isinstance(env, dict):
        return {}
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in env.items()
            if isinstance(k, str) and isinstance(v, str | int | float | bool)}


def _read(path: Path, problems: list[str]) -> Any:
    """A settings file's document, None when absent; a file that does not parse is a
    problem (Claude Code ignores it too) named with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path} cannot be read ({exc.__class__.__name__}); Claude Code cannot "
                        "use it either")
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        problems.append(f"{path} is not valid JSON{f' (line {line})' if line else ''}; Claude "
                        "Code ignores it")
        return None


def read(environ: Mapping[str, str], home: Path, cwd: Path,
         extra: tuple[str, ...] = (), managed: Path | None = None) -> ClaudeSettings:
    """Every settings source Claude Code would read in ``cwd``; ``extra`` are ``--settings``
    values (a file, or JSON text)."""
    found = ClaudeSettings()
    problems = found.problems
    config_dir = Path(environ["CLAUDE_CONFIG_DIR"]) if environ.get("CLAUDE_CONFIG_DIR") else None
    state_file = (config_dir or home) / ".claude.json"
    state = _read(state_file, problems)

    def add(scope: str, where: Path | str, doc: Any, applies: bool = True,
            in_mcp_list: bool = True, why_not: str = "") -> None:
        env = _env_block(doc)
        if env:
            found.sources.append(Source(scope, str(where), env, applies, in_mcp_list, why_not))

    add("~/.claude.json", state_file, state)
    user_file = (config_dir or home / ".claude") / "settings.json"
    add("user", user_file, _read(user_file, problems))
    trusted = _trusted(state, cwd)
    for scope, name in (("project", "settings.json"), ("local", "settings.local.json")):
        path = cwd / ".claude" / name
        if path == user_file:
            continue
        add(scope, path, _read(path, problems), applies=trusted, in_mcp_list=False,
            why_not="" if trusted else f"the folder {cwd} is not marked trusted in "
                                       f"{state_file}")
    for value in extra:
        if value.lstrip().startswith("{"):
            try:
                add("--settings", "(JSON)", json.loads(value))
            except ValueError:
                problems.append("a --claude-settings value is not valid JSON")
        else:
            add("--settings", value, _read(Path(value), problems))
    managed = managed or managed_dir()
    add("managed", managed / "managed-settings.json",
        _read(managed / "managed-settings.json", problems))
    drop_ins = managed / "managed-settings.d"
    if drop_ins.is_dir():
        for path in sorted(drop_ins.glob("*.json")):
            add("managed", path, _read(path, problems))
    return found


def _trusted(state: Any, cwd: Path) -> bool:
    projects = state.get("projects") if isinstance(state, dict) else None
    entry = projects.get(str(cwd)) if isinstance(projects, dict) else None
    return isinstance(entry, dict) and entry.get("hasTrustDialogAccepted") is True
