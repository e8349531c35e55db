"""``netcheck login URL`` (or ``--server NAME``): the whole login, for real.

It says what it will do before it starts (it registers a client, opens a browser and gets
tokens), shows each step as ``check`` does, and writes the same report. The tokens stay in
memory: nothing but the redacted report is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from netcheck.cli.check_command import Delivery, exit_status, options_from
from netcheck.cli.output import SafeStream
from netcheck.cli.program import DEFAULT_REPORT, PROG, ExitStatus
from netcheck.settings.gather import Options, UsageError

SIDE_EFFECTS = ("netcheck login logs in for real, as {client} would: it {registers}, opens the "
                "authorization page in your browser, receives the callback on {client}'s "
                "loopback port, exchanges the code for tokens, calls the MCP server with them, "
                "refreshes and revokes them. The tokens stay in memory and are never shown or "
                "written.")


def _options(args: argparse.Namespace, environ: Mapping[str, str]) -> Options:
    if args.no_oauth:
        raise UsageError("--no-oauth leaves nothing for login to do: use netcheck check")
    if args.register:
        raise UsageError("--register is check's: login registers a client anyway (unless "
                         "--client-id names one) and deletes it again at the end")
    if args.callback_wait <= 0 or args.callback_wait > 3600:
        raise UsageError("--callback-wait wants a number of seconds from 1 to 3600")
    base = options_from(args, args.url or "")
    if args.client_secret_env and not args.client_id:
        raise UsageError("--client-secret-env is the secret of the client given with "
                         "--client-id")
    if args.client_secret_env and not environ.get(args.client_secret_env):
        raise UsageError(f"--client-secret-env: the variable {args.client_secret_env} is not "
                         "set")
    if args.url and args.server:
        raise UsageError("give a URL or --server NAME, not both")
    if args.server:
        base = _configured(args, base, environ)
    elif not args.url:
        raise UsageError(f"give the MCP server's URL: {PROG} login https://mcp.example.com/mcp")
    # the run's deadline covers the wait for the user in the browser
    return dataclasses.replace(base, deadline=base.deadline + args.callback_wait)


def _configured(args: argparse.Namespace, base: Options, environ: Mapping[str, str]) -> Options:
    from netcheck.configs import Place, discover
    from netcheck.many import target_for

    found = discover(Place.here(environ, Path.cwd()))
    chosen = [s for s in found.effective if s.name == args.server]
    if not chosen:
        names = sorted({s.name for s in found.effective})
        raise UsageError(f"no configured MCP server is named {args.server!r}"
                         + (f"; found: {', '.join(names)}" if names else ""))
    target = target_for(chosen[0], base, args.client)
    if target.options is None:
        raise UsageError(f"server {args.server!r} cannot be logged in to: {target.skip}")
    return target.options


def run_login_command(args: argparse.Namespace, environ: Mapping[str, str], stdout: IO[str],
                      stderr: IO[str], stdin: IO[str] | None = None) -> int:
    from netcheck.cli.live import LiveRun
    from netcheck.cli.output import make_console
    from netcheck.cli.report_file import check_report_path, refuse_two_stdouts
    from netcheck.login.session import LoginOptions
    from netcheck.runner import begin_check, run_check

    refuse_two_stdouts(args.markdown, None if args.no_json else args.json)
    options = _options(args, environ)
    out, err = SafeStream(stdout), SafeStream(stderr)
    json_to_stdout = args.json == "-" and not args.no_json
    shown = err if json_to_stdout else out
    target = None if args.no_json or json_to_stdout else \
        check_report_path(args.json, default=DEFAULT_REPORT)
    run = begin_check(options, environ)
    profile = run.settings.profile
    registers = (f"uses the client id {options.client_id}" if options.client_id else
                 "registers an OAuth client where the server offers registration (deleted "
                 "again at the end where the server allows)")
    live = LiveRun(lambda: make_console(shown, environ, no_color=getattr(args, "no_color",
                                                                          False)),
                   run, verbose=args.verbose, quiet=args.quiet, terminal=False,
                   label=args.label, hold=args.anonymize)

    def say(text: str) -> None:
        with live.printing:
            live.console.print(text, soft_wrap=True, markup=False, highlight=False)

    live.console.print(SIDE_EFFECTS.format(client=profile.label, registers=registers),
                       soft_wrap=True, markup=False, highlight=False)
    secret = environ.get(args.client_secret_env) if args.client_secret_env else None
    run.redactor.add(secret)
    login = LoginOptions(environ=environ, say=say, open_browser=not args.no_browser,
                         callback_wait=args.callback_wait, client_secret=secret or None,
                         stdin=stdin if stdin is not None else sys.stdin)
    delivery = Delivery(target, json_to_stdout, out, err, lambda: live.console)

    def finish(done: Any) -> dict[str, Any]:
        from netcheck.report import build_report
        from netcheck.report.finish import finish_report

        return finish_report(build_report(done), label=args.label, anonymize=args.anonymize,
                             environ=environ)

    try:
        with live:
            finished = run_check(options, environ, observer=live.observe, progress=live,
                                 begun=run, login=login)
    except KeyboardInterrupt:
        report = finish(live.cut_short(interrupted=True))
        delivery.deliver(report)
        live.verdict(report)
        delivery.tell()
        return ExitStatus.INTERRUPTED
    report = finish(finished)
    delivery.deliver(report)
    live.verdict(report)
    delivery.tell()
    return exit_status(report, err)
