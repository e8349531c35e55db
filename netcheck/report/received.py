"""Reading a report someone else's netcheck wrote: is it a netcheck report, can this netcheck
read its schema version, and which form is it (one server, or the servers of a configuration).

A report of schema major 1 with a newer minor version is readable (minor versions only add
fields); a newer major version is not. Everything unusable is a :class:`ReportError` whose text
says why, for the CLI to print (exit 2). Control characters in a received report are made visible
(``\\x1b``), never passed to the reader's terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netcheck.report.build import SCHEMA_VERSION

_VERSION = re.compile(r"(\d+)\.(\d+)")
# What the renderer reads of a single-server report, and of each of its steps and hops.
_REPORT_FIELDS = ("netcheck_version", "client_profile", "target", "steps", "verdict", "warnings",
                  "ok")
_STEP_FIELDS = ("step", "url", "ok", "notes", "hops")
_HOP_FIELDS = ("hop", "status", "duration_ms", "code", "message", "hint", "notes", "details")


class ReportError(Exception):
    """The file is not a report this netcheck can read; the text says why."""


# What reading a report that passed the checks can still raise (a field of the wrong type).
DAMAGED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@dataclass(frozen=True)
class Entry:
    """One server's report, with where it came from: the file and, in a report of configured
    servers, the server's name, client and configuration file."""

    source: str
    report: dict[str, Any] | None  # None: the server was not checked (e.g. a stdio server)
    name: str | None = None
    client: str | None = None
    config_file: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Received:
    """A loaded report document: ``document`` as read, ``newer_minor`` when written by a newer
    netcheck of the same major schema version (readable, some fields are not understood)."""

    source: str
    document: dict[str, Any]
    newer_minor: str | None = None

    @property
    def is_multi(self) -> bool:
        return "servers" in self.document

    def entries(self) -> Iterator[Entry]:
        if not self.is_multi:
            yield Entry(self.source, self.document)
            return
        for server in self.document["servers"]:
            yield Entry(self.source, server.get("report"), name=_text(server.get("name")),
                        client=_text(server.get("client")),
                        config_file=_text(server.get("config_file")),
                        url=_text(server.get("url")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_report(path: str) -> Received:
    """The report at ``path`` (``-`` is not accepted: a report is a file someone sent)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReportError(f"{path} is a directory, not a report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path} cannot be read ({exc.__class__.__name__})") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ReportError(f"{path} is not a netcheck report: not JSON{where}") from None
    return check_document(printable(document), path)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: Any) -> Any:
    """A copy with every control character (but newline and tab) shown as ``\\xNN``: a received
    report is untrusted, and an escape sequence in it must not reach the reader's terminal."""
    if isinstance(value, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def check_document(document: Any, source: str) -> Received:
    """``document`` as a :class:`Received` report, or a :class:`ReportError`."""
    if not isinstance(document, dict):
        raise ReportError(f"{source} is not a netcheck report: not a JSON object")
    if "servers" in document and "steps" not in document:
        servers = document["servers"]
        if not isinstance(servers, list) or not all(isinstance(s, dict) for s in servers):
            raise ReportError(f"{source} is not a netcheck report: 'servers' is not a list of "
                              "servers")
        if "schema_version" not in document and not any(
                isinstance(s.get("report"), dict) for s in servers):
            raise ReportError(f"{source} is not a netcheck report (no schema_version, and no "
                              "server with a report)")
        newer = _check_version(document, source) if "schema_version" in document else None
        for server in servers:
            report = server.get("report")
            if report is not None:
                newer = _check_single(report, f"{source} (server {server.get('name')!r})") \
                    or newer
        return Received(source, document, newer)
    return Received(source, document, _check_single(document, source))


def _check_single(report: Any, source: str) -> str | None:
    if not isinstance(report, dict):
        raise ReportError(f"{source} is not a netcheck report: not a JSON object")
    newer = _check_version(report, source)
    missing = [f for f in _REPORT_FIELDS if f not in report]
    steps = report.get("steps")
    if not missing and isinstance(steps, list):
        for step in steps:
            if not isinstance(step, dict) or not isinstance(step.get("hops"), list):
                missing.append("steps[].hops")
                break
            missing += [f"steps[].{f}" for f in _STEP_FIELDS if f not in step]
            for hop in step["hops"]:
                if not isinstance(hop, dict):
                    missing.append("steps[].hops[]")
                    break
                missing += [f"steps[].hops[].{f}" for f in _HOP_FIELDS if f not in hop]
    elif not missing:
        missing.append("steps")
    if missing:
        fields = ", ".join(dict.fromkeys(missing))
        raise ReportError(f"{source} is not a complete netcheck report (missing or malformed: "
                          f"{fields})")
    return newer


def _check_version(report: dict[str, Any], source: str) -> str | None:
    """The report's version when it is a newer minor than ours, None when ours or older."""
    version = report.get("schema_version")
    match = _VERSION.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        raise ReportError(f"{source} is not a netcheck report (no schema_version)")
    ours = _VERSION.fullmatch(SCHEMA_VERSION)
    assert ours is not None
    major, minor = int(match[1]), int(match[2])
    our_major, our_minor = int(ours[1]), int(ours[2])
    if major > our_major:
        raise ReportError(f"{source} was written by a newer netcheck (report schema {version}; "
                          f"this netcheck reads {our_major}.x): upgrade netcheck to read it")
    if major < our_major:
        raise ReportError(f"{source} is not a netcheck report this netcheck knows (schema "
                          f"{version})")
    return version if minor > our_minor else None
