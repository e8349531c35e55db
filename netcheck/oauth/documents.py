"""Reading JSON documents from servers we are diagnosing: every problem is a finding."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from netcheck.model import Code, Finding, Hop, HopResult, Status, failed
from netcheck.net.http1 import HttpResponse
from netcheck.proxy.models import is_http_url

FIX_ON_SERVER = ("clients reject this answer too: tell the server's owners, quoting this "
                 "message")


class DocumentProblem(Finding):
    """A server's answer has the right status but the wrong content."""

    default_hint = FIX_ON_SERVER


def json_object(response: HttpResponse, what: str,
                not_json: Code = Code.OAUTH_INVALID_JSON) -> dict[str, Any]:
    """The body as a JSON object, or a :class:`DocumentProblem` describing what came instead.

    ``not_json`` is the code when the body is not JSON at all: a broken document for metadata,
    but for an endpoint's answer the sign that something other than an OAuth server answered.
    """
    if response.body_over_limit:
        unpacked = " once decompressed" if response.header("content-encoding") else ""
        raise DocumentProblem(Code.OAUTH_INVALID_JSON,
                              f"the {what} is larger than {len(response.body) // 1024} KiB"
                              f"{unpacked}; netcheck stopped reading there",
                              "OAuth documents are a few KiB: something else answered (a "
                              "download, a stream, a compression bomb) or the server is broken")
    if not response.body_complete:
        raise DocumentProblem(Code.OAUTH_INVALID_JSON,
                              f"the {what} was cut off after {len(response.body)} bytes (the "
                              "connection ended early)")
    try:
        value = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        summary = response.page_summary()
        seen = (f"{summary['content_type'] or 'no content type'}: "
                f"{summary['title'] or summary['text'][:120]}") if summary else "an empty body"
        raise DocumentProblem(
            not_json, f"the {what} is not JSON ({seen})",
            "something other than the OAuth server answered (a proxy block page, a login "
            "portal, a WAF, or a web app catching all paths)") from None
    if not isinstance(value, dict):
        raise DocumentProblem(Code.OAUTH_WRONG_TYPE,
                              f"the {what} is JSON but not an object ({type(value).__name__})")
    return value


def string_field(doc: dict[str, Any], name: str, what: str) -> str:
    if name not in doc:
        raise DocumentProblem(Code.OAUTH_MISSING_FIELD, f"the {what} has no '{name}'")
    value = doc[name]
    if not isinstance(value, str) or not value:
        raise DocumentProblem(Code.OAUTH_WRONG_TYPE,
                              f"'{name}' in the {what} must be a non-empty string, not "
                              f"{json.dumps(value)[:60]}")
    return value


def string_list(doc: dict[str, Any], name: str, what: str, *, required: bool) -> list[str] | None:
    if name not in doc:
        if required:
            raise DocumentProblem(Code.OAUTH_MISSING_FIELD, f"the {what} has no '{name}'")
        return None
    value = doc[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DocumentProblem(Code.OAUTH_WRONG_TYPE,
                              f"'{name}' in the {what} must be a list of strings, not "
                              f"{json.dumps(value)[:60]}")
    return value


def endpoint_url(url: str, name: str) -> bool:
    """Check that ``url`` (named ``name`` in the report) is an absolute https URL, or http on
    loopback; returns whether it is the latter (allowed, with a warning)."""
    if not is_http_url(url):
        raise DocumentProblem(Code.OAUTH_WRONG_TYPE, f"{name} {url!r} is not an absolute URL")
    if urlsplit(url).scheme == "https":
        return False
    if not is_loopback_http(url):
        raise DocumentProblem(Code.OAUTH_INSECURE_ENDPOINT,
                              f"{name} {url} is not https; clients refuse it")
    return True


def is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in ("localhost", "127.0.0.1", "::1")


def oauth_ok(message: str, details: dict[str, Any], notes: list[str] | None = None,
             warning: bool = False) -> HopResult:
    return HopResult(hop=Hop.OAUTH, status=Status.WARNING if warning else Status.OK,
                     message=message, details=details, notes=list(notes or []))


def oauth_failed(problem: DocumentProblem, details: dict[str, Any]) -> HopResult:
    return failed(Hop.OAUTH, problem.code, problem.message, problem.hint, **details)
