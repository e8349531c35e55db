"""Turning a finished run into the report dict (the only serializer; the CLI renders its output).

Every string of the result passes through the run's :class:`~netcheck.redaction.Redactor`, and
any :class:`~netcheck.redaction.Secret` becomes ``"<redacted>"``: the report cannot carry a secret
the run was given, whatever a hop put in its details.
"""

from __future__ import annotations

import json
import platform
import ssl
import sys
from enum import Enum
from typing import Any

from netcheck import __version__
from netcheck.model import HopResult, Status, StepResult
from netcheck.redaction import REDACTED, Secret, redact_url
from netcheck.runner import CheckRun
from netcheck.settings.gather import relevant_environment
from netcheck.versions import installed_versions

SCHEMA_VERSION = "1.6"  # 1.1: "deadline", run_deadline_exceeded; 1.2: the profile's client and
# release, the claude-code proxy model, http_not_mcp and http_mcp_error; 1.3: the proxy_tls hop;
# 1.4: the several-servers form (report/many.py: "servers", each entry's name, client,
# config_file, scope, url and this one-server report; "config_files", "config_warnings",
# "parallel"); a one-server report keeps its form;
# also 1.4: step callback (hops remote_session, localhost_resolve, callback_port; codes
# localhost_unresolved, localhost_mismatch, callback_port_in_use, callback_port_unavailable)
# and oauth_redirect_uri_rejected;
# also 1.4: each step's "status" (passed, warning, failed, not_run) and "not_run_reason";
# also 1.4: "label" (check --label; in both forms) and environment.host_name, so two reports
# can be told apart
# also 1.4: "interrupted" (Ctrl-C: the steps done so far) and "internal_error" (a bug's type)
# 1.5: client_profile.installed (the release of the user's client found here); the profiles
# codex, gemini, copilot and mcp-remote and their proxy models; the tls hop's
# details.direct_chain (the chain fetched without the proxy)
# 1.6: netcheck login: steps authorized_request and token_revocation, hops browser and
# callback_received, and their codes (callback_*, token_*, no_refresh_token,
# refresh_invalid_grant)


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the report, as shipped in the package."""
    from importlib.resources import files  # only when asked: see netcheck.warmup.IMPORTS

    text = files("netcheck.report").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _plain(value: Any) -> Any:
    """A JSON-ready copy: enums to values, secrets redacted, unknown objects to text."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _hop(hop: HopResult) -> dict[str, Any]:
    return {
        "hop": hop.hop.value,
        "status": hop.status.value,
        "duration_ms": hop.duration_ms,
        "code": hop.code.value if hop.code else None,
        "message": hop.message,
        "hint": hop.hint,
        "notes": list(hop.notes),
        "details": _plain(hop.details),
    }


def _step(step: StepResult) -> dict[str, Any]:
    return {
        "step": step.step.value,
        "url": redact_url(step.url) if step.url else None,
        "ok": step.ok,
        "status": step.status.value,
        "not_run_reason": step.not_run_reason,
        "notes": list(step.notes),
        "attempts": _plain(step.attempts),
        "hops": [_hop(h) for h in step.hops],
    }


def build_step(run: CheckRun, step: StepResult) -> dict[str, Any]:
    """One step as the report will show it, redacted: printed while the run goes on."""
    scrubbed: dict[str, Any] = run.redactor.scrub_tree(_step(step))
    return scrubbed


def _versions() -> dict[str, str | None]:
    return installed_versions(("httpx", "pyOpenSSL", "cryptography", "dnspython", "h11",
                               "certifi"))


def build_report(run: CheckRun) -> dict[str, Any]:
    """The report of ``run``, redacted."""
    verdict = None
    warnings = []
    for step in run.steps:
        for hop in step.hops:
            if hop.status is Status.FAILED and verdict is None:
                verdict = {"step": step.step.value, "hop": hop.hop.value,
                           "url": redact_url(step.url) if step.url else None,
                           "code": hop.code.value if hop.code else None,
                           "message": hop.message, "hint": hop.hint}
            if hop.status is Status.WARNING:
                warnings.append({"step": step.step.value, "hop": hop.hop.value,
                                 "message": "; ".join([hop.message, *hop.notes])})
    finished = run.finished_at or run.started_at
    profile = run.settings.profile
    report = {
        "schema_version": SCHEMA_VERSION,
        "netcheck_version": __version__,
        "started_at": run.started_at.isoformat(),
        "finished_at": finished.isoformat(),
        "duration_ms": round((finished - run.started_at).total_seconds() * 1000, 1),
        "target": redact_url(run.options.url),
        "client_profile": {"name": profile.name, "client": profile.client,
                           "release": profile.release, "measured": profile.measured,
                           "description": profile.description,
                           "proxy_model": profile.proxy.model,
                           "installed": run.installed.to_json(profile) if run.installed
                           else None},
        "environment": {
            "os": f"{platform.system()} {platform.release()}",
            "machine": platform.machine(),
            "host_name": platform.node(),
            "python": sys.version.split()[0],
            "openssl": ssl.OPENSSL_VERSION,
            "packages": _versions(),
            "variables": relevant_environment(run.environ),
        },
        "settings": _plain(run.settings.to_json()),
        "ok": verdict is None and not run.interrupted and run.internal_error is None,
        "interrupted": run.interrupted,
        "internal_error": run.internal_error,
        "verdict": verdict,
        "deadline": {"seconds": run.settings.deadline, "reached": run.deadline_reached},
        "steps": [_step(s) for s in run.steps],
        "warnings": warnings,
    }
    scrubbed: dict[str, Any] = run.redactor.scrub_tree(report)
    return scrubbed
