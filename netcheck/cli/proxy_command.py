"""``netcheck proxy URL``: every client model's proxy decision for one URL."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import IO

from netcheck.cli.program import ExitStatus
from netcheck.hops.proxy_resolve import source_of
from netcheck.proxy.registry import decide_all
from netcheck.redaction import redact_url
from netcheck.runner import validate_url
from netcheck.settings.gather import Options, gather


def run_proxy(args: argparse.Namespace, environ: Mapping[str, str], stdout: IO[str]) -> int:
    from netcheck.cli.report_file import check_report_path, write_report_file

    url = validate_url(args.url)
    target = check_report_path(args.json, default="netcheck-proxy.json") \
        if args.json and args.json != "-" else None  # as a report: checked first, written whole
    settings = gather(Options(url=url, client=args.client, proxy=args.proxy,
                              no_proxy=args.no_proxy), environ)
    decisions = decide_all(settings.env, url, every=True)
    if args.json:
        payload = {"url": redact_url(url),
                   "decisions": {name: d.to_json() for name, d in decisions.items()}}
        if target is None:
            print(json.dumps(payload, indent=2), file=stdout)
        else:
            write_report_file(payload, target)
        return ExitStatus.OK

    from rich.table import Table
    from rich.text import Text

    from netcheck.cli.output import SafeStream, make_console

    console = make_console(SafeStream(stdout), environ, no_color=getattr(args, "no_color", False))
    chosen = settings.profile.proxy.model
    if not console.is_terminal:  # one model a line, its name first, never wrapped
        console.print(f"Proxy decision for {redact_url(url)}", markup=False)
        for name, decision in decisions.items():
            named = f"{name} ({settings.profile.name})" if name == chosen else name
            picked = f"refuses: {decision.error}" if decision.error else \
                decision.proxy_url or "DIRECT"
            console.print(f"{named:<28} {picked}  {decision.reason}", markup=False)
        return ExitStatus.OK
    table = Table(title=f"Proxy decision for {redact_url(url)}", title_justify="left")
    for column in ("client model", "proxy", "why"):
        table.add_column(column)
    for name, decision in decisions.items():
        proxy = (Text(f"refuses: {decision.error}", style="red") if decision.error else
                 Text(decision.proxy_url or "DIRECT"))
        label = Text(f"{name} ({settings.profile.name})", style="bold") if name == chosen \
            else Text(name)
        table.add_row(label, proxy, Text(source_of(decision, settings.origins)))
    console.print(table)
    return ExitStatus.OK
