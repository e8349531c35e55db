"""Running netcheck exactly where the real client ran: the same sandbox (HOME, project
directory, /etc view and host names) and the same environment, as a user would run it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.real_clients.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]


def run_netcheck(box: Sandbox, url: str, profile: str, env: dict[str, str],
                 args: tuple[str, ...] = (), timeout: float = 60,
                 repo: Path | None = None) -> dict[str, Any]:
    """``netcheck check URL --client PROFILE ARGS`` in ``box``; the report it wrote (``repo``:
    another netcheck's checkout, e.g. an older release, to compare)."""
    report = box.root / f"netcheck-{profile}.json"
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "netcheck", "check", url, "--client", profile,
            "--timeout", "5", "--json", str(report), *args]
    done = box.run(argv, {"PYTHONPATH": str(repo or REPO), **env}, timeout=timeout)
    assert done.returncode in (0, 1), (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    doc: dict[str, Any] = json.loads(report.read_text())
    return doc
