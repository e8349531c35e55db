"""The DuckDB queries docs/report.md offers for many reports run, and agree with ``summarize``.
duckdb is a test dependency (the test extras), not one of netcheck's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "docs" / "report.md"


def readme_sql() -> list[str]:
    text = README.read_text(encoding="utf-8").split("<!-- duckdb-sql -->", 1)[1]
    block = re.search(r"```sql\n(.*?)```", text, re.S)
    assert block is not None
    return [s.strip() for s in block[1].split(";") if s.strip()]


def test_readme_duckdb_sql_runs_over_reports(run_cli, tmp_path, base_args, plain_tls):
    duckdb = pytest.importorskip("duckdb")
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, env in (("pc-1", {}), ("pc-2", {"HTTPS_PROXY": "http://127.0.0.1:9"}),
                      ("pc-3", {"HTTPS_PROXY": "http://127.0.0.1:9"})):
        path = folder / f"{name}.json"
        run_cli("check", plain_tls.url("mcp.test"), *base_args, "--json", str(path), env=env)
        report = json.loads(path.read_text())
        report["environment"]["host_name"] = name
        path.write_text(json.dumps(report))
    con = duckdb.connect()
    create, by_verdict, shared = readme_sql()
    con.execute(create.replace("'reports/*.json'", f"'{folder}/*.json'"))
    rows = con.execute(by_verdict).fetchall()
    assert sorted((r[0], r[1], r[3]) for r in rows) == [
        ("ok", "direct", 1), ("tcp_refused", "http://127.0.0.1:9", 2)]
    profile = report["client_profile"]
    assert {r[2] for r in rows} == {f"{profile['client']} {profile['release']}"}
    assert con.execute(shared).fetchall() == [("resource", "tcp", "tcp_refused", 2,
                                               ["pc-2", "pc-3"])]
