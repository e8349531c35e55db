"""Which release of the profile's client is installed here, found without running its network
code: the package metadata beside the command on ``PATH`` (npm's ``package.json``, a native
installer's versioned file name), else, where the profile allows it, ``COMMAND --version`` with
a bounded wait. A profile is a claim about one release; the report says whether the user's is
that one."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netcheck.profiles.rules import Profile, ReleaseLookup

VERSION_WAIT = 3.0  # s for ``--version``; the lookup runs beside the checks, never before them
REMEASURE = "python -m tests.real_clients.measure --client {profile}"  # in a netcheck checkout


@dataclass(frozen=True)
class Installed:
    """The client release found here (``release`` None: not found, ``how`` says why)."""

    release: str | None
    how: str  # "package metadata", "install path", "--version", or why nothing was found
    where: str | None = None  # the file or command it was read from

    def to_json(self, profile: Profile) -> dict[str, Any]:
        return {"release": self.release, "how": self.how, "where": self.where,
                "profile_release": profile.release,
                "measured_on_this_release": self.release == profile.release
                if self.release else None,
                "summary": summary(profile, self)}


def summary(profile: Profile, found: Installed) -> str:
    """One line for the output and the report, e.g. "Claude Code 2.1.337 installed; profile
    measured on 2.1.337"."""
    measured = f"profile measured on {profile.release}"
    if found.release is None:
        return f"{profile.client} {found.how}; {measured}"
    if found.release == profile.release:
        return f"{profile.client} {found.release} installed; {measured}"
    return (f"{profile.client} {found.release} installed; {measured}, not on {found.release}: "
            "where the two releases differ, the client may not do what this report says "
            f"(re-measure in a netcheck checkout: {REMEASURE.format(profile=profile.name)})")


def find_release(profile: Profile, env: Mapping[str, str],
                 run: Callable[[list[str]], str | None] | None = None) -> Installed | None:
    """The installed release of ``profile``'s client, or None when the profile's client is
    not a program on this machine (an SDK is part of the user's own program). ``run`` runs a
    command and returns its output (a test stand-in; default: a bounded subprocess)."""
    lookup = profile.installed
    if lookup is None:
        return None
    for command in lookup.commands:
        found = shutil.which(command, path=env.get("PATH"))
        if found is None:
            continue
        from_files = _from_files(Path(found), lookup)
        if from_files is not None:
            return from_files
        if lookup.version_args:
            output = (run or _run_bounded)([found, *lookup.version_args])
            release = _release_in(output or "", lookup.version_pattern)
            if release is not None:
                return Installed(release, f"{command} {' '.join(lookup.version_args)}", found)
        return Installed(None, f"found at {found}, but its release could not be read", found)
    cached = _npx_cache(env, lookup)
    if cached is not None:
        return cached
    names = " or ".join(lookup.commands)
    return Installed(None, f"was not found here (no {names} on PATH)")


def _from_files(command: Path, lookup: ReleaseLookup) -> Installed | None:
    """From npm's package.json (walking up from where the command really is, or in the npm
    prefix beside a Windows shim), or from a native install's versioned file name."""
    try:
        real = command.resolve()
    except OSError:
        real = command
    if _release_in(real.name, lookup.version_pattern, whole=True):  # ~/.local/share/claude/
        return Installed(real.name, "install path", str(real))      # versions/2.1.337
    candidates = [parent / "package.json" for parent in list(real.parents)[:6]]
    for package in lookup.packages:
        candidates += [command.parent / "node_modules" / package / "package.json",
                       command.parent.parent / "lib" / "node_modules" / package / "package.json"]
    for path in candidates:
        release = _package_release(path, lookup)
        if release is not None:
            return Installed(release, "package metadata", str(path))
    return None


def _package_release(path: Path, lookup: ReleaseLookup) -> str | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name, version = (doc.get("name"), doc.get("version")) if isinstance(doc, dict) else (None,
                                                                                         None)
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    if not any(name == p or name.startswith(f"{p}-") for p in lookup.packages):
        return None
    return _release_in(version, lookup.version_pattern)


def _npx_cache(env: Mapping[str, str], lookup: ReleaseLookup) -> Installed | None:
    """Where ``npx PACKAGE`` would run it from: npm's npx cache (the newest release there)."""
    if not lookup.npx:
        return None
    root = Path(env.get("npm_config_cache") or env.get("NPM_CONFIG_CACHE") or
                (Path(env.get("LOCALAPPDATA", "")) / "npm-cache" if os.name == "nt" else
                 Path(env.get("HOME") or "~").expanduser() / ".npm")) / "_npx"
    found: list[tuple[tuple[int, ...], Installed]] = []
    for package in lookup.packages:
        for path in sorted(root.glob(f"*/node_modules/{package}/package.json")) \
                if root.is_dir() else []:
            release = _package_release(path, lookup)
            if release is not None:
                key = tuple(int(p) for p in re.findall(r"\d+", release))
                found.append((key, Installed(release, "npx cache (newest there)", str(path))))
    return max(found, key=lambda pair: pair[0])[1] if found else None


def _release_in(text: str, pattern: str, whole: bool = False) -> str | None:
    match = (re.fullmatch if whole else re.search)(pattern, text.strip())
    return match.group(1) if match else None


def _run_bounded(argv: list[str]) -> str | None:
    import subprocess

    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=VERSION_WAIT,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout or done.stderr


__all__ = ["Installed", "find_release", "summary"]
