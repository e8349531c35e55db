"""Recognising an authorization server's refusal of the redirect_uri a known client sent.

A server that refuses the redirect_uri must not redirect to it (RFC 6749 4.1.2.1): it answers
an OAuth error (``invalid_request`` naming the redirect URI, ``invalid_redirect_uri``), or shows
an error page saying so (Entra ``AADSTS50011``, Google ``redirect_uri_mismatch``, Auth0
"Callback URL mismatch", Okta, Keycloak "Invalid parameter: redirect_uri"), or redirects to an
error page of its own carrying the error in the query.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from netcheck.net.http1 import HttpResponse

ERROR_CODES = {"invalid_redirect_uri", "redirect_uri_mismatch"}
# a text that names the redirect URI (or the callback URL) and says it does not fit
NAMES_IT = re.compile(r"redirect[\s_-]?ur[il]|callback[\s_-]?url|reply[\s_-]?url", re.I)
REFUSES = re.compile(r"mismatch|not (?:registered|allowed|valid|match|whitelisted|permitted)|"
                     r"invalid|does not match|doesn't match|must (?:match|be)|unregistered|"
                     r"unknown|not in the list", re.I)
KNOWN_PAGES = re.compile(r"AADSTS50011|redirect_uri_mismatch|callback url mismatch", re.I)


def rejection(response: HttpResponse, redirect_uri: str) -> str | None:
    """What the server said to refuse the redirect_uri, or None when it did not refuse it."""
    if 300 <= response.status < 400:
        location = response.header("location") or ""
        if location.startswith(redirect_uri):
            return None  # sent back to the client: the redirect_uri was accepted
        query = parse_qs(urlsplit(location).query)
        return _oauth_error(query.get("error", [""])[0],
                            query.get("error_description", [""])[0])
    if response.status < 400 and response.status != 200:
        return None
    said = _json_error(response)
    if said is not None:
        return said
    summary = response.page_summary()
    if not summary:
        return None
    text = f"{summary.get('title') or ''} {summary.get('text') or ''}"
    if KNOWN_PAGES.search(text) or (NAMES_IT.search(text) and REFUSES.search(text)):
        return (summary.get("title") or summary.get("text") or "")[:200]
    return None


def _json_error(response: HttpResponse) -> str | None:
    try:
        doc = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), str):
        return None
    description = doc.get("error_description")
    return _oauth_error(doc["error"], description if isinstance(description, str) else "")


def _oauth_error(error: str, description: str) -> str | None:
    if error in ERROR_CODES or (error and NAMES_IT.search(description)):
        return f"{error}: {description}".rstrip(": ")[:300]
    return None
