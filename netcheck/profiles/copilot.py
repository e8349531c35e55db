"""GitHub Copilot CLI, as measured against its npm release (``tests/real_clients/notes/
copilot.md``): the native program of ``@github/copilot`` (its MCP client, OAuth and HTTP in a
Rust runtime, OpenSSL for TLS), driven with prompt runs and its interactive login."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netcheck.profiles.catalog import CLIENTS
from netcheck.profiles.rules import (
    CallbackRules,
    ClientCertRules,
    ClientSettings,
    Env,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    ReleaseLookup,
    TrustRules,
)
from netcheck.proxy import copilot as copilot_proxy

CLIENT, RELEASE = CLIENTS["copilot"]
PROXY_SETTING = "@proxyUrl"  # settings.json's proxyUrl, in the environment the models see
SYSTEM_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def trust_sources(env: Env) -> tuple[set[str], str]:
    """The system roots, which SSL_CERT_FILE and SSL_CERT_DIR replace, plus
    NODE_EXTRA_CA_CERTS (and CURL_CA_BUNDLE), which add to them."""
    extra = {v for v in ("NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE") if env.get(v)}
    return {"system"} | extra, ("Copilot CLI: the system bundle (SSL_CERT_FILE and SSL_CERT_DIR "
                                "replace it) + NODE_EXTRA_CA_CERTS, which adds to it")


def system_store(env: Env) -> tuple[list[str], str]:
    """SSL_CERT_FILE and SSL_CERT_DIR (a directory of certificate files) when set, else the
    system bundle files that exist."""
    given = [env[v] for v in ("SSL_CERT_FILE", "SSL_CERT_DIR") if env.get(v)]
    if given:
        names = [v for v in ("SSL_CERT_FILE", "SSL_CERT_DIR") if env.get(v)]
        return given, " + ".join(f"env {n}" for n in names) + " (they replace the system roots)"
    return [f for f in SYSTEM_FILES if os.path.isfile(f)], "the system bundle files"


def home(env: Mapping[str, str], user_home: Path) -> Path:
    """Where Copilot CLI keeps its files: ``$COPILOT_HOME``, else ``~/.copilot``."""
    return Path(env["COPILOT_HOME"]) if env.get("COPILOT_HOME") else user_home / ".copilot"


def read_settings(env: Mapping[str, str], user_home: Path, cwd: Path) -> ClientSettings:
    """``proxyUrl`` in the user's settings.json, used when no proxy variable is set (the
    repository's and the managed settings have none: measured)."""
    path = home(env, user_home) / "settings.json"
    record: dict[str, Any] = {"path": str(path), "read": False, "applied": [], "why": None}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        record["why"] = "not found"
        return ClientSettings(files=(record,))
    except (OSError, ValueError) as exc:
        record["why"] = f"not readable: {exc.__class__.__name__}"
        return ClientSettings(files=(record,))
    record["read"] = True
    value = doc.get(copilot_proxy.SETTING) if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value:
        record["why"] = "no proxyUrl"
        return ClientSettings(files=(record,))
    record["applied"] = [copilot_proxy.SETTING]
    return ClientSettings({PROXY_SETTING: value},
                          {PROXY_SETTING: f"{path} (proxyUrl)"}, (record,))


NO_CERTIFICATE = (
    "Copilot CLI cannot send a client certificate at all (no variable, setting or flag for "
    f"one; measured on {RELEASE}, a certificate in the NSS database included): ask the "
    "gateway's owners for a way in without one for this client, or run a local relay that "
    "presents it (stunnel in client mode: accept = 127.0.0.1:8443, connect = the server's "
    "host:443, cert and key = yours) and give Copilot the relay's http://127.0.0.1:8443 URL, "
    "or use a client that can (Claude Code: CLAUDE_CODE_CLIENT_CERT and "
    "CLAUDE_CODE_CLIENT_KEY)")

COPILOT = Profile(
    name="copilot",
    client=CLIENT,
    release=RELEASE,
    measured=f"differential tests against npm @github/copilot@{RELEASE} (prompt runs with "
             "--additional-mcp-config and their JSON events; the interactive login)",
    description="GitHub Copilot CLI: lower-case proxy variables first, each scheme falling "
                "back to the other's, ALL_PROXY never read, settings.json proxyUrl, system "
                "roots + NODE_EXTRA_CA_CERTS, no client certificate",
    proxy=ProxyRules(model=copilot_proxy.MODEL, schemes=("http", "https", "socks5", "socks5h"),
                     auth_schemes=("Basic",), unusable_value=Reaction.GOES_ON,
                     reads=frozenset({"http_proxy", "https_proxy", PROXY_SETTING.lower()}),
                     socks_remote_dns=frozenset()),
    trust=TrustRules(sources=trust_sources, ca_fix="NODE_EXTRA_CA_CERTS", ca_fix_adds=True,
                     verification_off=lambda env: None, unusable_extra_ca=Reaction.STOPS,
                     unusable_by_source={"NODE_EXTRA_CA_CERTS": Reaction.GOES_ON},
                     system_store=system_store, partial_wildcards=False),
    client_cert=ClientCertRules(variables=None, formats=frozenset(), given_by=NO_CERTIFICATE,
                                can_present=False),
    oauth=OAuthRules(issuer_mismatch=Reaction.STOPS, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.STOPS, uses_client_metadata_documents=True,
                     insecure_endpoint=Reaction.GOES_ON, openid_fields_required=True,
                     falls_back_to_mcp_origin=True, prm_resource_mismatch=Reaction.GOES_ON,
                     prm_path_appended="after_root"),
    callback=CallbackRules(
        redirect_host="127.0.0.1", listen_address="127.0.0.1", path="/", system_port=True,
        port_setting='the server entry\'s "auth": {"redirectPort": PORT} in mcp-config.json',
        port_in_use_words="MCPOAuthError: Address already in use (os error 98)",
        measured=f"Copilot CLI {RELEASE} on Linux, interactive login (notes/copilot.md): "
                 "redirect_uri http://127.0.0.1:PORT/, listening on 127.0.0.1 only, PORT "
                 "random unless the entry's auth.redirectPort fixes it; that port held on "
                 "127.0.0.1 stops the login, one held on ::1 only does not"),
    installed=ReleaseLookup(commands=("copilot",), packages=("@github/copilot",)),
    settings_reader=read_settings,
)
