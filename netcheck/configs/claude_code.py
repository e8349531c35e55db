"""Claude Code's MCP servers.

Scopes, highest first when names collide (Claude Code's documented order): ``local``
(``projects[<cwd>].mcpServers`` in ``~/.claude.json``), ``project`` (``.mcp.json`` in the
current directory), ``user`` (``mcpServers`` in ``~/.claude.json``); ``$CLAUDE_CONFIG_DIR``
moves ``.claude.json``. A project server the user rejected (``disabledMcpjsonServers``) is not
used. A ``managed-mcp.json`` in the managed directory takes exclusive control:
when it exists, only its servers are used.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Claude Code"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    state_file = place.claude_config_dir() / ".claude.json"
    project_file = place.cwd / ".mcp.json"
    managed_file = place.claude_code_managed() / "managed-mcp.json"
    state = read_json(state_file, warnings)
    project = read_json(project_file, warnings)
    managed = read_json(managed_file, warnings)
    files += [str(p) for p, doc in ((managed_file, managed), (state_file, state),
                                    (project_file, project)) if doc is not None]
    local = _project_entry(state, place)
    found = [
        *servers_in(managed, "mcpServers", Source(CLIENT, str(managed_file), "managed"), place,
                    warnings),
        *servers_in(local, "mcpServers", Source(CLIENT, str(state_file), "local"), place,
                    warnings),
        *servers_in(project, "mcpServers", Source(CLIENT, str(project_file), "project"), place,
                    warnings),
        *servers_in(state, "mcpServers", Source(CLIENT, str(state_file), "user"), place,
                    warnings),
    ]
    rejected = local.get("disabledMcpjsonServers") if isinstance(local, dict) else None
    if isinstance(rejected, list):
        found = [dataclasses.replace(s, unused=f"rejected for this project in Claude Code "
                                             f"(disabledMcpjsonServers in {state_file})")
                 if s.scope == "project" and s.name in rejected else s for s in found]
    if managed is not None:
        return [s if s.scope == "managed" else dataclasses.replace(
            s, unused=f"{managed_file} exists, and managed-mcp.json takes exclusive control")
            for s in found]
    return first_wins(found)


def _project_entry(state: Any, place: Place) -> Any:
    projects = state.get("projects") if isinstance(state, dict) else None
    if not isinstance(projects, dict):
        return None
    for key in (str(place.cwd), place.cwd.as_posix()):
        if isinstance(projects.get(key), dict):
            return projects[key]
    return None


def first_wins(found: list[ConfiguredServer]) -> list[ConfiguredServer]:
    """``found`` (highest precedence first) with each later entry of a taken name shadowed."""
    winners: dict[str, ConfiguredServer] = {}
    out = []
    for server in found:
        if server.unused is None:
            winner = winners.setdefault(server.name, server)
            if winner is not server:
                server = dataclasses.replace(
                    server, unused=f"{winner.where} has a server of the same name, which wins")
        out.append(server)
    return out
