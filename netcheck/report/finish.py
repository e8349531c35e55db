"""The last touches to a report before it is shown and written: its label, and anonymization
when asked (so the terminal, the JSON and the Markdown all say the same)."""

from __future__ import annotations

from typing import Any

from netcheck.report.anonymize import anonymize as anonymized


def finish_report(report: dict[str, Any], *, label: str | None = None,
                  anonymize: bool = False) -> dict[str, Any]:
    """``report`` with ``label`` (after ``target``; null without one), anonymized if asked."""
    out: dict[str, Any] = {}
    for key, value in report.items():
        out[key] = value
        if key == "target":
            out["label"] = label
    out.setdefault("label", label)
    return anonymized(out) if anonymize else out
