"""``netcheck servers`` (what the MCP clients here configure) and ``netcheck check`` over several
servers: every configured one, ``--server NAME``, or several URLs. Prints one summary table,
then each failure's details as ``check URL`` shows them."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from netcheck.cli.output import SafeStream
from netcheck.cli.program import DEFAULT_REPORT, PROG, ExitStatus
from netcheck.cli.render_many import render_many, where
from netcheck.cli.report_file import (
    ReportPath,
    check_report_path,
    refuse_two_stdouts,
    write_markdown,
    write_report_file,
)
from netcheck.configs import CLIENTS, Discovery, Place, discover
from netcheck.many import (
    CheckTarget,
    ServerCheck,
    check_many,
    from_command_line,
    secrets_of,
    target_for,
)
from netcheck.net.address import digits
from netcheck.redaction import redact_url
from netcheck.runner import validate_url
from netcheck.settings.gather import Options, UsageError, gather

KNOWN = ", ".join(client.name for client in CLIENTS)


def _console(file: IO[str], environ: Mapping[str, str]) -> Console:
    """Printing through :class:`~netcheck.cli.output.SafeStream`: degrading what the stream
    cannot encode, outliving a reader that left (the steps' lines are one record a line off a
    terminal, as ``check URL`` prints them; the tables stay as ``show`` renders them)."""
    from netcheck.cli.output import SafeStream

    columns = environ.get("COLUMNS", "")
    return Console(file=SafeStream(file),  # type: ignore[arg-type]  # a text stream
                   highlight=False, no_color=bool(environ.get("NO_COLOR")),
                   width=int(columns) if digits(columns)
                   and int(columns) > 40 else None)


def run_servers(args: argparse.Namespace, environ: Mapping[str, str], stdout: IO[str]) -> int:
    """``netcheck servers``: every entry found, where, and whether ``check`` would check it."""
    found = discover(Place.here(environ, Path.cwd()))
    targets = [target_for(s, Options(url="")) for s in found.servers]
    rows: list[dict[str, Any]] = secrets_of(targets).scrub_tree([_listed(t) for t in targets])
    if args.json == "-":
        print(json.dumps({"config_files": found.files,
                          "config_warnings": [{"file": w.file, "line": w.line,
                                               "message": w.message} for w in found.warnings],
                          "servers": rows}, indent=2, ensure_ascii=False), file=stdout)
        return ExitStatus.OK
    console = _console(stdout, environ)
    _print_warnings(console, found)
    if not rows:
        console.print(f"No MCP server is configured in the clients netcheck knows ({KNOWN}).")
        return ExitStatus.OK
    home = str(Place.here(environ).home)
    table = Table(title="MCP servers configured on this machine", title_justify="left")
    for column in ("server", "configured in", "URL", "checked"):
        table.add_column(column, overflow="fold")
    for row in rows:
        url = "(local command)" if row["transport"] == "stdio" else \
            f"{'SSE ' if row['transport'] == 'sse' else ''}{row['url']}"
        table.add_row(row["name"], where(row, home), url,
                      Text(f"yes, as {row['profile']}" if row["status"] == "yes" else
                           row["status"], style="green" if row["status"] == "yes" else "dim"))
    console.print(table)
    return ExitStatus.OK


def _listed(target: CheckTarget) -> dict[str, Any]:
    server = target.server
    return {"name": server.name, "client": server.client, "config_file": server.config_file,
            "scope": server.scope, "transport": server.transport,
            "url": redact_url(server.url) if server.url else None,
            "headers": [name for name, _value in server.headers],
            "profile": target.options.client if target.options else None,
            "profile_note": target.nearest, "notes": list(server.notes),
            "status": "yes" if target.options is not None else target.skip}


def run_many(args: argparse.Namespace, base: Options, environ: Mapping[str, str],
             stdout: IO[str], stderr: IO[str]) -> int:
    """``check`` over several servers; exit 0 when every checked one is OK, 1 otherwise."""
    from netcheck.report.finish import finish_report
    from netcheck.report.many import build_many_report

    refuse_two_stdouts(args.markdown, None if args.no_json else args.json)
    if args.parallel < 1 or args.parallel > 64:
        raise UsageError("--parallel wants a number from 1 to 64")
    gather(dataclasses.replace(base, url="https://netcheck.invalid/"), environ)  # bad flags: 2
    found = Discovery()
    if args.url:
        if args.server:
            raise UsageError("give URLs or --server NAME, not both")
        targets = [from_command_line(validate_url(url), base) for url in args.url]
    else:
        per_server = [flag for flag, value in (
            ("--header", args.header), ("--client-id", args.client_id),
            ("--client-metadata-url", args.client_metadata_url),
            ("--auth-server-metadata", args.auth_server_metadata)) if value]
        if per_server and args.server is None:
            raise UsageError(f"{per_server[0]} is for one server (it would be sent to every "
                             "configured one): add --server NAME, or give the URL")
        found = discover(Place.here(environ, Path.cwd()))
        chosen = [s for s in found.effective if args.server is None or s.name == args.server]
        if not chosen:
            _print_warnings(Console(file=stderr, highlight=False), found)
            if args.server is not None:
                names = sorted({s.name for s in found.effective})
                raise UsageError(f"no configured MCP server is named {args.server!r}"
                                 + (f"; found: {', '.join(names)}" if names else ""))
            raise UsageError(f"no MCP server is configured in the clients netcheck knows "
                             f"({KNOWN}); give a URL: {PROG} check https://mcp.example.com/mcp")
        targets = [target_for(s, base, args.client) for s in chosen]
    json_to_stdout = args.json == "-" and not args.no_json
    target = None if args.no_json or json_to_stdout else \
        check_report_path(args.json, default=DEFAULT_REPORT)  # before any network work
    console = _console(stderr if json_to_stdout else stdout, environ)
    started = dt.datetime.now(dt.UTC)
    checks, interrupted = _check(targets, args.parallel, environ, console, quiet=args.quiet)
    report = build_many_report(checks, started_at=started, finished_at=dt.datetime.now(dt.UTC),
                               parallel=args.parallel, warnings=found.warnings,
                               files=found.files)
    if interrupted:
        report["interrupted"] = True
        report["ok"] = False
    report = finish_report(report, label=args.label, anonymize=args.anonymize,
                           environ=environ)
    _print_warnings(console, found)
    render_many(console, report, verbose=args.verbose, quiet=args.quiet,
                home=str(Place.here(environ).home))
    if json_to_stdout:
        print(json.dumps(report, indent=2, ensure_ascii=False), file=SafeStream(stdout))
    elif target is not None:
        _write(report, target, console)
    if args.markdown:
        write_markdown(report, args.markdown, stdout, console)
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if report["ok"] else ExitStatus.FAILED


def _check(targets: Sequence[CheckTarget], parallel: int, environ: Mapping[str, str],
           console: Console, quiet: bool) -> tuple[list[ServerCheck], bool]:
    """Every server's check, and whether the user stopped the run (Ctrl-C): then the servers
    finished so far, and the others marked as cut short, so the report is still written."""
    total = sum(1 for t in targets if t.options is not None)
    status = console.status(f"checking {total} server(s)") \
        if console.is_terminal and not quiet else None
    lock, done = threading.Lock(), [0]
    finished_checks: dict[int, ServerCheck] = {}

    def finished(check: ServerCheck) -> None:
        with lock:
            finished_checks[id(check.target)] = check
            if status is not None and check.target.options is not None:
                done[0] += 1
                status.update(f"checked {done[0]} of {total} server(s)")

    if status is not None:
        status.start()
    try:
        return check_many(targets, parallel, environ=environ, on_done=finished), False
    except KeyboardInterrupt:
        with lock:
            return [finished_checks.get(id(t)) or _cut_short(t) for t in targets], True
    finally:
        if status is not None:
            status.stop()


def _cut_short(target: CheckTarget) -> ServerCheck:
    check = ServerCheck(target)
    if target.options is not None:
        check.error = "interrupted (Ctrl-C) before this server's check finished"
    return check


def _print_warnings(console: Console, found: Discovery) -> None:
    for warning in found.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))


def _write(report: dict[str, Any], target: ReportPath, console: Console) -> None:
    """Atomically, never through a symlink (:mod:`netcheck.cli.report_file`)."""
    try:
        replaced = write_report_file(report, target)
    except OSError as exc:
        console.print(f"{PROG}: could not write the report to {target.path}: "
                      f"{exc.strerror or exc}", markup=False)
        return
    console.print(f"Report written to {target.path}: attach it to your ticket."
                  + (f" ({replaced})" if replaced else ""), markup=False, soft_wrap=True)
