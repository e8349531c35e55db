"""The program's name, its exit statuses and its default report: what every command module
needs of the command line, in a module that needs nothing (the commands import it, never the
package that dispatches to them)."""

from __future__ import annotations

from enum import IntEnum

PROG = "netcheck"
DEFAULT_REPORT = "netcheck-report.json"


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    INTERNAL = 3  # a bug in netcheck; the report (if the checks had started) says how far it got
    INTERRUPTED = 130
