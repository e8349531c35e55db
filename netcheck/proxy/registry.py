"""Every proxy model netcheck knows: the libraries of proxy-vectors.json and the measured
clients (the MCP Python SDK's httpx2, Claude Code)."""

from __future__ import annotations

from collections.abc import Callable

from netcheck.proxy import claude_code, httpx2_rules
from netcheck.proxy.models import MODELS as LIBRARY_MODELS
from netcheck.proxy.models import Env, Model, ProxyDecision, Target, undici_creation_error

MODELS: dict[str, Model] = {**LIBRARY_MODELS,
                            httpx2_rules.MODEL: httpx2_rules.decide_python_httpx2,
                            claude_code.MODEL: claude_code.decide_session}

# Clients that read every proxy setting when they start, and fail every request when one is
# unusable, whatever the URL: model -> (variable, error) for an environment, or None.
AT_START: dict[str, Callable[[Env], tuple[str | None, str] | None]] = {
    "node-undici": undici_creation_error,
    httpx2_rules.MODEL: httpx2_rules.creation_error,
    claude_code.MODEL: claude_code.start_error,
}


def start_error(model: str, env: Env) -> tuple[str | None, str] | None:
    """Why the client of ``model`` cannot start with ``env``, if it cannot."""
    check = AT_START.get(model)
    return check(env) if check is not None else None


def decide_all(env: Env, url: str) -> dict[str, ProxyDecision]:
    """Every model's decision for ``url``, in a stable order."""
    target = Target.parse(url)
    return {name: model(env, target) for name, model in MODELS.items()}
