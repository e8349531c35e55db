"""Keeping the whole test session on loopback, by construction.

Before any test runs (and before any thread exists), the pytest process moves into a network
namespace of its own that holds only the loopback interface. Every server the tests start,
netcheck, and every real client they drive (Claude Code, Codex, Gemini CLI, Copilot CLI,
mcp-remote, the SDKs: clients that call home at start) are its children or threads, so nothing
any of them does can reach beyond 127.0.0.0/8 and ::1: a connection elsewhere fails at once
with "network unreachable", and a name the tests' own resolvers do not serve goes nowhere.

It needs root (CI runs as root; the real-client sandboxes need it too). Without root the
session runs unconfined, and says so in pytest's header.
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import threading

CLONE_NEWNET = 0x40000000


def confine_to_loopback() -> str:
    """Enter a new network namespace with only ``lo`` up; what happened, for the header."""
    if os.geteuid() != 0:
        return "not confined to loopback (not root): tests must keep to loopback by themselves"
    if threading.active_count() > 1:
        return "not confined to loopback: threads were already running"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        return f"not confined to loopback: unshare failed ({os.strerror(ctypes.get_errno())})"
    done = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True,
                          timeout=10, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cannot bring up loopback in the test namespace: {done.stderr}")
    return "confined to loopback: a network namespace holding only lo"


def interfaces() -> list[str]:
    """The network interfaces this process sees."""
    return [name for _index, name in socket.if_nameindex()]


def confine_or_exit() -> None:
    """For the re-measure scripts, which run real clients outside pytest: confined, or not
    at all."""
    said = confine_to_loopback()
    if not said.startswith("confined"):
        raise SystemExit(f"refusing to run real clients: {said}")
