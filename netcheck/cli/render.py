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
        console.print(header)
        for step in report["steps"]:
            _render_step(console, step, verbose)
    _render_verdict(console, report)


def _render_step(console: Console, step: dict[str, Any], verbose: bool) -> None:
    title = Text("\n" + step["step"], style="bold")
    if step["url"]:
        title.append(f"  {step['url']}", style="dim")
    console.print(title)
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


def _render_verdict(console: Console, report: dict[str, Any]) -> None:
    verdict = report["verdict"]
    console.print()
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


def progress_label(step: str, hop: str) -> str:
    return f"{step} › {hop}"
