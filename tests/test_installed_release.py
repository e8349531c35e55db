"""Which release of the user's client is installed (netcheck.profiles.installed): read from the
files an installer leaves, else from ``COMMAND --version``, and said beside the release the
profile was measured on, in the report and the output."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from netcheck.profiles import PROFILES
from netcheck.profiles.installed import VERSION_WAIT, find_release
from tests.real_clients import claude_code

CLAUDE = PROFILES["claude-code"]
MEASURED = CLAUDE.release


def npm_global(prefix: Path, name: str, version: str, bin_name: str, target: str) -> Path:
    """npm's layout on Linux and macOS: PREFIX/lib/node_modules/NAME, PREFIX/bin/BIN a link."""
    package = prefix / "lib" / "node_modules" / name
    (package / Path(target).parent).mkdir(parents=True, exist_ok=True)
    (package / "package.json").write_text(json.dumps({"name": name, "version": version}))
    (package / target).write_text("#!/bin/sh\nexit 0\n")
    (package / target).chmod(0o755)
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    os.symlink(package / target, prefix / "bin" / bin_name)
    return prefix / "bin"


def test_an_npm_install_is_read_from_its_package_metadata(tmp_path: Path) -> None:
    bin_dir = npm_global(tmp_path, "@anthropic-ai/claude-code", "2.1.337", "claude", "cli.js")
    found = find_release(CLAUDE, {"PATH": str(bin_dir)}, run=_never)
    assert found is not None
    assert (found.release, found.how) == ("2.1.337", "package metadata")


def test_the_native_installer_names_its_binary_by_release(tmp_path: Path) -> None:
    versions = tmp_path / ".local" / "share" / "claude" / "versions"
    versions.mkdir(parents=True)
    (versions / "2.1.340").write_text("")
    (versions / "2.1.340").chmod(0o755)
    (tmp_path / "bin").mkdir()
    os.symlink(versions / "2.1.340", tmp_path / "bin" / "claude")
    found = find_release(CLAUDE, {"PATH": str(tmp_path / "bin")}, run=_never)
    assert found is not None and (found.release, found.how) == ("2.1.340", "install path")
    assert found.to_json(CLAUDE)["measured_on_this_release"] is (MEASURED == "2.1.340")


def test_an_npm_shim_beside_its_node_modules_as_on_windows(tmp_path: Path) -> None:
    package = tmp_path / "node_modules" / "@anthropic-ai" / "claude-code"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "@anthropic-ai/claude-code",
                                                      "version": MEASURED}))
    (tmp_path / "claude").write_text("#!/bin/sh\n")
    (tmp_path / "claude").chmod(0o755)
    found = find_release(CLAUDE, {"PATH": str(tmp_path)}, run=_never)
    assert found is not None and found.release == MEASURED
    assert found.to_json(CLAUDE)["summary"] == (f"Claude Code {MEASURED} installed; profile "
                                                f"measured on {MEASURED}")


def test_without_metadata_the_release_comes_from_version_and_its_wait_is_bounded(
        tmp_path: Path) -> None:
    (tmp_path / "claude").write_text("#!/bin/sh\n")
    (tmp_path / "claude").chmod(0o755)
    asked: list[list[str]] = []

    def version(argv: list[str]) -> str:
        asked.append(argv)
        return "2.1.999 (Claude Code)\n"
    found = find_release(CLAUDE, {"PATH": str(tmp_path)}, run=version)
    assert found is not None and found.release == "2.1.999"
    assert asked == [[str(tmp_path / "claude"), "--version"]]
    summary = found.to_json(CLAUDE)["summary"]
    assert f"profile measured on {MEASURED}, not on 2.1.999" in summary
    assert "python -m tests.real_clients.measure --client claude-code" in summary
    (tmp_path / "claude").write_text("#!/bin/sh\nsleep 30\n")
    started = time.monotonic()
    slow = find_release(CLAUDE, {"PATH": str(tmp_path)})
    assert time.monotonic() - started < VERSION_WAIT + 2
    assert slow is not None and slow.release is None and "could not be read" in slow.how


