"""Client profiles: each one a real MCP client release, as measured (``tests/real_clients``).

=============  =================================================================
claude-code    Claude Code (the default)
node           the MCP TypeScript SDK on undici's EnvHttpProxyAgent
python         the MCP Python SDK (httpx2)
curl, go       raw HTTP clients' proxy and trust rules; OAuth as the MCP specification says
=============  =================================================================
"""

from __future__ import annotations

from netcheck.profiles.claude_code import CLAUDE_CODE
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

PROFILES: dict[str, Profile] = {p.name: p for p in (CLAUDE_CODE, MCP_TYPESCRIPT, MCP_PYTHON,
                                                     CURL, GO)}
DEFAULT_PROFILE = CLAUDE_CODE.name


def clients_that_stop(rule: str) -> list[str]:
    """The measured clients that refuse a deviation (an :class:`OAuthRules` field name)."""
    return [p.label for p in PROFILES.values()
            if p.is_mcp_client and getattr(p.oauth, rule) is Reaction.STOPS]


__all__ = ["DEFAULT_PROFILE", "PROFILES", "CertFormat", "ClientCertRules", "OAuthRules",
           "Profile", "ProxyRules", "Reaction", "TrustRules", "clients_that_stop"]
