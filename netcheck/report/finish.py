"""The last touches to a report before it is shown and written: its label, and anonymization
when asked (so the terminal, the JSON and the Markdown all say the same)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netcheck.report.anonymize import anonymize as anonymized


def finish_report(report: dict[str, Any], *, label: str | None = None,
                  anonymize: bool = False,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``report`` with ``label`` (after ``target``; null without one), anonymized if asked.

    A report of several servers gets the label at its top and in each server's report (as
    ``check URL --label`` would have written that one); it is anonymized as one document."""
    out = _labelled(report, label)
    if isinstance(out.get("servers"), list):
        out["servers"] = [{**entry, "report": _labelled(entry["report"], label)}
                          if isinstance(entry.get("report"), dict) else entry
                          for entry in out["servers"]]
    return anonymized(out, environ) if anonymize else out


def _labelled(report: dict[str, Any], label: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in report.items():
        if key == "label":
            continue
        out[key] = value
        if key == "target":
            out["label"] = label
    out.setdefault("label", label)
    return out
