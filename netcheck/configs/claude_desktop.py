"""Claude Desktop's ``claude_desktop_config.json`` (``mcpServers``). Its entries are local
commands; a remote server there is usually bridged by ``mcp-remote`` (``npx mcp-remote URL
[--header 'Name: value']``), which connects with the MCP TypeScript SDK: such an entry counts
as that remote server."""

from __future__ import annotations

import dataclasses
from itertools import pairwise
from typing import Any

from netcheck.configs.entries import Source, remote, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Claude Desktop"
BRIDGE = "mcp-remote"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    path = place.app_data() / "Claude" / "claude_desktop_config.json"
    doc = read_json(path, warnings)
    if doc is None:
        return []
    files.append(str(path))
    source = Source(CLIENT, str(path), "user")
    found = servers_in(doc, "mcpServers", source, place, warnings)
    section = doc.get("mcpServers") if isinstance(doc, dict) else None
    return [bridged(s, section[s.name], place, source) if isinstance(section, dict) and
            s.transport == "stdio" else s for s in found]


def bridged(server: ConfiguredServer, raw: Any, place: Place, source: Source) -> ConfiguredServer:
    """An ``mcp-remote`` entry as the remote server it bridges to; others unchanged."""
    args = raw.get("args") if isinstance(raw, dict) else None
    command = raw.get("command") if isinstance(raw, dict) else None
    words: list[str] = [w for w in ([command, *args] if isinstance(args, list) else [command])
                        if isinstance(w, str)]
    at = next((i for i, w in enumerate(words) if w.split("@")[0].endswith(BRIDGE)), None)
    if at is None:
        return server
    rest = words[at + 1:]
    url = next((w for w in rest if w.startswith(("http://", "https://", "${"))), None)
    if url is None:
        return server
    headers: dict[str, str] = {}
    for flag, value in pairwise(rest):
        if flag == "--header" and ":" in value:
            name, _, text = value.partition(":")
            headers[name.strip()] = text.strip()
    env = raw.get("env") if isinstance(raw.get("env"), dict) else {}
    inner = place if not env else _with_env(place, env)
    found = remote(source, server.name, "http", url, {"headers": headers}, inner,
                   [f"through {BRIDGE} (a local bridge on the MCP TypeScript SDK)"])
    return dataclasses.replace(found, unused=server.unused)


def _with_env(place: Place, env: dict[str, Any]) -> Place:
    """``place`` with the entry's ``env`` block over the environment (mcp-remote's headers
    often read ``${AUTH_TOKEN}`` from it)."""
    extra = {str(k): str(v) for k, v in env.items() if isinstance(v, str | int | float)}
    return Place(place.platform, place.home, place.cwd, {**place.environ, **extra},
                 place.managed)
