"""Where configuration files live, per platform: everything from a :class:`Place` (the platform
name, the home, the environment, the current directory), so tests can be macOS or Windows."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLATFORMS = ("linux", "darwin", "win32")


@dataclass(frozen=True)
class Place:
    """The machine as discovery sees it."""

    platform: str  # "linux", "darwin" or "win32"
    home: Path
    cwd: Path  # the project: clients look for project files here
    environ: Mapping[str, str]
    managed: Path | None = None  # Claude Code's managed directory, if not the platform's

    @classmethod
    def here(cls, environ: Mapping[str, str], cwd: Path | None = None,
             platform: str | None = None) -> Place:
        """This machine: ``HOME`` (``USERPROFILE`` on Windows) from ``environ``."""
        platform = platform or ("linux" if sys.platform.startswith("linux") else sys.platform)
        home = environ.get("USERPROFILE" if platform == "win32" else "HOME") or \
            environ.get("HOME")
        return cls(platform, Path(home) if home else Path.home(), cwd or Path.cwd(), environ)

    def with_environment(self, extra: Mapping[str, object]) -> Place:
        """This place with an entry's ``env`` block over the environment (what a bridge it
        starts sees; its headers often read ``${AUTH_TOKEN}`` from there)."""
        values = {str(k): str(v) for k, v in extra.items() if isinstance(v, str | int | float)}
        return Place(self.platform, self.home, self.cwd, {**self.environ, **values},
                     self.managed)

    def app_data(self) -> Path:
        """Where desktop (Electron) apps keep their per-user files: VS Code, Claude Desktop."""
        if self.platform == "darwin":
            return self.home / "Library" / "Application Support"
        if self.platform == "win32":
            return Path(self.environ["APPDATA"]) if self.environ.get("APPDATA") else \
                self.home / "AppData" / "Roaming"
        xdg = self.environ.get("XDG_CONFIG_HOME")
        return Path(xdg) if xdg else self.home / ".config"

    def claude_code_managed(self) -> Path:
        """Claude Code's managed directory (as ``settings.claude_settings.managed_dir``)."""
        if self.managed is not None:
            return self.managed
        if self.platform == "darwin":
            return Path("/Library/Application Support/ClaudeCode")
        if self.platform == "win32":
            return Path(self.environ.get("ProgramFiles") or r"C:\Program Files") / "ClaudeCode"
        return Path("/etc/claude-code")

    def claude_config_dir(self) -> Path:
        """Where ``.claude.json`` is: ``$CLAUDE_CONFIG_DIR``, else the home."""
        value = self.environ.get("CLAUDE_CONFIG_DIR")
        return Path(value) if value else self.home

    def codex_home(self) -> Path:
        value = self.environ.get("CODEX_HOME")
        return Path(value) if value else self.home / ".codex"
