"""Hop ``dns``: the answer the client would get, with direct DNS queries as evidence.

The decisive answer is the system resolver's (``getaddrinfo``: /etc/hosts, NSS, split DNS), as a
client gets it. dnspython then asks DNS directly for A and AAAA, separately and in parallel, so the
report shows timings, which server answered, and NXDOMAIN / SERVFAIL / silence as distinct facts.
With ``--dns-server`` the chosen resolver is asked instead, for both.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from netcheck.model import Code, Hop, HopResult, Outcome, Status, failed
from netcheck.net.address import authority, is_ip
from netcheck.net.deadline import Timeout, call_bounded, seconds
from netcheck.net.hostname import HostnameError, ascii_host

Address = tuple[int, str]  # (socket family, IP)


@dataclass
class QueryResult:
    rdtype: str
    outcome: str  # "answer", "nxdomain", "no_answer", "servfail", "timeout", "no_resolver", "error"
    addresses: list[str] = field(default_factory=list)
    ms: float = 0.0
    server: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.rdtype, "outcome": self.outcome, "addresses": self.addresses,
                "ms": self.ms, "server": self.server, "detail": self.detail}


def query(host: str, rdtype: str, timeout: float, server: tuple[str, int] | None) -> QueryResult:
    """One direct DNS query with dnspython, classified."""
    from netcheck import warmup

    warmup.load("dns.exception", "dns.resolver")  # it runs in threads: one import at a time
    import dns.exception
    import dns.resolver

    started = time.perf_counter()
    result = QueryResult(rdtype=rdtype, outcome="error")
    try:
        if server:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [server[0]]
            resolver.port = server[1]
        else:
            resolver = dns.resolver.Resolver()
        resolver.retry_servfail = False
        answer = resolver.resolve(host, rdtype, lifetime=timeout, raise_on_no_answer=False,
                                  search=False)
        result.server = authority(str(answer.nameserver), answer.port or 53)
        if answer.rrset is None:
            result.outcome = "no_answer"
        else:
            result.outcome = "answer"
            result.addresses = [r.address for r in answer.rrset]
    except dns.resolver.NXDOMAIN:
        result.outcome = "nxdomain"
    except dns.resolver.NoNameservers as exc:
        result.outcome = "servfail"
        errors = exc.kwargs.get("errors") or []
        result.detail = "; ".join(f"{e[0]}: {e[3]}" for e in errors[:3]) or str(exc)
    except dns.resolver.LifetimeTimeout:
        result.outcome = "timeout"
        result.detail = f"no answer within {seconds(timeout)} s"
    except dns.resolver.NoResolverConfiguration:
        result.outcome = "no_resolver"
        result.detail = f"no nameserver configured ({resolver_settings()})"
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        result.outcome = "error"
        result.detail = str(exc) or exc.__class__.__name__
    result.ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def _system_lookup(host: str, port: int) -> list[Address]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[Address] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        entry = (int(family), str(sockaddr[0]))
        if entry not in seen:
            seen.append(entry)
    return seen


GAI_MESSAGES = {
    socket.EAI_NONAME: "name not known",
    socket.EAI_AGAIN: "temporary failure in name resolution",
    socket.EAI_FAIL: "non-recoverable failure in name resolution",
}


def resolver_settings(platform: str | None = None) -> str:
    """Where this platform's DNS resolvers are configured, for hints."""
    platform = platform or sys.platform
    if platform == "win32":
        return "the network adapter's DNS servers (ipconfig /all)"
    if platform == "darwin":
        return "the network's DNS settings (scutil --dns)"
    return "/etc/resolv.conf"


