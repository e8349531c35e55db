"""What the MCP URL answers to ``initialize``, judged as MCP clients judge it: a JSON-RPC
response (JSON, or an event of a stream that may stay open) passes; a web page, JSON of another
API or an empty stream fails where every client fails, with a hint."""

from __future__ import annotations

import json
import time

import pytest

from netcheck.net.mcp_messages import first_response, read_answer, sse_data
from tests import hostile

RESULT = {"jsonrpc": "2.0", "id": 1, "result": {
    "protocolVersion": "2025-11-25", "capabilities": {},
    "serverInfo": {"name": "lab", "version": "1"}}}


def _run(run_cli, base_args, server):  # type: ignore[no-untyped-def]
    return run_cli("check", server.url("/mcp"), *base_args)


@pytest.mark.parametrize(("script", "words"), [
    (hostile.answer(200, b"<html><head><title>Acme Portal</title></head><body>Welcome</body>"
                         b"</html>", [("Content-Type", "text/html; charset=utf-8")]),
     "a web page"),
    (hostile.json_answer({"status": "ok", "version": "3.2"}), "not a JSON-RPC response"),
    (hostile.answer(200, b"event: ping\ndata: hello\n\n", [("Content-Type", "text/event-stream")]),
     "carried no JSON-RPC response"),
    (hostile.answer(200, b"plain words", [("Content-Type", "text/plain")]), "text/plain"),
], ids=["html-page", "json-of-another-api", "empty-stream", "plain-text"])
def test_a_2xx_that_is_not_mcp_fails_at_http(run_cli, base_args, hostile_server, script, words):
    hostile_server.routes["/mcp"] = script
    result = _run(run_cli, base_args, hostile_server)
    assert result.diagnosis == ("resource", "http", "http_not_mcp")
    assert words in result.report["verdict"]["message"]
    assert result.report["verdict"]["hint"]


def test_a_web_page_is_named_with_its_title(run_cli, base_args, hostile_server):
    hostile_server.routes["/mcp"] = hostile.answer(
        200, b"<html><head><title>Acme Portal</title></head></html>",
        [("Content-Type", "text/html")])
    result = _run(run_cli, base_args, hostile_server)
    assert "Acme Portal" in result.report["verdict"]["message"]
    assert "web page, not MCP" in result.report["verdict"]["hint"]


def test_a_json_rpc_result_passes(run_cli, base_args, hostile_server):
    hostile_server.routes["/mcp"] = hostile.json_answer(RESULT)
    result = _run(run_cli, base_args, hostile_server)
    assert result.status == 0, result.stdout
    assert "initialize result" in result.hop("resource", "http")["message"]


def test_an_event_stream_left_open_passes_as_soon_as_the_result_came(run_cli, base_args,
                                                                    hostile_server):
    def stream(_seen: hostile.Seen, send: hostile.Send) -> None:
        send(hostile.head(200, [("Content-Type", "text/event-stream")], None))
        send(f"event: message\ndata: {json.dumps(RESULT)}\n\n".encode())
        time.sleep(20)  # a server may keep the stream open

    hostile_server.routes["/mcp"] = stream
    started = time.monotonic()
    result = _run(run_cli, base_args, hostile_server)
    assert result.status == 0, result.stdout
    assert time.monotonic() - started < 3


def test_a_json_rpc_error_fails_with_the_servers_words(run_cli, base_args, hostile_server):
    hostile_server.routes["/mcp"] = hostile.json_answer(
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Unsupported version"}})
    result = _run(run_cli, base_args, hostile_server)
    assert result.diagnosis == ("resource", "http", "http_mcp_error")
    assert "Unsupported version" in result.report["verdict"]["message"]


def test_sse_parsing():
    body = b"id: 1\r\nevent: message\r\ndata: {\"jsonrpc\": \"2.0\",\r\ndata: \"id\": 1, " \
           b"\"result\": {}}\r\n\r\ndata: partial"
    assert sse_data(body) == ['{"jsonrpc": "2.0",\n"id": 1, "result": {}}']
    assert first_response(body) == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert first_response(b"data: {\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {}}") is None
    assert read_answer("application/json", b'[{"jsonrpc": "2.0"}]').problem
    assert read_answer("application/json", json.dumps(RESULT).encode()).problem is None
