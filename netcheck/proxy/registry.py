"""Every proxy model netcheck knows: the libraries of proxy-vectors.json and the measured
clients (the MCP Python SDK's httpx2, Claude Code)."""

from __future__ import annotations

from netcheck.proxy.httpx2_rules import MODEL as HTTPX2
from netcheck.proxy.httpx2_rules import decide_python_httpx2
from netcheck.proxy.models import MODELS as LIBRARY_MODELS
from netcheck.proxy.models import Env, Model, ProxyDecision, Target

MODELS: dict[str, Model] = {**LIBRARY_MODELS, HTTPX2: decide_python_httpx2}


def decide_all(env: Env, url: str) -> dict[str, ProxyDecision]:
    """Every model's decision for ``url``, in a stable order."""
    target = Target.parse(url)
    return {name: model(env, target) for name, model in MODELS.items()}
