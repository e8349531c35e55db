"""The Markdown summary parses as GitHub-flavoured Markdown (markdown-it-py, gfm-like preset),
puts the verdict first, and carries no secret and no live HTML, whatever the report holds."""

from __future__ import annotations

import copy
import json
from typing import Any

from markdown_it import MarkdownIt

from netcheck.report.markdown import to_markdown
from tests.conftest import PASSPHRASE, PROXY_PASSWORD, PROXY_USER
from tests.test_secrets import TOKEN, echo_headers, forbidden_forms

HOSTILE = "<script>alert(1)</script> | `tick` ``` **bold** [link](https://evil.example) &amp;"


def parse(text: str) -> tuple[list[Any], str]:
    md = MarkdownIt("gfm-like")
    return md.parse(text), md.render(text)


def tables(tokens: list[Any]) -> list[list[list[str]]]:
    """Each table as rows of cell texts (as rendered, escapes resolved)."""
    out: list[list[list[str]]] = []
    row: list[str] | None = None
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            out.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            assert row is not None
            inline = tokens[index + 1]
            row.append("".join(c.content for c in inline.children or [] if c.type == "text")
                       if inline.type == "inline" else "")
        elif token.type == "tr_close":
            assert row is not None
            out[-1].append(row)
    return out


def test_markdown_of_a_failed_run_is_gfm_with_the_verdict_first(run_cli, tmp_path, base_args,
                                                                plain_tls):
    md_path = tmp_path / "r.md"
    json_path = tmp_path / "r.json"
    result = run_cli("check", plain_tls.url("mcp.test"), *base_args, "--json", str(json_path),
                     "--markdown", str(md_path), "--label", "office VPN",
                     env={"HTTPS_PROXY": "http://127.0.0.1:9"})
    assert result.status == 1
    assert f"Markdown summary written to {md_path}" in result.stdout.replace("\n", "")
    text = md_path.read_text()
    tokens, html = parse(text)
    heading = next(t for t in tokens if t.type == "inline")
    assert tokens[0].type == "heading_open"
    assert heading.content.startswith("netcheck: ✗ FAILED at resource › tcp (tcp_refused)")
    assert "<strong>What to change:</strong> nothing listens on that port" in html
    about, steps = tables(tokens)[:2]
    assert ["Label", "office VPN"] in about
    assert steps[0] == ["Step", "Result", "Time (ms)", "Hops", "Message"]
    rows = {row[0]: row for row in steps[1:]}
    assert set(rows) == {s["step"] for s in json.loads(json_path.read_text())["steps"]}
    assert rows["resource"][1] == "✗ failed"
    assert all(len(row) == 5 for row in steps)
    assert "<h3>Evidence: resource › tcp</h3>" in html
    assert '<code class="language-json">' in html
    assert "<details>\n<summary>Full report (JSON)</summary>" in html
    # the collapsed JSON is the report as written
    embedded = text.split("```json\n")[-1].split("\n```")[0]
    assert json.loads(embedded) == json.loads(json_path.read_text())


def test_values_are_escaped_so_nothing_breaks_out():
    hostile = copy.deepcopy(_minimal())
    hostile["label"] = HOSTILE
    hostile["steps"][-1]["hops"][-1].update(status="failed", code="http_unexpected_status",
                                            message=HOSTILE, notes=[HOSTILE],
                                            details={"page": HOSTILE + "\n````\n</details>"})
    hostile["ok"] = False
    hostile["verdict"] = {"step": "resource", "hop": "http", "code": "http_unexpected_status",
                          "message": HOSTILE, "hint": HOSTILE, "url": None}
    tokens, html = parse(to_markdown(hostile))
    assert "<script>" not in html
    assert ">link</a>" not in html and "<strong>bold</strong>" not in html  # no link, no emphasis
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | `tick`" in html
    html_tokens = [t.content.strip() for t in tokens if t.type in ("html_block", "html_inline")]
    assert html_tokens == ["<details>\n<summary>Full report (JSON)</summary>", "</details>"]
    for table in tables(tokens):
        assert len({len(row) for row in table}) == 1  # no cell split by a "|"
    fences = [t for t in tokens if t.type == "fence"]
    assert [json.loads(t.content) for t in fences][-1] == hostile


