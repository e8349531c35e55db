"""Where the report goes, checked before any network work, and how it is written: whole or not
at all (a temporary file in the same folder, then renamed over the path), never through a
symlink already at the path (the rename replaces the link itself, not what it points to).
Also the files written beside it: the Markdown summary, a report as ``show`` renders it.

The default report keeps the one it replaces as ``netcheck-report.previous.json``; a path you
name is replaced, and the run says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from netcheck.cli.program import PROG
from netcheck.settings.gather import UsageError


@dataclass(frozen=True)
class ReportPath:
    path: Path
    keep_previous: bool  # the default name: the last run's report is kept beside it

    @property
    def previous(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.previous{self.path.suffix}")


def check_report_path(value: str, *, default: str) -> ReportPath:
    """The report path ``value`` (not ``-``), or :class:`UsageError` when no report could be
    written there: a folder, a missing or unwritable folder."""
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"--json {value}: that is a folder; name a file in it, e.g. "
                         f"{path / default}")
    if _special(path):  # /dev/null, a named pipe: written as it is
        return ReportPath(path, keep_previous=False)
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"--json {value}: the folder {folder} does not exist")
    try:
        fd, probe = _new_file(folder, ".netcheck-", ".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--json {value}: cannot write in {folder} "
                         f"({exc.strerror or exc}); name another path or use --no-json"
                         ) from exc
    return ReportPath(path, keep_previous=value == default)


def _new_file(folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A file only this process has opened (created exclusively, mode 0600, never through a
    link), as ``tempfile.mkstemp`` makes one; without importing tempfile and random, which
    would delay the first connection (the report path is checked before it opens)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def _special(path: Path) -> bool:
    """Something already there that is neither a file nor a link (a device, a pipe)."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode))


def report_text(report: dict[str, Any], *, ascii_only: bool = False) -> str:
    return json.dumps(report, indent=2, ensure_ascii=ascii_only) + "\n"


def write_report_file(report: dict[str, Any], target: ReportPath) -> str:
    """Write ``report`` to ``target``; returns what happened to what was there (or "")."""
    text = report_text(report)
    path = target.path
    if _special(path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return ""
    try:
        was = path.lstat().st_mode
    except OSError:
        was = None
    fd, temporary = _new_file(path.parent, f".{path.name}.", ".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        kept = ""
        if was is not None and stat.S_ISREG(was) and target.keep_previous:
            os.replace(path, target.previous)
            kept = f"the previous run's report is now {target.previous}"
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if was is not None and stat.S_ISLNK(was):
        return "it replaced the symlink that was there, not the file it pointed to"
    if was is not None and not kept:
        return "it replaced the file that was there"
    return kept


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def refuse_two_stdouts(markdown: str | None, json_path: str | None) -> None:
    """A usage error when the Markdown and the JSON would both go to stdout."""
    if markdown == "-" and json_path == "-":
        raise UsageError("--markdown - and --json - both want stdout; write one to a file")


def write_markdown(document: dict[str, Any], path: str, stdout: IO[str], console: Any) -> None:
    """The Markdown of ``document`` to ``path`` (``-``: stdout)."""
    from netcheck.report.markdown import to_markdown

    write_text(to_markdown(document), path, stdout, console, "Markdown summary")


def write_json(document: dict[str, Any], path: str, stdout: IO[str], console: Any) -> None:
    write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", path, stdout, console,
           "Report")


def write_text(text: str, path: str, stdout: IO[str], console: Any, what: str) -> None:
    if path == "-":
        stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        console.print(f"{PROG}: could not write the {what.lower()} to {path}: "
                      f"{exc.strerror or exc}")
        return
    console.print(f"{what} written to {path}.")
