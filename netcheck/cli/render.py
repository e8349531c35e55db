"""Terminal rendering of a report dict (never of internal objects: what is shown is what the
JSON says, already redacted)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.text import Text

MARKS = {"ok": ("✓", "green"), "warning": ("!", "yellow"), "failed": ("✗", "bold red"),
         "skipped": ("-", "dim")}


def render_report(console: Console, report: dict[str, Any], *, verbose: bool = False,
                  quiet: bool = False) -> None:
    if not quiet:
        header = Text(f"netcheck {report['netcheck_version']}", style="bold")
        header.append(f"  client {report['client_profile']['name']}  ")
        header.append(report["target"])
        header.append(f"  ({report['label']})" if report.get("label") else "", style="bold")
        console.print(header)
        console.print()
        for step in report["steps"]:
            _render_step(console, step, verbose)
    _render_verdict(console, report)


def _render_step(console: Console, step: dict[str, Any], verbose: bool) -> None:
    if not any(h["status"] != "skipped" for h in step["hops"]):
        line = Text("- ", style="dim")
        line.append(f"{step['step']:<30}", style="dim")
        line.append("not run: " + ("an earlier step failed" if step["hops"] or step["notes"]
                                   else "nothing to do"), style="dim")
        console.print(line)
        return
    quiet_step = step["ok"] and all(h["status"] in ("ok", "skipped") for h in step["hops"])
    if quiet_step and not verbose:
        # a step where everything passed takes one line; --verbose shows its hops
        total = sum(h["duration_ms"] for h in step["hops"])
        line = Text("✓ ", style="green")
        line.append(f"{step['step']:<30}", style="bold")
        line.append(f"{total:>7.1f} ms  ", style="dim")
        last = next((h for h in reversed(step["hops"]) if h["status"] == "ok"), None)
        line.append(last["message"] if last else "")
        console.print(line)
        return
    title = Text("\n" + step["step"], style="bold")
    if step["url"]:
        title.append(f"  {step['url']}", style="dim")
    console.print(title)
    if not step["hops"]:
        for note in step["notes"]:
            console.print(Text(f"  {note}", style="dim"))
        return
    for attempt in step.get("attempts", [])[:-1] if len(step.get("attempts", [])) > 1 else []:
        console.print(Text(f"  tried {attempt['url']}: {attempt['outcome']}", style="dim"))
    for hop in step["hops"]:
        mark, style = MARKS[hop["status"]]
        line = Text(f"  {mark} ", style=style)
        line.append(f"{hop['hop']:<14}", style=style if hop["status"] != "ok" else "")
        timing = f"{hop['duration_ms']:>7.1f} ms  " if hop["status"] != "skipped" else " " * 12
        line.append(timing, style="dim")
        line.append(hop["message"])
        if hop["code"]:
            line.append(f"  [{hop['code']}]", style="dim")
        console.print(line)
        for note in hop["notes"]:
            console.print(Text(f"      note: {note}", style="dim"))
        if hop["hint"] and hop["status"] == "failed":
            console.print(Text(f"      fix:  {hop['hint']}", style="cyan"))
        if verbose and hop["details"]:
            for row in json.dumps(hop["details"], indent=2).splitlines():
                console.print(Text(f"      {row}", style="dim"), soft_wrap=True)
    for note in step["notes"]:
        console.print(Text(f"  note: {note}", style="dim"))
    console.print()


def _render_verdict(console: Console, report: dict[str, Any]) -> None:
    verdict = report["verdict"]
    if verdict is None:
        warn = len(report["warnings"])
        text = Text("OK", style="bold green")
        text.append(": every hop passed" + (f" ({warn} warning(s) above)" if warn else ""))
        console.print(text)
        return
    text = Text("FAILED", style="bold red")
    text.append(f" at {verdict['step']} › {verdict['hop']} [{verdict['code']}]")
    console.print(text)
    console.print(Text(f"  {verdict['message']}"))
    if verdict["hint"]:
        console.print(Text(f"  What to change: {verdict['hint']}", style="cyan"))


