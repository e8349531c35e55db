"""The several-servers form of a run, as ``check`` over configured servers prints it and
``show`` renders a received one: the summary table, then each failure's details."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

OUTCOME_STYLE = {"ok": "green", "failed": "bold red", "not_checked": "yellow",
                 "not_applicable": "dim"}


def render_many(console: Console, report: dict[str, Any], *, verbose: bool = False,
                quiet: bool = False, home: str = "") -> None:
    """The summary table, then the details of every failure (of every server with -v);
    paths under ``home`` are shown from ``~``."""
    from netcheck.cli.render import render_report

    table = Table(title="MCP servers checked", title_justify="left")
    for column in ("server", "configured in", "verdict"):
        table.add_column(column, overflow="fold")
    for entry in report["servers"]:
        table.add_row(entry["name"], where(entry, home), _verdict(entry))
    console.print(table)
    for entry in report["servers"]:
        if entry["report"] is None or quiet or (entry["outcome"] == "ok" and not verbose):
            continue
        console.print()
        console.rule(Text(f"{entry['name']}  ({entry['client'] or entry['scope']})",
                          style="bold"), align="left")
        if entry["profile_note"]:
            console.print(Text(f"profile {entry['profile']}: {entry['profile_note']}",
                               style="dim"))
        for note in entry["notes"]:
            console.print(Text(f"note: {note}", style="dim"))
        render_report(console, entry["report"], verbose=verbose)
    checked = [e for e in report["servers"] if e["report"] is not None]
    failed = [e for e in report["servers"] if e["outcome"] in ("failed", "not_checked")]
    console.print()
    summary = Text("OK" if report["ok"] else "FAILED",
                   style="bold green" if report["ok"] else "bold red")
    summary.append(f": {len(checked)} server(s) checked, {len(failed)} with a problem")
    console.print(summary)


def _verdict(entry: dict[str, Any]) -> Text:
    style = OUTCOME_STYLE[entry["outcome"]]
    report = entry["report"]
    if report is None:
        label = "n/a" if entry["outcome"] == "not_applicable" else "not checked"
        return Text(f"{label}: {entry['problem']}", style=style)
    verdict = report["verdict"]
    if verdict is None:
        warnings = len(report["warnings"])
        return Text("OK" + (f" ({warnings} warning(s))" if warnings else ""), style=style)
    return Text(f"FAILED at {verdict['step']} › {verdict['hop']} [{verdict['code']}]",
                style=style)


def where(entry: dict[str, Any], home: str) -> str:
    """Where an entry is configured, for the terminal (the home shown as ~)."""
    if entry["config_file"] is None:
        return str(entry["scope"])
    path = str(entry["config_file"])
    home = home.rstrip("/\\")
    if home and path.startswith(home) and path[len(home):][:1] in ("/", "\\"):
        path = "~" + path[len(home):]
    return f"{entry['client']}: {path} ({entry['scope']})"
