"""The report of a run over several servers (``netcheck check`` without a URL, or with several
URLs): one document whose ``servers`` entries each carry the single-server report unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from netcheck import __version__
from netcheck.configs.model import ConfigWarning
from netcheck.many import ServerCheck, secrets_of
from netcheck.redaction import redact_url
from netcheck.report.build import SCHEMA_VERSION, build_report

OUTCOMES = ("ok", "failed", "not_checked", "not_applicable")


def build_many_report(checks: Sequence[ServerCheck], *, started_at: dt.datetime,
                      finished_at: dt.datetime, parallel: int,
                      warnings: Sequence[ConfigWarning] = (),
                      files: Sequence[str] = ()) -> dict[str, Any]:
    """The report of ``checks``, redacted (each server's own secrets, and every other
    server's)."""
    servers = [_entry(check) for check in checks]
    report = {
        "schema_version": SCHEMA_VERSION,
        "netcheck_version": __version__,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "duration_ms": round((finished_at - started_at).total_seconds() * 1000, 1),
        "ok": all(s["outcome"] in ("ok", "not_applicable") for s in servers),
        "parallel": parallel,
        "config_files": list(files),
        "config_warnings": [{"file": w.file, "line": w.line, "message": w.message}
                            for w in warnings],
        "servers": servers,
    }
    scrubbed: dict[str, Any] = secrets_of([c.target for c in checks]).scrub_tree(report)
    return scrubbed


def _entry(check: ServerCheck) -> dict[str, Any]:
    target = check.target
    server = target.server
    report = build_report(check.run) if check.run is not None else None
    if report is not None:
        outcome = "ok" if report["ok"] else "failed"
    else:
        outcome = "not_applicable" if not target.applicable else "not_checked"
    profile = target.options.client if target.options else None
    return {
        "name": server.name,
        "client": server.client,
        "config_file": server.config_file,
        "scope": server.scope,
        "transport": server.transport,
        "url": redact_url(server.url) if server.url else None,
        "profile": profile,
        "profile_note": target.nearest if profile else None,
        "outcome": outcome,
        "problem": check.error or target.skip,
        "notes": list(server.notes),
        "configured": {
            "headers": [name for name, _value in server.headers],
            "client_id": server.client_id,
            "auth_server_metadata_url": redact_url(server.auth_server_metadata_url)
            if server.auth_server_metadata_url else None,
            "callback_port": server.callback_port,
        },
        "report": report,
    }
