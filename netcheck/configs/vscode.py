"""VS Code: the workspace's ``.vscode/mcp.json`` and the user profile's ``mcp.json`` (key
``servers``; comments and trailing commas allowed). netcheck lets the workspace entry win over a
user entry of the same name."""

from __future__ import annotations

from netcheck.configs.claude_code import first_wins
from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "VS Code"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    found = []
    for scope, path in (("workspace", place.cwd / ".vscode" / "mcp.json"),
                        ("user", place.app_data() / "Code" / "User" / "mcp.json")):
        doc = read_json(path, warnings, comments=True)
        if doc is not None:
            files.append(str(path))
            found += servers_in(doc, "servers", Source(CLIENT, str(path), scope), place,
                                warnings)
    return first_wins(found)
