"""netcheck's mcp-remote proxy model agrees with every route the real mcp-remote 0.15.1 took
(``tests/real_clients/mcp-remote-proxy-routes.json``, made by
``tests/real_clients/mcp_remote_routes.py``): without ``--enable-proxy`` every request went
direct, with it undici's EnvHttpProxyAgent rules (netcheck/proxy/mcp_remote.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from netcheck.proxy import mcp_remote
from netcheck.proxy.models import Target
from tests.real_clients.mcp_remote_routes import TABLE, agrees, decision_for

DOC = json.loads(TABLE.read_text())
ROWS: list[dict[str, Any]] = DOC["rows"]


def test_the_table_is_of_the_modelled_release() -> None:
    assert DOC["release"] == mcp_remote.RELEASE
    assert len({json.dumps(r["env"], sort_keys=True) for r in ROWS}) >= 150
    assert {r["enable_proxy"] for r in ROWS} == {False, True}


@pytest.mark.parametrize("enable_proxy", [False, True])
def test_every_measured_route_agrees_with_the_model(enable_proxy: bool) -> None:
    rows = [r for r in ROWS if r["enable_proxy"] is enable_proxy]
    bad = [(r["env"], r["url"], r["route"], r["via"], r["reason"][:120], decision_for(r))
           for r in rows if not agrees(r, decision_for(r))]
    assert not bad, f"{len(bad)} of {len(rows)} rows disagree, e.g. {bad[:3]}"


def test_without_the_flag_no_proxy_value_matters() -> None:
    target = Target.parse("https://mcp.example/mcp")
    env = {"HTTPS_PROXY": "127.0.0.1:3128", "http_proxy": "not a url"}
    assert mcp_remote.decide(env, target).raw is None
    assert mcp_remote.start_error(env, enable_proxy=False) is None
    assert mcp_remote.start_error(env) == ("http_proxy", "TypeError: Invalid URL")
    assert mcp_remote.decide(env, target, enable_proxy=True).error == mcp_remote.INVALID_URL
