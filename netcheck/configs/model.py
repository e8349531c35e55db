"""What the discovery of MCP client configurations finds: servers, the files, the warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from netcheck.redaction import Secret

REMOTE = ("http", "sse")


@dataclass(frozen=True)
class ConfiguredServer:
    """One server entry of one client's configuration file.

    ``headers`` hold the values the client would send, ``${VAR}`` already expanded: they are
    secrets and never shown. ``url_secrets`` are the values variables put into the URL.
    """

    name: str
    client: str | None  # "Claude Code", "VS Code", ...; None: given on the command line
    config_file: str | None
    scope: str  # the client's own word: "user", "local", "project", "managed", "workspace"
    transport: str  # "http" (Streamable HTTP), "sse" or "stdio"
    url: str | None = None
    headers: tuple[tuple[str, Secret], ...] = ()
    client_id: str | None = None
    callback_port: int | None = None
    auth_server_metadata_url: str | None = None
    notes: tuple[str, ...] = ()  # what netcheck could not take over as the client would
    problem: str | None = None  # why the entry cannot be checked at all
    unused: str | None = None  # why its client does not use it (another entry wins, disabled)
    url_secrets: tuple[Secret, ...] = field(default=(), repr=False)
    # a local bridge the entry runs to reach the remote server ("mcp-remote"), its arguments
    # after the URL as written, and the release the command pins (None: npx picks it)
    bridge: str | None = None
    client_flags: tuple[str, ...] = ()
    bridge_release: str | None = None

    @property
    def remote(self) -> bool:
        return self.transport in REMOTE

    @property
    def where(self) -> str:
        return f"{self.config_file} ({self.scope})" if self.config_file else self.scope


@dataclass(frozen=True)
class ConfigWarning:
    """A configuration file netcheck could not (fully) use; its other files still count."""

    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}{f' line {self.line}' if self.line else ''}: {self.message}"


@dataclass
class Discovery:
    """Every server found, in the order clients and scopes are listed, and the warnings."""

    servers: list[ConfiguredServer] = field(default_factory=list)
    warnings: list[ConfigWarning] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the files that exist and were read

    @property
    def effective(self) -> list[ConfiguredServer]:
        """The entries their client really uses (not shadowed by another scope, nor disabled)."""
        return [s for s in self.servers if s.unused is None]
