"""The real clients, each behind one interface: run a case's setup, say how far it got.

A :class:`Setup` is one user's situation (the MCP URL, the environment, settings files, a client
certificate); each client takes it the way its users give it (Claude Code reads variables and
settings files; an SDK program is given its certificate in code), and netcheck is run with the
profile that claims to be that client, in the same sandbox, as its user would run it.
"""

from __future__ import annotations

import re
from typing import Any

from tests.real_clients import (
    claude_code,
    claude_code_auth,
    codex,
    copilot,
    gemini,
    mcp_remote,
    py_sdk,
    ts_sdk,
)
from tests.real_clients.agreement import Outcome, Request, request, step_of, stop_from
from tests.real_clients.sandbox import Sandbox
from tests.real_clients.setup import Cert, Client, Setup


def _write_files(box: Sandbox, setup: Setup) -> None:
    for path, content in setup.files.items():
        box.write(path.replace("{project}", str(box.project)), content)


# --- the MCP TypeScript SDK --------------------------------------------------------------------

TS_RULES = (
    (r"does not support code challenge method", "authorization_server_metadata"),
    (r"does not support dynamic client registration", "client_registration"),
    (r"Protected resource .* does not match", "protected_resource_metadata"),
    (r"trying to load (OAuth|OpenID provider) metadata", "authorization_server_metadata"),
    (r"Streamable HTTP error|Unexpected content type|Server returned", "resource"),
)


def _run_ts(box: Sandbox, setup: Setup) -> Outcome:
    _write_files(box, setup)
    job: dict[str, Any] = {"url": setup.url, **setup.job}
    env = dict(setup.env)
    if setup.cert is not None:
        job.update({"cert": setup.cert.cert, "key": setup.cert.key or setup.cert.cert})
        if setup.cert.passphrase is not None:
            env["CLIENT_KEY_PASSPHRASE"] = setup.cert.passphrase
            job["passphrase_env"] = "CLIENT_KEY_PASSPHRASE"
    out = ts_sdk.run(box, job, env)
    said = out.error_text or out.reached
    if out.ok:
        return Outcome(True, None, out.reached)
    if out.stage in ("setup", "dispatcher", "node"):
        return Outcome(False, "settings", said[:300])
    requests = [request(step_of(r["method"], r["url"], setup.url), r.get("status"),
                        r.get("content_type")) for r in out.requests]
    return Outcome(False, stop_from(requests, TS_RULES, said), said[:300])


# --- the MCP Python SDK ------------------------------------------------------------------------

PY_RULES = (
    (r"issuer mismatch", "authorization_server_metadata"),
    (r"Protected resource metadata request failed", "protected_resource_metadata"),
    (r"Unexpected content type|Failed to parse JSON response|SSE stream ended|"
     r"Server returned an error response", "resource"),
)


def _run_py(box: Sandbox, setup: Setup) -> Outcome:
    _write_files(box, setup)
    job: dict[str, Any] = {"url": setup.url, **setup.job}
    env = dict(setup.env)
    if setup.cert is not None:
        job.update({"cert": setup.cert.cert, "key": setup.cert.key})
        if setup.cert.passphrase is not None:
            env["CLIENT_KEY_PASSPHRASE"] = setup.cert.passphrase
            job["passphrase_env"] = "CLIENT_KEY_PASSPHRASE"
    out = py_sdk.run(box, job, env)
    error = out.error or {}
    said = f"{error.get('type')}: {error.get('message')}" if out.error else out.reached
    if out.reached in ("authorization_url", "connected"):
        return Outcome(True, None, out.reached)
    if out.raw.get("stage") in ("ssl_context", "client"):
        return Outcome(False, "settings", said[:300])
    requests = [_py_request(r, setup.url) for r in out.requests]
    return Outcome(False, stop_from(requests, PY_RULES, said), said[:300])


def _py_request(record: list[Any], mcp_url: str) -> Request:
    method, url, answer = record[0], record[1], record[2]
    content_type = record[3] if len(record) > 3 else None
    return request(step_of(method, url, mcp_url), answer if isinstance(answer, int) else None,
                   content_type)


# --- Claude Code ---------------------------------------------------------------------------------

