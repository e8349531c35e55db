"""The first request to a legacy SSE MCP server (a server configured with ``type: sse``, the
2024-11-05 transport): a GET with ``Accept: text/event-stream``. The server keeps the stream
open and sends an ``endpoint`` event first, naming where the client POSTs its messages; a
protected server answers 401 with a Bearer challenge, as on Streamable HTTP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from netcheck.hops.http import HttpRequest, StatusJudge, judge_initialize
from netcheck.model import Code, Hop, HopResult, Status, failed
from netcheck.net.http1 import HttpResponse
from netcheck.net.mcp_messages import SSE
from netcheck.redaction import Secret, redact_url


def open_stream(url: str, extra_headers: list[tuple[str, Secret]]) -> HttpRequest:
    headers: list[tuple[str, str | Secret]] = [("Accept", SSE), ("Cache-Control", "no-cache")]
    return HttpRequest("GET", url, headers + list(extra_headers), enough=_first_event)


def events(body: bytes) -> list[tuple[str, str]]:
    """``(event, data)`` of each complete event (the event name defaults to "message")."""
    out = []
    text = body.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    complete, _sep, _partial = text.rpartition("\n\n")
    for block in complete.split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            out.append((name, "\n".join(data)))
    return out


def _first_event(content_type: str, body: bytes) -> bool:
    return content_type == SSE and bool(events(body))


def judge_open(url: str) -> StatusJudge:
    """2xx: an event stream whose first event is ``endpoint``; 405 suggests the Streamable
    HTTP transport; 401, redirects and errors are judged as for ``initialize``."""
    others = judge_initialize(url)

    def judge(response: HttpResponse, details: dict[str, Any]) -> HopResult:
        said = f"{response.status} {response.reason}".strip()
        if 200 <= response.status < 300:
            if response.content_type != SSE:
                return failed(Hop.HTTP, Code.HTTP_NOT_MCP,
                              f"{said}: the server answered the SSE GET with "
                              f"{response.content_type or 'no content type'}, not an event "
                              "stream; MCP clients fail here",
                              "check the URL, and whether the server uses the Streamable HTTP "
                              "transport (configure it with type http)", **details)
            first = events(response.body)[:1]
            if not first or first[0][0] != "endpoint":
                return failed(Hop.HTTP, Code.HTTP_NOT_MCP,
                              f"{said}: an event stream whose first event is not \"endpoint\"; "
                              "an SSE MCP client cannot go on",
                              "check the URL, and whether the server uses the Streamable HTTP "
                              "transport (configure it with type http)", **details)
            return HopResult(hop=Hop.HTTP, status=Status.OK, details=details,
                             message=f"{said}: an SSE stream; its endpoint event names "
                                     f"{redact_url(first[0][1])}")
        result = others(response, details)
        if response.status == 405:
            hint = ("the server refused GET: it may use the Streamable HTTP transport "
                    "(configure it with type http), or the path is wrong")
            return replace(result, hint=hint)
        return result

    return judge
