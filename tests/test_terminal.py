"""netcheck in a real pseudo-terminal: the live status line names the hop being waited on,
with the time spent and left of its bound, and each step's lines come as the step finishes."""

from __future__ import annotations

import os
import signal
import sys

import pexpect
import pytest

if sys.platform == "win32":  # pragma: no cover - pexpect.spawn needs a POSIX pty
    pytest.skip("no pty on Windows", allow_module_level=True)


def default_sigint() -> None:
    """Ctrl-C as a user's terminal delivers it, whatever SIGINT state the test process
    passes on (see tests/test_output_robustness.py)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


SGR = r"(?:\x1b\[[0-9;]*m)*"  # bold and the like, which NO_COLOR leaves


def spawn(*args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return pexpect.spawn(sys.executable, ["-m", "netcheck", *args], encoding="utf-8",
                         env={**base, "TERM": "xterm-256color", "NO_COLOR": "1",
                              **(env or {})},
                         dimensions=(40, 160), timeout=15, preexec_fn=default_sigint)


def test_status_line_names_the_hop_being_waited_on(base_args, silent_listener, tmp_path):
    """A listener that accepts and never answers TLS: the wait is on the resource step's tls hop."""
    args = [a for a in base_args if a not in ("--timeout", "3")]
    child = spawn("check", f"https://127.0.0.1:{silent_listener.port}/mcp", *args,
                  "--timeout", "4", "--json", str(tmp_path / "r.json"))
    # the settings step is shown as soon as it finished: before the TLS wait even shows
    child.expect(rf"✓ {SGR}settings")
    child.expect(r"resource › tls: waiting (\d+\.\d) s of its 4 s bound \((\d+\.\d) s left\)")
    first = float(child.match.group(1))
    child.expect(r"resource › tls: waiting (\d+\.\d) s of its 4 s bound \((\d+\.\d) s left\)")
    later, left = float(child.match.group(1)), float(child.match.group(2))
    assert later >= first and abs(later + left - 4) < 0.25  # the clock runs
    child.expect(rf"FAILED{SGR} at resource › tls \[tls_timeout\]")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_ctrl_c_in_a_terminal(base_args, silent_listener, tmp_path):
    report = tmp_path / "r.json"
    child = spawn("check", f"https://127.0.0.1:{silent_listener.port}/mcp", *base_args,
                  "--timeout", "20", "--json", str(report))
    child.expect(r"resource › tls: waiting")
    child.sendintr()
    child.expect(r"INTERRUPTED")  # the verdict line
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert '"interrupted": true' in report.read_text()
