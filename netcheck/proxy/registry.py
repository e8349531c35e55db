"""Every proxy model netcheck knows: the libraries of proxy-vectors.json and the measured
clients (the MCP Python SDK's httpx2, Claude Code)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from netcheck.proxy import claude_code, codex, copilot, gemini, httpx2_rules, mcp_remote
from netcheck.proxy.models import MODELS as LIBRARY_MODELS
from netcheck.proxy.models import Env, Model, ProxyDecision, Target, undici_creation_error

COPILOT_SETTING = "@proxyUrl"  # netcheck.profiles.copilot.PROXY_SETTING


def _copilot(env: Env, target: Target) -> ProxyDecision:
    """Copilot CLI, with its settings.json ``proxyUrl`` (put in the environment under
    ``@proxyUrl`` by the profile's settings reader)."""
    decision = copilot.decide(env, target, proxy_url_setting=env.get(COPILOT_SETTING))
    if decision.variable == copilot.SETTING:  # where the settings reader put it
        return dataclasses.replace(decision, variable=COPILOT_SETTING)
    return decision


MODELS: dict[str, Model] = {**LIBRARY_MODELS,
                            httpx2_rules.MODEL: httpx2_rules.decide_python_httpx2,
                            claude_code.MODEL: claude_code.decide_session,
                            codex.MODEL: codex.decide,
                            copilot.MODEL: _copilot,
                            gemini.MODEL: gemini.decide,
                            "gemini-oauth": gemini.decide_oauth,  # its OAuth requests' route
                            mcp_remote.MODEL: mcp_remote.decide_default,
                            mcp_remote.MODEL_ENABLED: mcp_remote.decide_enabled}

# Clients that read every proxy setting when they start, and fail every request when one is
# unusable, whatever the URL: model -> (variable, error) for an environment, or None.
AT_START: dict[str, Callable[[Env], tuple[str | None, str] | None]] = {
    "node-undici": undici_creation_error,
    httpx2_rules.MODEL: httpx2_rules.creation_error,
    claude_code.MODEL: claude_code.start_error,
    mcp_remote.MODEL_ENABLED: mcp_remote.start_error,
    gemini.MODEL: gemini.unusable_at_start,
}


def start_error(model: str, env: Env) -> tuple[str | None, str] | None:
    """Why the client of ``model`` cannot start with ``env``, if it cannot."""
    check = AT_START.get(model)
    return check(env) if check is not None else None


# Not compared with the profile's decision: mcp-remote without --enable-proxy reads no proxy
# variable (a warning on every proxied check otherwise), and with it is undici's agent, which
# node-undici stands for already; Gemini CLI's OAuth route is compared in its own steps only.
NOT_COMPARED = frozenset({mcp_remote.MODEL, mcp_remote.MODEL_ENABLED, "gemini-oauth"})


def decide_all(env: Env, url: str, every: bool = False) -> dict[str, ProxyDecision]:
    """Every model's decision for ``url``, in a stable order (``every``: also the models
    :data:`NOT_COMPARED`)."""
    target = Target.parse(url)
    return {name: model(env, target) for name, model in MODELS.items()
            if every or name not in NOT_COMPARED}
