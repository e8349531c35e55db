"""``netcheck check URL``: run the pipeline, render it, write the report."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import IO, Any

from netcheck.cli import ExitStatus
from netcheck.model import HopResult, Step
from netcheck.settings.gather import Options


def run_check_command(args: argparse.Namespace, environ: Mapping[str, str], stdout: IO[str],
                      stderr: IO[str]) -> int:
    from netcheck.cli.show_command import refuse_two_stdouts
    from netcheck.runner import run_check  # rendering and the report come later (warmup)

    refuse_two_stdouts(args.markdown, None if args.no_json else args.json)
    options = Options(url=args.url, client=args.client, proxy=args.proxy,
                      no_proxy=args.no_proxy, cert=args.cert, key=args.key,
                      key_passphrase_env=args.key_passphrase_env, cacert=tuple(args.cacert),
                      dns_server=args.dns_server, timeout=args.timeout,
                      public_roots=args.public_roots, headers=tuple(args.header),
                      client_id=args.client_id, client_metadata_url=args.client_metadata_url,
                      auth_server_metadata=args.auth_server_metadata, register=args.register,
                      oauth=not args.no_oauth, deadline=args.deadline,
                      reuse_connections=not args.no_reuse,
                      claude_settings=tuple(args.claude_settings),
                      callback_port=args.callback_port)
    json_to_stdout = args.json == "-" and not args.no_json
    out = stderr if json_to_stdout else stdout
    status = None
    if not args.quiet and out.isatty():
        from rich.console import Console

        status = Console(file=out, highlight=False).status("starting")

    def observe(step: Step, hop: HopResult) -> None:
        if status is not None:
            status.update(f"{step.value} › {hop.hop.value}: {hop.status.value}")

    if status is not None:
        status.start()
    try:
        run = run_check(options, environ, observer=observe)
    finally:
        if status is not None:
            status.stop()
    from rich.console import Console

    from netcheck.cli.render import render_report
    from netcheck.cli.show_command import write_markdown
    from netcheck.report import build_report
    from netcheck.report.finish import finish_report

    console = Console(file=out, highlight=False)
    report = finish_report(build_report(run), label=args.label, anonymize=args.anonymize)
    render_report(console, report, verbose=args.verbose, quiet=args.quiet)
    write_report(report, None if args.no_json else args.json, stdout, console)
    if args.markdown:
        write_markdown(report, args.markdown, stdout, console)
    return ExitStatus.OK if report["ok"] else ExitStatus.FAILED


def write_report(report: dict[str, Any], path: str | None, stdout: IO[str], console: Any) -> None:
    if path is None:
        return
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if path == "-":
        print(text, file=stdout)
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as exc:
        console.print(f"netcheck: could not write the report to {path}: {exc.strerror or exc}")
        return
    console.print(f"Report written to {path}: attach it to your ticket.")
