"""mcp-remote, the stdio bridge Claude Desktop, Cursor and Windsurf entries run for a remote
server, as measured against its npm release (``tests/real_clients/notes/mcp-remote.md``; on
Node, the MCP TypeScript SDK's client 2.0.0 bundled, undici). What it does depends on its
arguments, so the profile is adapted to each entry's (:func:`for_server`)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from netcheck.profiles.catalog import CLIENTS
from netcheck.profiles.rules import (
    CallbackRules,
    ClientCertRules,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    ReleaseLookup,
)
from netcheck.profiles.sdks import NODE_TRUST
from netcheck.proxy import mcp_remote as mcp_remote_proxy

CLIENT, RELEASE = CLIENTS["mcp-remote"]
ENABLE_PROXY = mcp_remote_proxy.FLAG


def flag_value(args: Sequence[str], flag: str) -> str | None:
    """The word after ``flag`` (mcp-remote's ``args.indexOf(flag)`` rule), if there is one."""
    if flag in args:
        at = list(args).index(flag)
        if at < len(args) - 1:
            return args[at + 1]
    return None


def header_args(args: Sequence[str]) -> dict[str, str]:
    """The ``--header Name:value`` pairs, as written (mcp-remote hashes them unexpanded)."""
    found: dict[str, str] = {}
    for i, word in enumerate(args[:-1]):
        if word == "--header":
            name, sep, value = args[i + 1].partition(":")
            if sep and name.strip():
                found[name.strip()] = value.strip()
    return found


def default_callback_port(url: str, args: Sequence[str]) -> int:
    """mcp-remote's port for ``url``: ``3335 + int(md5(S)[:4], 16) % 45816``, S the URL joined
    with ``|`` to ``--resource``, the headers as compact JSON with sorted keys (before
    ``${VAR}`` expansion), ``--client-metadata-url`` and ``--token-endpoint`` (measured on two
    URLs, a trailing slash, ``--resource`` and two headers)."""
    parts = [url]
    resource = flag_value(args, "--resource")
    if resource and resource.strip():
        parts.append(resource.strip())
    headers = header_args(args)
    if headers:
        parts.append(json.dumps({k: headers[k] for k in sorted(headers)}, separators=(",", ":"),
                                ensure_ascii=False))
    for flag in ("--client-metadata-url", "--token-endpoint"):
        value = flag_value(args, flag)
        if value:
            parts.append(value.strip())
    digest = hashlib.md5("|".join(parts).encode(), usedforsecurity=False).hexdigest()
    return 3335 + int(digest[:4], 16) % 45816


def for_server(profile: Profile, url: str, args: tuple[str, ...]) -> Profile:
    """mcp-remote as an entry's arguments make it: ``--enable-proxy`` (else no proxy at all),
    ``--host`` (the redirect_uri's host), ``--callback-path``, and the callback port derived
    from the URL (the next 7 tried when it is taken)."""
    enabled = ENABLE_PROXY in args
    proxy = ENABLED_PROXY if enabled else DISABLED_PROXY
    callback = dataclasses.replace(
        profile.callback, redirect_host=flag_value(args, "--host") or "localhost",
        path=(flag_value(args, "--callback-path") or "").strip() or "/oauth/callback",
        default_port=default_callback_port(url, args))
    return dataclasses.replace(profile, proxy=proxy, callback=callback)


def options_from_args(url: str, args: tuple[str, ...]) -> tuple[dict[str, Any], str | None]:
    """netcheck's options as an entry's arguments set them: a pre-registered client id from
    ``--static-oauth-client-info`` (JSON; ``@file`` and ``${VAR}`` are not followed), the
    document of ``--client-metadata-url``, ``--transport sse-only``; and mcp-remote's refusal
    of an http:// URL off localhost without ``--allow-http``."""
    options: dict[str, Any] = {}
    if args and args[0].isdigit() and 0 < int(args[0]) < 65536:  # the port after the URL
        options["callback_port"] = int(args[0])
    info = flag_value(args, "--static-oauth-client-info")
    if info and not info.startswith("@") and "${" not in info:
        with contextlib.suppress(ValueError):
            doc = json.loads(info)
            if isinstance(doc, dict) and isinstance(doc.get("client_id"), str):
                options["client_id"] = doc["client_id"]
    document = flag_value(args, "--client-metadata-url")
    if document and document.strip().startswith("https://"):
        options["client_metadata_url"] = document.strip()
    if flag_value(args, "--transport") == "sse-only":
        options["transport"] = "sse"
    headers = header_args(args)
    if headers:  # sent on the MCP requests, as mcp-remote sends them
        options["headers"] = tuple(f"{name}: {value}" for name, value in headers.items())
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if parts.scheme != "https" and not local and "--allow-http" not in args:
        return options, ("Non-HTTPS URLs are only allowed for localhost or when --allow-http "
                         "flag is provided (mcp-remote stops at start): use the https:// URL, "
                         "or add --allow-http to its arguments")
    return options, None


DISABLED_PROXY = ProxyRules(
    model=mcp_remote_proxy.MODEL, schemes=("http", "https"), auth_schemes=("Basic",),
    reads=frozenset(), unusable_value=Reaction.GOES_ON,
    ignored_proxy_fix=f"mcp-remote reads no proxy variable without {ENABLE_PROXY}, so it went "
                      f"direct: add \"{ENABLE_PROXY}\" to the entry's args (after the URL) to "
                      "use the proxy")
ENABLED_PROXY = ProxyRules(model=mcp_remote_proxy.MODEL_ENABLED,
                           schemes=("http", "https", "socks5", "socks"), auth_schemes=("Basic",),
                           socks_remote_dns=frozenset({"socks5", "socks"}),
                           reads=frozenset({"http_proxy", "https_proxy"}))

NO_CERTIFICATE = (
    "mcp-remote cannot send a client certificate at all (no flag or variable for one, and "
    f"Node takes none from NODE_OPTIONS; measured on {RELEASE}): ask the gateway's owners for "
    "a way in without one for this client, or run a local relay that presents it (stunnel "
    "in client mode: accept = 127.0.0.1:8443, connect = the server's host:443, cert and key = "
    "yours) and give mcp-remote http://127.0.0.1:8443/... (with --allow-http), or use a "
    "client that can (Claude Code: CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY)")

MCP_REMOTE = Profile(
    name="mcp-remote",
    client=CLIENT,
    release=RELEASE,
    measured=f"differential tests against npm mcp-remote@{RELEASE} (mcp-remote-client, "
             "which makes the bridge's requests, up to the authorization URL)",
    description="mcp-remote (Claude Desktop, Cursor and Windsurf bridge): no proxy without "
                "--enable-proxy, undici's EnvHttpProxyAgent with it, Node trust, no client "
                "certificate",
    proxy=DISABLED_PROXY,
    trust=NODE_TRUST,
    client_cert=ClientCertRules(variables=None, formats=frozenset(), given_by=NO_CERTIFICATE,
                                can_present=False),
    oauth=OAuthRules(issuer_mismatch=Reaction.STOPS, pkce_methods_absent=Reaction.GOES_ON,
                     pkce_without_s256=Reaction.STOPS, uses_client_metadata_documents=False,
                     insecure_endpoint=Reaction.GOES_ON, openid_fields_required=True,
                     issuer_slash_tolerant=True,
                     # refuses a callback without iss the server advertises (measured: netcheck
                     # login agreement, tests/real_clients/notes/login.md, case no-iss)
                     requires_advertised_iss=True,
                     # a resource of https://h/mcp/ for https://h/mcp is refused (the same
                     # measurement, case resource-slash)
                     prm_resource_slash_strict=True),
    callback=CallbackRules(
        redirect_host="localhost", listen_address="127.0.0.1", path="/oauth/callback",
        port_tries=8,
        port_setting="a port as the argument after the URL (mcp-remote URL PORT), which is "
                     "then strict",
        port_in_use_words="Fatal error: Error: Could not find a free callback port for this "
                          "server (tried {port}-{last})",
        measured=f"mcp-remote {RELEASE} on Linux (notes/mcp-remote.md): redirect_uri "
                 "http://localhost:PORT/oauth/callback, listening on 127.0.0.1 only; PORT = "
                 "3335 + md5(URL|--resource|headers)[:4] % 45816, the next 7 tried when taken; "
                 "--host changes the redirect_uri's host only, --callback-path its path"),
    installed=ReleaseLookup(commands=("mcp-remote", "mcp-remote-client"),
                            packages=("mcp-remote",), npx=True),
    adapt=for_server,
    options_from_args=options_from_args,
)
