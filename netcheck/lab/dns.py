"""A loopback DNS responder (dnspython): names in ``records`` answer with an A record, ``nx``
names are NXDOMAIN, ``servfail`` names get SERVFAIL, ``silent`` names get no answer at all.
Unknown names are NXDOMAIN: nothing is ever forwarded beyond this machine."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DnsResponder:
    def __init__(self, records: dict[str, str], *, nx: Iterable[str] = (),
                 servfail: Iterable[str] = (), silent: Iterable[str] = (),
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.records = {k.rstrip(".").lower(): v for k, v in records.items()}
        self.nx, self.servfail, self.silent = set(nx), set(servfail), set(silent)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.host = host
        self.port: int = self.sock.getsockname()[1]
        self.queries: list[str] = []
        threading.Thread(target=self._serve, name="lab-dns", daemon=True).start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
                question = query.question[0]
            except Exception:  # noqa: BLE001 - junk is ignored, as a resolver would
                continue
            name = question.name.to_text().rstrip(".").lower()
            self.queries.append(name)
            if name in self.silent:
                continue
            try:
                self._answer(query, question, name, peer)
            except Exception:  # noqa: BLE001 - one bad answer must not stop the responder
                continue

    def _answer(self, query: dns.message.Message, question: dns.rrset.RRset, name: str,
                peer: tuple[str, int]) -> None:
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.RA
        if name in self.servfail:
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif name in self.records and name not in self.nx:
            if question.rdtype == dns.rdatatype.A:
                reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A",
                                                        self.records[name]))
        else:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        self.sock.sendto(reply.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()
