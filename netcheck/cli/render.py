"""Terminal rendering of a report dict (never of internal objects: what is shown is what the
JSON says, already redacted).

:func:`render_report` prints a whole report; the live CLI prints the same lines piece by piece
(:func:`render_header`, :func:`render_step` as each step finishes, :func:`render_verdict`), so
a saved report renders exactly as the run showed it.

Layout: on a terminal, a line too long for it wraps with its continuation aligned under the
text it continues; elsewhere (a pipe, a file) every record is one unwrapped line.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

MARKS = {"ok": ("✓", "green"), "warning": ("!", "yellow"), "failed": ("✗", "bold red"),
         "skipped": ("-", "dim")}
STEP_WIDTH = 30
HOP_WIDTH = 14


def render_report(console: Console, report: dict[str, Any], *, verbose: bool = False,
                  quiet: bool = False) -> None:
    if not quiet:
        render_header(console, report)
        for step in report["steps"]:
            render_step(console, step, verbose=verbose)
    render_verdict(console, report, quiet=quiet)


def render_header(console: Console, report: dict[str, Any]) -> None:
    header = Text(f"netcheck {report['netcheck_version']}", style="bold")
    header.append(f"  client {report['client_profile']['name']}  ")
    header.append(report["target"])
    header.append(f"  ({report['label']})" if report.get("label") else "", style="bold")
    emit(console, header)
    console.print()


def emit(console: Console, body: Text, prefix: Text | None = None) -> None:
    """One record: ``prefix`` then ``body``; on a terminal, a wrapped ``body`` continues under
    itself (not at column 0); elsewhere the record stays on one line whatever its length."""
    if not console.is_terminal:
        console.print(Text.assemble(prefix or "", body), soft_wrap=True)
        return
    if prefix is None:
        indent = len(body.plain) - len(body.plain.lstrip(" \n"))
        prefix, body = body[:indent], body[indent:]
    if not prefix.cell_len:
        console.print(body)
        return
    grid = Table.grid()
    grid.add_column(width=prefix.cell_len, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(prefix, body)
    console.print(grid)


def render_step(console: Console, step: dict[str, Any], *, verbose: bool = False) -> None:
    """One step of a report, as the run shows it when the step finishes."""
    if not any(h["status"] != "skipped" for h in step["hops"]):
        line = Text(f"{step['step']:<{STEP_WIDTH}} ", style="dim")
        line.append("not run: " + ("an earlier step failed" if step["hops"] or step["notes"]
                                   else "nothing to do"), style="dim")
        emit(console, line, Text("- ", style="dim"))
        return
    quiet_step = step["ok"] and all(h["status"] in ("ok", "skipped") for h in step["hops"])
    if quiet_step and not verbose:
        # a step where everything passed takes one line; --verbose shows its hops
        total = sum(h["duration_ms"] for h in step["hops"])
        prefix = Text("✓ ", style="green")
        prefix.append(f"{step['step']:<{STEP_WIDTH}} ", style="bold")
        prefix.append(f"{total:>7.1f} ms  ", style="dim")
        last = next((h for h in reversed(step["hops"]) if h["status"] == "ok"), None)
        emit(console, Text(last["message"] if last else ""), prefix)
        return
    console.print()
    if step["url"]:
        emit(console, Text(step["url"], style="dim"), Text(f"{step['step']}  ", style="bold"))
    else:
        emit(console, Text(step["step"], style="bold"))
    if not step["hops"]:
        for note in step["notes"]:
            emit(console, Text(note, style="dim"), Text("  "))
        return
    for attempt in step.get("attempts", [])[:-1] if len(step.get("attempts", [])) > 1 else []:
        emit(console, Text(f"tried {attempt['url']}: {attempt['outcome']}", style="dim"),
             Text("  "))
    for hop in step["hops"]:
        _render_hop(console, hop, verbose)
    for note in step["notes"]:
        emit(console, Text(note, style="dim"), Text("  note: ", style="dim"))
    console.print()


def _render_hop(console: Console, hop: dict[str, Any], verbose: bool) -> None:
    mark, style = MARKS[hop["status"]]
    prefix = Text(f"  {mark} ", style=style)
    prefix.append(f"{hop['hop']:<{HOP_WIDTH}}", style=style if hop["status"] != "ok" else "")
    timing = f"{hop['duration_ms']:>7.1f} ms  " if hop["status"] != "skipped" else " " * 12
    prefix.append(timing, style="dim")
    body = Text(hop["message"])
    if hop["code"]:
        body.append(f"  [{hop['code']}]", style="dim")
    emit(console, body, prefix)
    for note in hop["notes"]:
        emit(console, Text(note, style="dim"), Text("      note: ", style="dim"))
    if hop["hint"] and hop["status"] == "failed":
        emit(console, Text(hop["hint"], style="cyan"), Text("      fix:  ", style="cyan"))
    if verbose and hop["details"]:
        for row in json.dumps(hop["details"], indent=2).splitlines():
            console.print(Text(f"      {row}", style="dim"), soft_wrap=True)


def render_verdict(console: Console, report: dict[str, Any], *, quiet: bool = False) -> None:
    """The last lines: OK, or where it failed and what to change (or that it was cut short)."""
    verdict = report["verdict"]
    installed = (report.get("client_profile") or {}).get("installed") or {}
    if installed.get("summary") and (not quiet or installed.get("measured_on_this_release")
                                     is False):
        emit(console, Text(installed["summary"], style="dim"), Text("client: ", style="dim"))
    stopped_here = verdict is not None and verdict["code"] == "interrupted"
    if report.get("interrupted") and not stopped_here:
        emit(console, Text.assemble(("INTERRUPTED", "bold yellow"), ": stopped by the user; "
                                    "the report has the steps done so far"))
    if verdict is None and report.get("internal_error"):
        emit(console, Text.assemble(("ERROR", "bold red"), f": netcheck hit an internal error "
                                    f"({report['internal_error']}) before it could finish"))
        return
    if verdict is None:
        warn = len(report["warnings"])
        text = Text("OK", style="bold green")
        text.append(": every hop passed")
        if warn:
            count = f"{warn} warning{'s' if warn != 1 else ''}"
            text.append(f" ({count}: run without -q to see them)" if quiet else
                        f" ({count} above)")
        emit(console, text)
        return
    text = Text("INTERRUPTED", style="bold yellow") if stopped_here else \
        Text("FAILED", style="bold red")
    text.append(f" at {verdict['step']} › {verdict['hop']}" +
                ("" if stopped_here else f" [{verdict['code']}]"))
    emit(console, text)
    emit(console, Text(verdict["message"]), Text("  "))
    if verdict["hint"]:
        emit(console, Text(verdict["hint"], style="cyan"),
             Text("  What to change: ", style="cyan"))
