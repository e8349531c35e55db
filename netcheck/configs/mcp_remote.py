"""An entry, in any client's configuration, that runs ``mcp-remote URL [flags]`` (``npx -y
mcp-remote URL``, ``bunx``, ``pnpm dlx``, a global install, ``cmd /c npx ...``): a local stdio
bridge to a remote server, the way Claude Desktop, Cursor and Windsurf users reach one. Its
network path is mcp-remote's, so netcheck checks it as the ``mcp-remote`` profile with those
flags; the arguments are read as mcp-remote 0.15.1 reads them (its ``parseCommandLineArgs``):
``--header Name:Value`` pairs (and ``--header-file``) are taken out first, then the first word
left is the server URL and the second, if a number, the callback port."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

PACKAGE = "mcp-remote"
_PINNED = re.compile(r"^mcp-remote@(.+)$")


@dataclass(frozen=True)
class Bridge:
    """What an entry's command line gives mcp-remote."""

    url: str | None  # the first argument left once the headers are taken out
    flags: tuple[str, ...]  # every argument after the URL (and the port), as written
    release: str | None = None  # ``mcp-remote@0.15.1`` in the command; None: npx picks it
    headers: dict[str, str] = field(default_factory=dict)  # --header, ${VAR} not expanded
    callback_port: int | None = None  # the second positional argument
    header_files: tuple[str, ...] = ()  # --header-file PATH (not read by netcheck)


def find(command: object, args: object) -> Bridge | None:
    """The bridge an entry's ``command`` and ``args`` run, or None when it runs no
    mcp-remote."""
    words = [w for w in ([command] + (args if isinstance(args, list) else []))
             if isinstance(w, str)]
    if len(words) == 1 and " " in words[0]:  # the whole command line in one string
        words = words[0].split()
    at = next((i for i, w in enumerate(words) if _is_mcp_remote(w)), None)
    if at is None:
        return None
    pinned = _PINNED.match(_basename(words[at]))
    rest = words[at + 1:]
    headers: dict[str, str] = {}
    files: list[str] = []
    left: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] in ("--header", "--header-file") and i < len(rest) - 1:
            if rest[i] == "--header-file":
                files.append(rest[i + 1])
            else:
                name, sep, value = rest[i + 1].partition(":")
                if sep and name.strip():
                    headers[name.strip()] = value.strip()
            i += 2
            continue
        left.append(rest[i])
        i += 1
    url = left[0] if left else None
    port = int(left[1]) if len(left) > 1 and left[1].isdigit() and \
        0 < int(left[1]) < 65536 else None
    flags = tuple(left[2:] if port is not None else left[1:])
    return Bridge(url, flags, pinned.group(1) if pinned else None, headers, port, tuple(files))


def _basename(word: str) -> str:
    name = PureWindowsPath(word).name if "\\" in word else PurePosixPath(word).name
    return name.removesuffix(".cmd").removesuffix(".js")


def _is_mcp_remote(word: str) -> bool:
    """``mcp-remote``, ``mcp-remote@X``, or its script (``.../mcp-remote/dist/proxy.js``)."""
    name = _basename(word)
    return name == PACKAGE or bool(_PINNED.match(name)) or \
        (name == "proxy" and f"/{PACKAGE}/" in word.replace("\\", "/"))
