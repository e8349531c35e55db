"""An entry that runs mcp-remote, read as mcp-remote 0.15.1 reads its arguments
(netcheck.configs.mcp_remote): the headers come out first, then the URL and the port."""

from __future__ import annotations

from pathlib import Path

from netcheck.configs.entries import Source, entry
from netcheck.configs.mcp_remote import find
from netcheck.configs.places import Place

URL = "https://mcp.example.com/mcp"


def test_npx_with_flags_a_port_and_a_pinned_release() -> None:
    bridge = find("npx", ["-y", "mcp-remote@0.15.1", URL, "9696", "--enable-proxy", "--host",
                          "127.0.0.1"])
    assert bridge is not None
    assert (bridge.url, bridge.callback_port, bridge.release) == (URL, 9696, "0.15.1")
    assert bridge.flags == ("--enable-proxy", "--host", "127.0.0.1")


def test_headers_are_taken_out_before_the_url_is_read() -> None:
    bridge = find("npx", ["mcp-remote", "--header", "Authorization: Bearer ${TOKEN}", URL,
                          "--header", "X-Team:blue"])
    assert bridge is not None and bridge.url == URL and bridge.flags == ()
    assert bridge.headers == {"Authorization": "Bearer ${TOKEN}", "X-Team": "blue"}


def test_a_flag_before_the_url_is_what_mcp_remote_takes_as_its_url() -> None:
    bridge = find("npx", ["mcp-remote", "--enable-proxy", URL])
    assert bridge is not None and bridge.url == "--enable-proxy"
    server = entry("s", {"command": "npx", "args": ["mcp-remote", "--enable-proxy", URL]},
                   Source("Claude Desktop", "/c.json", "user"), _place())
    assert server.problem and "first argument" in server.problem and server.remote


def test_the_ways_it_is_started() -> None:
    for command, args in (("cmd", ["/c", "npx", "-y", "mcp-remote", URL]),
                          ("bunx", ["mcp-remote", URL]),
                          ("pnpm", ["dlx", "mcp-remote@latest", URL]),
                          ("node", ["/opt/lib/node_modules/mcp-remote/dist/proxy.js", URL]),
                          ("C:\\Users\\a\\AppData\\Roaming\\npm\\mcp-remote.cmd", [URL]),
                          (f"npx -y mcp-remote {URL}", None)):
        bridge = find(command, args)
        assert bridge is not None and bridge.url == URL, (command, args)
    assert find("npx", ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]) is None
    assert find("node", ["/opt/proxy.js", URL]) is None


def test_an_entry_that_runs_mcp_remote_is_that_remote_server_with_its_flags() -> None:
    raw = {"command": "npx", "args": ["-y", "mcp-remote", URL, "--header",
                                      "Authorization:Bearer ${TOKEN}", "--enable-proxy"],
           "env": {"TOKEN": "s3cret-token"}}
    server = entry("s", raw, Source("Cursor", "/c.json", "global"), _place())
    assert (server.transport, server.url, server.bridge) == ("http", URL, "mcp-remote")
    assert server.client_flags == ("--enable-proxy",)
    assert [(n, v.reveal()) for n, v in server.headers] == [("Authorization",
                                                            "Bearer s3cret-token")]


def _place() -> Place:
    return Place("linux", Path("/home/u"), Path("/src"), {"HOME": "/home/u"})
