"""A report as GitHub-flavoured Markdown, for an issue tracker (``--markdown PATH``).

Made from the report dict only (already redacted, and anonymized when asked), so it holds
nothing the JSON does not. Order: the verdict and what to change; who, where and when; a table of
the steps; the failing hop's evidence; the whole report as JSON in a collapsed ``<details>``.
Every value taken from the report is escaped (``|``, backticks, HTML, emphasis and link marks),
and code blocks are fenced with more backticks than the longest run inside them.
"""

from __future__ import annotations

import json
import re
from typing import Any

MARKS = {"ok": "✓ ok", "warning": "! warning", "failed": "✗ failed", "skipped": "- not run"}
# GitHub refuses issue bodies over 65536 characters: beyond this the JSON is left out.
MAX_EMBEDDED_JSON = 50_000
_SPECIAL = re.compile(r"([\\`*{}\[\]<>|~#!&])")
# "_" opens emphasis only at a word's edge (GFM): "proxy_connect" needs no escape, "_x_" does
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def escape(value: Any) -> str:
    """``value`` as inline Markdown text that renders as itself (one line; no HTML, no link,
    no emphasis, safe inside a table cell)."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return _EDGE_UNDERSCORE.sub(r"\\_", _SPECIAL.sub(r"\\\1", text))


def fenced(text: str, info: str = "") -> str:
    """``text`` as a fenced code block whose fence no backtick run inside can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def to_markdown(document: dict[str, Any]) -> str:
    """The Markdown of a report, or of a report of configured servers (``servers``)."""
    if "servers" not in document or "steps" in document:
        return _single(document, level=2) + "\n" + _full_json(document)
    servers = [s for s in document["servers"] if isinstance(s, dict)]
    failed = [s for s in servers if s.get("outcome") in ("failed", "not_checked")
              or (isinstance(s.get("report"), dict) and not s["report"]["ok"])]
    lines = [f"## netcheck: {len(failed)} of {len(servers)} server(s) failed"
             if failed else f"## netcheck: every server passed ({len(servers)})", ""]
    lines += ["| Server | Client | Configured in | Verdict |", "|---|---|---|---|"]
    for server in servers:
        lines.append(f"| {escape(server.get('name'))} | {escape(server.get('client'))} | "
                     f"{escape(server.get('config_file'))} | "
                     f"{_verdict_cell(server)} |")
    lines.append("")
    for server in servers:
        report = server.get("report")
        lines.append(f"## Server {escape(server.get('name'))}")
        lines.append("")
        lines.append(_single(report, level=3) if isinstance(report, dict)
                     else f"{_verdict_cell(server)}\n")
    return "\n".join(lines) + "\n" + _full_json(document)


def _verdict_cell(server: dict[str, Any]) -> str:
    report = server.get("report")
    if not isinstance(report, dict):
        label = "n/a" if server.get("outcome") == "not_applicable" else "not checked"
        return f"{label}: {escape(server['problem'])}" if server.get("problem") else label
    verdict = report.get("verdict")
    if verdict is None:
        return "✓ ok"
    return f"✗ {escape(verdict['step'])} › {escape(verdict['hop'])} ({escape(verdict['code'])})"


def _single(report: dict[str, Any], level: int) -> str:
    head = "#" * level
    verdict = report.get("verdict")
    lines: list[str] = []
    if verdict is None:
        warnings = report.get("warnings") or []
        lines.append(f"{head} netcheck: ✓ OK, every hop passed"
                     + (f" ({len(warnings)} warning(s))" if warnings else ""))
        lines.append("")
        lines += [f"- ! {escape(w['step'])} › {escape(w['hop'])}: {escape(w['message'])}"
                  for w in warnings]
    else:
        lines.append(f"{head} netcheck: ✗ FAILED at {escape(verdict['step'])} › "
                     f"{escape(verdict['hop'])} ({escape(verdict['code'])})")
        lines.append("")
        lines.append(f"**{escape(verdict['message'])}**")
        if verdict.get("hint"):
            lines.append("")
            lines.append(f"**What to change:** {escape(verdict['hint'])}")
    lines.append("")
    lines += _about(report)
    lines += ["", f"{head}# Steps", "", "| Step | Result | Time (ms) | Hops | Message |",
              "|---|---|---:|---|---|"]
    lines += [_step_row(step) for step in report["steps"]]
    lines.append("")
    failing = _failing_hop(report)
    if failing is not None:
        step, hop = failing
        lines += _evidence(step, hop, head)
    return "\n".join(lines) + "\n"


def _about(report: dict[str, Any]) -> list[str]:
    profile = report.get("client_profile") or {}
    env = report.get("environment") or {}
    client = profile.get("name")
    if profile.get("client"):
        client = f"{client} ({profile['client']} {profile.get('release') or ''})".strip()
    rows = [("Target", report.get("target")), ("Label", report.get("label")),
            ("Client profile", client),
            ("Machine", " ".join(str(v) for v in (env.get("host_name"), env.get("os")) if v)),
            ("netcheck", f"{report.get('netcheck_version')} (report schema "
                         f"{report.get('schema_version')})"),
            ("Started", report.get("started_at"))]
    lines = ["| | |", "|---|---|"]
    lines += [f"| {name} | {escape(value)} |" for name, value in rows if value]
    return lines


def _step_row(step: dict[str, Any]) -> str:
    ran = [h for h in step["hops"] if h["status"] != "skipped"]
    failed = next((h for h in step["hops"] if h["status"] == "failed"), None)
    warned = next((h for h in step["hops"] if h["status"] == "warning"), None)
    if not ran:
        result, message = "- not run", "; ".join(step["notes"]) or "an earlier step failed"
    elif failed is not None:
        result, message = MARKS["failed"], failed["message"]
    elif warned is not None:
        result, message = MARKS["warning"], warned["message"]
    else:
        result = MARKS["ok"]
        message = ran[-1]["message"] if ran else ""
    total = sum(h["duration_ms"] or 0 for h in ran)
    hops = " ".join(f"{h['hop']}{'' if h['status'] == 'ok' else ' ' + MARKS[h['status']][0]}"
                    for h in ran)
    return (f"| {escape(step['step'])} | {result} | {total:.1f} | {escape(hops)} | "
            f"{escape(message)} |")


def _failing_hop(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for step in report["steps"]:
        for hop in step["hops"]:
            if hop["status"] == "failed":
                return step, hop
    return None


def _evidence(step: dict[str, Any], hop: dict[str, Any], head: str) -> list[str]:
    lines = [f"{head}# Evidence: {escape(step['step'])} › {escape(hop['hop'])}", ""]
    if step.get("url"):
        lines.append(f"- URL: {escape(step['url'])}")
    lines.append(f"- {escape(hop['message'])} ({escape(hop['code'])})")
    lines += [f"- note: {escape(note)}" for note in hop["notes"]]
    if hop.get("hint"):
        lines.append(f"- what to change: {escape(hop['hint'])}")
    if hop.get("details"):
        lines += ["", fenced(json.dumps(hop["details"], indent=2, ensure_ascii=False), "json")]
    lines.append("")
    return lines


def _full_json(document: dict[str, Any]) -> str:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    body = fenced(text, "json") if len(text) <= MAX_EMBEDDED_JSON else (
        f"The report is {len(text)} characters, too long to embed here: attach the JSON file.")
    return f"<details>\n<summary>Full report (JSON)</summary>\n\n{body}\n\n</details>\n"
