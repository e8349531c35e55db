"""The installed versions of netcheck's libraries, for ``--version`` and the report."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence


def installed_versions(names: Sequence[str],
                       paths: Sequence[str] | None = None) -> dict[str, str | None]:
    """The installed version of each distribution in ``names`` (None: not installed), read
    from the names of the ``*.dist-info`` folders on ``paths`` (``sys.path``), listed once a
    process, where importing ``importlib.metadata`` alone would double the start-up time
    of ``--version``. A distribution not found so is asked of ``importlib.metadata``."""
    listed = _distributions(tuple(sys.path if paths is None else paths))
    found: dict[str, str | None] = {n: listed[_normalized(n)] for n in names
                                    if _normalized(n) in listed}
    missing = [n for n in names if n not in found]
    if missing:
        from netcheck import warmup  # importlib.metadata: dnspython imports it in a thread

        warmup.load("importlib.metadata")
        from importlib import metadata

        for name in missing:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = None
    return {name: found[name] for name in names}


@functools.cache
def _distributions(paths: tuple[str, ...]) -> dict[str, str]:
    """Every distribution's version named by a ``*.dist-info`` (or ``*.egg-info``) folder on
    ``paths``, the first one found winning as for imports; listed once a process (the trust
    step and the report both ask)."""
    found: dict[str, str] = {}
    for path in paths:
        try:
            entries = os.listdir(path or ".")
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            dist, _, version = stem.partition("-")
            if version:
                found.setdefault(_normalized(dist), version.partition("-")[0])
    return found


def _normalized(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")
