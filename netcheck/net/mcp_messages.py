"""Reading an MCP server's answer to ``initialize`` as a client does (Streamable HTTP).

A client accepts a JSON-RPC response, sent as ``application/json`` or as an event of a
``text/event-stream``; anything else at the MCP URL (a web page, JSON of another API, an empty
stream) ends the client's connection attempt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON = "application/json"
SSE = "text/event-stream"


@dataclass(frozen=True)
class McpAnswer:
    """What a 2xx answer to ``initialize`` holds."""

    message: dict[str, Any] | None  # the JSON-RPC response, if there is one
    problem: str | None  # why it is not one, in a user's words

    @property
    def error(self) -> dict[str, Any] | None:
        """The JSON-RPC error object, when the server refused the request."""
        error = (self.message or {}).get("error")
        return error if isinstance(error, dict) else None


def is_response(value: Any) -> bool:
    """A JSON-RPC 2.0 response object: ``jsonrpc`` "2.0", an ``id``, a result or an error."""
    return (isinstance(value, dict) and value.get("jsonrpc") == "2.0" and "id" in value
            and ("result" in value) != ("error" in value))


def sse_data(body: bytes) -> list[str]:
    """The data of each complete event of an SSE stream (``data:`` lines joined by newlines)."""
    events: list[str] = []
    lines: list[str] = []
    text = body.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    complete, _sep, _partial = text.rpartition("\n\n")
    for line in (complete + "\n\n").split("\n"):
        if not line:
            if lines:
                events.append("\n".join(lines))
            lines = []
        elif line.startswith("data:"):
            lines.append(line[5:].removeprefix(" "))
    return events


def first_response(body: bytes) -> dict[str, Any] | None:
    """The first JSON-RPC response carried by an SSE stream, if one has arrived."""
    for data in sse_data(body):
        try:
            value = json.loads(data)
        except ValueError:
            continue
        if is_response(value):
            return dict(value)
    return None


def read_answer(content_type: str, body: bytes) -> McpAnswer:
    """Judge the body of a 2xx answer to ``initialize``."""
    if content_type == SSE:
        message = first_response(body)
        if message is None:
            return McpAnswer(None, "a text/event-stream that carried no JSON-RPC response")
        return McpAnswer(message, None)
    if content_type == JSON or content_type.endswith("+json"):
        try:
            value = json.loads(body)
        except ValueError:
            return McpAnswer(None, "application/json that does not parse as JSON")
        if is_response(value):
            return McpAnswer(dict(value), None)
        return McpAnswer(None, "JSON that is not a JSON-RPC response (another API answered, "
                               "not an MCP server)")
    if content_type == "text/html":
        return McpAnswer(None, "a web page (text/html), not MCP")
    shown = content_type or "no content type"
    return McpAnswer(None, f"{shown} instead of application/json or text/event-stream")
