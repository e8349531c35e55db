"""Running the MCP Python SDK's own client (``py_client.py``) inside a :class:`Sandbox`.

    outcome = run(box, {"url": lab.mcp_url, "cafile": pki.path("public-ca.pem")}, env={})
    outcome.reached  # "authorization_url", "connected" or "error"

The client runs with the venv's python, ``PYTHONPATH`` = the repository, and exactly ``env``
(plus the sandbox's PATH, HOME, LANG): put proxy / TLS variables there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.real_clients.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() \
    else sys.executable


@dataclass
class PyOutcome:
    reached: str  # "authorization_url", "connected", "error"
    authorization_url: str | None
    error: dict[str, Any] | None  # {"type", "message", "chain"}
    requests: list[list[Any]]  # [method, url, status | "ErrorType: message"]
    via: list[str] = field(default_factory=list)  # "direct" or the proxy httpx2 chose, per request
    raw: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""

    @property
    def error_type(self) -> str | None:
        return self.error["type"] if self.error else None

    @property
    def error_message(self) -> str:
        return self.error["message"] if self.error else ""


def run(box: Sandbox, job: dict[str, Any], env: dict[str, str] | None = None,
        timeout: float = 30) -> PyOutcome:
    """Run one job in ``box``; ``job['timeout_s']`` defaults to ``timeout - 5``."""
    job = {"timeout_s": max(1.0, timeout - 5), **job}
    full_env = {"PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    try:
        done = box.run([PYTHON, "-m", "tests.real_clients.py_client"], full_env,
                       timeout=timeout, stdin=json.dumps(job))
    except subprocess.TimeoutExpired as exc:
        return PyOutcome("error", None, {"type": "DriverTimeout", "message": str(exc),
                                         "chain": []}, [], stderr=str(exc.stderr or ""))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return PyOutcome("error", None, {"type": "NoOutput", "message":
                                         f"rc={done.returncode} {done.stderr[-2000:]}",
                                         "chain": []}, [], stderr=done.stderr)
    data = json.loads(lines[-1])
    return PyOutcome(data["reached"], data.get("authorization_url"), data.get("error"),
                     data.get("requests", []), data.get("via", []), data, done.stderr)