def _minimal() -> dict[str, Any]:
    hop = {"hop": "http", "status": "ok", "duration_ms": 1.0, "code": None, "message": "fine",
           "hint": None, "notes": [], "details": {}}
    return {"schema_version": "1.4", "netcheck_version": "0.1.0", "target": "https://x.test/",
            "label": None, "client_profile": {"name": "curl"}, "environment": {"os": "Linux"},
            "ok": True, "verdict": None, "warnings": [],
            "steps": [{"step": "resource", "url": "https://x.test/", "ok": True, "notes": [],
                       "attempts": [], "hops": [hop]}]}


def test_markdown_holds_no_secret(run_cli, tmp_path, pki, base_args, serve, basic_proxy):
    server = serve(echo_headers, client_ca=pki.path("client-ca.pem"))
    env = {"HTTPS_PROXY": basic_proxy.url_with(PROXY_USER, PROXY_PASSWORD),
           "CLAUDE_CODE_CLIENT_CERT": pki.path("client.pem"),
           "CLAUDE_CODE_CLIENT_KEY": pki.path("client-pkcs8-encrypted.key"),
           "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": PASSPHRASE}
    md_path = tmp_path / "r.md"
    result = run_cli("check", server.url("mcp.test"), *base_args, "--verbose",
                     "--header", f"Authorization: Bearer {TOKEN}", "--markdown", str(md_path),
                     env=env)
    # the secrets were really used: the server saw the token, the proxy let us through
    assert server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert result.verdict == ("resource", "http", "http_unexpected_status")
    text = md_path.read_text()
    for secret in forbidden_forms():
        assert secret not in text, f"{secret!r} leaked into the Markdown"
    assert "&lt;redacted&gt;" in parse(text)[1] or "<redacted>" in text


def test_show_writes_markdown_of_a_received_report(run_cli, tmp_path, base_args, plain_tls):
    json_path = tmp_path / "r.json"
    run_cli("check", plain_tls.url("mcp.test"), *base_args, "--json", str(json_path))
    result = run_cli("show", str(json_path), "--markdown", "-")
    assert result.status == 0
    assert result.stdout.startswith("## netcheck: ✓ OK, every hop passed")
    assert "OK: every hop passed" in result.stderr  # the rendering moved out of the way
    tokens, _ = parse(result.stdout)
    assert tables(tokens)


def test_markdown_of_configured_servers_has_a_summary_table_then_each_server():
    ok = _minimal()
    failed = copy.deepcopy(ok)
    failed["steps"][0]["hops"][0].update(status="failed", code="tcp_refused", message="refused")
    failed["ok"] = False
    failed["verdict"] = {"step": "resource", "hop": "tcp", "code": "tcp_refused",
                         "message": "refused", "hint": None, "url": None}
    document = {"ok": False, "servers": [
        {"name": "docs", "client": "claude-code", "config_file": "~/.claude.json",
         "scope": "user", "url": "https://x.test/", "report": ok},
        {"name": "tick|ets", "client": "cursor", "config_file": ".cursor/mcp.json",
         "scope": "project", "url": "https://x.test/", "report": failed},
        {"name": "local", "client": "vscode", "config_file": ".vscode/mcp.json",
         "scope": "project", "url": None, "report": None}]}
    tokens, html = parse(to_markdown(document))
    assert html.startswith("<h2>netcheck: 1 of 3 server(s) failed</h2>")
    summary = tables(tokens)[0]
    assert summary[1:] == [["docs", "claude-code", "~/.claude.json", "✓ ok"],
                           ["tick|ets", "cursor", ".cursor/mcp.json",
                            "✗ resource › tcp (tcp_refused)"],
                           ["local", "vscode", ".vscode/mcp.json", "not checked"]]
    assert html.index("<h2>Server docs</h2>") < html.index("<h2>Server tick|ets</h2>")
    assert "<h3>netcheck: ✗ FAILED at resource › tcp (tcp_refused)</h3>" in html
