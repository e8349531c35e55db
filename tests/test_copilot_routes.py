"""GitHub Copilot CLI's proxy model against every route the real client took.

``tests/real_clients/copilot-proxy-routes.json`` is the measured table (one prompt run of
Copilot CLI per random environment, ``tests/real_clients/copilot_routes.py``); the model
``netcheck.proxy.copilot`` must route every row the same way. No client runs here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netcheck.proxy import copilot
from netcheck.proxy.models import Target
from tests.real_clients.copilot_routes import agrees

TABLE = Path(__file__).resolve().parent / "real_clients" / "copilot-proxy-routes.json"
DOC: dict[str, Any] = json.loads(TABLE.read_text())
ROWS: list[dict[str, Any]] = DOC["rows"]


def test_the_table_is_the_release_the_model_names() -> None:
    assert DOC["release"] == copilot.RELEASE
    assert len({json.dumps(r["env"], sort_keys=True) for r in ROWS}) >= 150


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['url']}|{json.dumps(r['env'])[:60]}")
def test_the_model_routes_each_measured_request_as_copilot_did(row: dict[str, Any]) -> None:
    decision = copilot.decide(row["env"], Target.parse(row["url"]))
    assert agrees(row, decision), (row, decision)


def test_measured_rules_stated_in_the_notes() -> None:
    https = Target.parse("https://mcp.example.com/mcp")
    http = Target.parse("http://mcp.example.com/mcp")
    both = {"HTTPS_PROXY": "http://p1:1", "https_proxy": "http://p2:2"}
    assert copilot.decide(both, https).variable == "https_proxy"  # lower case wins
    assert copilot.decide({"HTTP_PROXY": "http://p1:1"}, https).variable == "HTTP_PROXY"
    assert copilot.decide({"HTTPS_PROXY": "http://p1:1"}, http).variable == "HTTPS_PROXY"
    assert copilot.decide({"ALL_PROXY": "http://p1:1"}, https).raw is None  # never read
    garbage = {"HTTPS_PROXY": "not a url", "HTTP_PROXY": "http://p1:1"}
    assert copilot.decide(garbage, https).raw is None  # taken, ignored, no fall-through
    assert copilot.decide({"HTTPS_PROXY": "http://p:1", "no_proxy": "", "NO_PROXY": "*"},
                          https).raw is not None  # an empty no_proxy hides NO_PROXY
    assert copilot.decide({}, https, proxy_url_setting="http://p:3").variable == "proxyUrl"
    assert copilot.decide({"HTTPS_PROXY": "socks5://p:1"}, https).proxy_url == "http://p:1"
    assert copilot.start_error({"HTTPS_PROXY": "not a url"}) is None
