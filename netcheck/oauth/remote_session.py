"""Is the browser on another machine? Signs that this shell runs remotely, and how to forward
the client's callback port back to the machine with the browser.

Everything is read from what is passed in: an environment mapping and a predicate saying
whether a marker file exists, so tests simulate SSH, WSL or a container without touching the
machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# (variable, kind): set in the session of that kind
VARIABLES: tuple[tuple[str, str], ...] = (
    ("SSH_CONNECTION", "ssh"), ("SSH_CLIENT", "ssh"), ("SSH_TTY", "ssh"),
    ("WSL_DISTRO_NAME", "wsl"), ("WSL_INTEROP", "wsl"),
    ("CODESPACES", "codespaces"), ("GITPOD_WORKSPACE_ID", "gitpod"),
    ("CLOUD_SHELL", "cloud_shell"), ("CODER_AGENT_URL", "coder"),
    ("REMOTE_CONTAINERS", "container"), ("REMOTE_CONTAINERS_IPC", "container"),
    ("container", "container"),
)
# (path, kind): a file that exists in sessions of that kind
MARKERS: tuple[tuple[str, str], ...] = (
    ("/.dockerenv", "container"), ("/run/.containerenv", "container"),
    ("/proc/sys/fs/binfmt_misc/WSLInterop", "wsl"),
)
KIND_NAMES = {"ssh": "an SSH session", "wsl": "WSL", "codespaces": "GitHub Codespaces",
              "gitpod": "a Gitpod workspace", "cloud_shell": "Google Cloud Shell",
              "coder": "a Coder workspace", "container": "a container"}


@dataclass(frozen=True)
class RemoteSession:
    kind: str  # a key of KIND_NAMES
    evidence: tuple[str, ...]  # the variables and files that say so

    @property
    def name(self) -> str:
        return KIND_NAMES[self.kind]


def detect(environ: Mapping[str, str],
           exists: Callable[[str], bool] = os.path.exists) -> list[RemoteSession]:
    """Every kind of remote session the environment and marker files show, in the order of
    :data:`VARIABLES` then :data:`MARKERS` (SSH first: it decides the forwarding command)."""
    found: dict[str, list[str]] = {}
    for name, kind in VARIABLES:
        if environ.get(name):
            found.setdefault(kind, []).append(f"env {name}")
    for path, kind in MARKERS:
        if _exists(exists, path):
            found.setdefault(kind, []).append(path)
    return [RemoteSession(kind, tuple(evidence)) for kind, evidence in found.items()]


def _exists(exists: Callable[[str], bool], path: str) -> bool:
    try:
        return exists(path)
    except OSError:
        return False


def forwarding(session: RemoteSession, port: int | str, listen: str,
               environ: Mapping[str, str]) -> str:
    """What makes ``http://localhost:PORT`` in the user's browser reach ``listen:PORT`` here
    (``port`` may be a placeholder such as "PORT")."""
    if session.kind == "ssh":
        target, ssh_port = _ssh_target(environ)
        option = f" -p {ssh_port}" if ssh_port and ssh_port != "22" else ""
        return (f"on the machine with the browser, before signing in: "
                f"ssh -N -L {port}:{listen}:{port}{option} {target} (VS Code Remote-SSH: "
                f"forward port {port} in the Ports view)")
    if session.kind == "codespaces":
        name = environ.get("CODESPACE_NAME") or "<codespace>"
        return (f"on the machine with the browser: gh codespace ports forward {port}:{port} "
                f"-c {name} (or forward port {port} in the editor's Ports view)")
    if session.kind == "container":
        return (f"the client listens on {listen} inside the container, which a published port "
                f"(docker run -p) does not reach: run the container with --network host, or "
                f'add "forwardPorts": [{port}] to devcontainer.json (VS Code forwards it)')
    if session.kind == "wsl":
        return (f"WSL 2 forwards localhost:{port} from Windows by default (localhostForwarding, "
                "or networkingMode=mirrored in .wslconfig); if the browser cannot connect, "
                "check those settings in %UserProfile%\\.wslconfig")
    return (f"forward port {port} of this workspace to localhost:{port} on the machine with "
            "the browser (the editor's Ports view)")


def _ssh_target(environ: Mapping[str, str]) -> tuple[str, str | None]:
    """``user@address`` of this machine as the SSH client reached it, and the SSH port."""
    user = environ.get("USER") or environ.get("LOGNAME") or "<you>"
    parts = (environ.get("SSH_CONNECTION") or "").split()
    if len(parts) == 4:
        return f"{user}@{parts[2]}", parts[3]
    return f"{user}@<this host>", None
