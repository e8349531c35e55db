"""What "netcheck agrees with a client" means, for one case.

The client gets exactly as far as netcheck says: netcheck passes every step the client takes
(up to the browser step, where the drivers stop) if and only if the client gets there, and
where the client stops, netcheck's verdict names that step. Each party's outcome is reduced
to an :class:`Outcome`; :func:`agree` compares them.

Where a client stopped is read, in this order, from its own words (a message that names the
check it failed) and from the requests it made: the earliest step of the flow whose every
request failed (no answer, or a status the step cannot use), else the last step it reached
(it refused the content of an answer there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

STEPS = ("settings", "resource", "protected_resource_metadata",
         "authorization_server_metadata", "client_registration", "authorization_endpoint",
         "callback", "token_endpoint", "token_refresh")
BROWSER_STEP = "client_registration"  # the drivers stop once the authorization URL is built


@dataclass(frozen=True)
class Outcome:
    """How far one party got in one case."""

    reached: bool  # it got through every step up to the browser step
    step: str | None  # where it stopped, when it did not
    said: str  # its own words, for the table and for failure messages

    def to_json(self) -> dict[str, Any]:
        return {"reached": self.reached, "step": self.step, "said": self.said}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Outcome:
        return cls(doc["reached"], doc["step"], doc["said"])

    def same_as(self, other: Outcome) -> bool:
        return (self.reached, self.step) == (other.reached, other.step)


def agree(client: Outcome, netcheck: Outcome) -> bool:
    return client.same_as(netcheck)


def netcheck_outcome(report: dict[str, Any], depth: str = BROWSER_STEP,
                     also: frozenset[str] = frozenset()) -> Outcome:
    """netcheck's verdict, up to ``depth``, the last step the client's driver takes (and the
    steps ``also`` beyond it the client meets before the browser: mcp-remote's callback)."""
    verdict = report["verdict"]
    if verdict is None or (STEPS.index(verdict["step"]) > STEPS.index(depth) and
                           verdict["step"] not in also):
        warnings = "; ".join(w["message"][:80] for w in report["warnings"])[:300]
        return Outcome(True, None, "ok" + (f" (warnings: {warnings})" if warnings else ""))
    return Outcome(False, verdict["step"],
                   f"{verdict['hop']} {verdict['code']}: {verdict['message'][:200]}")


# --- reading where a client stopped ----------------------------------------------------------

WELL_KNOWN_STEP = (("/.well-known/oauth-protected-resource", "protected_resource_metadata"),
                   ("/.well-known/oauth-authorization-server", "authorization_server_metadata"),
                   ("/.well-known/openid-configuration", "authorization_server_metadata"))


def step_of(method: str, url: str, mcp_url: str) -> str:
    """The flow step a request belongs to, from its URL."""
    path = urlsplit(url).path
    for marker, step in WELL_KNOWN_STEP:
        if marker in path:
            return step
    if path.endswith("/register"):
        return "client_registration"
    if path.endswith("/token"):
        return "token_endpoint"
    if urlsplit(url)._replace(query="", fragment="") == urlsplit(mcp_url)._replace(
            query="", fragment=""):
        return "resource"
    return "resource" if method == "POST" else "authorization_server_metadata"


@dataclass(frozen=True)
class Request:
    step: str
    ok: bool  # answered with a status the step can use


USABLE = {"resource": lambda s: s == 401 or 200 <= s < 300,
          "protected_resource_metadata": lambda s: s == 200,
          "authorization_server_metadata": lambda s: s == 200,
          "client_registration": lambda s: s in (200, 201),
          "token_endpoint": lambda s: s in (200, 400, 401)}
JSON_STEPS = ("protected_resource_metadata", "authorization_server_metadata",
              "client_registration", "token_endpoint")


def request(step: str, status: int | None, content_type: str | None = None) -> Request:
    """A request of ``step`` answered with ``status`` (None: no answer); the OAuth documents
    must also be JSON (a login page with 200 is no answer a client can use)."""
    usable = status is not None and USABLE.get(step, lambda s: s < 400)(status)
    if usable and step in JSON_STEPS and content_type is not None:
        usable = "json" in content_type.lower()
    return Request(step, usable)


def stop_from(requests: Iterable[Request], rules: Iterable[tuple[str, str]], said: str,
              fallback: str = "resource") -> str:
    """Where a client that did not get through stopped (see the module docstring)."""
    for pattern, step in rules:
        if re.search(pattern, said, re.IGNORECASE):
            return step
    seen = list(requests)
    for step in STEPS:
        mine = [r for r in seen if r.step == step]
        if mine and not any(r.ok for r in mine):
            return step
    return max((r.step for r in seen), key=STEPS.index, default=fallback)
