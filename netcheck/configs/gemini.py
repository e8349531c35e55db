"""Gemini CLI: ``mcpServers`` in its ``settings.json`` files, the highest first (measured on
Gemini CLI 0.61.0): the system file (``/etc/gemini-cli/settings.json``, or
``$GEMINI_CLI_SYSTEM_SETTINGS_PATH``), the project's ``.gemini/settings.json``, the user's
``~/.gemini/settings.json`` (``$GEMINI_CLI_HOME`` replaces the home), the system defaults
(``system-defaults.json`` beside the system file). A remote entry has ``httpUrl`` or ``url``
(both Streamable HTTP; ``type: "sse"`` for SSE) and ``headers``. In a folder Gemini CLI does not
trust, it uses no MCP server at all, the user's included."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from netcheck.configs.claude_code import first_wins
from netcheck.configs.entries import Source, servers_in
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json

CLIENT = "Gemini CLI"
URL_KEYS = ("httpUrl", "url")


def system_dir(place: Place) -> Path:
    if place.platform == "darwin":
        return Path("/Library/Application Support/GeminiCli")
    if place.platform == "win32":
        return Path(place.environ.get("ProgramData") or r"C:\ProgramData") / "gemini-cli"
    return Path("/etc/gemini-cli")


def user_dir(place: Place) -> Path:
    value = place.environ.get("GEMINI_CLI_HOME")
    return (Path(value) if value else place.home) / ".gemini"


def files(place: Place) -> list[tuple[str, Path]]:
    """The settings files, highest precedence first."""
    system = place.environ.get("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
    system_file = Path(system) if system else system_dir(place) / "settings.json"
    defaults = place.environ.get("GEMINI_CLI_SYSTEM_DEFAULTS_PATH")
    return [("system", system_file), ("project", place.cwd / ".gemini" / "settings.json"),
            ("user", user_dir(place) / "settings.json"),
            ("system defaults", Path(defaults) if defaults else
             system_file.with_name("system-defaults.json"))]


def find(place: Place, warnings: list[ConfigWarning], read: list[str]) -> list[ConfiguredServer]:
    found: list[ConfiguredServer] = []
    docs: dict[str, Any] = {}
    for scope, path in files(place):
        doc = read_json(path, warnings, comments=True)
        if doc is None:
            continue
        read.append(str(path))
        docs[scope] = doc
        found += servers_in(doc, "mcpServers", Source(CLIENT, str(path), scope, URL_KEYS),
                            place, warnings)
    if found and not trusted(place, docs):
        found = [dataclasses.replace(s, unused="this folder is not trusted by Gemini CLI, which "
                                     "then uses no MCP server (trust it in an interactive "
                                     "session, or set GEMINI_CLI_TRUST_WORKSPACE=true)")
                 if s.unused is None else s for s in found]
    return first_wins(found)


def trusted(place: Place, docs: dict[str, Any]) -> bool:
    """Whether Gemini CLI trusts the current folder: GEMINI_CLI_TRUST_WORKSPACE=true, folder
    trust turned off in a settings file, or the folder (or a parent) listed in
    ``trustedFolders.json`` as trusted (the file's values are read, not measured beyond
    TRUST_FOLDER)."""
    if place.environ.get("GEMINI_CLI_TRUST_WORKSPACE", "").lower() == "true":
        return True
    for doc in docs.values():
        security = doc.get("security") if isinstance(doc, dict) else None
        trust = security.get("folderTrust") if isinstance(security, dict) else None
        if isinstance(trust, dict) and trust.get("enabled") is False:
            return True
    listed = read_json(user_dir(place) / "trustedFolders.json", [])
    if not isinstance(listed, dict):
        return False
    here = place.cwd
    for folder, level in listed.items():
        where = Path(str(folder))
        if level == "TRUST_FOLDER" and (here == where or where in here.parents):
            return True
        if level == "TRUST_PARENT" and (here == where.parent or where.parent in here.parents):
            return True
    return False