def test_a_client_that_is_not_installed_is_said_so(tmp_path: Path) -> None:
    found = find_release(CLAUDE, {"PATH": str(tmp_path)}, run=_never)
    assert found is not None and found.release is None
    assert found.to_json(CLAUDE)["summary"] == (
        f"Claude Code was not found here (no claude on PATH); profile measured on {MEASURED}")


def test_an_sdk_profile_has_no_program_to_look_for() -> None:
    assert find_release(PROFILES["node"], {"PATH": os.defpath}) is None


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_s_release_is_what_curl_says() -> None:
    said = subprocess.run(["curl", "--version"], capture_output=True, text=True,
                          check=True).stdout
    release = re.match(r"curl (\d+\.\d+\.\d+)", said)
    found = find_release(PROFILES["curl"], {"PATH": os.environ["PATH"]})
    assert found is not None and release is not None and found.release == release.group(1)


@pytest.mark.real_client
def test_the_real_claude_code_installed_by_npm_is_found_at_the_release_it_reports(
        tmp_path: Path) -> None:
    """The oracle: what ``claude --version`` itself prints (the pinned npm install)."""
    exe = claude_code.binary()
    if exe is None:
        pytest.skip(claude_code.missing() or "")
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.defpath, "HOME": str(tmp_path), **claude_code.BASE_ENV})
    reported = claude_code.VERSION_LINE.match(done.stdout.strip())
    assert reported, done.stdout
    bin_dir = claude_code.NODE_DIR / "node_modules" / ".bin"
    found = find_release(CLAUDE, {"PATH": str(bin_dir)}, run=_never)
    assert found is not None and found.release == reported.group(1), found


def test_the_report_and_the_output_name_both_releases(run_cli, tmp_path: Path, base_args,
                                                      plain_tls) -> None:
    bin_dir = npm_global(tmp_path / "npm", "@anthropic-ai/claude-code", "2.1.1", "claude",
                         "cli.js")
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args,
                     env={"PATH": str(bin_dir)})
    assert result.status == 0, result.stdout
    installed = result.report["client_profile"]["installed"]
    assert installed["release"] == "2.1.1" and installed["profile_release"] == MEASURED
    assert installed["measured_on_this_release"] is False
    assert f"client: Claude Code 2.1.1 installed; profile measured on {MEASURED}, not on " \
           "2.1.1" in result.stdout


def test_a_run_whose_first_connection_fails_still_names_the_release_and_ends_at_once(
        run_cli, tmp_path: Path, base_args) -> None:
    """No request goes out (nothing listens): the lookup, held until one would, starts when the
    run ends, and the run does not wait out its deadline for it."""
    bin_dir = npm_global(tmp_path / "npm", "@anthropic-ai/claude-code", "2.1.1", "claude",
                         "cli.js")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: refused
    started = time.monotonic()
    result = run_cli("check", f"https://mcp.test:{port}/mcp", *base_args, "--deadline", "60",
                     env={"PATH": str(bin_dir)})
    assert time.monotonic() - started < 10, "the run waited for the lookup"
    assert result.diagnosis[1:] == ("tcp", "tcp_refused"), result.stdout
    assert result.report["client_profile"]["installed"]["release"] == "2.1.1"


def _never(argv: list[str]) -> str:
    raise AssertionError(f"ran {argv}: the files should have told")


@pytest.mark.real_client
@pytest.mark.parametrize("profile", ["codex", "gemini", "copilot", "mcp-remote"])
def test_each_real_client_installed_by_npm_is_found_at_the_release_it_reports(
        tmp_path: Path, profile: str) -> None:
    """The oracle: what the pinned client's own ``--version`` prints, run in a sandbox."""
    from tests.real_clients import codex, copilot, gemini, mcp_remote
    from tests.real_clients.sandbox import Sandbox, available

    driver = {"codex": codex, "gemini": gemini, "copilot": copilot,
              "mcp-remote": mcp_remote}[profile]
    reason = available() or driver.missing()
    if reason:
        pytest.skip(reason)
    reported = driver.version(Sandbox(tmp_path))
    bin_dir = claude_code.NODE_DIR / "node_modules" / ".bin"
    found = find_release(PROFILES[profile], {"PATH": str(bin_dir)}, run=_never)
    assert found is not None and found.release == reported == PROFILES[profile].release, found
