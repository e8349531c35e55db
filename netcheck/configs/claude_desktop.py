"""Claude Desktop's ``claude_desktop_config.json`` (``mcpServers``). Its entries are local
commands; a remote server there is bridged by ``mcp-remote`` (``npx mcp-remote URL
[flags]``), which such an entry counts as (:mod:`netcheck.configs.mcp_remote`)."""

from __future__ import annotations

from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Claude Desktop"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    path = place.app_data() / "Claude" / "claude_desktop_config.json"
    doc = read_json(path, warnings)
    if doc is None:
        return []
    files.append(str(path))
    return servers_in(doc, "mcpServers", Source(CLIENT, str(path), "user"), place, warnings)
