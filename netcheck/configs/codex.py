"""Codex: ``[mcp_servers.NAME]`` in its ``config.toml`` layers, the highest first (measured on
Codex CLI 0.171.0): ``/etc/codex/managed_config.toml``, the project's ``.codex/config.toml``
when the user file marks the folder trusted (``[projects."<dir>"] trust_level = "trusted"``),
``$CODEX_HOME/config.toml`` (``~/.codex``), ``/etc/codex/config.toml``. A remote entry has
``url`` (Streamable HTTP); its headers are ``http_headers`` (values as written),
``env_http_headers`` (header -> variable) and ``bearer_token_env_var`` (``Authorization: Bearer
$VAR``); the login's callback port is the entry's ``oauth.callback_port``, else the top-level
``mcp_oauth_callback_port``, and ``oauth.client_id`` a pre-registered client."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from netcheck.configs.claude_code import first_wins
from netcheck.configs.entries import Source, bridged
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_toml
from netcheck.redaction import Secret

CLIENT = "Codex"


def layers(place: Place, user: dict[str, Any] | None) -> list[tuple[str, Path]]:
    """The files, highest precedence first (the system ones on Linux and macOS)."""
    system = [] if place.platform == "win32" else [Path("/etc/codex")]
    found = [("managed", d / "managed_config.toml") for d in system]
    project = place.cwd / ".codex" / "config.toml"
    projects = (user or {}).get("projects")
    entry = projects.get(str(place.cwd)) if isinstance(projects, dict) else None
    if isinstance(entry, dict) and entry.get("trust_level") == "trusted":
        found.append(("project", project))
    found.append(("user", place.codex_home() / "config.toml"))
    found += [("system", d / "config.toml") for d in system]
    return found


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    user_path = place.codex_home() / "config.toml"
    user = read_toml(user_path, warnings)
    found: list[ConfiguredServer] = []
    for scope, path in layers(place, user):
        doc = user if path == user_path else read_toml(path, warnings)
        if doc is None:
            continue
        files.append(str(path))
        section = doc.get("mcp_servers", {})
        if not isinstance(section, dict):
            warnings.append(ConfigWarning(str(path), "mcp_servers is not a table; ignored"))
            continue
        port = doc.get("mcp_oauth_callback_port")
        for name, raw in section.items():
            if not isinstance(raw, dict):
                warnings.append(ConfigWarning(str(path), f"mcp_servers.{name} is not a table; "
                                                         "ignored"))
                continue
            found.append(_entry(name, raw, Source(CLIENT, str(path), scope), place,
                                _port(port)))
    return first_wins(found)


def _port(value: object) -> int | None:
    return value if isinstance(value, int) and 0 < value < 65536 else None


def _entry(name: str, raw: dict[str, Any], source: Source, place: Place,
           port: int | None) -> ConfiguredServer:
    url = raw.get("url")
    if not isinstance(url, str):
        return bridged(source, name, raw, place) or source.server(name, transport="stdio")
    notes: list[str] = []
    headers: list[tuple[str, Secret]] = []
    static = raw.get("http_headers")
    for header, value in (static.items() if isinstance(static, dict) else []):
        headers.append((str(header), Secret(str(value))))
    from_env = dict(raw.get("env_http_headers") or {}) \
        if isinstance(raw.get("env_http_headers"), dict) else {}
    if isinstance(raw.get("bearer_token_env_var"), str):
        from_env["Authorization"] = raw["bearer_token_env_var"]
    for header, variable in from_env.items():
        value = place.environ.get(str(variable))
        if value is None:
            notes.append(f"header {header} is not sent: its variable {variable} is not set here "
                         "(Codex cannot send it either)")
        else:
            prefix = "Bearer " if header == "Authorization" and \
                variable == raw.get("bearer_token_env_var") else ""
            headers.append((str(header), Secret(prefix + value)))
    oauth: dict[str, Any] = raw["oauth"] if isinstance(raw.get("oauth"), dict) else {}
    client_id = oauth.get("client_id") if isinstance(oauth.get("client_id"), str) else None
    server = source.server(name, transport="http", url=url, headers=tuple(headers),
                           callback_port=_port(oauth.get("callback_port")) or port,
                           client_id=client_id or None, notes=tuple(notes))
    if raw.get("enabled") is False:
        server = dataclasses.replace(server, unused="disabled in its configuration "
                                                    "(enabled = false)")
    return server
