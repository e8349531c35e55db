"""VS Code: the workspace's ``.vscode/mcp.json`` and the user profile's ``mcp.json`` (key
``servers``; comments and trailing commas allowed). netcheck lets the workspace entry win over a
user entry of the same name."""

from __future__ import annotations

from netcheck.configs.claude_code import first_wins
from netcheck.configs.entries import servers_in_files
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place

CLIENT = "VS Code"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    scoped = [("workspace", place.cwd / ".vscode" / "mcp.json"),
              ("user", place.app_data() / "Code" / "User" / "mcp.json")]
    return first_wins(servers_in_files(CLIENT, "servers", scoped, place, warnings, files,
                                       comments=True))
