"""A machine of the test's own for one run of a real client (or of netcheck beside it).

Each run gets a throwaway ``HOME`` and project directory, an environment built from nothing,
and a private view of ``/etc``: an overlay in a private mount namespace, so the test's
``/etc/hosts`` serves the lab's host names (nothing is asked of the machine's DNS) and files such
as Claude Code's managed settings can be placed where the client looks, without touching the
real machine. Needs root (CI runs as root); :func:`available` says whether it works here.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
_ENTER = ('mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc '
          '&& shift && cd "$PWD_IN" && exec "$@"')


@functools.cache
def available() -> str | None:
    """None when private mount namespaces work here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        box = Sandbox(Path(tmp), hosts={"probe.sandbox.test": "127.0.0.1"})
        try:
            done = box.run(["getent", "hosts", "probe.sandbox.test"], timeout=10)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"cannot enter a private mount namespace: {exc}"
        if done.returncode != 0:
            return f"cannot enter a private mount namespace: {done.stderr.strip()[:200]}"
    return None


@dataclass
class Sandbox:
    """Files and names one run sees. ``hosts`` maps lab names to loopback addresses."""

    root: Path
    hosts: dict[str, str] = field(default_factory=dict)
    nameserver: str = "127.0.0.1"  # port 53 there: a resolver of the test's, or nothing

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.project = self.root / "project"
        self._etc = self.root / "etc"
        for path in (self.home, self.project, self._etc / "upper", self._etc / "work"):
            path.mkdir(parents=True, exist_ok=True)

    def write(self, path: Path | str, content: str | bytes | dict[str, Any]) -> Path:
        """Write ``content`` (a dict as JSON) at ``path``: relative paths are under HOME,
        ``/etc/...`` lands in this sandbox's view of /etc, others must be in the sandbox."""
        path = Path(path)
        if path.is_absolute() and path.is_relative_to(self.root):
            target = path
        elif path.is_absolute():
            parts = path.parts
            assert parts[1] == "etc", f"only /etc is overlaid, not {path}"
            target = self._etc / "upper" / Path(*parts[2:])
        else:
            target = self.home / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            content = json.dumps(content, indent=2)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)
        return target

    def _write_names(self) -> None:
        """Names resolve from this hosts file only: a name it lacks fails to resolve instead of
        reaching the machine's DNS server."""
        hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n" + "".join(
            f"{ip} {name}\n" for name, ip in self.hosts.items())
        (self._etc / "upper" / "hosts").write_text(hosts)
        (self._etc / "upper" / "nsswitch.conf").write_text(
            "passwd: files\ngroup: files\nshadow: files\nhosts: files\n")
        # runtimes with their own resolver (Bun's) and DNS libraries read this, not nsswitch:
        # the test's own resolver, or a loopback address where nothing answers (fast failure)
        (self._etc / "upper" / "resolv.conf").write_text(
            f"nameserver {self.nameserver}\noptions timeout:1 attempts:1\n")

    def run(self, argv: list[str], env: dict[str, str] | None = None, *, timeout: float,
            cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` with exactly ``env`` (plus PATH, HOME, LANG) inside the sandbox."""
        self._write_names()
        full_env = {"PATH": BASE_PATH, "HOME": str(self.home), "LANG": "C.UTF-8",
                    "PWD_IN": str(cwd or self.project)}
        full_env.update(env or {})
        command = ["unshare", "--mount", "--", "sh", "-c", _ENTER, "sh", str(self._etc), *argv]
        return subprocess.run(command, env=full_env, capture_output=True, text=True,
                              timeout=timeout, input=stdin, check=False)

    def shell_line(self, argv: list[str], env: dict[str, str]) -> str:
        """The same run as one shell command (for a terminal driven by tmux)."""
        self._write_names()
        full_env = {"PATH": BASE_PATH, "HOME": str(self.home), "LANG": "C.UTF-8",
                    "TERM": "xterm-256color", "PWD_IN": str(self.project), **env}
        assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in full_env.items())
        inner = " ".join(shlex.quote(a) for a in ["sh", "-c", _ENTER, "sh", str(self._etc),
                                                  *argv])
        return f"env -i {assigns} unshare --mount -- {inner}"


def tool_path(name: str) -> str:
    """An executable on this machine's PATH (for commands run inside the sandbox)."""
    found = shutil.which(name) or shutil.which(name, path=os.defpath)
    if found is None:
        raise FileNotFoundError(name)
    return found
