"""``netcheck check`` without a URL: the servers configured in every MCP client here, found in a
temporary home and project, checked side by side against loopback servers; ``netcheck servers``;
several URLs; and :func:`netcheck.many.check_many`'s bound."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netcheck.configs import Place, discover
from netcheck.configs.entries import Source, servers_in
from netcheck.configs.expand import expand
from netcheck.configs.model import ConfiguredServer
from netcheck.configs.reading import read_json, strip_jsonc
from netcheck.many import check_many, target_for
from netcheck.settings.gather import Options
from tests.servers import Request, closed_port

# Every value below is a secret the configurations carry or variables fill in: none may appear
# in any output.
SECRETS = {
    "CC_TOKEN": "cc-Tok3n-from-variable",
    "DESK_TOKEN": "desk-Tok3n-from-env-block",
    "VS_KEY": "vs-K3y-from-env-colon",
    "CUR_KEY": "cur-K3y-from-env-colon",
    "WIND_KEY": "wind-K3y-from-variable",
    "CODEX_TOKEN": "codex-Tok3n-from-env-var",
    "PLAIN": "plain-Header-written-in-file",
}
# What each path of the keyed server wants: (header, value) — the configured header, expanded.
WANTED = {
    "/cc": ("authorization", f"Bearer {SECRETS['CC_TOKEN']}"),
    "/desk": ("authorization", f"Bearer {SECRETS['DESK_TOKEN']}"),
    "/vs": ("x-api-key", SECRETS["VS_KEY"]),
    "/cur": ("x-api-key", SECRETS["CUR_KEY"]),
    "/wind": ("x-api-key", SECRETS["WIND_KEY"]),
    "/codex": ("authorization", f"Bearer {SECRETS['CODEX_TOKEN']}"),
    "/plain": ("x-plain", SECRETS["PLAIN"]),
    "/missing": ("authorization", "Bearer never-configured"),
}
INITIALIZED = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "serverInfo": {"name": "lab", "version": "1"}}}).encode()
ENDPOINT_EVENT = b"event: endpoint\ndata: /messages?session_id=0f3c9a1e77d24b5c\n\n"


def keyed(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    """MCP servers that answer only with the header their path wants: Streamable HTTP (POST
    initialize), and under /sse legacy SSE (GET, then an endpoint event)."""
    sse = req.path.startswith("/sse/")
    header, value = WANTED.get(req.path.removeprefix("/sse"), ("", ""))
    if req.method != ("GET" if sse else "POST"):
        return 405, [("Allow", "GET" if sse else "POST")], b""
    if not header or req.headers.get(header) != value:
        return 403, [("Content-Type", "application/json")], b'{"error":"forbidden"}'
    if sse:
        return 200, [("Content-Type", "text/event-stream")], ENDPOINT_EVENT
    return 200, [("Content-Type", "application/json")], INITIALIZED


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def machine(tmp_path: Path, serve: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A home and a project holding every client's configuration (Linux layout)."""
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    server = serve(keyed)
    url = f"https://mcp.test:{server.port}"
    dead = f"https://mcp.test:{closed_port()}/mcp"
    write(home / ".claude.json", json.dumps({
        "mcpServers": {
            "cc-user": {"type": "http", "url": f"{url}/cc",
                        "headers": {"Authorization": "Bearer ${CC_TOKEN}"}},
            "cc-shadowed": {"type": "http", "url": dead},
            "cc-stdio": {"command": "npx", "args": ["some-local-server"]},
        },
        "projects": {str(project): {"mcpServers": {
            "cc-shadowed": {"type": "http", "url": f"{url}/plain",
                            "headers": {"X-Plain": SECRETS["PLAIN"]}}}}},
    }))
    write(project / ".mcp.json", json.dumps({"mcpServers": {
        "cc-project": {"type": "sse", "url": f"{url}/sse/cc",
                       "headers": {"Authorization": "Bearer ${CC_TOKEN}"},
                       "oauth": {"clientId": "configured-client", "callbackPort": 8765}},
        "cc-unset": {"type": "http", "url": f"{url}/missing",
                     "headers": {"Authorization": "Bearer ${NOT_SET_ANYWHERE}"}},
    }}))
    write(home / ".config" / "Claude" / "claude_desktop_config.json", json.dumps({"mcpServers": {
        "desk-bridge": {"command": "npx", "args": ["-y", "mcp-remote", f"{url}/desk", "--header",
                                                   "Authorization:${AUTH_HEADER}"],
                        "env": {"AUTH_HEADER": f"Bearer {SECRETS['DESK_TOKEN']}"}},
        "desk-local": {"command": "uvx", "args": ["a-local-server"]},
    }}))
    write(project / ".vscode" / "mcp.json", f"""{{
  // VS Code allows comments and trailing commas
  "servers": {{
    "vs-workspace": {{
      "type": "http", "url": "{url}/vs", /* the key comes from the environment */
      "headers": {{"X-Api-Key": "${{env:VS_KEY}}"}},
    }},
    "vs-not-sse": {{"type": "sse", "url": "{url}/vs"}},
  }},
}}
""")
    write(home / ".config" / "Code" / "User" / "mcp.json",
          json.dumps({"servers": {"vs-user-down": {"type": "http", "url": dead}}}))
    write(home / ".cursor" / "mcp.json", json.dumps({"mcpServers": {
        "cursor-global": {"url": f"{url}/cur", "headers": {"X-Api-Key": "${env:CUR_KEY}"}}}}))
    write(project / ".cursor" / "mcp.json", '{\n  "mcpServers": {\n    "broken": \n  }\n}\n')
    write(home / ".codeium" / "windsurf" / "mcp_config.json", json.dumps({"mcpServers": {
        "windsurf-remote": {"serverUrl": f"{url}/wind",
                            "headers": {"X-Api-Key": "${WIND_KEY}"}}}}))
    write(home / ".codex" / "config.toml", f"""
[mcp_servers.codex-remote]
url = "{url}/codex"
bearer_token_env_var = "CODEX_TOKEN"

[mcp_servers.codex-local]
command = "codex-local-server"
""")
    env = {"HOME": str(home), **{k: v for k, v in SECRETS.items() if k != "PLAIN"}}
    return {"home": home, "project": project, "env": env, "server": server, "url": url}


