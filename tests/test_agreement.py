"""netcheck agrees with the real clients: each profile against the client it claims to be.

For every case of ``tests/real_clients/cases.py`` and every client it runs against, the real
client (Claude Code's health check and its interactive login, the MCP TypeScript SDK, the MCP
Python SDK, all pinned) and netcheck with that client's profile run in the same sandbox; the
client must get exactly as far as netcheck says (``tests/real_clients/agreement.py``). The
client's outcome must also still be the one in the committed table ``measured.json``: when a
client release changes it, re-measure (``python -m tests.real_clients.measure``).

Claude Code's proxy routes are also drawn live over random environments each run (seed in the
test's output, ``NETCHECK_ROUTE_SEED`` to replay). Marked ``real_client``: ``-m "not
real_client"`` skips them locally; CI runs them all.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from netcheck.profiles import PROFILES
from netcheck.profiles.catalog import HTTPX2_RELEASE, UNDICI_RELEASE
from netcheck.proxy.claude_code import decide_claude_code
from netcheck.proxy.models import Target
from tests.real_clients import claude_code, codex, copilot, gemini, mcp_remote, ts_sdk
from tests.real_clients.agreement import Outcome, agree
from tests.real_clients.cases import CASES, Case
from tests.real_clients.clients import CLIENTS
from tests.real_clients.measure import TABLE, releases, run_pair
from tests.real_clients.rig import Rig
from tests.real_clients.sandbox import available

pytestmark = pytest.mark.real_client

MEASURED = json.loads(TABLE.read_text())
ROWS = {(row["case"], row["client"]): row for row in MEASURED["rows"]}
PAIRS = [(case, client) for case in CASES for client in case.clients]


def missing(client: str) -> str | None:
    """Why this client cannot run here, if it cannot (the test is then reported skipped)."""
    if available() is not None:
        return f"no private mount namespaces here: {available()}"
    if client.startswith("claude-code"):
        if client.endswith("session") and shutil.which("tmux") is None:
            return "tmux is not installed"
        return claude_code.missing()
    if client == "mcp-typescript-sdk":
        return ts_sdk.missing()
    if client.startswith("copilot"):
        return copilot.unavailable()
    for prefix, driver in (("codex", codex), ("gemini", gemini), ("mcp-remote", mcp_remote)):
        if client.startswith(prefix):
            return driver.missing()
    return None


@pytest.fixture(scope="session")
def rig(pki: Any) -> Iterator[Rig]:
    lab = Rig(pki)
    yield lab
    lab.close()


@pytest.mark.parametrize(("case", "client"), PAIRS,
                         ids=[f"{case.name}-{client}" for case, client in PAIRS])
def test_netcheck_agrees_with_the_real_client(rig: Rig, case: Case, client: str) -> None:
    reason = missing(client)
    if reason:
        pytest.skip(reason)
    got, said = run_pair(rig, case, CLIENTS[client])
    assert agree(got, said), (f"{case.about}: {client} got {got.step or 'through'} "
                              f"({got.said}); netcheck says {said.step or 'through'} "
                              f"({said.said})")
    measured = Outcome.from_json(ROWS[case.name, client]["client_outcome"])
    assert got.same_as(measured), (f"{client} no longer does what measured.json says "
                                   f"({measured}): re-measure with python -m "
                                   "tests.real_clients.measure")


def test_the_table_covers_every_case_and_names_the_pinned_releases() -> None:
    assert set(ROWS) == {(case.name, client) for case, client in PAIRS}
    assert all(row["agree"] for row in MEASURED["rows"])
    pinned = releases()
    assert MEASURED["releases"] == pinned
    for profile in ("claude-code", "codex", "gemini", "copilot", "mcp-remote"):
        assert pinned[profile] == PROFILES[profile].release, profile
    assert pinned["@modelcontextprotocol/sdk"] == PROFILES["node"].release
    assert pinned["mcp"] == PROFILES["python"].release
    assert (pinned["undici"], pinned["httpx2"]) == (UNDICI_RELEASE, HTTPX2_RELEASE)


@pytest.mark.parametrize("profile", ["claude-code", "codex", "gemini", "copilot",
                                     "mcp-remote"])
def test_every_class_of_disagreement_has_cases(profile: str) -> None:
    """The seven classes of issue 8, each with cases for every measured client (Gemini CLI
    reads none of Claude Code's settings files: its class 1 is its .env file)."""
    for klass in range(1, 8):
        assert any(case.klass == klass and any(CLIENTS[c].profile == profile
                                               for c in case.clients) for case in CASES), klass


ROUTE_RUNS = int(os.environ.get("NETCHECK_ROUTE_RUNS", "12"))


def test_claude_code_routes_in_random_environments() -> None:
    """Property-style: environments of the six proxy variables and NO_PROXY shapes drawn at
    random, each routed by the real Claude Code and by the model (the committed table holds
    3680 rows measured the same way)."""
    reason = missing("claude-code-mcp-list")
    if reason:
        pytest.skip(reason)
    from tests.real_clients.claude_routes import agrees, random_environment, rows_of
    from tests.real_clients.proxy_routes import EXTENDED_URLS, route_lab

    seed = int(os.environ.get("NETCHECK_ROUTE_SEED") or random.randrange(1 << 30))
    print(f"NETCHECK_ROUTE_SEED={seed}")
    rng = random.Random(seed)
    wrong = []
    with route_lab(urls=EXTENDED_URLS) as lab:
        for _ in range(ROUTE_RUNS):
            for row in rows_of(lab.run(random_environment(rng, lab)), lab):
                model = decide_claude_code(row["env"], Target.parse(row["url"]), terminal=False)
                if not agrees(row, model):
                    wrong.append((row["env"], row["url"], row["route"], row["reason"],
                                  model.as_vector()))
    assert not wrong, f"seed {seed}: {wrong[:3]}"


NEW_ROUTE_RUNS = int(os.environ.get("NETCHECK_NEW_ROUTE_RUNS", "5"))


def _route_check(client: str) -> tuple[Any, tuple[str, ...], Any, Any]:
    """(health check, its arguments, the table's agreement rule, the model for a row) of one
    of the clients measured after Claude Code (their tables: *-proxy-routes.json)."""
    from netcheck.proxy import codex as codex_model
    from netcheck.proxy import copilot as copilot_model
    from netcheck.proxy import gemini as gemini_model
    from tests.real_clients import codex_routes, copilot_routes, gemini_routes, mcp_remote_routes

    def model(decide: Any) -> Any:
        return lambda row: decide(row["env"], Target.parse(row["url"]))

    return {
        "codex": (codex.CODEX_LIST, (), codex_routes.agrees, model(codex_model.decide)),
        "copilot": (copilot.COPILOT_PROMPT, (), copilot_routes.agrees,
                    model(copilot_model.decide)),
        "gemini": (gemini.GEMINI_SESSION, (), gemini_routes.agrees, model(gemini_model.decide)),
        "mcp-remote": (mcp_remote.MCP_REMOTE, (mcp_remote_routes.FLAG,),
                       mcp_remote_routes.agrees, mcp_remote_routes.decision_for),
    }[client]


@pytest.mark.parametrize("client", ["codex", "copilot", "gemini", "mcp-remote"])
def test_each_client_routes_as_its_model_in_random_environments(client: str) -> None:
    """As for Claude Code above: new random environments each run (seed in the output), routed
    by the real client and by its profile's model (mcp-remote with --enable-proxy; without it,
    it reads no proxy variable)."""
    reason = missing({"copilot": "copilot-prompt", "gemini": "gemini-session",
                      "codex": "codex-mcp-list"}.get(client, client))
    if reason:
        pytest.skip(reason)
    from tests.real_clients.claude_routes import random_environment, rows_of
    from tests.real_clients.proxy_routes import EXTENDED_URLS, route_lab

    health, args, agrees_row, decision = _route_check(client)
    seed = int(os.environ.get("NETCHECK_ROUTE_SEED") or random.randrange(1 << 30))
    print(f"NETCHECK_ROUTE_SEED={seed}")
    rng = random.Random(seed)
    wrong = []
    with route_lab(urls=EXTENDED_URLS) as lab:
        for _ in range(NEW_ROUTE_RUNS):
            result = lab.run(random_environment(rng, lab), client=health, args=args, timeout=60)
            rows = rows_of(result, lab)
            if client == "mcp-remote":
                rows = [{"enable_proxy": True, **row} for row in rows]
            wrong += [(row["env"], row["url"], row["route"], row["reason"])
                      for row in rows if not agrees_row(row, decision(row))]
    assert not wrong, f"{client}, seed {seed}: {wrong[:3]}"
