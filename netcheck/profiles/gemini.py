"""Gemini CLI, as measured against its npm release (``tests/real_clients/notes/gemini.md``): a
Node program (undici, the MCP TypeScript SDK) with two proxy layers, its own OAuth rules (the
endpoints looked up locally and refused at private addresses), and a ``.env`` file it loads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netcheck.profiles.catalog import CLIENTS
from netcheck.profiles.rules import (
    CallbackRules,
    ClientCertRules,
    ClientSettings,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    ReleaseLookup,
)
from netcheck.profiles.sdks import NODE_TRUST
from netcheck.proxy import gemini as gemini_proxy

CLIENT, RELEASE = CLIENTS["gemini"]
OAUTH_MODEL = "gemini-oauth"
# Node reads these when it starts, before Gemini CLI loads its .env (measured for the first)
READ_AT_START = frozenset({"NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"})


def dotenv_files(env: Mapping[str, str], home: Path, cwd: Path) -> list[Path]:
    """Where Gemini CLI looks for its one ``.env``, in order: the folder's ``.gemini/.env``
    and ``.env``, then each parent's, then the home's (``GEMINI_CLI_HOME`` replaces it)."""
    found = []
    for folder in (cwd, *cwd.parents):
        found += [folder / ".gemini" / ".env", folder / ".env"]
    user = Path(env["GEMINI_CLI_HOME"]) if env.get("GEMINI_CLI_HOME") else home
    found += [user / ".gemini" / ".env", user / ".env"]
    return list(dict.fromkeys(found))


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def parse_dotenv(text: str) -> dict[str, str]:
    """``KEY=value`` lines (dotenv's: comments, ``export``, quoted values)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def read_settings(env: Mapping[str, str], home: Path, cwd: Path) -> ClientSettings:
    """The first ``.env`` that exists: its variables the process does not set already, but
    those Node reads at start (measured: NODE_EXTRA_CA_CERTS there is not applied)."""
    for path in dotenv_files(env, home, cwd):
        record: dict[str, Any] = {"path": str(path), "read": False, "applied": [], "why": None}
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except OSError as exc:
            record["why"] = f"not readable: {exc.__class__.__name__}"
            return ClientSettings(files=(record,))
        record["read"] = True
        values = {k: v for k, v in parse_dotenv(text).items()
                  if k not in env and k not in READ_AT_START}
        record["applied"] = sorted(values)
        skipped = sorted(k for k in parse_dotenv(text) if k in READ_AT_START)
        record["why"] = (f"{', '.join(skipped)} not applied: Node reads it at start"
                         if skipped else "the first .env Gemini CLI finds; the others are "
                         "not read")
        return ClientSettings(values, {k: str(path) for k in values}, (record,))
    return ClientSettings()


NO_CERTIFICATE = (
    "Gemini CLI cannot send a client certificate at all (no variable or setting for one, and "
    f"its MCP transport takes no TLS options; measured on {RELEASE}): ask the gateway's "
    "owners for a way in without one for this client, or run a local relay that presents it "
    "(stunnel in client mode: accept = 127.0.0.1:8443, connect = the server's host:443, "
    "cert and key = yours) and give Gemini CLI the relay's http://127.0.0.1:8443 URL, or use "
    "a client that can (Claude Code: CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY)")

GEMINI = Profile(
    name="gemini",
    client=CLIENT,
    release=RELEASE,
    measured=f"differential tests against npm @google/gemini-cli@{RELEASE} (a prompt run's MCP "
             "start-up, gemini mcp list, its automatic OAuth login with a browser stand-in)",
    description="Gemini CLI: the session's proxy (HTTPS_PROXY first) or, with NO_PROXY set, "
                "undici's own agent for MCP; OAuth endpoints looked up locally and refused at "
                "private addresses; Node trust; no client certificate; a .env file",
    proxy=ProxyRules(model=gemini_proxy.MODEL, schemes=("http", "https"),
                     auth_schemes=("Basic",), reads=frozenset({"http_proxy", "https_proxy"}),
                     oauth_model=OAUTH_MODEL),
    trust=NODE_TRUST,
    client_cert=ClientCertRules(variables=None, formats=frozenset(), given_by=NO_CERTIFICATE,
                                can_present=False),
    oauth=OAuthRules(issuer_mismatch=Reaction.GOES_ON, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.GOES_ON, uses_client_metadata_documents=False,
                     insecure_endpoint=Reaction.STOPS, prm_path_inserted=False,
                     public_endpoints_only=True, refetches_from_issuer=True,
                     requires_iss=True),
    callback=CallbackRules(
        redirect_host="localhost", listen_address="::", path="/oauth/callback",
        port_variable="OAUTH_CALLBACK_PORT", system_port=True,
        port_setting="OAUTH_CALLBACK_PORT=PORT",
        port_in_use_words="listen EADDRINUSE: address already in use :::{port}",
        measured=f"Gemini CLI {RELEASE} on Linux, its automatic login (notes/gemini.md): "
                 "redirect_uri http://localhost:PORT/oauth/callback, listening on every "
                 "address (IPv4 and IPv6); PORT random unless OAUTH_CALLBACK_PORT fixes it; a "
                 "taken port stops the login before the browser; a callback without iss is "
                 "refused"),
    installed=ReleaseLookup(commands=("gemini",), packages=("@google/gemini-cli",)),
    settings_reader=read_settings,
)
