"""Windsurf: ``~/.codeium/windsurf/mcp_config.json`` (``mcpServers``; a remote entry has
``serverUrl``, or ``url``)."""

from __future__ import annotations

from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Windsurf"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    path = place.home / ".codeium" / "windsurf" / "mcp_config.json"
    doc = read_json(path, warnings)
    if doc is None:
        return []
    files.append(str(path))
    return servers_in(doc, "mcpServers", Source(CLIENT, str(path), "user", ("serverUrl", "url")),
                      place, warnings)
