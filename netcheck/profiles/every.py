"""Every profile, by name (imported through :mod:`netcheck.profiles`)."""

from __future__ import annotations

from netcheck.profiles.claude_code import CLAUDE_CODE
from netcheck.profiles.codex import CODEX
from netcheck.profiles.copilot import COPILOT
from netcheck.profiles.gemini import GEMINI
from netcheck.profiles.mcp_remote import MCP_REMOTE
from netcheck.profiles.raw_clients import CURL, GO
from netcheck.profiles.rules import (
    CertFormat,
    ClientCertRules,
    OAuthRules,
    Profile,
    ProxyRules,
    Reaction,
    TrustRules,
)
from netcheck.profiles.sdks import MCP_PYTHON, MCP_TYPESCRIPT

PROFILES: dict[str, Profile] = {p.name: p for p in (CLAUDE_CODE, CODEX, GEMINI, COPILOT,
                                                     MCP_REMOTE,
                                                     MCP_TYPESCRIPT, MCP_PYTHON, CURL, GO)}
DEFAULT_PROFILE = CLAUDE_CODE.name


def clients_that_stop(rule: str) -> list[str]:
    """The measured clients that refuse a deviation (an :class:`OAuthRules` field name)."""
    return [p.label for p in PROFILES.values()
            if p.is_mcp_client and getattr(p.oauth, rule) is Reaction.STOPS]


__all__ = ["DEFAULT_PROFILE", "PROFILES", "CertFormat", "ClientCertRules", "OAuthRules",
           "Profile", "ProxyRules", "Reaction", "TrustRules", "clients_that_stop"]
