"""GitHub Copilot CLI: ``mcp-config.json`` in ``$COPILOT_HOME`` (else ``~/.copilot``),
``mcpServers``; a remote entry is ``{"type": "http" | "sse", "url", "headers"}``, its
``"auth": {"redirectPort": N}`` fixes the login's callback port and ``oauthClientId`` names a
pre-registered client. The project's ``.mcp.json`` and ``.github/mcp.json`` count only in a
folder Copilot trusts (``COPILOT_ALLOW_ALL=true``, or the folder among ``trusted_folders`` in
its ``config.json``); ``.vscode/mcp.json`` never (measured on 1.0.102, except the
``trusted_folders`` list, which is read)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Copilot CLI"


def home(place: Place) -> Path:
    value = place.environ.get("COPILOT_HOME")
    return Path(value) if value else place.home / ".copilot"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    found: list[ConfiguredServer] = []
    trusted = _trusted(place, warnings)
    for scope, path in (("user", home(place) / "mcp-config.json"),
                        ("project", place.cwd / ".mcp.json"),
                        ("project", place.cwd / ".github" / "mcp.json")):
        doc = read_json(path, warnings)
        if doc is None:
            continue
        files.append(str(path))
        section = doc.get("mcpServers") if isinstance(doc, dict) else None
        for server in servers_in(doc, "mcpServers", Source(CLIENT, str(path), scope), place,
                                 warnings):
            raw = section.get(server.name) if isinstance(section, dict) else None
            server = _oauth(server, raw if isinstance(raw, dict) else {})
            if scope == "project" and not trusted:
                server = dataclasses.replace(server, unused="a project file Copilot reads only "
                                             "in a folder it trusts (--trust-folder)")
            found.append(server)
    return found


def _oauth(server: ConfiguredServer, raw: dict[str, Any]) -> ConfiguredServer:
    auth = raw.get("auth")
    port = auth.get("redirectPort") if isinstance(auth, dict) else None
    client_id = raw.get("oauthClientId")
    return dataclasses.replace(
        server, callback_port=port if isinstance(port, int) and 0 < port < 65536 else None,
        client_id=client_id if isinstance(client_id, str) and client_id else server.client_id)


def _trusted(place: Place, warnings: list[ConfigWarning]) -> bool:
    if place.environ.get("COPILOT_ALLOW_ALL", "").lower() == "true":
        return True
    config = read_json(home(place) / "config.json", warnings)
    folders = config.get("trusted_folders") if isinstance(config, dict) else None
    return isinstance(folders, list) and any(str(place.cwd) == str(f) for f in folders)
