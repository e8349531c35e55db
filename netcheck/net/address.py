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
