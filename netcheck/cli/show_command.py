"""``netcheck show REPORT.json``: a received report rendered exactly as the user's terminal
showed it (the same :func:`~netcheck.cli.render.render_report` over the same dict), optionally
anonymized, and as Markdown or JSON for a tracker.

Exit status: 0 the report says ok, 1 it records a failure, 2 the file is not a report this
netcheck can read (not JSON, not a netcheck report, written by a newer major version).
"""

from __future__ import annotations

import argparse
import io
from typing import IO, Any

from netcheck.cli.program import PROG, ExitStatus
from netcheck.cli.report_file import refuse_two_stdouts, write_json, write_markdown


def run_show(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from rich.console import Console

    from netcheck.report.received import DAMAGED, ReportError, check_document, read_report

    refuse_two_stdouts(args.markdown, args.json)
    try:
        received = read_report(args.report)
    except ReportError as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return ExitStatus.USAGE
    if received.newer_minor:
        print(f"{PROG}: {args.report} was written by a newer netcheck (report schema "
              f"{received.newer_minor}); what this netcheck does not know of it is not shown",
              file=stderr)
    to_stdout = args.markdown == "-" or args.json == "-"
    from netcheck.cli.output import SafeStream

    # through a SafeStream: a cp1252 console or a closed pipe degrades the output, never fails
    console = Console(file=SafeStream(stderr if to_stdout else stdout),  # type: ignore[arg-type]
                      highlight=False)
    try:  # a report that passed the checks can still hold values of the wrong type
        if args.anonymize:
            from netcheck.report.anonymize import anonymize

            received = check_document(anonymize(received.document), args.report)
        render_document(Console(file=io.StringIO(), width=console.width), received.document,
                        verbose=args.verbose, quiet=args.quiet)
    except DAMAGED:
        print(f"{PROG}: {args.report} is a damaged netcheck report: a field has the wrong type",
              file=stderr)
        return ExitStatus.USAGE
    render_document(console, received.document, verbose=args.verbose, quiet=args.quiet)
    if args.markdown:
        write_markdown(received.document, args.markdown, stdout, console)
    if args.json:
        write_json(received.document, args.json, stdout, console)
    return ExitStatus.OK if _ok(received.document) else ExitStatus.FAILED


# What the several-servers renderer reads of each entry (a report of that form has them all).
_MANY_FIELDS = ("name", "client", "config_file", "scope", "outcome", "problem", "profile",
                "profile_note", "notes", "report")


def render_document(console: Any, document: dict[str, Any], *, verbose: bool,
                    quiet: bool) -> None:
    """A single-server report as ``check URL`` renders it; a report of several servers as
    ``check`` over them renders it (its configuration warnings, the table, the failures), or,
    when its entries lack fields that renderer needs, each server's report under its name."""
    from rich.text import Text

    from netcheck.cli.render import render_report

    if "servers" not in document or "steps" in document:
        render_report(console, document, verbose=verbose, quiet=quiet)
        return
    if all(all(f in s for f in _MANY_FIELDS) for s in document["servers"]):
        from netcheck.cli.render_many import render_many
        from netcheck.configs.model import ConfigWarning

        for warning in document.get("config_warnings") or []:
            console.print(Text(f"warning: {ConfigWarning(**warning)}", style="yellow"))
        render_many(console, document, verbose=verbose, quiet=quiet, home=home_of(document))
        return
    for server in document["servers"]:
        title = Text(f"── {server.get('name')} ", style="bold")
        where = ", ".join(str(v) for v in (server.get("client"), server.get("config_file"),
                                           server.get("scope")) if v)
        title.append(f"({where})" if where else "", style="dim")
        console.print(title)
        if isinstance(server.get("report"), dict):
            render_report(console, server["report"], verbose=verbose, quiet=quiet)
        else:
            url = f": {server['url']}" if server.get("url") else ""
            console.print(Text(f"  not checked{url}", style="dim"))
        console.print()


def home_of(document: dict[str, Any]) -> str:
    """The home folder of the machine that wrote a several-servers report, as far as its
    configuration paths show it (``/home/NAME``, ``/Users/NAME``, ``C:\\Users\\NAME``), so
    paths under it show from ``~`` as they did there; "" when none does."""
    import re

    for entry in document.get("servers") or []:
        path = entry.get("config_file") if isinstance(entry, dict) else None
        found = re.match(r"(/home/[^/]+|/Users/[^/]+|[A-Za-z]:\\Users\\[^\\]+)(?=[/\\])",
                         path) if isinstance(path, str) else None
        if found:
            return found[1]
    return ""


def _ok(document: dict[str, Any]) -> bool:
    return bool(document.get("ok"))
