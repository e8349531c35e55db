"""The proxy models of the measured profiles reproduce what the real clients did.

Each ``tests/real_clients/*-proxy-routes.json`` is a committed table of routes a real client took
(through recording proxies, one per variable) for random environments; the model of the profile
must agree with every row. The httpx2 model is also checked against httpx2 itself, in process,
on generated environments. The live runs are in ``tests/test_agreement_*.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from netcheck.proxy.httpx2_rules import decide_python_httpx2
from netcheck.proxy.models import ProxyDecision, Target, decide_python_httpx

TABLES = Path(__file__).parent / "real_clients"


def load(name: str) -> dict[str, Any]:
    table: dict[str, Any] = json.loads((TABLES / name).read_text())
    return table


def route_of(decision: ProxyDecision, ports: dict[int, str]) -> str:
    """The table's form: DIRECT, the label of the proxy used, or ERR."""
    if decision.error is not None:
        return "ERR"
    if decision.raw is None:
        return "DIRECT"
    raw = decision.raw.reveal()
    port = urlsplit(raw if "://" in raw else f"http://{raw}").port
    return ports.get(port or 0, f"unknown proxy {decision.proxy_url}")


def _table_rows(name: str) -> tuple[list[dict[str, Any]], dict[int, str]]:
    table = load(name)
    ports = {urlsplit(p["url"]).port: label for label, p in table["proxies"].items()}
    return table["rows"], ports


PY_ROWS, PY_PORTS = _table_rows("py-sdk-proxy-routes.json")


def test_the_python_table_is_the_sdk_release_the_profile_names():
    from netcheck.profiles import PROFILES

    table = load("py-sdk-proxy-routes.json")
    assert table["versions"]["mcp"] == PROFILES["python"].release
    assert len(PY_ROWS) >= 1500


def test_httpx2_model_agrees_with_every_measured_route_of_the_mcp_python_sdk():
    wrong = []
    for row in PY_ROWS:
        got = route_of(decide_python_httpx2(row["env"], Target.parse(row["url"])), PY_PORTS)
        want = "ERR" if row["route"].startswith("ERR") else row["route"]
        if got != want:
            wrong.append((row["env"], row["url"], want, got))
    assert not wrong, f"{len(wrong)} of {len(PY_ROWS)} rows differ, e.g. {wrong[:3]}"


TS = load("ts-sdk-proxy-routes.json")


def _fill(text: str) -> str:
    for name, port in TS["ports_in_this_run"].items():
        text = text.replace("{" + name + "}", str(port))
    return text


def test_undici_model_agrees_with_every_measured_route_of_the_mcp_typescript_sdk():
    from netcheck.profiles.catalog import UNDICI_RELEASE
    from netcheck.proxy.models import decide_node_undici

    assert TS["versions"]["sdk"] == "1.32.2" and TS["versions"]["undici"] == UNDICI_RELEASE
    ports = {port: name for name, port in TS["ports_in_this_run"].items()}
    wrong = []
    for row in TS["records"]:
        env = {k: _fill(v) for k, v in row["env"].items()}
        decision = decide_node_undici(env, Target.parse(_fill(row["url"])))
        if decision.error is not None:
            got = "ERROR"
        elif decision.raw is None:
            got = "DIRECT"
        else:
            raw = decision.raw.reveal()
            got = "SOCKS5 {S}" if raw.startswith("socks") else \
                ports.get(urlsplit(raw).port or 0, raw)
        want = "ERROR" if row["route"].startswith("ERROR") else row["route"]
        if got != want:
            wrong.append((env, row["url"], want, got))
    assert len(TS["records"]) >= 1000
    assert not wrong, f"{len(wrong)} of {len(TS['records'])} rows differ, e.g. {wrong[:3]}"


CLAUDE = load("claude-code-proxy-routes.json")


def test_claude_code_model_agrees_with_every_measured_route_of_claude_code():
    """The rows are `claude mcp list` runs through pipes (no terminal): the model is asked
    for that mode."""
    from netcheck.profiles import PROFILES
    from netcheck.proxy.claude_code import decide_claude_code
    from tests.real_clients.claude_routes import agrees

    assert CLAUDE["claude_code"] == PROFILES["claude-code"].release
    rows = CLAUDE["rows"]
    wrong = [(row["env"], row["url"], row["route"], row["reason"])
             for row in rows if not agrees(row, decide_claude_code(
                 row["env"], Target.parse(row["url"]), terminal=False))]
    assert len(rows) >= 3000
    assert not wrong, f"{len(wrong)} of {len(rows)} rows differ, e.g. {wrong[:3]}"


# --- the httpx2 model against httpx2 itself ----------------------------------------------------

VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
proxy_values = st.sampled_from(["", "http://p1.test:3128", "p2.test:8080", "https://p3.test:443",
                                "socks5://p4.test:1080", "ftp://p5.test:21",
                                "http://p6.test:notaport", "::garbage", "http://u:p@p7.test:1"])