@pytest.fixture
def lab_flags(pki: Any, dns_server: Any) -> list[str]:
    return ["--public-roots", pki.path("public-ca.pem"), "--cacert", pki.path("public-ca.pem"),
            "--dns-server", dns_server.address, "--timeout", "3", "--no-oauth"]


def entries(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in report["servers"]}


def outcome(entry: dict[str, Any]) -> tuple[str, str | None]:
    verdict = entry["report"]["verdict"] if entry["report"] else None
    return entry["outcome"], verdict["code"] if verdict else None


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for name, value in SECRETS.items():
            assert value not in text, f"{name}'s value is shown"


def test_every_client_is_found_checked_and_attributed(run_cli, machine, lab_flags):
    result = run_cli("check", *lab_flags, env={**machine["env"], "COLUMNS": "250"})
    report = result.report
    assert report is not None and report["schema_version"] == "1.6"
    found = entries(report)
    home, project = machine["home"], machine["project"]
    expected = {  # name: (outcome, code, client, file, scope)
        "cc-user": ("ok", None, "Claude Code", home / ".claude.json", "user"),
        "cc-shadowed": ("ok", None, "Claude Code", home / ".claude.json", "local"),
        "cc-stdio": ("not_applicable", None, "Claude Code", home / ".claude.json", "user"),
        "cc-project": ("ok", None, "Claude Code", project / ".mcp.json", "project"),
        "cc-unset": ("failed", "http_unexpected_status", "Claude Code", project / ".mcp.json",
                     "project"),
        "desk-bridge": ("ok", None, "Claude Desktop",
                        home / ".config/Claude/claude_desktop_config.json", "user"),
        "desk-local": ("not_applicable", None, "Claude Desktop",
                       home / ".config/Claude/claude_desktop_config.json", "user"),
        "vs-workspace": ("ok", None, "VS Code", project / ".vscode/mcp.json", "workspace"),
        "vs-not-sse": ("failed", "http_method_not_allowed", "VS Code",
                       project / ".vscode/mcp.json", "workspace"),
        "vs-user-down": ("failed", "tcp_refused", "VS Code",
                         home / ".config/Code/User/mcp.json", "user"),
        "cursor-global": ("ok", None, "Cursor", home / ".cursor/mcp.json", "global"),
        "windsurf-remote": ("ok", None, "Windsurf",
                            home / ".codeium/windsurf/mcp_config.json", "user"),
        "codex-remote": ("ok", None, "Codex", home / ".codex/config.toml", "user"),
        "codex-local": ("not_applicable", None, "Codex", home / ".codex/config.toml", "user"),
    }
    assert set(found) == set(expected)  # the shadowed user-scope cc-shadowed is not checked
    for name, (want, code, client, path, scope) in expected.items():
        entry = found[name]
        assert outcome(entry) == (want, code), (name, entry["outcome"], entry["problem"])
        assert (entry["client"], entry["config_file"], entry["scope"]) == \
            (client, str(path), scope), name
    # the profile of the client, or the nearest one, said
    assert found["cc-user"]["profile"] == "claude-code"
    assert found["cc-user"]["profile_note"] is None
    assert found["vs-workspace"]["profile"] == "node"
    assert "nearest" in found["vs-workspace"]["profile_note"]
    assert found["codex-remote"]["report"]["client_profile"]["name"] == "codex"
    assert found["codex-remote"]["profile_note"] is None
    # Claude Desktop's bridge is checked as mcp-remote, the program on its network path
    assert found["desk-bridge"]["report"]["client_profile"]["name"] == "mcp-remote"
    assert found["desk-bridge"]["profile_note"] is None
    assert "not sent" in found["cc-unset"]["notes"][0]
    assert "${NOT_SET_ANYWHERE}" in found["cc-unset"]["notes"][0]
    assert found["cc-project"]["transport"] == "sse"
    assert found["cc-project"]["configured"] == {
        "headers": ["Authorization"], "client_id": "configured-client",
        "auth_server_metadata_url": None, "callback_port": 8765}
    sse_open = found["cc-project"]["report"]["steps"][1]["hops"][-1]["message"]
    assert "an SSE stream" in sse_open and "0f3c9a1e77d24b5c" not in sse_open
    assert "type http" in found["vs-not-sse"]["report"]["verdict"]["hint"]
    # the malformed Cursor file is a warning naming file and line; the others still count
    warning = report["config_warnings"][0]
    assert (warning["file"], warning["line"]) == (str(project / ".cursor/mcp.json"), 4)
    assert f"{project / '.cursor/mcp.json'} line 4" in result.stdout
    assert "Codex: ~/.codex/config.toml (user)" in result.stdout  # the home shown as ~
    # one summary table, then the details of the failures only
    assert result.status == 1 and report["ok"] is False
    assert "FAILED at resource › tcp [tcp_refused]" in result.stdout
    assert result.stdout.count("netcheck 0.") == 3  # render_report's header, once per failure
    assert_no_secret(result.stdout, result.stderr, json.dumps(report))


