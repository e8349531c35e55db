"""Measure Claude Code's OAuth callback listener: the redirect_uri it sends, the address it
listens on (``ss -ltnp`` while it waits for the browser), how it picks the port, and what a port
held by another socket does. Results: ``notes/claude-code-callback.md``.

    python -m tests.real_clients.measure_callback

Each case drives ``/mcp`` -> Authenticate (``claude_code_auth.authenticate``) against the SDK lab;
the "browser" only looks at the listeners and never calls the callback.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.confine import confine_or_exit
from tests.real_clients import claude_code_auth
from tests.real_clients.rig import Rig


def _listeners() -> list[str]:
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=False).stdout
    return [" ".join(line.split()) for line in out.splitlines() if '"claude"' in line]


def _case(rig: Rig, lab_url: str, name: str, oauth: dict[str, Any] | None = None,
          env: dict[str, str] | None = None) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def browser(url: str) -> None:
        seen["listening"] = _listeners()

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        box = rig.sandbox(Path(tmp))
        server: dict[str, Any] = {"type": "http", "url": lab_url}
        if oauth:
            server["oauth"] = oauth
        out = claude_code_auth.authenticate(
            box, "t", server, {"NODE_EXTRA_CA_CERTS": rig.path("public-ca.pem"), **(env or {})},
            browser=browser, timeout=60)
        return {"case": name, "state": out.state, "redirect_uri": out.query.get("redirect_uri"),
                "error_line": out.error_line, "listening": seen.get("listening")}


def _held(family: socket.AddressFamily, address: str, port: int) -> socket.socket:
    sock = socket.socket(family)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((address, port))
    sock.listen(1)
    return sock


def main() -> None:
    confine_or_exit()  # before any thread: nothing a client does leaves loopback
    rig = Rig()
    try:
        url = rig.sdk_lab().mcp_url
        results = [_case(rig, url, f"no port set, run {i}") for i in (1, 2, 3)]
        results.append(_case(rig, url, "oauth.callbackPort 41234", {"callbackPort": 41234}))
        results.append(_case(rig, url, "MCP_OAUTH_CALLBACK_PORT=42345", None,
                             {"MCP_OAUTH_CALLBACK_PORT": "42345"}))
        results.append(_case(rig, url, "oauth.callbackPort 41234 and the variable 42345",
                             {"callbackPort": 41234}, {"MCP_OAUTH_CALLBACK_PORT": "42345"}))
        with _held(socket.AF_INET, "127.0.0.1", 43456):
            results.append(_case(rig, url, "oauth.callbackPort 43456, held on 127.0.0.1",
                                 {"callbackPort": 43456}))
            results.append(_case(rig, url, "MCP_OAUTH_CALLBACK_PORT=43456, held on 127.0.0.1",
                                 None, {"MCP_OAUTH_CALLBACK_PORT": "43456"}))
        with _held(socket.AF_INET6, "::1", 43457):
            results.append(_case(rig, url, "oauth.callbackPort 43457, held on ::1 only",
                                 {"callbackPort": 43457}))
    finally:
        rig.close()
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
