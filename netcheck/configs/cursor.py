"""Cursor: ``.cursor/mcp.json`` in the project and ``~/.cursor/mcp.json`` (``mcpServers``; an
entry with a ``url`` is remote, ``auth.CLIENT_ID`` a pre-registered client). netcheck lets the
project entry win over a global entry of the same name."""

from __future__ import annotations

from netcheck.configs.claude_code import first_wins
from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Cursor"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    found = []
    for scope, path in (("project", place.cwd / ".cursor" / "mcp.json"),
                        ("global", place.home / ".cursor" / "mcp.json")):
        doc = read_json(path, warnings, comments=True)
        if doc is not None:
            files.append(str(path))
            found += servers_in(doc, "mcpServers", Source(CLIENT, str(path), scope), place,
                                warnings)
    return first_wins(found)
