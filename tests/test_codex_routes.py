"""The Codex proxy model reproduces every route the real Codex CLI took.

``tests/real_clients/codex-proxy-routes.json`` holds the routes ``codex mcp list --json`` took
(through recording proxies, one per variable) in random environments
(``tests/real_clients/codex_routes.py`` made it); :func:`netcheck.proxy.codex.decide` must agree
with every row. Measured facts that the random environments rarely draw are pinned below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netcheck.proxy import codex
from netcheck.proxy.models import Target

TABLE = Path(__file__).parent / "real_clients" / "codex-proxy-routes.json"
DOC: dict[str, Any] = json.loads(TABLE.read_text())


def test_the_table_is_of_the_release_the_model_names() -> None:
    assert DOC["release"] == codex.RELEASE
    assert sum(b["environments_drawn"] for b in DOC["batches"]) >= 150


def test_the_model_agrees_with_every_measured_route_of_codex() -> None:
    from tests.real_clients.codex_routes import agrees

    rows = DOC["rows"]
    wrong = [(row["env"], row["url"], row["route"], row["via"], row["state"])
             for row in rows if not agrees(row, codex.decide(row["env"],
                                                             Target.parse(row["url"])))]
    assert len(rows) >= 1200
    assert not wrong, f"{len(wrong)} of {len(rows)} rows differ, e.g. {wrong[:3]}"


def test_the_table_covers_the_rules() -> None:
    """The rows include each kind of outcome the docstring's rules produce."""
    routes = {row["route"].split()[0] for row in DOC["rows"]}
    assert routes == {"DIRECT", "PROXY", "FAILED"}
    vias = {row["via"] for row in DOC["rows"] if row["via"]}
    assert {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
            "all_proxy"} <= vias


A = Target.parse("https://a.corp.example:8443/mcp")
LOOP = Target.parse("https://127.0.0.1:8443/mcp")
PLAIN = Target.parse("http://plain.example/mcp")
P1, P2 = "http://127.0.0.1:3128", "http://127.0.0.1:3129"


@pytest.mark.parametrize(("env", "target", "variable"), [
    ({"HTTPS_PROXY": P1, "https_proxy": P2}, A, "HTTPS_PROXY"),  # UPPER case first
    ({"HTTPS_PROXY": "", "https_proxy": P2}, A, None),  # set but empty hides the lower case
    ({"HTTPS_PROXY": "", "ALL_PROXY": P2}, A, "ALL_PROXY"),  # ... and falls back to ALL_PROXY
    ({"HTTPS_PROXY": "not a url", "ALL_PROXY": P2}, A, "ALL_PROXY"),
    ({"ALL_PROXY": "not a url", "all_proxy": P2}, A, None),
    ({"HTTP_PROXY": P1}, A, None),  # no HTTP-proxy fallback for https:
    ({"HTTPS_PROXY": P1}, PLAIN, None),
    ({"ALL_PROXY": P1}, PLAIN, "ALL_PROXY"),
    ({"HTTPS_PROXY": P1}, LOOP, "HTTPS_PROXY"),  # loopback is proxied
    ({"HTTPS_PROXY": P1, "NO_PROXY": "*"}, LOOP, "HTTPS_PROXY"),  # '*' is for names only
    ({"HTTPS_PROXY": P1, "NO_PROXY": "127.0.0.0/8"}, LOOP, None),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "*"}, A, None),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "x, *"}, A, None),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "CORP.example"}, A, None),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "*.corp.example"}, A, "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "a.corp.example:8443"}, A, "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "corp.example a.corp.example"}, A, "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P1, "NO_PROXY": "", "no_proxy": "*"}, A, "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P1, "REQUEST_METHOD": ""}, A, None),  # CGI: no proxy at all
])
def test_measured_rules(env: dict[str, str], target: Target, variable: str | None) -> None:
    decision = codex.decide(env, target)
    assert decision.error is None
    assert decision.variable == variable


def test_socks_is_refused_whichever_variable_names_it() -> None:
    for env in ({"HTTPS_PROXY": "socks5://127.0.0.1:1080"}, {"ALL_PROXY": "socks5h://h:1"}):
        assert codex.decide(env, A).error == codex.SOCKS_UNSUPPORTED


def test_bare_values_mean_http() -> None:
    assert codex.decide({"HTTPS_PROXY": "127.0.0.1:3128"}, A).proxy_url == P1
    assert codex.decide({"HTTPS_PROXY": "127.0.0.1"}, A).proxy_url == "http://127.0.0.1:80"


def test_an_unusable_ca_file_fails_every_request(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    assert codex.start_error({}) is None
    assert codex.start_error({"CODEX_CA_CERTIFICATE": "", "SSL_CERT_FILE": ""}) is None
    var, said = codex.start_error({"CODEX_CA_CERTIFICATE": str(garbage),
                                   "SSL_CERT_FILE": "/x"}) or (None, "")
    assert var == "CODEX_CA_CERTIFICATE" and "no certificates found in PEM file" in said
    var, said = codex.start_error({"SSL_CERT_FILE": str(tmp_path / "missing.pem")}) or (None, "")
    assert var == "SSL_CERT_FILE" and "No such file or directory (os error 2)" in said
