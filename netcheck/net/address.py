"""Hosts, addresses and ports, written once: IP checks, IPv6 brackets and default ports."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# URL schemes' default ports (requests' and proxies' alike)
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "socks": 1080,
                 "socks4": 1080, "socks4a": 1080, "socks5": 1080, "socks5h": 1080}


def ip(text: str) -> IPAddress | None:
    """``text`` as an IP address, or None when it is a name."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_ip(text: str) -> bool:
    return ip(text) is not None


def bracketed(host: str) -> str:
    """``host`` as it stands in a URL or an authority: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def authority(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets."""
    return f"{bracketed(host)}:{port}"


def digits(text: str) -> bool:
    """Whether ``text`` is a number ``int()`` reads: ASCII digits only (``str.isdigit`` also
    accepts '²' and other scripts' digits, which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def port_problem(text: str) -> str | None:
    """Why ``text`` (a URL's or a proxy's port, as written) is not a TCP port, or None."""
    if digits(text) and 0 < int(text) < 65536:
        return None
    return f"port {text!r} is not a port number (1 to 65535)"


def written_port(netloc: str) -> str | None:
    """The port of an authority (``user@host:port``) as written, or None when it has none."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        tail = hostport.partition("]")[2]
        port = tail[1:] if tail.startswith(":") else ""
    else:
        port = hostport.rpartition(":")[2] if ":" in hostport else ""
    return port or None


def covered_by(host: str, entry: str) -> bool:
    """Whether a NO_PROXY ``entry`` (its port and brackets already taken off) covers ``host``,
    as undici-style matchers read one: an IP host by an address or network, a name by that
    name and its subdomains, written bare, ``.name`` or ``*.name``."""
    host_ip = ip(host)
    if host_ip is not None:
        try:
            return host_ip in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    entry = entry[2:] if entry.startswith("*.") else entry.lstrip(".")
    return bool(entry) and (host == entry or host.endswith("." + entry))
