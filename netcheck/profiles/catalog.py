"""Each profile's name and the client release it models: the one place they are written
(cheap to import, so ``--help`` can list them without loading the profiles)."""

from __future__ import annotations

CLIENTS: dict[str, tuple[str, str]] = {  # profile -> (client, release)
    "claude-code": ("Claude Code", "2.1.337"),
    "codex": ("Codex CLI", "0.171.0"),
    "gemini": ("Gemini CLI", "0.61.0"),
    "copilot": ("GitHub Copilot CLI", "1.0.102"),
    "mcp-remote": ("mcp-remote", "0.15.1"),
    "node": ("MCP TypeScript SDK", "1.32.2"),
    "python": ("MCP Python SDK", "2.3.0"),
    "curl": ("curl", "7.88.1"),
    "go": ("Go", "net/http (x/net/http/httpproxy)"),
}
UNDICI_RELEASE = "7.30.2"  # the node profile's fetch dispatcher (EnvHttpProxyAgent)
HTTPX2_RELEASE = "2.16.2"  # the MCP Python SDK's HTTP client


def help_text() -> str:
    return "; ".join(f"{name} ({client} {release})" if name not in ("curl", "go")
                     else name for name, (client, release) in CLIENTS.items())
