"""The Gemini CLI proxy model against every route measured from the real Gemini CLI
(``tests/real_clients/gemini-proxy-routes.json``, by ``tests/real_clients/gemini_routes.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netcheck.proxy import gemini
from netcheck.proxy.models import Target
from tests.real_clients.gemini_routes import agrees

TABLE = json.loads((Path(__file__).parent / "real_clients" / "gemini-proxy-routes.json")
                   .read_text())


def test_the_table_is_of_the_modelled_release_and_large_enough():
    assert TABLE["release"] == gemini.RELEASE
    environments = {json.dumps(row["env"], sort_keys=True) for row in TABLE["rows"]}
    assert len(environments) >= 150


def test_the_model_agrees_with_every_measured_route():
    wrong = [(row["env"], row["url"], row["route"], row["reason"][:120])
             for row in TABLE["rows"]
             if not agrees(row, gemini.decide(row["env"], Target.parse(row["url"])))]
    assert not wrong, f"{len(wrong)} of {len(TABLE['rows'])} rows differ, e.g. {wrong[:3]}"


def test_mcp_list_routes_as_the_session_does():
    """Where ``gemini mcp list`` ran in the same environment, it took the same route."""
    pairs = [(row["route"], row["list_route"]) for row in TABLE["rows"] if "list_route" in row]
    assert len(pairs) >= 200
    differ = [p for p in pairs if p[0].split(" ")[0] != p[1].split(" ")[0] or
              (p[0].startswith("PROXY") and p[0] != p[1])]
    assert not differ, differ[:5]


@pytest.mark.parametrize(("env", "url", "want"), [
    ({"HTTPS_PROXY": "http://p1:1", "https_proxy": "http://p2:2"}, "https://h.test/mcp", "p1"),
    ({"HTTPS_PROXY": "http://p1:1", "https_proxy": "http://p2:2", "NO_PROXY": "x"},
     "https://h.test/mcp", "p2"),
    ({"HTTPS_PROXY": "http://p1:1"}, "http://h.test/mcp", "p1"),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": "x"}, "http://h.test/mcp", None),
    ({"HTTP_PROXY": "http://p3:3", "NO_PROXY": "x"}, "https://h.test/mcp", "p3"),
    ({"HTTPS_PROXY": "http://p1:1", "https_proxy": "", "NO_PROXY": "x"},
     "https://h.test/mcp", None),
    ({"ALL_PROXY": "http://p5:5"}, "https://h.test/mcp", None),
    ({"HTTPS_PROXY": "http://p1:1"}, "https://localhost:9/mcp", "p1"),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": ".test"}, "https://h.test/mcp", None),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": ".h.test"}, "https://h.test/mcp", "p1"),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": "a,*"}, "https://h.test/mcp", None),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": "::1"}, "https://[::1]:9/mcp", "p1"),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": "[::1]"}, "https://[::1]:9/mcp", None),
    ({"HTTPS_PROXY": "http://p1:1", "NO_PROXY": "127.0.0.0/8"}, "https://127.0.0.1/x", "p1"),
])
def test_examples(env, url, want):
    decision = gemini.decide(env, Target.parse(url))
    got = None if decision.raw is None else decision.raw.reveal().split("//")[1].split(":")[0]
    assert decision.error is None
    assert got == want, decision.reason


def test_oauth_requests_take_the_session_proxy_even_when_the_mcp_request_does_not():
    env = {"HTTPS_PROXY": "http://p1:1", "https_proxy": "http://p2:2", "NO_PROXY": "x"}
    target = Target.parse("https://h.test/.well-known/oauth-protected-resource")
    assert gemini.decide(env, target).variable == "https_proxy"
    assert gemini.decide_oauth(env, target).variable == "HTTPS_PROXY"
