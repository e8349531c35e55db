"""The protected-resource metadata, asked for beside the MCP server's first request.

A client learns where that metadata is from the server's 401 (its ``resource_metadata``) or,
without one, tries the well-known URL first; servers that name a URL almost always name that
same one. So the check sends the request for it over a second connection while the first
request is on its way: when the protected-resource step's first URL is that one, its answer is
already there, a round trip sooner (``fetch.fetch_in_order``). When the 401 names another URL,
or no authorization is asked for, it is left unused. It is a GET of public metadata: nothing is
created or consumed, and the request is the step's own, hop by hop.
"""

from __future__ import annotations

from netcheck.model import Step
from netcheck.oauth.discovery import protected_resource_metadata_urls
from netcheck.oauth.fetch import judge_document
from netcheck.oauth.protected_resource import metadata_request
from netcheck.pipeline import probe
from netcheck.run_context import RunContext
from netcheck.settings.check import Prepared


def metadata_url(server_url: str) -> str:
    """The URL a client asks first when the 401 names none."""
    return protected_resource_metadata_urls(server_url, None)[0]


def start(server_url: str, prepared: Prepared, run: RunContext) -> None:
    """Send the request for ``server_url``'s metadata in the background (as the step would,
    with no observer: the step shows its hops when it takes the answer)."""
    url = metadata_url(server_url)
    request, judge = metadata_request(url), judge_document(url)
    run.prefetch(url, lambda: probe(Step.PROTECTED_RESOURCE_METADATA, request, judge,
                                    prepared, run))
