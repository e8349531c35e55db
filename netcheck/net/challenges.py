"""Parsing ``WWW-Authenticate`` / ``Proxy-Authenticate`` challenges (RFC 9110 section 11.6.1).

Lenient and total: any input gives a list of challenges (possibly empty) and never raises, since
the header comes from servers we are diagnosing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_WS = " \t"
_PARAM_AHEAD = re.compile(r"[ \t,]*" + _TOKEN.pattern + r"[ \t]*=(?!=*[ \t]*(,|$))")
_VALUE = re.compile(r"[^,\s]*")


@dataclass
class Challenge:
    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"scheme": self.scheme, "params": self.params, "token68": self.token68 is not None}


def parse_challenges(value: str) -> list[Challenge]:
    """All challenges in one header value."""
    parser = _Parser(value)
    return parser.challenges()


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def _skip(self, chars: str) -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def _match(self, regex: re.Pattern[str]) -> str | None:
        m = regex.match(self.s, self.i)
        if not m:
            return None
        self.i = m.end()
        return m.group(0)

    def _peek_param(self) -> bool:
        """Is the next item ``token =`` (a parameter) rather than a new challenge?"""
        return _PARAM_AHEAD.match(self.s, self.i) is not None

    def _quoted(self) -> str:
        self.i += 1  # opening quote
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            self.i += 1
            if c == '"':
                break
            out.append(c)
        return "".join(out)

    def challenges(self) -> list[Challenge]:
        found: list[Challenge] = []
        while self.i < len(self.s):
            self._skip(_WS + ",")
            scheme = self._match(_TOKEN)
            if scheme is None:
                if self.i < len(self.s):
                    self.i += 1  # skip a character we cannot use and carry on
                continue
            challenge = Challenge(scheme=scheme)
            found.append(challenge)
            self._skip(_WS)
            if not self._peek_param():
                save = self.i
                token68 = self._match(_TOKEN68)
                if token68 is not None:
                    self._skip(_WS)
                    if self.i >= len(self.s) or self.s[self.i] == ",":
                        challenge.token68 = token68
                        continue
                self.i = save
            while self._peek_param():
                self._skip(_WS + ",")
                name = self._match(_TOKEN) or ""
                self._skip(_WS)
                self.i += 1  # "="
                self._skip(_WS)
                if self.i < len(self.s) and self.s[self.i] == '"':
                    value = self._quoted()
                else:
                    value = self._match(_VALUE) or ""
                challenge.params.setdefault(name.lower(), value)
                self._skip(_WS)
        return found
