"""Finding the MCP servers configured in the clients on this machine.

One module per client, each with ``find(place, warnings, files)``; :data:`CLIENTS` is the
order they are listed in, and which netcheck profile checks each client's servers. An entry
of any client that runs ``mcp-remote URL`` is checked as ``mcp-remote`` with its arguments
(:mod:`netcheck.configs.mcp_remote`).

=================  ================  =============================================
client             profile           why
=================  ================  =============================================
Claude Code        claude-code       the client itself
Codex              codex             the client itself
Gemini CLI         gemini            the client itself
Copilot CLI        copilot           the client itself
Claude Desktop     mcp-remote        its remote servers are mcp-remote bridges
VS Code            node              nearest: an Electron (Node) app, not
                                     installable here to measure
Cursor             node              nearest for its own remote entries
Windsurf           node              nearest for its own remote entries
=================  ================  =============================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netcheck.configs import (
    claude_code,
    claude_desktop,
    codex,
    copilot,
    cursor,
    gemini,
    vscode,
    windsurf,
)
from netcheck.configs.model import ConfiguredServer, ConfigWarning, Discovery
from netcheck.configs.places import Place

Finder = Callable[[Place, list[ConfigWarning], list[str]], list[ConfiguredServer]]


@dataclass(frozen=True)
class Client:
    name: str
    find: Finder
    profile: str  # the netcheck profile its servers are checked with
    nearest: str | None = None  # why, when the profile is not the client itself


_ELECTRON = ("{} is not modelled: it is an Electron (Node) app that cannot be installed here "
             "to measure; its own remote entries get the node profile, the nearest (an entry "
             "that runs mcp-remote is checked as mcp-remote)")

CLIENTS = (
    Client(claude_code.CLIENT, claude_code.find, "claude-code"),
    Client(codex.CLIENT, codex.find, "codex"),
    Client(gemini.CLIENT, gemini.find, "gemini"),
    Client(copilot.CLIENT, copilot.find, "copilot"),
    Client(claude_desktop.CLIENT, claude_desktop.find, "node",
           "Claude Desktop's own remote entries are not modelled (its remote servers are "
           "mcp-remote bridges, checked as mcp-remote): the node profile is the nearest"),
    Client(vscode.CLIENT, vscode.find, "node", _ELECTRON.format(vscode.CLIENT)),
    Client(cursor.CLIENT, cursor.find, "node", _ELECTRON.format(cursor.CLIENT)),
    Client(windsurf.CLIENT, windsurf.find, "node", _ELECTRON.format(windsurf.CLIENT)),
)
BY_NAME = {c.name: c for c in CLIENTS}


def discover(place: Place) -> Discovery:
    """Every client's servers; a client whose files break is warned about, never fatal."""
    found = Discovery()
    for client in CLIENTS:
        try:
            found.servers += client.find(place, found.warnings, found.files)
        except Exception as exc:  # noqa: BLE001 - one client's oddity must not hide the others
            found.warnings.append(ConfigWarning(client.name, "its configuration could not be "
                                                f"read ({exc.__class__.__name__})"))
    return found


__all__ = ["BY_NAME", "CLIENTS", "Client", "ConfigWarning", "ConfiguredServer", "Discovery",
           "Place", "discover"]
