"""Codex: ``[mcp_servers.NAME]`` in ``~/.codex/config.toml`` (``$CODEX_HOME`` moves it). A remote
entry has ``url`` (Streamable HTTP); its headers are ``http_headers`` (values as written),
``env_http_headers`` (header -> variable) and ``bearer_token_env_var`` (``Authorization: Bearer
$VAR``); ``mcp_oauth_callback_port`` at the top is the OAuth callback port."""

from __future__ import annotations

from typing import Any

from netcheck.configs.entries import Source, bridged
from netcheck.configs.model import ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_toml
from netcheck.redaction import Secret

CLIENT = "Codex"


def find(place: Place, warnings: list[ConfigWarning], files: list[str]) -> list[ConfiguredServer]:
    path = place.codex_home() / "config.toml"
    doc = read_toml(path, warnings)
    if doc is None:
        return []
    files.append(str(path))
    section = doc.get("mcp_servers", {})
    if not isinstance(section, dict):
        warnings.append(ConfigWarning(str(path), "mcp_servers is not a table; ignored"))
        return []
    port = doc.get("mcp_oauth_callback_port")
    found = []
    for name, raw in section.items():
        if not isinstance(raw, dict):
            warnings.append(ConfigWarning(str(path), f"mcp_servers.{name} is not a table; "
                                                     "ignored"))
            continue
        found.append(_entry(name, raw, str(path), place,
                            port if isinstance(port, int) and 0 < port < 65536 else None))
    return found


def _entry(name: str, raw: dict[str, Any], path: str, place: Place,
           port: int | None) -> ConfiguredServer:
    source = Source(CLIENT, path, "user")
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
    return source.server(name, transport="http", url=url, headers=tuple(headers),
                         callback_port=port, notes=tuple(notes),
                         unused="disabled in its configuration (enabled = false)"
                         if raw.get("enabled") is False else None)
