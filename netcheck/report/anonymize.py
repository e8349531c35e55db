"""Anonymizing a finished report for a public tracker (``--anonymize``).

A transformation of the (already redacted) report dict. It replaces, wherever they appear in its
text, with stable placeholders (the same value gets the same placeholder throughout the report):

- user names: in home-directory paths (``/home/NAME``, ``/Users/NAME``, ``C:\\Users\\NAME``),
  in the user part of URLs (a proxy's user name), and, given the environment of the run, the
  values of USER, LOGNAME and USERNAME and the last part of HOME whatever its form
  (``/u/jdoe7``), and the identity claims of an access token (``sub``, ``email``...) ->
  ``user1``, ``user2``...;
- certificate subjects and issuers (any value that is an RFC 4514 name) -> ``CN=subject-1``...;
- internal host names -> ``internal-1.example``...: proxy hosts, ``NO_PROXY`` domains and the
  names under them, names the report resolved to non-public addresses, single-label names and
  names under internal suffixes (``.corp``, ``.internal``, ``.local``, ``.lan``...);
- non-public IP addresses (private, loopback, link-local, CGNAT...) -> ``192.0.2.N`` and
  ``2001:db8::N``, the documentation ranges (RFC 5737, RFC 3849);
- the machine's host name (``environment.host_name``) -> ``machine-1``.

A value found in one place is replaced wherever it stands as a whole word (a user name found in
a path also in messages), case-insensitively. Public host names and addresses stay: they name
the service, not the user's network. Step, hop, status and code names, versions and times are
never touched. Free text is only searched for values found in the report's structure (and for
IP addresses): a name that appears nowhere else, only inside a server's page, is not found.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

FORMATS = {"user": "user{n}", "subject": "CN=subject-{n}", "host": "internal-{n}.example",
           "machine": "machine-{n}", "ipv4": "192.0.2.{n}", "ipv6": "2001:db8::{n:x}"}
# Values never rewritten: netcheck's own vocabulary, versions, times.
KEPT_KEYS = frozenset({"step", "hop", "status", "code", "schema_version", "netcheck_version",
                       "started_at", "finished_at", "python", "openssl", "packages",
                       "client_profile", "duration_ms", "sha256"})
INTERNAL_SUFFIXES = (".corp", ".internal", ".intranet", ".local", ".lan", ".home", ".private",
                     ".localdomain", ".home.arpa", ".test", ".invalid")
_NOT_USERS = frozenset({"shared", "public", "default", "all users"})
# the identity claims of a JWT access token the report shows (netcheck login)
IDENTITY_CLAIMS = ("sub", "email", "preferred_username", "upn", "name", "oid")

_ATTR = r"(?:CN|OU|O|L|ST|C|DC|E|UID|STREET|emailAddress|serialNumber|[0-9]+(?:\.[0-9]+)+)"
_DN = re.compile(rf"{_ATTR}=(?:\\.|[^,\\])*(?:,{_ATTR}=(?:\\.|[^,\\])*)*")
_URL = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s\"'<>()]+")  # linear
_HOME = re.compile(r"(?:/home/|/Users/|[A-Za-z]:[\\/]+Users[\\/]+|\\Users\\)([^/\\\s\"':]+)")
_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")
_IPV4 = r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)"
_IPV6 = r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"


class _Placeholders:
    def __init__(self) -> None:
        self.by_value: dict[str, str] = {}
        self._counts: Counter[str] = Counter()

    def get(self, kind: str, value: str) -> str:
        key = value.lower()
        if key not in self.by_value:
            self._counts[kind] += 1
            self.by_value[key] = FORMATS[kind].format(n=self._counts[kind])
        return self.by_value[key]


def anonymize(report: dict[str, Any],
              environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A copy of ``report`` with identifying values replaced (see the module's docstring);
    ``environ``: the run's environment, whose user names are replaced too.

    A report of configured servers (``servers``) is anonymized as one document, so a proxy
    shared by two servers gets one placeholder."""
    places = _Placeholders()
    needles: dict[str, str] = dict.fromkeys(_environment_users(environ or {}), "user")
    for claims in _token_claims(report):  # netcheck login: who the token was issued to
        for claim in IDENTITY_CLAIMS:
            value = claims.get(claim)
            if isinstance(value, str) and len(value) >= 3:
                needles.setdefault(value.lower(), "user")
    strings = list(_strings(report))
    for env in _environments(report):
        name = env.get("host_name")
        if isinstance(name, str) and name:
            needles[name.lower()] = "machine"
            short = name.split(".")[0]
            if len(short) >= 3 and short != name:  # the short name gets the same placeholder
                needles.setdefault(short.lower(), "machine")
                places.by_value.setdefault(short.lower(), places.get("machine", name))
    internal_domains = _no_proxy_domains(report)
    resolved = _resolved_hosts(report)
    proxy_hosts = _proxy_hosts(report)
    for text in strings:
        if _DN.fullmatch(text) and "=" in text:
            needles.setdefault(text.lower(), "subject")
        for match in _HOME.finditer(text):
            user = match[1]
            if user.lower() not in _NOT_USERS and not user.startswith(("%", "$", "<")):
                needles.setdefault(user.lower(), "user")
        for host, user in _url_parts(text):
            if user and user != "<redacted>":
                needles.setdefault(user.lower(), "user")
            if host and _internal(host, internal_domains, resolved, proxy_hosts):
                needles.setdefault(host.lower().rstrip("."), "host")
        if _HOST.fullmatch(text) and "." in text.strip(".") and not _is_ip(text) \
                and _internal(text, internal_domains, resolved, proxy_hosts):
            needles.setdefault(text.lower().rstrip("."), "host")
    for host in sorted({*internal_domains, *proxy_hosts}):
        if not _is_ip(host) and host != "localhost":
            needles.setdefault(host, "host")
    pattern = _pattern(needles)

    def replace(match: re.Match[str]) -> str:
        text = match[0]
        if match.lastgroup == "ipv4" or match.lastgroup == "ipv6":
            address = _address(text)
            if address is None or address.is_global or _documentation(address):
                return text
            return places.get(match.lastgroup, str(address))
        return places.get(needles[text.lower()], text)

    def rewrite(value: Any, key: str | None = None) -> Any:
        if key in KEPT_KEYS:
            return value
        if isinstance(value, str):
            return pattern.sub(replace, value)
        if isinstance(value, dict):
            return {rewrite(k): rewrite(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    result: dict[str, Any] = rewrite(report)
    return result


def _token_claims(value: Any) -> Iterator[dict[str, Any]]:
    """Every ``access_token_claims`` object in the report."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "access_token_claims" and isinstance(item, dict):
                yield item
            else:
                yield from _token_claims(item)
    elif isinstance(value, list):
        for item in value:
            yield from _token_claims(item)


def _environment_users(environ: Mapping[str, str]) -> list[str]:
    """The user's names as the environment gives them (HOME's last part, whatever the
    layout of home folders; USER, LOGNAME, USERNAME), lowered; short or generic ones left
    out (they would scrub ordinary words)."""
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    names = [re.split(r"[\\/]", home.rstrip("/\\"))[-1] if home.strip("/\\") else ""]
    names += [environ.get(k, "") for k in ("USER", "LOGNAME", "USERNAME")]
    return sorted({n.lower() for n in names if len(n) >= 3 and n.lower() not in _NOT_USERS
                   and n.lower() not in ("root", "user", "admin")})


def _pattern(needles: dict[str, str]) -> re.Pattern[str]:
    """One pass over a string: the needles as whole words (a dotted name also after a dot, as
    in ``.corp.example``; a single label not inside a dotted name), then any IP address."""
    ordered = sorted(needles, key=len, reverse=True)
    dotted = "|".join(re.escape(n) for n in ordered if "." in n)
    single = "|".join(re.escape(n) for n in ordered if "." not in n)
    parts = [rf"(?P<ipv4>{_IPV4})", rf"(?P<ipv6>{_IPV6})"]
    if single:
        parts.insert(0, rf"(?<![\w.-])(?:{single})(?![\w-]|\.[\w-])")
    if dotted:
        parts.insert(0, rf"(?<![\w-])(?:{dotted})(?![\w-]|\.[\w-])")
    return re.compile("|".join(parts), re.IGNORECASE)


def _strings(value: Any, key: str | None = None) -> Iterator[str]:
    if key in KEPT_KEYS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _environments(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    env = report.get("environment")
    if isinstance(env, dict):
        yield env
    for server in report.get("servers") or []:
        if isinstance(server, dict) and isinstance(server.get("report"), dict):
            yield from _environments(server["report"])


def _reports(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(report.get("steps"), list):
        yield report
    for server in report.get("servers") or []:
        if isinstance(server, dict) and isinstance(server.get("report"), dict):
            yield from _reports(server["report"])


def _no_proxy_domains(report: dict[str, Any]) -> set[str]:
    """The domains listed in any NO_PROXY value: internal by definition."""
    out: set[str] = set()
    for one in _reports(report):
        values = [v for k, v in (one.get("environment", {}).get("variables") or {}).items()
                  if k.lower() == "no_proxy"]
        values += [v.get("value", "") for k, v in
                   (one.get("settings", {}).get("proxy_variables") or {}).items()
                   if k.lower() == "no_proxy" and isinstance(v, dict)]
        for value in values:
            for entry in str(value).split(","):
                host = entry.strip().lstrip("*").lstrip(".").split(":")[0].lower()
                if host and host != "localhost" and _HOST.fullmatch(host) and not _is_ip(host):
                    out.add(host)
    return out


def _resolved_hosts(report: dict[str, Any]) -> dict[str, bool]:
    """Host name -> whether the report resolved it to a non-public address."""
    out: dict[str, bool] = {}
    for one in _reports(report):
        for step in one["steps"]:
            for hop in step.get("hops") or []:
                details = hop.get("details") if isinstance(hop, dict) else None
                if hop.get("hop") != "dns" or not isinstance(details, dict):
                    continue
                host, addresses = details.get("host"), details.get("addresses") or []
                if isinstance(host, str):
                    private = [a for a in map(_address, addresses) if a and not a.is_global]
                    out[host.lower()] = out.get(host.lower(), False) or bool(private)
    return out


def _proxy_hosts(report: dict[str, Any]) -> set[str]:
    """The hosts of the proxies the report's variables name: part of the user's network."""
    out: set[str] = set()
    for one in _reports(report):
        values = list((one.get("environment", {}).get("variables") or {}).items())
        values += [(k, v.get("value", "")) for k, v in
                   (one.get("settings", {}).get("proxy_variables") or {}).items()
                   if isinstance(v, dict)]
        for name, value in values:
            if not name.lower().endswith("_proxy") or name.lower() == "no_proxy":
                continue
            text = str(value) if "://" in str(value) else f"http://{value}"
            for host, _user in _url_parts(text):
                if host:
                    out.add(host.lower())
    return out


def _url_parts(text: str) -> Iterator[tuple[str | None, str | None]]:
    for match in _URL.finditer(text.replace("<redacted>", "redacted")):
        try:
            parts = urlsplit(match[0])
            yield parts.hostname, parts.username
        except ValueError:
            continue


def _internal(host: str, domains: set[str], resolved: dict[str, bool],
              proxies: set[str]) -> bool:
    name = host.lower().rstrip(".")
    if not name or name == "localhost" or _is_ip(name):
        return False
    return ("." not in name or name.endswith(INTERNAL_SUFFIXES) or resolved.get(name, False)
            or name in proxies
            or any(name == d or name.endswith("." + d) for d in domains))


def _documentation(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address of the ranges the placeholders use (so anonymizing twice changes nothing)."""
    return any(address in net for net in _DOCUMENTATION if address.version == net.version)


_DOCUMENTATION = (ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("2001:db8::/32"))


def _is_ip(text: str) -> bool:
    return _address(text.strip("[]")) is not None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
