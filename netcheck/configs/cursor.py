"""Cursor: ``.cursor/mcp.json`` in the project and ``~/.cursor/mcp.json`` (``mcpServers``; an
entry with a ``url`` is remote, ``auth.CLIENT_ID`` a pre-registered client). netcheck lets the
project entry win over a global entry of the same name."""

from __future__ import annotations

from netcheck.configs.claude_code import first_wins
from netcheck.configs.entries import servers_in_files
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place

CLIENT = "Cursor"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    scoped = [("project", place.cwd / ".cursor" / "mcp.json"),
              ("global", place.home / ".cursor" / "mcp.json")]
    return first_wins(servers_in_files(CLIENT, "mcpServers", scoped, place, warnings, files,
                                       comments=True))
