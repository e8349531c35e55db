"""Opening the authorization URL in the user's browser, as Python's ``webbrowser`` does
(``BROWSER`` honoured: each ``:``-separated command is tried, ``%s`` replaced by the URL or
the URL appended), or printing it and taking the redirected URL pasted back."""

from __future__ import annotations

import shlex
import subprocess
import threading
import webbrowser
from collections.abc import Callable, Mapping
from typing import IO
from urllib.parse import urlsplit

LAUNCH_WAIT_S = 10.0  # a BROWSER command that blocks longer is left running


def open_url(url: str, environ: Mapping[str, str]) -> tuple[bool, str]:
    """Open ``url``; (opened, how) for the report (the URL itself is never in ``how``)."""
    last = ""
    commands = [c for c in environ.get("BROWSER", "").split(":") if c.strip()] \
        if "BROWSER" in environ else []
    for command in commands:
        args = shlex.split(command)
        if not args:
            continue
        argv = [a.replace("%s", url) for a in args] if "%s" in command else [*args, url]
        try:
            process = subprocess.Popen(argv, env=dict(environ), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            last = f"BROWSER command {args[0]!r} could not start ({exc.strerror or exc})"
            continue
        try:
            status = process.wait(LAUNCH_WAIT_S)
        except subprocess.TimeoutExpired:
            return True, f"opened with BROWSER command {args[0]!r} (still running)"
        if status == 0:
            return True, f"opened with BROWSER command {args[0]!r}"
        last = f"BROWSER command {args[0]!r} exited with status {status}"
    if commands:
        return False, last
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error as exc:
        return False, f"no browser could be started ({exc})"
    return (True, "opened with the system's default browser") if opened else \
        (False, "no browser could be started (no display, or none installed)")


def read_pasted(stdin: IO[str], redirect_uri: str,
                deliver: Callable[[str], None]) -> threading.Thread:
    """Read lines from ``stdin`` in the background until one is the redirected URL (starts
    with the redirect_uri's origin and path), and ``deliver`` its path and query."""
    wanted = urlsplit(redirect_uri)

    def read() -> None:
        for line in stdin:
            pasted = urlsplit(line.strip())
            if (pasted.scheme, pasted.netloc, pasted.path) == \
                    (wanted.scheme, wanted.netloc, wanted.path):
                deliver(f"{pasted.path}?{pasted.query}")
                return

    thread = threading.Thread(target=read, name="netcheck-paste", daemon=True)
    thread.start()
    return thread
