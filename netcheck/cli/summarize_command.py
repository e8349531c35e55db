"""``netcheck summarize DIR_OR_FILE...``: many reports (one per machine or site) counted by
verdict code, failing step, proxy and client release, and the machines that share a failure.

Plain Python over the JSON files. Files that are not netcheck reports are named and skipped.
Exit status: 0 every report is ok, 1 some report records a failure, 2 no readable report.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from netcheck.cli.program import PROG, ExitStatus

SHOWN_MACHINES = 12  # per failure; the count says how many share it


@dataclass(frozen=True)
class Sample:
    """One server's report from one machine."""

    machine: str
    verdict: str
    step: str
    failure: tuple[str, str, str] | None  # (step, hop, code)
    proxy: str
    client: str


def run_summarize(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from netcheck.report.received import DAMAGED, ReportError, read_report

    samples: list[Sample] = []
    files = skipped = 0
    for path in report_files(args.paths, stderr):
        files += 1
        try:
            received = read_report(str(path))
        except ReportError as exc:
            skipped += 1
            print(f"{PROG}: skipped: {exc}", file=stderr)
            continue
        try:
            samples += [sample(entry.report, path, entry.name) for entry in received.entries()
                        if entry.report is not None]
        except DAMAGED:
            skipped += 1
            print(f"{PROG}: skipped: {path} is a damaged netcheck report", file=stderr)
    if not samples:
        print(f"{PROG}: no readable netcheck report among {files} file(s)", file=stderr)
        return ExitStatus.USAGE
    for line in summary(samples, files, skipped):
        print(line, file=stdout)
    return ExitStatus.OK if all(s.failure is None for s in samples) else ExitStatus.FAILED


def report_files(paths: list[str], stderr: IO[str]) -> Iterator[Path]:
    """The files named, and the ``*.json`` files under the folders named, each once."""
    seen: set[Path] = set()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
        elif path.exists():
            found = [path]
        else:
            print(f"{PROG}: skipped: {name}: no such file or folder", file=stderr)
            continue
        for one in found:
            if one.resolve() not in seen:
                seen.add(one.resolve())
                yield one


def sample(report: dict[str, Any], path: Path, server: str | None) -> Sample:
    env = report.get("environment") or {}
    machine = env.get("host_name") or path.stem
    if report.get("label"):
        machine = f"{machine} ({report['label']})"
    if server:
        machine = f"{machine} [{server}]"
    verdict = report.get("verdict")
    failure = None if verdict is None else (str(verdict["step"]), str(verdict["hop"]),
                                            str(verdict["code"]))
    profile = report.get("client_profile") or {}
    client = " ".join(str(profile[k]) for k in ("client", "release") if profile.get(k)) \
        or str(profile.get("name"))
    return Sample(machine=machine, verdict=failure[2] if failure else "ok",
                  step=failure[0] if failure else "-", failure=failure, proxy=proxy_of(report),
                  client=client)


def proxy_of(report: dict[str, Any]) -> str:
    """The proxy the first request went through, as the report records it; "direct" if none."""
    for step in report["steps"]:
        for hop in step["hops"]:
            details = hop.get("details")
            if hop["hop"] == "proxy_resolve" and isinstance(details, dict) and "proxy" in details:
                return str(details["proxy"] or "direct")
    return "unknown"


def summary(samples: list[Sample], files: int, skipped: int) -> list[str]:
    lines = [f"{len(samples)} report(s) from {files} file(s)"
             + (f", {skipped} skipped" if skipped else "")]
    for title, values in (("verdict", [s.verdict for s in samples]),
                          ("failing step", [s.step for s in samples if s.failure]),
                          ("proxy", [s.proxy for s in samples]),
                          ("client", [s.client for s in samples])):
        counts = Counter(values).most_common()
        shown = " · ".join(f"{name} {count}" for name, count in counts) or "none"
        lines.append(f"{title + ':':<14}{shown}")
    shared: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for one in samples:
        if one.failure is not None:
            shared[one.failure].append(one.machine)
    if shared:
        lines.append("machines by failure:")
        for (step, hop, code), machines in sorted(shared.items(), key=lambda i: -len(i[1])):
            named = sorted(machines)[:SHOWN_MACHINES]
            more = f" and {len(machines) - len(named)} more" if len(machines) > len(named) else ""
            lines.append(f"  {step} › {hop} [{code}]: {len(machines)}: {', '.join(named)}{more}")
    return lines