entries = st.sampled_from([
    "mcp.test", ".mcp.test", "*.mcp.test", "*.test", "test", "*", "mcp.test:443",
    "mcp.test:8443", "127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "::1", "[::1]", "::1/128",
    "[2001:db8::1]", "localhost", "LOCALHOST", "xn--bcher-kva.example", ".xn--zz.test",
    "https://mcp.test", "http://[bad", "foo/bar", "1.2.3.4/99", "é.test", "MCP.TEST",
    "sub.mcp.test", "*mcp.test", "a*b.test", "", " mcp.test "])
no_proxy_values = st.lists(entries, max_size=3).map(",".join)
URLS = ["https://mcp.test/mcp", "https://mcp.test:8443/mcp", "http://mcp.test/mcp",
        "https://sub.mcp.test/x", "https://127.0.0.1:9/x", "https://[::1]:9/x",
        "http://localhost:8080/x", "https://xn--bcher-kva.example/x", "https://other.example/"]


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def httpx2_route(env: dict[str, str], url: str) -> str:
    """What httpx2 itself does: ERR when the client cannot be created, else DIRECT or the
    proxy URL of the mount that matches first."""
    import httpx2
    from httpx2._utils import get_environment_proxies

    with environment(env):
        try:
            client = httpx2.Client()
        except Exception:  # noqa: BLE001 - any failure to create the client is the answer
            return "ERR"
        keys = get_environment_proxies()
    target = httpx2.URL(url)
    for pattern, transport in client._mounts.items():
        if pattern.matches(target):
            return "DIRECT" if transport is None else str(keys[pattern.pattern])
    return "DIRECT"


def model_route(env: dict[str, str], url: str) -> str:
    decision = decide_python_httpx2(env, Target.parse(url))
    if decision.error is not None:
        return "ERR"
    if decision.raw is None:
        return "DIRECT"
    raw = decision.raw.reveal()
    return raw if "://" in raw else f"http://{raw}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({}, optional={v: proxy_values for v in VARIABLES}),
       no_lower=st.one_of(st.none(), no_proxy_values), no_upper=st.one_of(st.none(),
                                                                          no_proxy_values),
       url=st.sampled_from(URLS))
def test_httpx2_model_agrees_with_httpx2(values, no_lower, no_upper, url):
    env = dict(values)
    if no_lower is not None:
        env["no_proxy"] = no_lower
    if no_upper is not None:
        env["NO_PROXY"] = no_upper
    # a SOCKS proxy needs socksio installed beside the client, which netcheck cannot know
    assume(not any("socks" in v for v in env.values()))
    assert model_route(env, url) == httpx2_route(env, url), env


# --- the httpx 0.28 model (evidence: "other clients would route differently") against httpx ---


def httpx_route(env: dict[str, str], url: str) -> str:
    """What httpx itself does, as :func:`httpx2_route` for httpx2."""
    import httpx
    from httpx._utils import get_environment_proxies

    with environment(env):
        try:
            client = httpx.Client()
        except Exception:  # noqa: BLE001 - any failure to create the client is the answer
            return "ERR"
        keys = get_environment_proxies()
    target = httpx.URL(url)
    for pattern, transport in client._mounts.items():
        if pattern.matches(target):
            return "DIRECT" if transport is None else str(keys[pattern.pattern])
    return "DIRECT"


def httpx_model_route(env: dict[str, str], url: str) -> str:
    decision = decide_python_httpx(env, Target.parse(url))
    if decision.error is not None:
        return "ERR"
    return "DIRECT" if decision.raw is None else decision.raw.reveal()


def test_an_ipv6_no_proxy_entry_in_brackets_fails_httpx_at_creation_without_any_proxy():
    """httpx cannot build the mount for ``[::1]``: the client is never created, so every
    request fails, proxy or not (the model said "direct" when no proxy variable was set)."""
    env = {"NO_PROXY": "[::1]"}
    assert httpx_route(env, "https://mcp.test/mcp") == "ERR"
    decision = decide_python_httpx(env, Target.parse("https://mcp.test/mcp"))
    assert decision.error is not None and "NO_PROXY" in decision.reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({}, optional={v: proxy_values for v in VARIABLES}),
       no_lower=st.one_of(st.none(), no_proxy_values), no_upper=st.one_of(st.none(),
                                                                          no_proxy_values),
       url=st.sampled_from(URLS))
def test_httpx_model_agrees_with_httpx(values, no_lower, no_upper, url):
    env = dict(values)
    if no_lower is not None:
        env["no_proxy"] = no_lower
    if no_upper is not None:
        env["NO_PROXY"] = no_upper
    assume(not any("socks" in v for v in env.values()))  # needs socksio beside httpx
    assert httpx_model_route(env, url) == httpx_route(env, url), env
