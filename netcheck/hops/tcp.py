"""Hop ``tcp``: connect to the proxy or the target, address by address, per address family."""

from __future__ import annotations

import errno
import socket
import time
from typing import Any

from netcheck.hops.dns import Address
from netcheck.model import Code, Hop, HopResult, Outcome, Status, failed
from netcheck.net.address import authority
from netcheck.net.deadline import Deadline, seconds

# Windows sockets report WSA codes (WSAENETUNREACH 10051, WSAEHOSTUNREACH 10065,
# WSAEADDRNOTAVAIL 10049, WSAEAFNOSUPPORT 10047) where POSIX systems report errno values
UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT,
               10051, 10065, 10049, 10047}


def connect(addresses: list[Address], port: int, timeout: float,
            role: str) -> Outcome[socket.socket]:
    """The first address that accepts a connection, trying them in resolver order.

    All attempts together are bounded by ``timeout``, as a client's connect timeout is.
    """
    deadline = Deadline(timeout)
    attempts: list[dict[str, Any]] = []
    for family, ip in addresses:
        if deadline.expired:
            attempts.append({"address": ip, "outcome": "not tried", "ms": 0.0})
            continue
        started = time.perf_counter()
        sock = socket.socket(family, socket.SOCK_STREAM)
        # as curl and Node do: a small request must not wait for the ACK of the one before
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(deadline.remaining())
        outcome, detail = "connected", None
        try:
            sock.connect((ip, port))
        except TimeoutError:
            outcome, detail = "timeout", f"no answer within {seconds(timeout)} s"
        except ConnectionRefusedError:
            outcome, detail = "refused", "connection refused"
        except OSError as exc:
            outcome = "unreachable" if exc.errno in UNREACHABLE else "error"
            detail = exc.strerror or str(exc)
        ms = round((time.perf_counter() - started) * 1000, 1)
        attempts.append({"address": ip, "family": "IPv6" if family == socket.AF_INET6 else "IPv4",
                         "outcome": outcome, "detail": detail, "ms": ms})
        if outcome == "connected":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            local = sock.getsockname()
            return Outcome(HopResult(
                hop=Hop.TCP, status=Status.OK,
                message=f"connected to {role} {authority(ip, port)} in {ms:g} ms",
                details={"role": role, "port": port, "attempts": attempts,
                         "local_address": authority(local[0], local[1])}), sock)
        sock.close()
    return Outcome(_diagnose(attempts, port, role, timeout))


def _diagnose(attempts: list[dict[str, Any]], port: int, role: str,
              timeout: float) -> HopResult:
    outcomes = {a["outcome"] for a in attempts}
    where = ", ".join(authority(a["address"], port) for a in attempts) or "no address"
    details = {"role": role, "port": port, "attempts": attempts}
    if "refused" in outcomes:
        return failed(Hop.TCP, Code.TCP_REFUSED, f"{role} {where} refused the connection",
                        "nothing listens on that port, or a firewall rejects it: check the "
                        "host and port" + (" of the proxy variable" if role == "proxy" else ""),
                        **details)
    if outcomes <= {"timeout", "not tried"}:
        return failed(Hop.TCP, Code.TCP_TIMEOUT,
                        f"no answer from {role} {where} within {seconds(timeout)} s",
                        "a firewall drops the traffic silently; this network may only allow "
                        "outbound connections through its proxy" if role != "proxy" else
                        "the proxy is unreachable from here: check the proxy address and VPN",
                        **details)
    if "unreachable" in outcomes:
        return failed(Hop.TCP, Code.TCP_UNREACHABLE,
                        f"{role} {where} is unreachable from this machine",
                        "no route to that network: check VPN and routing", **details)
    errors = [a["detail"] for a in attempts if a["outcome"] == "error"]
    return failed(Hop.TCP, Code.TCP_ERROR, f"could not connect to {role} {where}: "
                  f"{errors[0] if errors else 'no address'}",
                  "check the network connection", **details)
