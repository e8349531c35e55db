"""Keeping secrets out of every output.

Two layers:

1. By construction: secret values live in :class:`Secret`, whose ``str``/``repr`` never show the
   value, and URLs are stored through :func:`redact_url`. The report serializer turns any
   ``Secret`` it meets into ``"<redacted>"``.
2. As a backstop: a :class:`Redactor` knows every secret the run was given (and the encodings a
   server could echo back: percent-encoded, Basic credentials) and scrubs them from every string of
   the finished report, which is also what the terminal renders; it also redacts the query values
   of every URL found in those strings (a server's metadata can carry signed URLs too).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

REDACTED = "<redacted>"

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
# Query parameters whose values are shown: the OAuth request parameters netcheck itself sends
# and that name nothing secret. Every other query value is redacted, whatever its name: a
# token in "?k=..." is as secret as one in "?access_token=...".
SHOWN_QUERY_KEYS = frozenset(
    {"response_type", "client_id", "redirect_uri", "scope", "resource", "code_challenge_method",
     "grant_type", "api-version"}
)
# Variables whose value is itself a secret: only their presence is reported.
SECRET_VARIABLES = frozenset({"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"})


class Secret:
    """A value that must never be printed. Use :meth:`reveal` only where it is sent."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact_url(url: str) -> str:
    """``url`` with any password in its userinfo and secret query values replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not parsable ("http://[bad?k=v"): still hide what looks secret
        text = _redact_userinfo_text(url)
        head, mark, rest = text.partition("?")
        query, hash_, fragment = rest.partition("#")
        return head + mark + _redact_query(query) + hash_ + fragment
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{hostport}" if ":" in userinfo else f"{REDACTED}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, _redact_query(parts.query),
                       parts.fragment))


def proxy_userinfo(value: str) -> tuple[int, int, str, str | None] | None:
    """Where the credentials of a proxy value are: ``(start, end, user, password)``.

    Lenient on purpose, since the value may be malformed: the userinfo is everything between
    ``://`` (or the start) and the *last* ``@``, even across a ``/`` (an unencoded ``/`` in a
    password makes the value invalid for clients, but it is still a password to hide).
    """
    sep = value.find("://")
    start = sep + 3 if sep >= 0 else 0
    cuts = [i for i in (value.find("?", start), value.find("#", start)) if i >= 0]
    at = value.rfind("@", start, min(cuts, default=len(value)))
    if at < 0:
        return None
    user, colon, password = value[start:at].partition(":")
    return start, at, user, password if colon else None


def redact_proxy(value: str) -> str:
    """A proxy variable's value with its password (or, without a ``:``, its whole userinfo)
    replaced."""
    found = proxy_userinfo(value)
    if found is None:
        return value
    start, at, user, password = found
    shown = f"{user}:{REDACTED}" if password is not None else REDACTED
    return value[:start] + shown + value[at:]


def _redact_query(query: str) -> str:
    """Every value of ``query`` replaced, except those of :data:`SHOWN_QUERY_KEYS`."""
    return "&".join(_redact_query_pair(pair) for pair in query.split("&")) if query else ""


def _redact_query_pair(pair: str) -> str:
    key, sep, value = pair.partition("=")
    if not value or key.lower() in SHOWN_QUERY_KEYS:
        return pair
    return f"{key}{sep}{REDACTED}"


def query_values(url: str) -> list[str]:
    """The values of ``url``'s query, as written and decoded (secrets for the backstop)."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    values = [pair.partition("=")[2] for pair in query.split("&")]
    return [v for value in values for v in {value, unquote_plus(value)} if v]


def _redact_userinfo_text(text: str) -> str:
    return re.sub(r"(://[^/@\s]*?:)[^/@\s]*@", rf"\1{REDACTED}@", text)


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Headers as ``[name, value]`` pairs with secret-bearing values replaced."""
    out = []
    for name, value in headers:
        out.append([name, REDACTED if name.lower() in SECRET_HEADERS else value])
    return out


_SEPARATORS = re.compile(r"""([\s"<>]+)""")  # not "'": RFC 3986 allows it inside a query
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def redact_urls_in(text: str) -> str:
    """``text`` with every URL's query values redacted (see :func:`redact_url`), wherever the
    URL stands: in a message, a header, an echoed page. Linear in the text's length (it reads
    what hostile servers send)."""
    if "?" not in text or "://" not in text:
        return text
    parts = _SEPARATORS.split(text)
    for index, part in enumerate(parts):
        if "://" in part and "?" in part:
            start = part.index("://")
            while start > 0 and part[start - 1] in _SCHEME_CHARS:
                start -= 1
            parts[index] = part[:start] + redact_url(part[start:])
    return "".join(parts)


class Redactor:
    """Scrubs known secret values, and the ways a peer could echo them, from strings."""

    MIN_LENGTH = 3  # shorter values would scrub ordinary text; they are still never serialized

    def __init__(self) -> None:
        self._needles: set[str] = set()
        self._longest_first: tuple[str, ...] = ()  # a secret inside another goes after it

    def add(self, value: str | Secret | None) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not value or len(value) < self.MIN_LENGTH:
            return
        self._needles.update({value, quote(value, safe=""), quote(value)})
        self._longest_first = tuple(sorted(self._needles, key=len, reverse=True))

    def add_basic_credentials(self, user: str, password: str) -> None:
        self.add(password)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.add(token)

    def scrub(self, text: str) -> str:
        """``text`` without any known secret, nor any URL's query values."""
        for needle in self._longest_first:
            if needle in text:
                text = text.replace(needle, REDACTED)
        return redact_urls_in(text)

    # Fields holding values from netcheck's own closed vocabularies (step, hop, status and
    # failure code names): a secret that happens to equal a word in them ("wrong") must not
    # erase the failure category from the report.
    STRUCTURAL_KEYS = frozenset({"step", "hop", "status", "code", "schema_version"})

    def scrub_tree(self, value: Any, key: str | None = None) -> Any:
        """A copy of a JSON-ready tree with every free-text string scrubbed."""
        if isinstance(value, Secret):
            return REDACTED
        if isinstance(value, str):
            return value if key in self.STRUCTURAL_KEYS else self.scrub(value)
        if isinstance(value, dict):
            return {str(k): self.scrub_tree(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_tree(v) for v in value]
        return value