def test_headers_reach_the_server_and_nowhere_else(run_cli, machine, lab_flags):
    result = run_cli("check", *lab_flags, "--json", "-", "-v", env=machine["env"])
    assert result.report is not None  # JSON on stdout, the human output (verbose) on stderr
    sent = {(r.path, k, v) for r in machine["server"].requests for k, v in r.headers.items()}
    for path, (header, value) in WANTED.items():
        if path != "/missing":
            assert (path, header, value) in sent, path
    assert not any(r.path == "/missing" and "authorization" in r.headers
                   for r in machine["server"].requests)
    assert "vs-workspace" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_check_one_configured_server_by_name(run_cli, machine, lab_flags):
    result = run_cli("check", "--server", "codex-remote", *lab_flags, env=machine["env"])
    assert result.status == 0, result.stdout
    assert [e["name"] for e in result.report["servers"]] == ["codex-remote"]
    missing = run_cli("check", "--server", "nope", *lab_flags, env=machine["env"])
    assert missing.status == 2 and "no configured MCP server is named 'nope'" in missing.stderr


def test_flags_for_one_server_need_server_name(run_cli, machine, lab_flags):
    result = run_cli("check", *lab_flags, "-H", "X-Other: value", env=machine["env"])
    assert result.status == 2 and "--server NAME" in result.stderr