def is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def resolve(host: str, port: int, timeout: float, server: tuple[str, int] | None,
            role: str) -> Outcome[list[Address]]:
    """Resolve ``host``; ``role`` says whose name it is ("MCP server", "proxy")."""
    if is_ip(host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return Outcome(HopResult(hop=Hop.DNS, status=Status.OK, message=f"{host} is an IP "
                                 "address; no lookup needed", details={
                                     "host": host, "role": role, "addresses": [host]}),
                       [(family, host)])
    try:
        ascii_name = ascii_host(host)
    except HostnameError as exc:
        return Outcome(failed(Hop.DNS, Code.DNS_ERROR, f"{host} ({role}) cannot be looked up: "
                              f"{exc}", "it is not a valid DNS name: check the URL, or the "
                              "setting or redirect that gave it", host=host, role=role))
    # the name as clients send it to DNS (punycode for an international name), and as the
    # report shows it next to the name as written, for dig and proxy logs
    written, shown = host, host
    if not host.isascii():
        shown = f"{host} = {ascii_name}"
        host = ascii_name + ("." if host.endswith(".") else "")

    if is_localhost(host):
        # RFC 6761: clients answer localhost themselves; it never goes to DNS.
        server = None
        rdtypes: tuple[str, ...] = ()
    else:
        rdtypes = ("A", "AAAA")
    evidence: dict[str, QueryResult] = {}
    threads = [threading.Thread(target=lambda t=t: evidence.__setitem__(t, query(host, t, timeout,
                                                                                server)),
                                daemon=True) for t in rdtypes]
    for thread in threads:
        thread.start()
    system_error: str | None = None
    gai_code: int | None = None
    addresses: list[Address] = []
    if server is None:
        try:
            addresses = call_bounded(lambda: _system_lookup(host, port), timeout)
        except Timeout:
            system_error = f"the system resolver gave no answer within {seconds(timeout)} s"
        except socket.gaierror as exc:
            gai_code = exc.errno
            system_error = GAI_MESSAGES.get(exc.errno or 0, exc.strerror or str(exc))
        except (OSError, UnicodeError) as exc:
            system_error = str(exc)
    for thread in threads:
        thread.join(timeout + 0.5)
    queries = [evidence[t] for t in ("A", "AAAA") if t in evidence]
    if server is not None:
        addresses = [(socket.AF_INET, a) for q in queries if q.rdtype == "A" for a in q.addresses]
        addresses += [(socket.AF_INET6, a) for q in queries if q.rdtype == "AAAA"
                      for a in q.addresses]
    details: dict[str, Any] = {
        "host": written,
        "ascii_host": ascii_name,
        "role": role,
        "resolver": f"{authority(*server)} (--dns-server)" if server else "system (getaddrinfo)",
        "addresses": [a for _f, a in addresses],
        "queries": [q.to_json() for q in queries],
    }
    if addresses:
        local = server is None and queries and all(q.outcome != "answer" for q in queries)
        return Outcome(HopResult(
            hop=Hop.DNS, status=Status.OK, details=details,
            message=f"{shown} -> {', '.join(a for _f, a in addresses[:4])}",
            notes=["the system resolver knows this name but DNS does not: it comes from "
                   "the hosts file or another local source (split DNS?)"] if local else []),
            addresses)
    return Outcome(_diagnose(shown, role, queries, system_error, gai_code, server, timeout,
                             details))


def _diagnose(host: str, role: str, queries: list[QueryResult], system_error: str | None,
              gai_code: int | None, server: tuple[str, int] | None, timeout: float,
              details: dict[str, Any]) -> HopResult:
    outcomes = {q.outcome for q in queries}
    where = f"the resolver at {authority(*server)}" if server else "DNS"
    if system_error:
        details["system_error"] = system_error
    if "nxdomain" in outcomes:
        return failed(Hop.DNS, Code.DNS_NXDOMAIN,
                      f"{where} says {host} ({role}) does not exist (NXDOMAIN)",
                      "check the spelling; if the name is internal, this network's DNS does not "
                      "know it (split DNS: connect the VPN, or use the proxy, which resolves "
                      "names itself)", **details)
    if "servfail" in outcomes:
        return failed(Hop.DNS, Code.DNS_SERVFAIL,
                      f"{where} failed to resolve {host} ({role}): SERVFAIL",
                      "the DNS server could not reach the zone's authoritative servers; try "
                      "again, or ask the network team", **details)
    if (outcomes and outcomes <= {"timeout"}) or (not outcomes and system_error and
                                                "no answer" in system_error):
        return failed(Hop.DNS, Code.DNS_TIMEOUT,
                      f"{where} gave no answer for {host} ({role}) within {seconds(timeout)} s",
                      "a firewall may drop DNS to that server; check the resolver in "
                      f"{resolver_settings()} or pass --dns-server", **details)
    if "no_resolver" in outcomes and (system_error or server is None):
        return failed(Hop.DNS, Code.DNS_NO_RESOLVER,
                      f"no DNS resolver is configured or reachable to look up {host}",
                      "configure a nameserver, or pass --dns-server", **details)
    if outcomes == {"no_answer"}:
        return failed(Hop.DNS, Code.DNS_NO_ANSWER,
                      f"{host} ({role}) exists but has no A or AAAA address",
                      "the name has other records only; check the URL", **details)
    if gai_code == socket.EAI_NONAME:
        return failed(Hop.DNS, Code.DNS_NXDOMAIN,
                      f"the system resolver does not know {host} ({role})",
                      "check the spelling and the VPN / split DNS setup", **details)
    query_errors = [q.detail for q in queries if q.outcome == "error" and q.detail]
    reason = system_error or (query_errors[0] if query_errors else "unknown error")
    return failed(Hop.DNS, Code.DNS_ERROR, f"{host} ({role}) could not be resolved: {reason}",
                  "check this machine's DNS settings", **details)
