"""``netcheck demo``: the whole check against the embedded lab, healthy and then with a fault."""

from __future__ import annotations

import argparse
from typing import IO, Any

from netcheck.cli import ExitStatus


def run_demo(args: argparse.Namespace, stdout: IO[str]) -> int:
    from rich.console import Console
    from rich.text import Text

    from netcheck.cli.check_command import write_report
    from netcheck.cli.render import render_report
    from netcheck.lab.faults import DEFAULT_FAULT, FAULTS
    from netcheck.lab.lab import running_lab
    from netcheck.redaction import redact_proxy
    from netcheck.report import build_report
    from netcheck.runner import run_check
    from netcheck.settings.gather import UsageError

    console = Console(file=stdout, highlight=False)
    if args.list_faults:
        for listed in FAULTS.values():
            line = Text(f"{listed.name:<22}", style="bold")
            line.append(f"{listed.summary}  ")
            line.append(" › ".join(listed.expect), style="dim")
            console.print(line)
        return ExitStatus.OK
    fault = FAULTS.get(args.fault or DEFAULT_FAULT)
    if fault is None:
        raise UsageError(f"unknown fault {args.fault!r}; netcheck demo --list-faults shows them")

    def banner(text: str) -> None:
        console.rule(Text(text, style="bold"))

    def check(lab: Any) -> dict[str, Any]:
        env_text = "  ".join(f"{k}={redact_proxy(v)}" for k, v in lab.env.items())
        console.print(Text(f"environment: {env_text}", style="dim"))
        report = build_report(run_check(lab.options(), lab.env))
        render_report(console, report, verbose=args.verbose)
        return report

    console.print(Text(
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
    write_report(faulty, args.json, stdout, console)

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