def test_servers_lists_what_was_found_and_where(run_cli, machine):
    result = run_cli("servers", "--json", "-", env=machine["env"])
    assert result.status == 0
    listed = json.loads(result.stdout)
    rows = {(r["name"], r["scope"]): r for r in listed["servers"]}
    assert rows[("cc-shadowed", "user")]["status"].startswith("not used: ")
    assert rows[("cc-shadowed", "local")]["status"] == "yes"
    assert rows[("cc-stdio", "user")]["status"].startswith("a local (stdio) server")
    assert rows[("cc-user", "user")]["headers"] == ["Authorization"]
    assert len(listed["config_warnings"]) == 1
    table = run_cli("servers", env={**machine["env"], "COLUMNS": "250"})
    assert "windsurf-remote" in table.stdout and "Codex" in table.stdout
    assert_no_secret(result.stdout, table.stdout)


def test_no_configuration_is_a_usage_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", env={"HOME": str(tmp_path)})
    assert result.status == 2 and "no MCP server is configured" in result.stderr


def test_several_urls_on_the_command_line(run_cli, machine, lab_flags, plain_tls):
    dead = f"https://mcp.test:{closed_port()}/mcp"
    result = run_cli("check", plain_tls.url("mcp.test"), dead, *lab_flags,
                     env=machine["env"])
    assert result.status == 1
    servers = result.report["servers"]
    assert [(s["client"], s["config_file"], s["scope"]) for s in servers] == \
        [(None, None, "command line")] * 2
    assert [outcome(s) for s in servers] == [("ok", None), ("failed", "tcp_refused")]


# --- discovery on other platforms, precedence, parsing ---------------------------------------


def test_macos_and_windows_locations(tmp_path):
    home = tmp_path / "home"
    doc = json.dumps({"mcpServers": {"remote": {"type": "http", "url": "https://a.test/mcp"}}})
    vs = json.dumps({"servers": {"vs": {"type": "http", "url": "https://b.test/mcp"}}})
    write(home / "Library/Application Support/Claude/claude_desktop_config.json", doc)
    write(home / "Library/Application Support/Code/User/mcp.json", vs)
    mac = discover(Place("darwin", home, tmp_path, {}))
    assert {(s.client, s.name) for s in mac.servers} == {("Claude Desktop", "remote"),
                                                         ("VS Code", "vs")}
    roaming = tmp_path / "Roaming"
    write(roaming / "Claude/claude_desktop_config.json", doc)
    write(roaming / "Code/User/mcp.json", vs)
    write(tmp_path / "programs/ClaudeCode/managed-mcp.json", doc)
    win = discover(Place("win32", tmp_path / "nobody", tmp_path,
                         {"APPDATA": str(roaming), "ProgramFiles": str(tmp_path / "programs")}))
    assert {(s.client, s.scope, s.config_file) for s in win.servers} == {
        ("Claude Code", "managed", str(tmp_path / "programs/ClaudeCode/managed-mcp.json")),
        ("Claude Desktop", "user", str(roaming / "Claude/claude_desktop_config.json")),
        ("VS Code", "user", str(roaming / "Code/User/mcp.json"))}


