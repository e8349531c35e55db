"""Reading configuration files: JSON (strict, or with comments and trailing commas as VS Code
allows) and TOML. A file that does not parse is a :class:`ConfigWarning` with its line, never an
exception."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from netcheck.configs.model import ConfigWarning

MAX_BYTES = 5_000_000  # a configuration file is small; a larger one is not read


def _text(path: Path, warnings: list[ConfigWarning]) -> str | None:
    try:
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_BYTES:
            warnings.append(ConfigWarning(str(path), "is larger than 5 MB; not read"))
            return None
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        warnings.append(ConfigWarning(str(path), f"cannot be read ({exc.__class__.__name__})"))
        return None


def read_json(path: Path, warnings: list[ConfigWarning], *, comments: bool = False) -> Any:
    """The document at ``path``; None when absent or unusable (then a warning says why)."""
    text = _text(path, warnings)
    if text is None:
        return None
    try:
        return json.loads(strip_jsonc(text) if comments else text)
    except json.JSONDecodeError as exc:
        what = "JSON with comments" if comments else "JSON"
        warnings.append(ConfigWarning(str(path), f"is not valid {what} ({exc.msg}); its "
                                                 "servers are not counted", exc.lineno))
    except RecursionError:
        warnings.append(ConfigWarning(str(path), "is nested too deeply; not read"))
    return None


def read_toml(path: Path, warnings: list[ConfigWarning]) -> dict[str, Any] | None:
    text = _text(path, warnings)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at (end of document|line \d+, column \d+)\)", "", str(exc))
        warnings.append(ConfigWarning(str(path), f"is not valid TOML ({message}); its servers "
                                                 "are not counted",
                                      int(found.group(1)) if found else None))
    except RecursionError:
        warnings.append(ConfigWarning(str(path), "is nested too deeply; not read"))
    return None


def strip_jsonc(text: str) -> str:
    """``text`` without ``//`` and ``/* */`` comments and trailing commas, each replaced by
    spaces (newlines kept), so a parse error still names the right line."""
    out = list(text)
    i, n = 0, len(text)
    last_comma = -1  # index of a comma not yet followed by anything but blanks
    while i < n:
        c = text[i]
        if c == '"':
            last_comma = -1
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                out[j] = text[j] if text[j] == "\n" else " "
            i = end
        else:
            if c in "}]" and last_comma >= 0:
                out[last_comma] = " "
            if c == ",":
                last_comma = i
            elif not c.isspace():
                last_comma = -1
            i += 1
    return "".join(out)
