"""``netcheck check URL``: run the pipeline, show each step as it finishes, write the report.

The report is written whatever happens once the checks started: when the output's reader goes
away (a broken pipe: the run goes on silently), on Ctrl-C (the steps done so far, and
``"interrupted": true``) and on a bug in netcheck (the steps done so far, and the bug's type).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from netcheck.cli.output import SafeStream
from netcheck.cli.program import DEFAULT_REPORT, PROG, ExitStatus
from netcheck.cli.report_file import ReportPath
from netcheck.settings.gather import Options, UsageError


def run_check_command(args: argparse.Namespace, environ: Mapping[str, str], stdout: IO[str],
                      stderr: IO[str]) -> int:
    # rendering and the report are imported while the first request waits (warmup), except
    # on a terminal, whose status line needs them from the start
    from netcheck.cli.live import LiveRun
    from netcheck.cli.report_file import check_report_path, refuse_two_stdouts
    from netcheck.runner import begin_check, run_check

    refuse_two_stdouts(args.markdown, None if args.no_json else args.json)
    options = options_from(args, args.url)
    out, err = SafeStream(stdout), SafeStream(stderr)
    json_to_stdout = args.json == "-" and not args.no_json
    shown = err if json_to_stdout else out

    def console() -> Any:
        from netcheck.cli.output import make_console

        return make_console(shown, environ, no_color=getattr(args, "no_color", False))

    # usage errors (exit 2) before any network work: the report's path, then the settings
    target = None if args.no_json or json_to_stdout else \
        check_report_path(args.json, default=DEFAULT_REPORT)
    run = begin_check(options, environ)
    # anonymized, nothing is shown before the whole report is known: its placeholders are
    live = LiveRun(console, run, verbose=args.verbose, quiet=args.quiet,
                   terminal=shown.isatty(), label=args.label, hold=args.anonymize)
    delivery = Delivery(target, json_to_stdout, out, err, lambda: live.console)

    def finish(done: Any) -> dict[str, Any]:
        from netcheck import warmup

        warmup.load("netcheck.report", "netcheck.report.finish")
        from netcheck.report import build_report
        from netcheck.report.finish import finish_report

        return finish_report(build_report(done), label=args.label, anonymize=args.anonymize,
                             environ=environ)

    def conclude(report: dict[str, Any]) -> None:
        delivery.deliver(report)
        live.verdict(report)
        delivery.tell()
        if args.markdown:
            from netcheck.cli.report_file import write_markdown

            write_markdown(report, args.markdown, stdout, live.console)

    try:
        with live:
            finished = run_check(options, environ, observer=live.observe, progress=live,
                                 begun=run)
    except KeyboardInterrupt:
        conclude(finish(live.cut_short(interrupted=True)))
        return ExitStatus.INTERRUPTED
    except UsageError:
        raise
    except Exception as exc:  # a bug: the report of the run so far, then main's message
        delivery.deliver(finish(live.cut_short(internal_error=exc)))
        delivery.tell()
        raise
    report = finish(finished)
    conclude(report)
    return exit_status(report, err)


def exit_status(report: dict[str, Any], err: SafeStream) -> int:
    """0 when the report is ok, 1 when a hop failed, 3 (said on ``err``) when netcheck hit
    an internal error in a step."""
    if any(h["code"] == "internal_error" for s in report["steps"] for h in s["hops"]):
        print(f"{PROG}: netcheck hit an internal error in a step (see the report); this is a "
              "bug in netcheck: please report it", file=err)
        return ExitStatus.INTERNAL
    return ExitStatus.OK if report["ok"] else ExitStatus.FAILED


class Delivery:
    """Writes the report once (to its file or stdout) and says where it went."""

    def __init__(self, target: ReportPath | None, to_stdout: bool, out: SafeStream,
                 err: SafeStream, console: Callable[[], Any]) -> None:
        self.target, self.to_stdout, self.out, self.err = target, to_stdout, out, err
        self.console = console
        self.said: list[str] = []
        self.written: Path | None = None

    def deliver(self, report: dict[str, Any]) -> None:
        from netcheck.cli.report_file import report_text, write_report_file

        if self.to_stdout:
            text = report_text(report)
            if not self.out.can_encode(text):  # still valid JSON, every character escaped
                text = report_text(report, ascii_only=True)
            self.out.write(text)
            self.out.flush()
            return
        if self.target is None:
            return
        try:
            replaced = write_report_file(report, self.target)
        except OSError as exc:
            self.said.append(f"{PROG}: could not write the report to {self.target.path}: "
                             f"{exc.strerror or exc}")
            return
        self.written = self.target.path
        self.said.append(f"Report written to {self.target.path}: attach it to your ticket."
                         + (f" ({replaced})" if replaced else ""))

    def tell(self) -> None:
        """Say where the report went (on the console, and on stderr if stdout was cut off)."""
        for line in self.said:
            self.console().print(line, soft_wrap=True, markup=False)
        if self.out.closed_early:
            where = "the report written to it was lost with it" if self.to_stdout else \
                f"the checks went on and the report was written to {self.written}" \
                if self.written else "the checks went on"
            print(f"{PROG}: the output was closed before the end (broken pipe); {where}",
                  file=self.err)


def options_from(args: argparse.Namespace, url: str = "") -> Options:
    """The command line's options (for several servers, ``url`` is set per server)."""
    return Options(url=url, client=args.client or "claude-code", proxy=args.proxy,
                   no_proxy=args.no_proxy, cert=args.cert, key=args.key,
                   key_passphrase_env=args.key_passphrase_env, cacert=tuple(args.cacert),
                   proxy_cacert=tuple(args.proxy_cacert),
                   dns_server=args.dns_server, timeout=args.timeout,
                   public_roots=args.public_roots, headers=tuple(args.header),
                   client_id=args.client_id, client_metadata_url=args.client_metadata_url,
                   auth_server_metadata=args.auth_server_metadata, register=args.register,
                   oauth=not args.no_oauth, deadline=args.deadline,
                   reuse_connections=not args.no_reuse,
                   claude_settings=tuple(args.claude_settings),
                   callback_port=args.callback_port,
                   client_flags=tuple(args.client_arg))