def test_managed_mcp_json_takes_exclusive_control(tmp_path):
    home, managed = tmp_path / "home", tmp_path / "managed"
    write(home / ".claude.json", json.dumps({"mcpServers": {
        "mine": {"type": "http", "url": "https://mine.test/mcp"}}}))
    write(managed / "managed-mcp.json", json.dumps({"mcpServers": {
        "corp": {"type": "http", "url": "https://corp.test/mcp"}}}))
    found = discover(Place("linux", home, tmp_path, {}, managed=managed))
    assert [s.name for s in found.effective] == ["corp"]
    mine = next(s for s in found.servers if s.name == "mine")
    assert "exclusive" in (mine.unused or "")


def test_claude_config_dir_and_codex_home_move_the_files(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / ".claude.json", json.dumps({"mcpServers": {
        "moved": {"type": "http", "url": "https://m.test/mcp"}}}))
    write(tmp_path / "codex/config.toml", '[mcp_servers.c]\nurl = "https://c.test/mcp"\n')
    found = discover(Place("linux", tmp_path / "home", tmp_path,
                           {"CLAUDE_CONFIG_DIR": str(elsewhere),
                            "CODEX_HOME": str(tmp_path / "codex")}))
    assert sorted(s.name for s in found.servers) == ["c", "moved"]


def test_malformed_files_are_warnings_with_lines(tmp_path):
    home = tmp_path / "home"
    write(home / ".codex/config.toml", '[mcp_servers.x]\nurl = "https://x.test/mcp"\n'
                                       'bad = = 1\n')
    write(home / ".claude.json", '{\n "mcpServers": {,}\n}')
    write(tmp_path / ".vscode/mcp.json", '{"servers": {"a": 1, "b": {"url": 7}}}')
    write(home / ".cursor/mcp.json", '{"mcpServers": []}')
    found = discover(Place("linux", home, tmp_path, {}))
    lines = {(Path(w.file).name, w.line) for w in found.warnings}
    assert ("config.toml", 3) in lines and (".claude.json", 2) in lines
    assert any('server "a" is not an object' in w.message for w in found.warnings)
    assert any('"mcpServers" is not an object' in w.message for w in found.warnings)
    assert [s.transport for s in found.servers] == ["stdio"]  # "b": its url is not a string


def test_jsonc_keeps_strings_and_lines():
    text = '{\n  "u": "https://a.test//x", // note\n  /* gone */ "v": [1, 2,],\n}'
    assert json.loads(strip_jsonc(text)) == {"u": "https://a.test//x", "v": [1, 2]}
    assert strip_jsonc(text).count("\n") == text.count("\n")
    assert json.loads(strip_jsonc('{"s": "a,}"}')) == {"s": "a,}"}


def test_variables_expand_as_the_clients_do(tmp_path):
    place = Place("linux", tmp_path, tmp_path / "proj", {"A": "1", "B": ""})
    assert expand("${A}-${env:A}-${C:-dflt}-${B:-x}", place).text == "1-1-dflt-"
    got = expand("${input:key} ${NOPE} ${userHome} ${workspaceFolder}", place)
    assert got.missing == ["input:key", "NOPE"]
    assert got.text == f"  {tmp_path} {tmp_path / 'proj'}"


# --- check_many --------------------------------------------------------------------------------


