"""Byte streams over a connected socket, plain or TLS (pyOpenSSL), every call time-bounded.

pyOpenSSL is used rather than :mod:`ssl` because the diagnosis needs what the standard library
hides: the whole peer chain, whether the server sent a CertificateRequest, and the CA names it
accepts for client certificates.

Errors are translated here, in one place, into :class:`StreamError` subclasses::

    StreamError
    ├── StreamTimeout      the peer said nothing in time
    ├── StreamClosed       the peer closed (or reset) the connection
    └── TlsFailure         OpenSSL gave up; ``alert`` names the TLS alert the peer sent, if any
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from netcheck.net.deadline import Deadline, seconds
from netcheck.net.hostname import HostnameError, ascii_host


class StreamError(Exception):
    """A read, write or handshake failed."""


class StreamTimeout(StreamError):
    pass


class StreamClosed(StreamError):
    pass


class TlsFailure(StreamError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        match = re.search(r"alert ([a-z0-9 _]+)", reason)
        self.alert: str | None = match.group(1).strip().replace("_", " ") if match else None


class Stream(Protocol):
    """Bytes both ways, every wait bounded. Streams compose: :meth:`start_tls` wraps this
    stream in TLS, so TLS to a proxy, a CONNECT inside it and TLS to the server inside that
    are three layers of the same kind."""

    sock: socket.socket  # the TCP connection underneath every layer

    def sendall(self, data: bytes, deadline: Deadline) -> None: ...
    def recv(self, size: int, deadline: Deadline) -> bytes: ...
    def close(self) -> None: ...
    def start_tls(self, context: Any, server_name: str | None,
                  alpn: list[bytes] | None = None) -> TlsStream: ...


def ready(sock: socket.socket, *, write: bool, timeout: float) -> bool:
    """Whether ``sock`` can be read (or written) within ``timeout`` seconds; a closed or
    failed connection counts as ready (the next call says how). ``poll`` where there is one:
    ``select`` refuses descriptors past 1023, which a process holding many sockets reaches."""
    if not hasattr(select, "poll"):  # Windows, where select takes any socket
        rlist, wlist = ([], [sock]) if write else ([sock], [])
        return any(select.select(rlist, wlist, [], timeout))
    poller = select.poll()
    poller.register(sock, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(max(0, int(timeout * 1000 + 0.999))))


def _wait(sock: socket.socket, *, write: bool, deadline: Deadline) -> None:
    """Until ``sock`` is ready, or :class:`StreamTimeout`."""
    remaining = deadline.remaining()
    if remaining <= 0 or not ready(sock, write=write, timeout=remaining):
        raise StreamTimeout(f"no answer within {seconds(deadline.seconds)} s")


class PlainStream:
    """A TCP socket (the connection to a proxy before CONNECT, or an http:// target)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)

    def sendall(self, data: bytes, deadline: Deadline) -> None:
        view = memoryview(data)
        while view:
            _wait(self.sock, write=True, deadline=deadline)
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise StreamClosed(f"connection lost while sending: {exc.strerror or exc}") from exc
            view = view[sent:]

    def recv(self, size: int, deadline: Deadline) -> bytes:
        while True:
            _wait(self.sock, write=False, deadline=deadline)
            try:
                return self.sock.recv(size)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise StreamClosed(f"connection reset: {exc.strerror or exc}") from exc

    def close(self) -> None:
        self.sock.close()

    def start_tls(self, context: Any, server_name: str | None,
                  alpn: list[bytes] | None = None) -> TlsStream:
        return TlsStream(self, context, server_name, alpn)


@dataclass
class HandshakeFacts:
    """What the TLS handshake showed, filled in as it goes."""

    sni: str | None = None
    states: list[str] = field(default_factory=list)
    cert_request_seen: bool = False
    client_ca_names: list[str] = field(default_factory=list)  # as shown in the report
    client_ca_names_der: list[bytes] = field(default_factory=list)  # as sent, for comparing
    protocol: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    chain_der: list[bytes] = field(default_factory=list)


def watch_handshakes(context: Any) -> None:
    """Let each :class:`TlsStream` on ``context`` record its handshake states (a context is
    shared by the connections of a run, and cannot change once one exists)."""

    def on_info(conn: Any, where: int, ret: int) -> None:
        stream = conn.get_app_data()
        if isinstance(stream, TlsStream):
            stream._on_info(conn, where, ret)

    context.set_info_callback(on_info)


class TlsStream:
    """A TLS client session over another stream (a TCP connection, or a TLS session to a
    proxy), through OpenSSL's memory buffers: OpenSSL never touches the socket, so any stream
    can carry it. Nothing happens until :meth:`handshake`.

    ``context`` must have passed through :func:`watch_handshakes`."""

    def __init__(self, inner: Stream, context: Any, server_name: str | None,
                 alpn: list[bytes] | None = None) -> None:
        from OpenSSL import SSL

        self._SSL = SSL
        self.inner = inner
        self.sock = inner.sock
        self.facts = HandshakeFacts(sni=server_name)
        self.conn = SSL.Connection(context, None)  # memory buffers, not the socket
        self.conn.set_app_data(self)  # for the context's info callback, see watch_handshakes
        self.conn.set_connect_state()
        self._eof = False
        # called once, when the first flight (the ClientHello) has been handed to ``inner``
        self.on_first_flight: Callable[[], None] | None = None
        if server_name:
            self.conn.set_tlsext_host_name(_sni_bytes(server_name))
        if alpn:
            self.conn.set_alpn_protos(alpn)

    def _on_info(self, conn: Any, _where: int, _ret: int) -> None:
        state = conn.get_state_string().decode("ascii", "replace")
        if not self.facts.states or self.facts.states[-1] != state:
            self.facts.states.append(state)
        if "certificate request" in state:
            self.facts.cert_request_seen = True

    def _flush(self, deadline: Deadline) -> None:
        """Send what OpenSSL has written to its outgoing buffer."""
        while True:
            try:
                data = self.conn.bio_read(65536)
            except self._SSL.WantReadError:
                return
            if not data:
                return
            self.inner.sendall(data, deadline)
            if self.on_first_flight is not None:
                told, self.on_first_flight = self.on_first_flight, None
                told()

    def _call(self, op: Any, *args: Any, deadline: Deadline) -> Any:
        SSL = self._SSL
        try:
            while True:
                try:
                    result = op(*args)
                except SSL.WantReadError:
                    self._flush(deadline)
                    if self._eof:
                        raise StreamClosed("the peer closed the connection") from None
                    data = self.inner.recv(65536, deadline)
                    if data:
                        self.conn.bio_write(data)
                    else:
                        self._eof = True
                        self.conn.bio_shutdown()
                    continue
                except SSL.WantWriteError:
                    self._flush(deadline)
                    continue
                self._flush(deadline)
                return result
        except SSL.ZeroReturnError:
            return None
        except SSL.SysCallError as exc:
            code, text = (*exc.args, None, None)[:2]
            if code in (-1, 0):
                raise StreamClosed("the peer closed the connection") from exc
            raise StreamClosed(f"connection reset ({text})") from exc
        except SSL.Error as exc:
            with contextlib.suppress(StreamError):  # our alert, so the peer knows why
                self._flush(deadline)
            raise TlsFailure(_openssl_reason(exc)) from exc
        finally:
            self._collect_ca_names()

    def _collect_ca_names(self) -> None:
        if self.facts.client_ca_names:
            return
        try:
            names = self.conn.get_client_ca_list()
        except Exception:  # noqa: BLE001 - best effort evidence
            return
        self.facts.client_ca_names = [_x509name_text(n) for n in names]
        self.facts.client_ca_names_der = [n.der() for n in names]

    def handshake(self, deadline: Deadline) -> None:
        self._call(self.conn.do_handshake, deadline=deadline)
        self.record_session()

    def record_session(self) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding

        c = self.conn
        self.facts.protocol = c.get_protocol_version_name()
        self.facts.cipher = c.get_cipher_name()
        alpn = c.get_alpn_proto_negotiated()
        self.facts.alpn = alpn.decode("ascii", "replace") if alpn else None
        chain = c.get_peer_cert_chain(as_cryptography=True) or []
        self.facts.chain_der = [cert.public_bytes(Encoding.DER) for cert in chain]

    def sendall(self, data: bytes, deadline: Deadline) -> None:
        view = memoryview(data)
        while view:
            sent = self._call(self.conn.send, bytes(view[:16384]), deadline=deadline)
            if sent is None:
                raise StreamClosed("the peer closed the TLS session while we were sending")
            view = view[sent:]

    def recv(self, size: int, deadline: Deadline) -> bytes:
        data = self._call(self.conn.recv, size, deadline=deadline)
        return data or b""

    def start_tls(self, context: Any, server_name: str | None,
                  alpn: list[bytes] | None = None) -> TlsStream:
        """TLS inside this TLS session (to the server, through an https:// proxy)."""
        return TlsStream(self, context, server_name, alpn)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing anyway
            self.conn.shutdown()
            self._flush(Deadline(0.2))
        self.inner.close()


def _openssl_reason(exc: Exception) -> str:
    """The most useful text of an OpenSSL error queue: the reasons, joined."""
    parts = []
    for entry in exc.args[0] if exc.args and isinstance(exc.args[0], list) else []:
        if isinstance(entry, tuple) and len(entry) >= 3 and entry[2]:
            parts.append(str(entry[2]))
    return "; ".join(parts) or str(exc) or exc.__class__.__name__


def _x509name_text(name: Any) -> str:
    return ", ".join(
        f"{k.decode('ascii', 'replace')}={v.decode('utf-8', 'replace')}"
        for k, v in name.get_components()
    )


def _sni_bytes(server_name: str) -> bytes:
    """The server name as clients send it in SNI: the ASCII (punycode) form, as in DNS."""
    try:
        return ascii_host(server_name).encode("ascii")
    except HostnameError:
        return server_name.encode("idna")
