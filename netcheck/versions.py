"""The installed versions of netcheck's libraries, for ``--version`` and the report."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def installed_versions(names: Sequence[str],
                       paths: Sequence[str] | None = None) -> dict[str, str | None]:
    """The installed version of each distribution in ``names`` (None: not installed), read
    from the names of the ``*.dist-info`` folders on ``paths`` (``sys.path``): one directory
    listing each, where importing ``importlib.metadata`` alone would double the start-up time
    of ``--version``. A distribution not found so is asked of ``importlib.metadata``."""
    wanted = {_normalized(n): n for n in names}
    found: dict[str, str | None] = {}
    for path in sys.path if paths is None else paths:
        try:
            entries = os.listdir(path or ".")
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            dist, _, version = stem.partition("-")
            name = wanted.get(_normalized(dist))
            if name is not None and name not in found and version:
                found[name] = version.partition("-")[0]
    missing = [n for n in names if n not in found]
    if missing:
        from importlib import metadata

        for name in missing:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = None
    return {name: found[name] for name in names}


def _normalized(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")
