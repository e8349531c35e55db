"""Property: whatever secrets a run is given, none leaves it, and the failure category stays.

Hypothesis draws a proxy password, a key passphrase, a client secret, bearer and refresh
tokens, a cookie and query values, and plants them where a user gives them to netcheck: the
proxy variable, the key passphrase variable (the key really is encrypted with it), ``--header``
values and the MCP URL's query; and a signature the servers put in the query of every URL they
hand out (the challenge's resource_metadata, the authorization, token and registration
endpoints), so every URL the run touches carries one. The MCP server of the demo lab echoes
every request header and its request line back in its 401 page and headers, as a hostile
server would. Neither the JSON
report nor the terminal output (plain and ``--verbose``) may contain any form of any secret:
as given, percent-encoded, or inside Basic credentials. With a wrong proxy password, the report
must still say the proxy refused the credentials.

netcheck check has no option for a client secret or a refresh token (it never uses real
ones), so those are planted where a user could still put them: a header and the URL's query.
netcheck login receives real ones: the second property has the lab's authorization server hand
out drawn values as its codes, refresh tokens, access tokens' signatures and registration
tokens, and none may appear in the login's output or report.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from netcheck.lab.https import LabHttpsServer, LabRequest, LabResponse
from netcheck.lab.lab import PROXY_USER, Lab, running_lab

printable = st.characters(min_codepoint=33, max_codepoint=126)  # what fits in a header
secret = st.text(printable, min_size=10, max_size=24)


SIGNED = {"sig": "unset"}  # a secret the servers themselves put in the URLs they hand out


def _signed(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}sig={quote(SIGNED['sig'], safe='')}"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """The demo lab, made hostile: its MCP server echoes each request back in its 401 page
    and headers, and both servers hand out URLs signed with a secret query value."""
    with running_lab(None) as started:
        mcp, auth = (next(c for c in started._closers if isinstance(c, LabHttpsServer)
                          and kind in repr(c.app)) for kind in ("McpServer", "Authorization"))
        honest_mcp, honest_auth = mcp.app, auth.app

        def echoing(request: LabRequest) -> LabResponse:
            answer = honest_mcp(request)
            if answer.status != 401:
                return answer
            answer.headers = [(k, re.sub(r'resource_metadata="([^"]*)"',
                                         lambda m: f'resource_metadata="{_signed(m.group(1))}"',
                                         v)) for k, v in answer.headers]
            echo = f"{request.method} {request.path}\n" + "\n".join(
                f"{k}: {v}" for k, v in request.headers.items())
            answer.body += echo.encode()
            answer.headers.append(("X-Echo", echo.replace("\n", " | ")))
            return answer

        def signing(request: LabRequest) -> LabResponse:
            answer = honest_auth(request)
            if request.path.startswith("/.well-known/") and answer.status == 200:
                doc = json.loads(answer.body)
                for name in ("authorization_endpoint", "token_endpoint",
                             "registration_endpoint"):
                    doc[name] = _signed(doc[name])
                answer.body = json.dumps(doc).encode()
            return answer

        mcp.app, auth.app = echoing, signing
        yield started


@pytest.fixture(scope="module")
def vocabulary(lab: Lab) -> str:
    """What any report and terminal output contain anyway (field names, messages, the lab's
    names): a drawn secret found in there could not be told from a leak, so it is skipped."""
    import io

    from netcheck.cli import main

    options = lab.options()
    assert options.public_roots and options.dns_server
    text = ""
    for extra in ([], ["--verbose"]):
        out, err = io.StringIO(), io.StringIO()
        main(["check", lab.mcp_url, "--public-roots", options.public_roots, "--dns-server",
              options.dns_server, "--json", "-", *extra], environ=lab.env, stdout=out,
             stderr=err)
        text += out.getvalue() + err.getvalue()
    return text


def forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote(value)}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(proxy_password=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=10,
                              max_size=24),
       passphrase=secret, client_secret=secret, bearer=secret, refresh=secret, cookie=secret,
       query_value=secret, signature=secret, wrong_password=st.booleans())
def test_no_planted_secret_leaves_and_the_category_stays(
        run_cli, lab, vocabulary, tmp_path: Path, proxy_password, passphrase, client_secret,
        bearer, refresh, cookie, query_value, signature, wrong_password):
    drawn = (proxy_password, passphrase, client_secret, bearer, refresh, cookie, query_value,
             signature)
    assume(not any(value in vocabulary for value in drawn))
    SIGNED["sig"] = signature
    lab.proxy.config.password = proxy_password + ("-not" if wrong_password else "")
    cert = tmp_path / "client-cert.pem"
    key = tmp_path / "client-key.pem"
    material = Path(lab.client_pem).read_bytes()
    private = serialization.load_pem_private_key(material, None)
    cert.write_bytes(material[:material.index(b"-----BEGIN PRIVATE KEY-----")])
    key.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode())))
    env = {"HTTPS_PROXY": f"http://{PROXY_USER}:{quote(proxy_password, safe='')}@127.0.0.1:"
                          f"{lab.proxy.port}",
           "CLAUDE_CODE_CLIENT_CERT": str(cert), "CLAUDE_CODE_CLIENT_KEY": str(key),
           "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": passphrase}
    url = (f"{lab.mcp_url}?k={quote(query_value, safe='')}"
           f"&client_secret={quote(client_secret, safe='')}")
    options = lab.options()
    assert options.public_roots and options.dns_server
    args = ["--public-roots", options.public_roots, "--dns-server", options.dns_server,
            "--header", f"Authorization: Bearer {bearer}", "--header", f"Cookie: sid={cookie}",
            "--header", f"X-Refresh-Token: {refresh}",
            "--header", f"X-Client-Secret: {client_secret}"]
    plain = run_cli("check", url, *args, env=env)
    verbose = run_cli("check", url, *args, "--verbose", env=env)

    basic = base64.b64encode(f"{PROXY_USER}:{proxy_password}".encode()).decode()
    planted = set().union(*(forms(value) for value in drawn), {basic})
    for result in (plain, verbose):
        outputs = {"json": json.dumps(result.report), "stdout": result.stdout,
                   "stderr": result.stderr}
        for where, text in outputs.items():
            for value in planted:
                assert value not in text, f"{value!r} leaked into {where}"
        if wrong_password:
            assert result.diagnosis == ("resource", "proxy_connect", "proxy_auth_rejected")
            assert "proxy rejected the credentials" in result.report["verdict"]["message"]
        else:
            assert result.status == 0, result.stdout
            assert result.report["ok"] is True
            names = [s["step"] for s in result.report["steps"]]
            assert names[-1] == "token_refresh" and "<redacted>" not in names
    if not wrong_password:  # the secrets really travelled: the server echoed them
        assert "<redacted>" in json.dumps(verbose.report)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(secret.map(lambda v: f"Zq~{v}"), min_size=8, max_size=8, unique=True))
def test_no_secret_a_login_receives_leaves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           values: list[str]) -> None:
    """Each drawn value starts with a mark no output holds ("Zq~"), so a value that is also an
    ordinary word ("invalid_to", found by Hypothesis) cannot pass for a leak."""
    import io
    import secrets as real_secrets
    import types

    from netcheck.cli import main
    from netcheck.lab import apps
    from tests.login.test_login_lab import browser_env, lab_args

    with running_lab(None) as login_lab:
        handed = iter(values)
        monkeypatch.setattr(apps, "secrets", types.SimpleNamespace(
            token_urlsafe=lambda n=None: next(handed, None) or real_secrets.token_urlsafe(n),
            token_hex=real_secrets.token_hex))
        report = tmp_path / "login-report.json"
        out = io.StringIO()
        status = main(lab_args(login_lab, report, "--verbose"), browser_env(login_lab), out,
                      io.StringIO())
        text = report.read_text(encoding="utf-8") + out.getvalue()
        used = [v for v in values if v in login_lab.authorization_server.secrets_seen or
                any(v in t for t in login_lab.authorization_server.tokens.access)]
    assert status == 0, out.getvalue()
    assert len(used) >= 5  # codes, refresh and access tokens, the registration token
    for value in used:
        for form in forms(value):
            assert form not in text, f"{value!r} leaked"
