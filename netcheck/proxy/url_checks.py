"""What makes a URL or a proxy given on the command line unusable before any lookup: a port
outside 1-65535, a host name DNS cannot carry. These are usage errors (exit status 2), the same
in ``check`` and ``proxy``."""

from __future__ import annotations

from urllib.parse import urlsplit

from netcheck.net.address import is_ip, port_problem, written_port
from netcheck.net.hostname import host_problem
from netcheck.redaction import redact_url


def url_problem(url: str) -> str | None:
    """Why the URL ``url`` cannot be requested, for the checks the URL parser leaves out;
    None when it passes them (or is no URL at all: the caller says so)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    port = written_port(parts.netloc)
    if port is not None and (problem := port_problem(port)) is not None:
        return f"{redact_url(url)}: {problem}"
    try:
        host = parts.hostname
    except ValueError:
        return None
    if host and not is_ip(host) and (problem := host_problem(host)) is not None:
        return f"{redact_url(url)}: {problem}"
    return None


def proxy_flag_problem(value: str) -> str | None:
    """Why ``--proxy VALUE`` cannot name a proxy at all (its port); None otherwise. Other
    faults of a proxy URL are the client's to judge: the check reports them as a diagnosis."""
    authority = value.strip().partition("://")[2] if "://" in value else value.strip()
    netloc = authority.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    port = written_port(netloc)
    if port is not None and (problem := port_problem(port)) is not None:
        return f"--proxy: {problem}"
    return None
