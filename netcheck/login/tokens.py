"""What a login receives and must never show: the code, the verifier, the tokens.

They live in memory only, in :class:`Held`, whose ``repr`` shows none of them, and each one
is taught to the run's redactor the moment it arrives, so every output and the report scrub
it even where it is quoted by a server. Nothing here writes to disk.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from netcheck.redaction import Redactor
from netcheck.report.anonymize import IDENTITY_CLAIMS

# claims shown from a JWT access token (decoded, not verified): what an audience or scope
# mismatch is read from; identity claims are anonymized with the report's other names
SHOWN_CLAIMS = ("iss", "aud", "azp", "client_id", "scope", "scp", "exp", "iat", "nbf")


@dataclass
class Held:
    """The login's secrets, in memory only (``repr`` never shows them)."""

    redactor: Redactor
    code: str | None = field(default=None, repr=False)
    verifier: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    def keep(self, name: str, value: str | None) -> None:
        """Hold ``value`` as ``name`` and teach it to the redactor first."""
        if value:
            self.redactor.add(value)
        setattr(self, name, value)

    def forget(self) -> None:
        for name in ("code", "verifier", "access_token", "refresh_token", "client_secret"):
            setattr(self, name, None)


def token_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """What a token response says, without its tokens."""
    return {"token_type": doc.get("token_type"), "expires_in": doc.get("expires_in"),
            "scope": doc.get("scope"),
            "refresh_token_issued": isinstance(doc.get("refresh_token"), str),
            "id_token_issued": isinstance(doc.get("id_token"), str)}


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT access token, decoded without verification, limited to those
    that explain a refusal (:data:`SHOWN_CLAIMS`, and the identity claims, which the report
    anonymizes); None for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(claims, dict):
        return None
    shown = {k: claims[k] for k in (*SHOWN_CLAIMS, *IDENTITY_CLAIMS) if k in claims}
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        with_time = dt.datetime.fromtimestamp(exp, dt.UTC)
        shown["exp_utc"] = with_time.isoformat(timespec="seconds")
    return shown


def audiences(claims: dict[str, Any] | None) -> list[str]:
    """The ``aud`` claim as a list (a JWT may give one string or several)."""
    aud = (claims or {}).get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []
