"""netcheck login with a real browser: headless Chromium (the Debian package, installed by
.ci/run) is the BROWSER command. It opens the authorization URL, follows the authorization
server's redirect to netcheck's loopback listener and exits; netcheck exchanges the code and
calls the MCP server with the token. Chromium goes direct, resolves the lab's names through
--host-resolver-rules (loopback only), and does not check the lab's throwaway certificates
(--ignore-certificate-errors: its trust store is not what is tested here); the lab's
authorization server asks it for no client certificate."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from netcheck.cli import main
from netcheck.lab.lab import AUTH_HOST, MCP_HOST, running_lab
from tests.login.test_login_lab import browser_env, lab_args

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install "
                    "chromium; .ci/run installs it)")
def test_a_login_through_headless_chromium_completes(tmp_path: Path) -> None:
    profile = tmp_path / "chromium-profile"
    rules = f"MAP {AUTH_HOST} 127.0.0.1, MAP {MCP_HOST} 127.0.0.1"
    # direct (no proxy: Chromium would take HTTPS_PROXY, whose Basic auth headless Chromium
    # cannot answer), and none of its own background traffic (the session is confined to
    # loopback anyway)
    command = (f"{CHROMIUM} --headless=new --no-sandbox --disable-gpu --no-first-run "
               f"--user-data-dir={profile} '--host-resolver-rules={rules}' --no-proxy-server "
               "--disable-background-networking --disable-component-update --disable-sync "
               "--disable-domain-reliability --no-pings --disable-breakpad "
               "--ignore-certificate-errors --dump-dom %s")
    with running_lab(None, open_authorization_server=True) as lab:
        report = tmp_path / "report.json"
        out = io.StringIO()
        env = {**browser_env(lab, command), "HOME": str(tmp_path)}
        status = main(lab_args(lab, report), env, out, io.StringIO())
        saved = json.loads(report.read_text(encoding="utf-8"))
        assert status == 0, out.getvalue()
        called = next(s for s in saved["steps"] if s["step"] == "authorized_request")
        assert next(h for h in called["hops"] if h["hop"] == "oauth")["details"]["tools"] == 2
        for secret in lab.authorization_server.secrets_seen:
            assert secret not in out.getvalue() and secret not in json.dumps(saved)
