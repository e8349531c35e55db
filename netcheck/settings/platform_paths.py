"""Where clients keep their settings on each platform: the home directory as Node finds it, and
Claude Code's managed settings. The platform is a parameter (default: this one), so every
platform's answer is tested on any machine.

==========  ======================================  ===========================================
platform    home (``os.homedir()`` in Node)          Claude Code's managed settings
==========  ======================================  ===========================================
Linux       ``HOME``                                 ``/etc/claude-code/``
macOS       ``HOME``                                 ``/Library/Application Support/ClaudeCode/``
Windows     ``USERPROFILE`` (``HOME`` is ignored)    ``C:\\Program Files\\ClaudeCode\\``
==========  ======================================  ===========================================
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath


def _pure(platform: str) -> type[PurePath]:
    return PureWindowsPath if platform == "win32" else PurePosixPath


def home_dir(environ: Mapping[str, str], platform: str | None = None) -> PurePath:
    """The user's home directory as a client finds it: on Windows ``USERPROFILE`` (then
    ``HOMEDRIVE`` + ``HOMEPATH``), elsewhere ``HOME``; else the account's home."""
    platform = platform or sys.platform
    pure = _pure(platform)
    if platform == "win32":
        if environ.get("USERPROFILE"):
            return pure(environ["USERPROFILE"])
        if environ.get("HOMEDRIVE") and environ.get("HOMEPATH"):
            return pure(environ["HOMEDRIVE"] + environ["HOMEPATH"])
    elif environ.get("HOME"):
        return pure(environ["HOME"])
    return pure(Path.home()) if platform == sys.platform else pure("~")


def managed_settings_dir(platform: str | None = None) -> PurePath:
    """Where Claude Code reads managed settings (``managed-settings.json`` and its
    ``managed-settings.d`` drop-ins) on ``platform``: measured on Linux; the macOS and Windows
    paths are the ones the 2.1.332 binary names."""
    platform = platform or sys.platform
    if platform == "darwin":
        return PurePosixPath("/Library/Application Support/ClaudeCode")
    if platform == "win32":
        return PureWindowsPath(r"C:\Program Files\ClaudeCode")
    return PurePosixPath("/etc/claude-code")