CLAUDE_RULES = (
    (r"Invalid proxy URL|FailedToOpenSocket|Proxy settings must be a complete URL", "settings"),
    (r"Protected resource .* does not match", "protected_resource_metadata"),
    (r"does not support code challenge method|\"jwks_uri\"", "authorization_server_metadata"),
    (r"does not support dynamic client registration", "client_registration"),
    (r"CLIENT_HTTP_UNEXPECTED_CONTENT|Unexpected content type|JSON-RPC|"
     r"Error POSTing to endpoint", "resource"),
)


def _claude_stop(said: str, setup: Setup, depth: str) -> Outcome:
    """Claude Code's lines never name the host (measured): where it stopped is read from its
    words, else from what the lab's servers answered: the first step of the flow it did not
    get an answer it could use from."""
    from tests.real_clients.agreement import STEPS

    if any(re.search(p, said, re.IGNORECASE) for p, _ in CLAUDE_RULES):
        return Outcome(False, stop_from([], CLAUDE_RULES, said), said[:300])
    served = setup.log() if setup.log else []
    for step in STEPS[1:STEPS.index(depth) + 1]:
        if not any(r.ok for r in served if r.step == step):
            return Outcome(False, step, said[:300])
    return Outcome(False, depth, said[:300])


def _claude_server(setup: Setup) -> dict[str, Any]:
    return {"type": "http", "url": setup.url, **setup.server_config}


def _run_health(box: Sandbox, setup: Setup) -> Outcome:
    _write_files(box, setup)
    try:
        health = claude_code.health_check(box, {"t": _claude_server(setup)}, setup.env)
    except claude_code.NoServerLine as stopped:  # Claude Code stopped at start
        return _claude_stop(stopped.said, setup, "authorization_server_metadata")
    line = health["t"]
    if line.reached:
        return Outcome(True, None, line.state)
    return _claude_stop(line.reason or line.line, setup, "authorization_server_metadata")


def _run_session(box: Sandbox, setup: Setup) -> Outcome:
    _write_files(box, setup)
    out = claude_code_auth.authenticate(box, "t", _claude_server(setup), setup.env)
    if out.state == "auth_url" or (out.state == "no_authenticate" and
                                   "connected" in (out.status or "").lower()):
        return Outcome(True, None, out.state)
    said = out.error_line or f"{out.state}: {out.status or ''} {out.issue or ''}".strip()
    if out.state in ("not_loaded", "stuck") and not out.error_line:
        said += " | " + " ".join(out.screen.split())[-300:]
    return _claude_stop(said, setup, "client_registration")


CLAUDE_HEALTH = Client("claude-code-mcp-list", "claude-code", "authorization_server_metadata",
                       _run_health)
CLAUDE_SESSION = Client("claude-code-session", "claude-code", "client_registration",
                        _run_session)
TS_SDK = Client("mcp-typescript-sdk", "node", "client_registration", _run_ts)
PY_SDK = Client("mcp-python-sdk", "python", "client_registration", _run_py,
                lambda ca: {"SSL_CERT_FILE": ca})
CODEX_HEALTH = Client("codex-mcp-list", "codex", "authorization_server_metadata",
                      codex.run_case, codex.trusts)
CODEX_LOGIN = Client("codex-login", "codex", "client_registration", codex.run_login,
                     codex.trusts)
CODEX_SESSION = Client("codex-session", "codex", "authorization_server_metadata",
                       codex.run_session, codex.trusts)
# mcp-remote binds its callback listener before it opens the browser: a taken port stops it
# there (measured), so its driver meets the callback step too
MCP_REMOTE = Client("mcp-remote", "mcp-remote", "client_registration", mcp_remote.run_case,
                    also=frozenset({"callback"}))
GEMINI_SESSION = Client("gemini-session", "gemini", "resource", gemini.run_case)
GEMINI_LOGIN = Client("gemini-login", "gemini", "client_registration", gemini.run_login_case)
CLIENTS = {c.name: c for c in (CLAUDE_HEALTH, CLAUDE_SESSION, TS_SDK, PY_SDK, CODEX_HEALTH,
                               CODEX_LOGIN, CODEX_SESSION, GEMINI_SESSION, GEMINI_LOGIN,
                               *copilot.clients().values(), MCP_REMOTE)}

__all__ = ["CLIENTS", "Cert", "Client", "Setup"]
