"""Windsurf: ``~/.codeium/windsurf/mcp_config.json`` (``mcpServers``; a remote entry has
``serverUrl``, or ``url``)."""

from __future__ import annotations

from netcheck.configs.entries import servers_in_files
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place

CLIENT = "Windsurf"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    path = place.home / ".codeium" / "windsurf" / "mcp_config.json"
    return servers_in_files(CLIENT, "mcpServers", [("user", path)], place, warnings, files,
                            url_keys=("serverUrl", "url"))
