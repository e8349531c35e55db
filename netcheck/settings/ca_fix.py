"""How to make a client trust one more CA, as that client reads its trust variable.

Some variables add to the client's roots (``NODE_EXTRA_CA_CERTS``: Node keeps its bundled
Mozilla roots). Others replace the client's whole store (``CURL_CA_BUNDLE``, ``SSL_CERT_FILE``):
set to a file with only the corporate root, every public site then fails. For those the fix is
a combined bundle: the public roots the client uses now, plus the new certificate.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class CaFix:
    variable: str  # the variable a user sets to make the client trust a CA
    adds: bool  # True: it adds to the client's roots; False: it replaces them
    client: str  # the client's name, as users know it
    base: str | None = None  # the public roots the client uses without the variable (a file)
    current: str | None = None  # the file the variable names now, if it is set
    windows: bool = False  # commands for cmd.exe instead of a POSIX shell
    keeps: tuple[str, ...] = ()  # directories the client still reads roots from, set or not
    caveat: str = ""  # what else holds for this client (a build that keeps a CA directory)
    flag: str | None = None  # a command-line flag instead of the variable (curl's proxy CA)

    def trust(self, pem: str) -> str:
        """What to do so the client trusts the certificate(s) in the PEM file ``pem`` (a
        ``/path/to/...`` placeholder is written the platform's way)."""
        pem = self._path(pem)
        if self.flag:
            return f"give {self.client} {self.flag} {pem}" + (
                f" ({self.caveat})" if self.caveat else "")
        if self.adds and not self.current:
            return f"set {self.variable}={pem} (it adds to the roots {self.client} trusts)"
        if self.adds and self.current:
            return (f"{self.variable} names one file, {self.current} now: combine them "
                    f"({self._combine([self.current, pem], 'extra-cas.pem')}), then set "
                    f"{self.variable}={self._path('/path/to/extra-cas.pem')} (it adds to the roots "
                    f"{self.client} trusts)")
        parts = [*dict.fromkeys(p for p in (self.base, self.current) if p), pem]
        base = "the public roots" if self.base else "the roots it trusts now"
        if self.current and self.current != self.base:
            base += f", the file {self.variable} names now"
        combine = (f"build a combined bundle of {base} and that certificate "
                   f"({self._combine(parts, 'combined.pem')}), then set "
                   f"{self.variable}={self._path('/path/to/combined.pem')}")
        if self.keeps:
            return (f"{self.variable} replaces the bundle file {self.client} reads; it still "
                    f"reads the roots in {', '.join(self.keeps)} here, but not on a machine "
                    "without them, so for public sites to keep working everywhere, " + combine)
        caveat = f" ({self.caveat})" if self.caveat else ""
        return (f"{self.variable} replaces {self.client}'s CA bundle, so a file with only that "
                f"certificate makes public sites fail{caveat}: " + combine)

    def _path(self, path: str) -> str:
        if self.windows and path.startswith("/path/to/"):
            return "C:\\path\\to\\" + path.removeprefix("/path/to/")
        return path

    def _combine(self, files: list[str], out: str) -> str:
        if self.windows:
            return "type " + " ".join(f'"{f}"' for f in files) + f" > {out}"
        return "cat " + " ".join(_posix_quote(f) for f in files) + f" > {out}"


def _posix_quote(path: str) -> str:
    return path if path.startswith("/path/to/") else shlex.quote(path)


def windows_platform(platform: str | None = None) -> bool:
    return (platform or sys.platform) == "win32"
