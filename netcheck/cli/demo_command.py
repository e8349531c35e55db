"""``netcheck demo``: the whole check against the embedded lab, healthy and then with a fault."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import IO, Any

from netcheck.cli.program import ExitStatus

DEMO_REPORT = "netcheck-demo-report.json"


def run_demo(args: argparse.Namespace, stdout: IO[str],
             environ: Mapping[str, str] | None = None) -> int:
    from rich.text import Text

    from netcheck.cli.check_command import Delivery
    from netcheck.cli.output import SafeStream, make_console
    from netcheck.cli.render import emit, render_report
    from netcheck.cli.report_file import check_report_path
    from netcheck.lab.faults import DEFAULT_FAULT, FAULTS
    from netcheck.lab.lab import running_lab
    from netcheck.redaction import redact_proxy
    from netcheck.report import build_report
    from netcheck.runner import run_check
    from netcheck.settings.gather import UsageError

    out = SafeStream(stdout)
    console = make_console(out, environ or {}, no_color=getattr(args, "no_color", False))
    if args.list_faults:  # one fault a line, its name first: awk '{print $1}' lists the names
        for listed in FAULTS.values():
            line = Text(f"{listed.summary}  ")
            line.append(" › ".join(listed.expect), style="dim")
            emit(console, line, Text(f"{listed.name:<22} ", style="bold"))
        return ExitStatus.OK
    fault = FAULTS.get(args.fault or DEFAULT_FAULT)
    if fault is None:
        raise UsageError(f"unknown fault {args.fault!r}; netcheck demo --list-faults shows them")
    target = check_report_path(args.json, default=DEMO_REPORT)  # before any lab starts

    def banner(text: str) -> None:
        console.rule(Text(text, style="bold"))

    def check(lab: Any) -> dict[str, Any]:
        env_text = "  ".join(f"{k}={redact_proxy(v)}" for k, v in lab.env.items())
        console.print(Text(f"environment: {env_text}", style="dim"))
        report = build_report(run_check(lab.options(), lab.env))
        render_report(console, report, verbose=args.verbose)
        return report

    emit(console, Text(
        "netcheck demo: a lab on this machine only (loopback): an MCP server that requires a "
        "client certificate, its OAuth authorization server, a proxy with Basic auth and a DNS "
        "responder, with throwaway certificates. Each run below is `netcheck check` as Claude "
        "Code's settings would drive it."))
    banner("1. a healthy network")
    with running_lab(None) as lab:
        healthy = check(lab)
    banner(f"2. with a fault: {fault.summary}")
    with running_lab(fault) as lab:
        faulty = check(lab)
    delivery = Delivery(target, False, out, out, lambda: console)
    delivery.deliver(faulty)
    delivery.tell()

    verdict = faulty["verdict"]
    got = (verdict["step"], verdict["hop"], verdict["code"]) if verdict else None
    if healthy["ok"] and got == fault.expect:
        console.print(Text("Demo complete: the healthy run passed and the fault was found at "
                           f"{' › '.join(fault.expect)}. Try another: netcheck demo "
                           "--list-faults", style="green"))
        return ExitStatus.OK
    console.print(Text(f"Demo did not go as expected (healthy ok={healthy['ok']}, fault "
                       f"verdict {got}, expected {fault.expect})", style="red"))
    return ExitStatus.FAILED
