"""One server entry of a JSON configuration (``mcpServers`` / ``servers``), the shape Claude
Code, Claude Desktop, VS Code, Cursor and Windsurf share, to a :class:`ConfiguredServer`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netcheck.configs.expand import expand
from netcheck.configs.model import REMOTE, ConfiguredServer, ConfigWarning
from netcheck.configs.places import Place
from netcheck.configs.reading import read_json
from netcheck.redaction import Secret


@dataclass(frozen=True)
class Source:
    """A file of one client, and how that client reads its entries."""

    client: str
    path: str
    scope: str
    url_keys: tuple[str, ...] = ("url",)  # Windsurf: "serverUrl"

    def server(self, name: str, **fields: Any) -> ConfiguredServer:
        return ConfiguredServer(name=name, client=self.client, config_file=self.path,
                                scope=self.scope, **fields)


def servers_in(doc: Any, key: str, source: Source, place: Place,
               warnings: list[ConfigWarning]) -> list[ConfiguredServer]:
    """The entries under ``doc[key]``; a section of the wrong shape is a warning."""
    section = doc.get(key) if isinstance(doc, dict) else None
    if section is None:
        return []
    if not isinstance(section, dict):
        warnings.append(ConfigWarning(source.path, f'"{key}" is not an object; ignored'))
        return []
    found = []
    for name, raw in section.items():
        if not isinstance(raw, dict):
            warnings.append(ConfigWarning(source.path, f'server "{name}" is not an object; '
                                                       "ignored"))
            continue
        server = entry(str(name), raw, source, place)
        if raw.get("disabled") is True:
            server = dataclasses.replace(server, unused="disabled in its configuration")
        found.append(server)
    return found


def servers_in_files(client: str, key: str, scoped_paths: Sequence[tuple[str, Path]],
                     place: Place, warnings: list[ConfigWarning], files: list[str], *,
                     comments: bool = False, url_keys: tuple[str, ...] = ("url",)
                     ) -> list[ConfiguredServer]:
    """The entries under ``key`` of each file that exists, in the order given (the first scope
    first); each file read is added to ``files``."""
    found: list[ConfiguredServer] = []
    for scope, path in scoped_paths:
        doc = read_json(path, warnings, comments=comments)
        if doc is not None:
            files.append(str(path))
            found += servers_in(doc, key, Source(client, str(path), scope, url_keys), place,
                                warnings)
    return found


def entry(name: str, raw: dict[str, Any], source: Source, place: Place) -> ConfiguredServer:
    url = next((raw[k] for k in source.url_keys if isinstance(raw.get(k), str)), None)
    kind = raw.get("type") if isinstance(raw.get("type"), str) else None
    kind = {"streamable-http": "http", "streamableHttp": "http", "http": "http",
            "sse": "sse", "stdio": "stdio"}.get(kind or "", kind)
    if url is None:
        if kind in REMOTE:
            return source.server(name, transport=kind, problem=f"type {kind} but no URL")
        return bridged(source, name, raw, place) or source.server(name, transport="stdio")
    transport = kind if kind in REMOTE else "http"
    notes: list[str] = []
    if kind is not None and kind not in REMOTE:
        notes.append(f'type "{kind}" with a URL: checked as Streamable HTTP')
    return remote(source, name, transport, url, raw, place, notes)


def remote(source: Source, name: str, transport: str, url: str, raw: dict[str, Any], place: Place,
           notes: list[str]) -> ConfiguredServer:
    """A remote entry: URL and headers expanded, OAuth settings taken over."""
    secrets: list[Secret] = []
    problem = None
    got = expand(url, place)
    secrets += [Secret(v) for v in got.values]
    if got.missing:
        problem = f"its URL uses {_names(got.missing)}, which is not set here"
    headers = header_pairs(raw.get("headers"), place, notes)
    oauth: dict[str, Any] = raw["oauth"] if isinstance(raw.get("oauth"), dict) else {}
    auth: dict[str, Any] = raw["auth"] if isinstance(raw.get("auth"), dict) else {}  # Cursor
    client_id = _text(oauth.get("clientId")) or _text(auth.get("CLIENT_ID"))
    port = oauth.get("callbackPort")
    if "headersHelper" in raw:
        notes.append("headersHelper is a command netcheck does not run: the headers it would "
                     "add are not sent")
    if isinstance(oauth.get("scopes"), list | str) or auth.get("scopes"):
        notes.append("the configured OAuth scopes are not checked")
    return source.server(
        name, transport=transport, url=got.text, headers=tuple(headers),
        client_id=client_id,
        callback_port=port if isinstance(port, int) and 0 < port < 65536 else None,
        auth_server_metadata_url=_text(oauth.get("authServerMetadataUrl")),
        notes=tuple(notes), problem=problem, url_secrets=tuple(secrets))


def bridged(source: Source, name: str, raw: dict[str, Any], place: Place
            ) -> ConfiguredServer | None:
    """An entry that runs ``mcp-remote URL [flags]``, as the remote server it bridges to,
    with the headers and flags mcp-remote is given (``${VAR}`` filled from the entry's
    ``env`` over the environment, as mcp-remote fills them); None for any other command."""
    from netcheck.configs import mcp_remote

    bridge = mcp_remote.find(raw.get("command"), raw.get("args"))
    if bridge is None:
        return None
    env = raw.get("env") if isinstance(raw.get("env"), dict) else {}
    inner = place.with_environment(env) if env else place
    notes = [f"runs {mcp_remote.PACKAGE}"
             f"{'@' + bridge.release if bridge.release else ''}, a local bridge: its network "
             f"path is {mcp_remote.PACKAGE}'s"]
    notes += [f"--header-file {path} is not read by netcheck: its headers are not sent"
              for path in bridge.header_files]
    if bridge.url is None or not bridge.url.startswith(("http://", "https://", "${")):
        return source.server(name, transport="http", bridge=mcp_remote.PACKAGE,
                             client_flags=bridge.flags, bridge_release=bridge.release,
                             notes=tuple(notes), problem=f"{mcp_remote.PACKAGE} is given no "
                             "server URL as its first argument (it would stop at start)")
    found = remote(source, name, "http", bridge.url, {"headers": bridge.headers}, inner, notes)
    return dataclasses.replace(found, bridge=mcp_remote.PACKAGE, client_flags=bridge.flags,
                               bridge_release=bridge.release,
                               callback_port=bridge.callback_port)


def header_pairs(raw: Any, place: Place, notes: list[str]) -> list[tuple[str, Secret]]:
    """The headers of an entry, values expanded; one with a missing variable is left out."""
    if not isinstance(raw, dict):
        return []
    out = []
    for name, value in raw.items():
        if not isinstance(value, str | int | float):
            notes.append(f"header {name} is not a string: not sent")
            continue
        got = expand(str(value), place)
        if got.missing:
            notes.append(f"header {name} is not sent: it uses {_names(got.missing)}, which is "
                         "not set here (the client cannot fill it either)")
            continue
        out.append((str(name), Secret(got.text)))
    return out


def _names(names: list[str]) -> str:
    return ", ".join("${" + n + "}" for n in names)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
