"""Client profiles: each one a real MCP client release, as measured (``tests/real_clients``).

=============  =================================================================
claude-code    Claude Code (the default)
node           the MCP TypeScript SDK on undici's EnvHttpProxyAgent
python         the MCP Python SDK (httpx2)
curl, go       raw HTTP clients' proxy and trust rules; OAuth as the MCP specification says
=============  =================================================================

Importing this package costs nothing: ``--help`` reads the client catalog
(:mod:`netcheck.profiles.catalog`) without building the profiles, which
:mod:`netcheck.profiles.every` does when one of them is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netcheck.profiles.every import (
        DEFAULT_PROFILE,
        PROFILES,
        CertFormat,
        ClientCertRules,
        OAuthRules,
        Profile,
        ProxyRules,
        Reaction,
        TrustRules,
        clients_that_stop,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        from netcheck.profiles import every

        return getattr(every, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DEFAULT_PROFILE", "PROFILES", "CertFormat", "ClientCertRules", "OAuthRules",
           "Profile", "ProxyRules", "Reaction", "TrustRules", "clients_that_stop"]
