"""Host names as DNS carries them: the ASCII (punycode) form of an international name, and
the limits a name must keep (a label of 1 to 63 octets, 253 in all).

The ASCII form is the one MCP clients send: Node's URL parser (Claude Code, the TypeScript
SDK) maps names with UTS #46, non-transitional (IDNA 2008), so ``straße.de`` is
``xn--strae-oqa.de``, not the ``strasse.de`` of Python's ``idna`` codec (IDNA 2003). A support
engineer uses this form with ``dig`` and in proxy logs.
"""

from __future__ import annotations

MAX_LABEL = 63
MAX_NAME = 253


class HostnameError(ValueError):
    """The name cannot be a DNS name; the message says why."""


def ascii_host(host: str) -> str:
    """``host`` as DNS carries it (unchanged when it is ASCII already), or
    :class:`HostnameError` when no DNS query could carry it."""
    name = host.rstrip(".")
    if name.isascii():
        ascii_name = name.lower()
    else:
        import idna

        try:
            ascii_name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise HostnameError(f"{host!r} is not a valid international host name ({exc})") \
                from None
    _check_lengths(ascii_name)
    return ascii_name


def _check_lengths(ascii_name: str) -> None:
    if not ascii_name:
        raise HostnameError("the host name is empty")
    labels = ascii_name.split(".")
    for label in labels:
        if not label:
            raise HostnameError("the host name has an empty label (two dots in a row, or a "
                                "leading dot)")
        if len(label) > MAX_LABEL:
            shown = label if len(label) <= 20 else f"{label[:12]}...{label[-4:]}"
            raise HostnameError(f"the host name has a label of {len(label)} characters "
                                f"({shown}); DNS allows at most {MAX_LABEL} per label")
    if len(ascii_name) > MAX_NAME:
        raise HostnameError(f"the host name has {len(ascii_name)} characters; DNS allows at "
                            f"most {MAX_NAME}")


def host_problem(host: str) -> str | None:
    """Why ``host`` (a name, not an IP address) cannot be looked up, or None."""
    try:
        ascii_host(host)
    except HostnameError as exc:
        return str(exc)
    return None


def wire_host(host: str) -> str:
    """``host`` as it goes on the wire (Host header, CONNECT, SOCKS): an international name in
    its ASCII form; a name that has none is sent with its non-ASCII characters as '?', never
    as a crash (the dns hop, or the proxy, then says what is wrong with it)."""
    if host.isascii():
        return host
    try:
        return ascii_host(host) + ("." if host.endswith(".") else "")
    except HostnameError:
        return host.encode("ascii", "replace").decode("ascii")
