"""``netcheck diff A.json B.json``: two reports of the same server (or of the same
configuration) side by side, in a handful of lines: which run is which, the settings that
differ with where each value came from, and the first step and hop where the outcomes part.

Exit status: 0 the outcomes (every hop's status and failure code) are the same, 1 they differ,
2 a file is not a report this netcheck can read, or the two are not comparable.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from typing import IO, Any

from netcheck.cli.program import PROG, ExitStatus
from netcheck.redaction import REDACTED

UNSET = "(not set)"
_TIMING = re.compile(r"(?<![0-9.])[0-9.]+ ms\b")  # timings differ between runs; linear


def run_diff(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from netcheck.report.received import DAMAGED, ReportError, read_report

    try:
        a, b = read_report(args.a), read_report(args.b)
    except ReportError as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return ExitStatus.USAGE
    if a.is_multi != b.is_multi:
        print(f"{PROG}: {args.a if a.is_multi else args.b} is a report of configured servers "
              f"and the other of one server: compare reports of the same kind", file=stderr)
        return ExitStatus.USAGE
    try:
        if not a.is_multi:
            lines, differ = compare(a.document, b.document)
        else:
            lines, differ = _compare_servers(a.document, b.document)
    except DAMAGED:
        print(f"{PROG}: {args.a} or {args.b} is a damaged netcheck report: a field has the "
              "wrong type", file=stderr)
        return ExitStatus.USAGE
    print(f"A = {args.a}, B = {args.b}", file=stdout)
    for line in lines:
        print(line, file=stdout)
    return ExitStatus.FAILED if differ else ExitStatus.OK


def _compare_servers(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[str], bool]:
    servers_a = {s.get("name"): s for s in a["servers"]}
    servers_b = {s.get("name"): s for s in b["servers"]}
    lines: list[str] = []
    differ = False
    for name in [*servers_a, *(n for n in servers_b if n not in servers_a)]:
        one, other = servers_a.get(name), servers_b.get(name)
        if one is None or other is None:
            differ = True
            lines.append(f"server {name}: only in {'A' if other is None else 'B'}")
            continue
        if not isinstance(one.get("report"), dict) or not isinstance(other.get("report"), dict):
            same = one.get("report") is None and other.get("report") is None
            differ = differ or not same
            lines.append(f"server {name}: " + ("not checked in either" if same else
                                                "checked in only one of them"))
            continue
        sub, sub_differ = compare(one["report"], other["report"])
        differ = differ or sub_differ
        lines.append(f"server {name}:")
        lines += [f"  {line}" for line in sub]
    return lines, differ


def compare(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[str], bool]:
    """The lines comparing two single-server reports, and whether their outcomes differ."""
    lines = [f"A: {_describe(a)}", f"B: {_describe(b)}"]
    if a.get("target") != b.get("target"):
        lines.append(f"note: they check different servers ({a.get('target')} and "
                     f"{b.get('target')})")
    settings_a, settings_b = settings_of(a), settings_of(b)
    changed = [n for n in dict.fromkeys([*settings_a, *settings_b])
               if settings_a.get(n, UNSET) != settings_b.get(n, UNSET)]
    if changed:
        lines.append("settings that differ:")
        width = max(len(n) for n in changed)
        for name in changed:
            lines.append(f"  {name:<{width}}  A {settings_a.get(name, UNSET)}")
            lines.append(f"  {'':<{width}}  B {settings_b.get(name, UNSET)}")
    else:
        lines.append("settings: the same")
    parting = first_parting(a, b)
    if parting is None:
        lines.append("outcomes: the same at every step and hop")
        return lines, False
    lines += parting
    hidden = sorted(n for n in settings_a if REDACTED in settings_a[n]
                    and settings_a[n] == settings_b.get(n))
    if hidden:
        lines.append("note: redacted values (a password, a header value) look the same in "
                     f"both reports but may differ: {', '.join(hidden)}")
    return lines, True


def _describe(report: dict[str, Any]) -> str:
    env = report.get("environment") or {}
    who = [f'"{report["label"]}"' if report.get("label") else None, env.get("host_name"),
           f"({env['os']})" if env.get("os") else None, report.get("started_at")]
    verdict = report.get("verdict")
    outcome = "OK" if verdict is None else \
        f"FAILED at {verdict['step']} › {verdict['hop']} [{verdict['code']}]"
    return " ".join(w for w in who if w) + f": {outcome}"


def settings_of(report: dict[str, Any]) -> dict[str, str]:
    """What a run was given, as name -> "value (from source)", flattened for comparison."""
    settings = report.get("settings") or {}
    out: dict[str, str] = {}
    for name, value in (settings.get("proxy_variables") or {}).items():
        out[name] = _sourced(value)
    for name, value in ((report.get("environment") or {}).get("variables") or {}).items():
        out.setdefault(name, f"{value} (from the environment)")
    for source in settings.get("claude_code_settings") or []:
        state = "applied" if source.get("applied") else f"not applied: {source.get('why_not')}"
        for name, value in (source.get("variables") or {}).items():
            out[f"{name} in {source.get('file')}"] = f"{value} ({state})"
    for key, value in settings.items():
        if key not in ("proxy_variables", "claude_code_settings"):
            out[key] = _sourced(value)
    profile = report.get("client_profile") or {}
    out["client profile"] = " ".join(str(profile[k]) for k in ("name", "client", "release")
                                     if profile.get(k))
    out["netcheck"] = str(report.get("netcheck_version"))
    return out


def _sourced(value: Any) -> str:
    if value is None:
        return UNSET
    if isinstance(value, dict) and "source" in value:
        shown = value.get("value", "set" if value.get("set") else UNSET)
        return f"{shown} (from {value['source']})"
    if isinstance(value, list):
        return ", ".join(_sourced(v) for v in value) or "(none)"
    return str(value)


def first_parting(a: dict[str, Any], b: dict[str, Any]) -> list[str] | None:
    """The lines naming the first step and hop where the outcomes differ; None if nowhere."""
    for name, step_a, step_b in _paired_steps(a, b):
        if step_a is None or step_b is None:
            ran = "A" if step_b is None else "B"
            return [f"outcomes part at step {name}: only {ran} has it"]
        hops_a = {h["hop"]: h for h in step_a["hops"]}
        hops_b = {h["hop"]: h for h in step_b["hops"]}
        order = list(dict.fromkeys([*hops_a, *hops_b]))
        for index, hop in enumerate(order):
            one, other = hops_a.get(hop), hops_b.get(hop)
            if _outcome(one) == _outcome(other):
                continue
            lines = [f"outcomes part at {name} › {hop}:", f"  A {_hop_line(one)}",
                     f"  B {_hop_line(other)}"]
            earlier = next((h for h in order[:index]
                            if _evidence(hops_a.get(h)) != _evidence(hops_b.get(h))), None)
            if earlier is not None:
                lines.append(f"  before it, {earlier} already differs:")
                lines.append(f"    A {_hop_line(hops_a.get(earlier))}")
                lines.append(f"    B {_hop_line(hops_b.get(earlier))}")
            return lines
    return None


def _paired_steps(a: dict[str, Any], b: dict[str, Any]) -> Iterator[
        tuple[str, dict[str, Any] | None, dict[str, Any] | None]]:
    """Steps of both reports paired by name and occurrence (a step may run more than once)."""
    def keyed(report: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
        seen: dict[str, int] = {}
        out = {}
        for step in report["steps"]:
            seen[step["step"]] = seen.get(step["step"], -1) + 1
            out[(step["step"], seen[step["step"]])] = step
        return out

    steps_a, steps_b = keyed(a), keyed(b)
    for key in dict.fromkeys([*steps_a, *steps_b]):
        yield key[0], steps_a.get(key), steps_b.get(key)


def _outcome(hop: dict[str, Any] | None) -> tuple[str, str | None] | None:
    return None if hop is None else (hop["status"], hop["code"])


def _evidence(hop: dict[str, Any] | None) -> str | None:
    return None if hop is None else _TIMING.sub("", str(hop["message"]))


def _hop_line(hop: dict[str, Any] | None) -> str:
    if hop is None:
        return "(no such hop)"
    code = f" [{hop['code']}]" if hop["code"] else ""
    if hop["status"] == "skipped":
        return "not run"
    return f"{hop['status']}: {hop['message']}{code}"
