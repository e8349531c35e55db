"""``${VAR}``-style variables in configuration values, as the clients expand them.

Understood: ``${VAR}`` and ``${VAR:-default}`` (Claude Code), ``${env:VAR}`` (VS Code, Cursor,
Windsurf), ``${userHome}`` and ``${workspaceFolder}`` (VS Code, Cursor). ``${input:ID}`` is a
value VS Code asks the user for: netcheck cannot know it, so it counts as missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from netcheck.configs.places import Place

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class Expanded:
    text: str
    missing: list[str] = field(default_factory=list)  # variables that are not set
    values: list[str] = field(default_factory=list)  # what the variables put in (secrets)


def expand(text: str, place: Place) -> Expanded:
    """``text`` with its variables filled from ``place``."""
    result = Expanded(text)

    def fill(match: re.Match[str]) -> str:
        body = match.group(1)
        value = _lookup(body, place.environ, place)
        if value is None:
            result.missing.append(body.split(":-", 1)[0])
            return ""
        result.values.append(value)
        return value

    result.text = _VARIABLE.sub(fill, text)
    return result


def _lookup(body: str, environ: Mapping[str, str], place: Place) -> str | None:
    if body == "userHome":
        return str(place.home)
    if body == "workspaceFolder":
        return str(place.cwd)
    if body.startswith("input:"):
        return None
    if body.startswith("env:"):
        return environ.get(body[4:])
    name, sep, default = body.partition(":-")
    value = environ.get(name)
    if value is None and sep:
        return default
    return value