def test_check_many_runs_up_to_max_workers_at_once(serve, pki, dns_server):
    """Two servers whose answers each wait for the other's request: they pass only when both
    runs are in flight together (no timing is asserted); the peak never exceeds the bound."""
    meet = threading.Barrier(2, timeout=20)
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def paired(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            meet.wait()
            return 200, [("Content-Type", "application/json")], INITIALIZED
        except threading.BrokenBarrierError:
            return 500, [], b""
        finally:
            with lock:
                state["now"] -= 1

    server = serve(paired)
    base = Options(url="", public_roots=pki.path("public-ca.pem"),
                   cacert=(pki.path("public-ca.pem"),), dns_server=dns_server.address,
                   timeout=30, oauth=False)
    targets = [target_for(ConfiguredServer(f"s{i}", "Claude Code", "f", "user", "http",
                                           f"https://mcp.test:{server.port}/mcp/{i}"), base)
               for i in range(4)]
    done: list[str] = []
    checks = check_many(targets, max_workers=2, environ={},
                        on_done=lambda c: done.append(c.target.server.name))
    assert [c.target.server.name for c in checks] == ["s0", "s1", "s2", "s3"]  # input order
    assert all(c.run is not None and c.run.steps[-1].ok for c in checks)
    assert state["peak"] == 2 and sorted(done) == ["s0", "s1", "s2", "s3"]
    with pytest.raises(ValueError):
        check_many(targets, max_workers=0)


def test_disabled_and_rejected_entries_are_not_used(tmp_path):
    home, project = tmp_path / "home", tmp_path / "project"
    write(home / ".codeium/windsurf/mcp_config.json", json.dumps({"mcpServers": {
        "off": {"serverUrl": "https://w.test/mcp", "disabled": True}}}))
    write(home / ".codex/config.toml", '[mcp_servers.off2]\nurl = "https://c.test/mcp"\n'
                                       "enabled = false\n")
    write(project / ".mcp.json", json.dumps({"mcpServers": {
        "rejected": {"type": "http", "url": "https://r.test/mcp"},
        "kept": {"type": "http", "url": "https://k.test/mcp"}}}))
    write(home / ".claude.json", json.dumps({"projects": {str(project): {
        "disabledMcpjsonServers": ["rejected"]}}}))
    found = discover(Place("linux", home, project, {}))
    # Claude Code keeps "kept"; Copilot CLI reads the same .mcp.json only in a folder it trusts
    assert [(s.client, s.name) for s in found.effective] == [("Claude Code", "kept")]
    why = {(s.client, s.name): s.unused for s in found.servers}
    assert "disabledMcpjsonServers" in (why["Claude Code", "rejected"] or "")
    assert "trusts" in (why["Copilot CLI", "kept"] or "")
    assert why["Windsurf", "off"] == "disabled in its configuration"
    assert "enabled = false" in (why["Codex", "off2"] or "")
    trusted = discover(Place("linux", home, project, {"COPILOT_ALLOW_ALL": "true"}))
    assert ("Copilot CLI", "kept") in [(s.client, s.name) for s in trusted.effective]


def test_a_variable_in_the_url_path_is_never_shown(run_cli, tmp_path, monkeypatch, lab_flags):
    secret = "p4th-S3cret-in-url"
    home = tmp_path / "home"
    monkeypatch.chdir(tmp_path)
    write(home / ".claude.json", json.dumps({"mcpServers": {"pathy": {
        "type": "http", "url": f"https://mcp.test:{closed_port()}/t/${{PATH_TOKEN}}/mcp"}}}))
    env = {"HOME": str(home), "PATH_TOKEN": secret}
    listed = run_cli("servers", env=env)
    listed_json = run_cli("servers", "--json", "-", env=env)
    checked = run_cli("check", *lab_flags, "-v", env=env)
    assert checked.report is not None
    assert checked.report["servers"][0]["outcome"] == "failed"
    for text in (listed.stdout, listed_json.stdout, checked.stdout, checked.stderr,
                 json.dumps(checked.report)):
        assert secret not in text
    assert "/t/<redacted>/mcp" in checked.report["servers"][0]["url"]


@pytest.mark.parametrize("args", [
    ["check", "https://mcp.test/a", "not a url"],
    ["check", "--timeout", "0"],
    ["check", "--parallel", "0"],
    ["check", "--server", "x", "https://mcp.test/a"],
])
def test_usage_errors_of_many_exit_2(run_cli, machine, args):
    result = run_cli(*args, env=machine["env"])
    assert result.status == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("netcheck: error:")


def test_schema_has_both_forms_and_rejects_a_mix(run_cli, machine, lab_flags, schema):
    import jsonschema

    many = run_cli("check", "--server", "cc-user", *lab_flags, env=machine["env"]).report
    assert many is not None
    one = many["servers"][0]["report"]
    jsonschema.validate(one, schema)  # the entry's report is a one-server report, unchanged
    for broken in ({**many, "steps": []},  # a mix of both forms
                   {k: v for k, v in one.items() if k != "steps"},  # neither
                   {**many, "servers": [{**many["servers"][0], "report": {"ok": True}}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet='{}[],:"/*\\ \nab1', max_size=60))
def test_any_text_is_a_document_or_a_warning(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "mcp.json"
    path.write_text(text, encoding="utf-8")
    warnings: list[Any] = []
    for comments in (False, True):
        doc = read_json(path, warnings, comments=comments)
        assert doc is not None or warnings


@settings(max_examples=200, deadline=None)
@given(entries=st.dictionaries(st.text(max_size=8), JSON_VALUES | st.dictionaries(
    st.sampled_from(["url", "type", "headers", "oauth", "auth", "command", "args", "env",
                     "disabled"]), JSON_VALUES | st.just("https://a.test/${X}"), max_size=5),
    max_size=4))
def test_any_entry_shape_is_a_server_or_a_warning(entries):
    place = Place("linux", Path("/nonexistent-home"), Path("/nonexistent-project"), {})
    warnings: list[Any] = []
    found = servers_in({"mcpServers": entries}, "mcpServers", Source("X", "f", "user"), place,
                       warnings)
    assert len(found) + len(warnings) == len(entries)


@pytest.fixture(scope="module")
def sdk_lab(pki):  # type: ignore[no-untyped-def]
    from tests.sdk_lab import SdkLab

    lab = SdkLab(pki)
    yield lab
    lab.close()


def test_the_oauth_settings_of_the_entry_drive_the_flow(run_cli, sdk_lab, pki, dns_server,
                                                        tmp_path, monkeypatch):
    """Claude Code's oauth.clientId and oauth.authServerMetadataUrl, as the client uses them:
    discovery of the authorization server is skipped, registration is not probed."""
    monkeypatch.chdir(tmp_path)
    metadata = sdk_lab.issuer + ".well-known/oauth-authorization-server"
    write(tmp_path / ".mcp.json", json.dumps({"mcpServers": {"sdk": {
        "type": "http", "url": sdk_lab.mcp_url,
        "oauth": {"clientId": "pre-registered-id", "authServerMetadataUrl": metadata}}}}))
    before = len(sdk_lab.provider.registrations)
    result = run_cli("check", "--server", "sdk", "--public-roots", pki.path("public-ca.pem"),
                     "--dns-server", dns_server.address, "--timeout", "3",
                     "--cert", pki.path("client.pem"), "--key", pki.path("client.key"),
                     env={"HOME": str(tmp_path / "home")})
    entry = result.report["servers"][0]
    assert entry["outcome"] == "ok", entry["report"]["verdict"]
    steps = {s["step"]: s for s in entry["report"]["steps"]}
    assert steps["authorization_server_metadata"]["url"] == metadata
    registration = steps["client_registration"]["hops"][-1]["message"]
    assert "pre-registered client id pre-registered-id" in registration
    assert len(sdk_lab.provider.registrations) == before


def test_the_callback_port_of_the_entry_reaches_the_callback_step(run_cli, sdk_lab, pki,
                                                                  dns_server, tmp_path,
                                                                  monkeypatch):
    """Claude Code's oauth.callbackPort is the port the callback step checks: held by another
    program, the server's check fails there, with that port."""
    import socket

    monkeypatch.chdir(tmp_path)
    holder = socket.create_server(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    write(tmp_path / ".mcp.json", json.dumps({"mcpServers": {"sdk": {
        "type": "http", "url": sdk_lab.mcp_url, "oauth": {"callbackPort": port}}}}))
    try:
        result = run_cli("check", "--server", "sdk", "--public-roots", pki.path("public-ca.pem"),
                         "--dns-server", dns_server.address, "--timeout", "3",
                         "--cert", pki.path("client.pem"), "--key", pki.path("client.key"),
                         env={"HOME": str(tmp_path / "home")})
    finally:
        holder.close()
    verdict = result.report["servers"][0]["report"]["verdict"]
    assert (verdict["step"], verdict["code"]) == ("callback", "callback_port_in_use")
    assert str(port) in verdict["message"]


@pytest.mark.parametrize(("content_type", "body", "status", "says"), [
    ("text/event-stream", b"event: endpoint\r\ndata: /m?s=abcdefgh12\r\n\r\n", "ok",
     "endpoint event names /m?s=<redacted>"),
    ("text/event-stream", b"event: message\ndata: {}\n\n", "failed", 'not "endpoint"'),
    ("text/event-stream", b"", "failed", 'not "endpoint"'),
    ("application/json", b"{}", "failed", "not an event stream"),
])
def test_the_sse_answer_is_judged_as_an_sse_client_would(content_type, body, status, says):
    from netcheck.hops.sse import judge_open
    from netcheck.net.http1 import HttpResponse

    response = HttpResponse(200, "OK", "1.1", [("Content-Type", content_type)], body)
    hop = judge_open("https://mcp.test/sse")(response, {})
    assert (hop.status.value, says in hop.message) == (status, True), hop.message


@pytest.fixture(scope="module")
def sdk_servers(pki):  # type: ignore[no-untyped-def]
    """The MCP Python SDK's own servers over TLS: its legacy SSE app and its Streamable HTTP
    app, each under uvicorn on loopback."""
    import socket
    import time

    import uvicorn
    from mcp.server.mcpserver import MCPServer

    started = []
    for app, lifespan in ((MCPServer("sse-lab").sse_app(), "off"),
                          (MCPServer("http-lab").streamable_http_app(), "on")):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan=lifespan,
                                               access_log=False,
                                               ssl_certfile=pki.path("server.pem")))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        started.append((server, thread, sock.getsockname()[1]))
    yield {"sse": started[0][2], "http": started[1][2]}
    for server, thread, _port in started:
        server.should_exit = True
        thread.join(5)


def test_the_sdks_sse_and_streamable_servers_as_configured(run_cli, sdk_servers, pki,
                                                           tmp_path, monkeypatch):
    """Against the real thing: the SDK's SSE server passes when configured as sse and is
    refused (405) when configured as http; its Streamable HTTP server passes as http."""
    monkeypatch.chdir(tmp_path)
    sse, http = (f"https://127.0.0.1:{sdk_servers[k]}" for k in ("sse", "http"))
    write(tmp_path / ".vscode/mcp.json", json.dumps({"servers": {
        "sdk-sse": {"type": "sse", "url": f"{sse}/sse"},
        "sdk-http": {"type": "http", "url": f"{http}/mcp"},
        "sdk-sse-as-http": {"type": "http", "url": f"{sse}/sse"}}}))
    result = run_cli("check", "--public-roots", pki.path("public-ca.pem"), "--timeout", "5",
                     env={"HOME": str(tmp_path / "home")})
    found = entries(result.report)
    assert outcome(found["sdk-sse"]) == ("ok", None), found["sdk-sse"]["report"]["verdict"]
    assert outcome(found["sdk-http"]) == ("ok", None), found["sdk-http"]["report"]["verdict"]
    assert outcome(found["sdk-sse-as-http"]) == ("failed", "http_method_not_allowed")
    opened = found["sdk-sse"]["report"]["steps"][1]["hops"][-1]["message"]
    assert "endpoint event names /messages/?session_id=<redacted>" in opened
