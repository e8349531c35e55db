"""``netcheck login --client PROFILE`` against the real clients' own logins.

Claude Code's /mcp login, ``codex mcp login``, mcp-remote and Copilot CLI complete whole
logins offline against netcheck's lab (``running_lab(None, login_fault, client_certs=False)``)
when a browser stand-in follows the authorization URL (``tests/real_clients/
login_agreement.py``; Gemini CLI refuses the lab's loopback addresses, so it is measured but
not asserted). For each client that completes the healthy login, and for the healthy lab and
each login fault (all of them: at least two clients complete the healthy login; one lab per
fault), the real client logs in and
``netcheck login LAB_URL --client PROFILE`` runs on the same lab with the same environment:
the client completes its login (token obtained, the server authenticated and connected) if
and only if netcheck exits 0.

Where a client was measured to disagree with netcheck (``tests/real_clients/
login-measured.json``, notes/login.md), the case is an ``xfail(strict=True)`` naming what the
client does and what netcheck says, so a fixed profile (or a changed client) shows up. A client
that no longer does what the table says fails the case outright: re-measure with
``python -m tests.real_clients.login_agreement``.

Marked ``real_client`` (slow; CI runs them): 60-80 s on 2 cores.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netcheck.profiles import PROFILES
from tests.real_clients import login_agreement
from tests.real_clients.login_agreement import (
    CLIENTS,
    DRIVERS,
    HEALTHY,
    OPTIONAL,
    faults,
    lab_for,
    netcheck_login,
    unavailable,
)

MEASURED: dict[str, Any] = json.loads(login_agreement.MEASURED.read_text(encoding="utf-8"))
ROWS = {(row["fault"], row["client"]): row for row in MEASURED["rows"]}
# the clients that complete the healthy login (Copilot CLI too; Gemini CLI refuses the lab's
# loopback addresses): the agreement is asserted for them
LOGGING_IN = [c for c in (*CLIENTS, *OPTIONAL) if ROWS.get((HEALTHY, c), {}).get("completed")]
# every fault, as long as at least two real clients complete the healthy login
FAULTS = faults() if len(LOGGING_IN) >= 2 else [HEALTHY]


def _netcheck_said(row: dict[str, Any]) -> str:
    said = row["netcheck"]
    if said["ok"]:
        return "netcheck says the login completes (exit 0)"
    return f"netcheck says it fails at {'/'.join(said['verdict'] or ['?'])} (exit 1)"


def _case(fault: str, client: str) -> Any:
    row = ROWS.get((fault, client))
    marks: list[Any] = [pytest.mark.real_client]
    if row is not None and not row["agree"]:
        done = "completes the login" if row["completed"] else "fails"
        marks.append(pytest.mark.xfail(
            strict=True, raises=AssertionError,
            reason=f"measured: {client} {done} ({row['said'][:160]}); {_netcheck_said(row)}"))
    return pytest.param(fault, client, marks=marks, id=f"{fault}-{client}")


CASES = [_case(fault, client) for fault in FAULTS for client in LOGGING_IN]


class Labs:
    """One lab at a time, kept while the cases of its fault run (they are in fault order)."""

    def __init__(self) -> None:
        self.fault: str | None = None
        self.lab: Any = None
        self.stack = contextlib.ExitStack()

    def get(self, fault: str) -> Any:
        if fault != self.fault:
            self.close()
            self.lab = self.stack.enter_context(lab_for(fault))
            self.fault = fault
        return self.lab

    def close(self) -> None:
        self.stack.close()
        self.stack = contextlib.ExitStack()
        self.fault = self.lab = None


@pytest.fixture(scope="module")
def labs() -> Iterator[Labs]:
    shared = Labs()
    yield shared
    shared.close()


@pytest.mark.parametrize(("fault", "client"), CASES)
def test_the_real_client_logs_in_where_netcheck_says(labs: Labs, fault: str, client: str,
                                                     tmp_path: Path) -> None:
    reason = unavailable(client)
    if reason:
        pytest.skip(f"{client} cannot run here: {reason}")
    lab = labs.get(fault)
    got = DRIVERS[client](lab, tmp_path, fault)
    said = netcheck_login(lab, client, tmp_path / "netcheck")
    measured = ROWS[fault, client]
    if got.completed != measured["completed"]:
        pytest.fail(f"{client} no longer does what login-measured.json says for {fault} "
                    f"(completed={measured['completed']}: {measured['said'][:120]}); now "
                    f"completed={got.completed}: {got.said[:200]}. Re-measure with python -m "
                    "tests.real_clients.login_agreement")
    assert got.completed == said.ok, (
        f"{fault}: {client} {'completed' if got.completed else 'failed'} ({got.stage}: "
        f"{got.said[:200]}; browser {got.browser}); netcheck exit {said.status}, verdict "
        f"{said.verdict}: {said.message[:200]}")
    assert said.status == (0 if said.ok else 1)


def test_the_table_covers_every_fault_and_names_the_modelled_releases() -> None:
    """The measured table has a row per client and fault, netcheck's verdict beside it, and
    was measured on the releases the profiles model."""
    assert set(CLIENTS) <= set(LOGGING_IN), MEASURED["rows"]
    for client in (*CLIENTS, *OPTIONAL):
        assert {f for f, c in ROWS if c == client} == set(faults()), client
        assert MEASURED["releases"][client] == PROFILES[client].release, client
    for row in MEASURED["rows"]:
        assert row["agree"] == (row["completed"] == row["netcheck"]["ok"]), row
