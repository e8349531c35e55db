"""A scripted peer for protocol tests: :class:`ScriptedStream` implements netcheck's ``Stream``
protocol (``sendall``/``recv``/``close`` with a deadline) from a script, and records every byte
written, so a test can assert the exact bytes a client sends and feed it answers split however
it likes.

The script is a sequence of items the peer "sends", consumed by ``recv`` in order:

``bytes``
    A chunk the peer sends. One ``recv`` returns at most one chunk (never two joined), and at
    most ``size`` bytes of it; the rest of the chunk stays for the next ``recv``. Split an
    answer into several chunks to test short reads.
``SILENCE``
    The peer says nothing this time: that ``recv`` raises ``StreamTimeout``; the script then
    goes on (a client that retries reads what follows).
``CLOSE``
    The peer closed the connection: ``recv`` returns ``b""``, now and ever after.
``RESET``
    The connection was reset: ``recv`` raises ``StreamClosed``, now and ever after.
``Expect(data)``
    A check point: the bytes written since the previous check point must equal ``data`` (or
    satisfy ``data`` if it is a callable). Checked when a ``recv`` reaches it (the peer answers
    only once it got the request), or by :meth:`ScriptedStream.finish`; a mismatch raises
    ``AssertionError`` showing both sides.

After the last item the stream behaves as ``end`` says: ``SILENCE`` (default, every ``recv``
times out), ``CLOSE`` or ``RESET``.

``send_limit``: the peer accepts that many bytes in all, then ``sendall`` raises
``StreamClosed`` (a peer that hangs up while the client is still writing).

A ``recv`` or ``sendall`` with an expired deadline raises ``StreamTimeout`` as the real
streams do, and every deadline passed in is recorded (``deadlines``). ``start_tls`` layers a
real ``TlsStream`` over the script (whose bytes must then be the server's TLS records); ``sock``
is only a placeholder socket.

Example::

    stream = ScriptedStream(Expect(b"\\x05\\x01\\x00"), b"\\x05", b"\\x00", b"rest")
    ...
    assert stream.written == b"..."
    assert stream.unread == b"rest"
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netcheck.net.deadline import Deadline
from netcheck.net.streams import StreamClosed, StreamTimeout, TlsStream


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SILENCE = _Marker("SILENCE")
CLOSE = _Marker("CLOSE")
RESET = _Marker("RESET")


@dataclass(frozen=True)
class Expect:
    """The bytes the client must have written (since the previous ``Expect``) by this point."""

    data: bytes | Callable[[bytes], bool]
    note: str = ""


Item = bytes | _Marker | Expect


class ScriptedStream:
    """A ``Stream`` whose peer follows a script (see the module docstring).

    Recorded: ``writes`` (each ``sendall``'s data), ``reads`` ((size asked, bytes returned) per
    ``recv``), ``deadlines`` (every deadline passed in), ``closed``."""

    def __init__(self, *script: Item, end: _Marker = SILENCE,
                 send_limit: int | None = None) -> None:
        if end not in (SILENCE, CLOSE, RESET):
            raise ValueError("end must be SILENCE, CLOSE or RESET")
        for item in script:
            if not isinstance(item, bytes | bytearray | _Marker | Expect):
                raise TypeError(f"not a script item: {item!r}")
            if isinstance(item, bytes | bytearray) and not item:
                raise ValueError("an empty chunk would read as end of stream: use CLOSE")
        self.script: list[Item] = [bytes(i) if isinstance(i, bytearray) else i for i in script]
        self.end = end
        self.send_limit = send_limit
        self.writes: list[bytes] = []
        self.reads: list[tuple[int, int]] = []
        self.deadlines: list[Deadline] = []
        self.closed = False
        self._checked = 0  # bytes of ``written`` already matched by an Expect
        self._state: _Marker | None = None  # CLOSE or RESET once reached
        self._pair: tuple[socket.socket, socket.socket] | None = None

    # --- the Stream protocol -----------------------------------------------------------------

    def sendall(self, data: bytes, deadline: Deadline) -> None:
        self.deadlines.append(deadline)
        if self.closed:
            raise StreamClosed("connection lost while sending: the stream was closed")
        if deadline.remaining() <= 0:
            raise StreamTimeout(f"no answer within {deadline.seconds:g} s")
        if self.send_limit is not None:
            room = self.send_limit - len(self.written)
            if len(data) > room:
                if room > 0:
                    self.writes.append(bytes(data[:room]))
                raise StreamClosed("connection lost while sending: [Errno 32] Broken pipe")
        self.writes.append(bytes(data))

    def recv(self, size: int, deadline: Deadline) -> bytes:
        if size <= 0:
            raise ValueError(f"recv size must be positive, got {size}")
        self.deadlines.append(deadline)
        if self.closed:
            raise StreamClosed("connection reset: the stream was closed")
        if deadline.remaining() <= 0:
            self.reads.append((size, 0))
            raise StreamTimeout(f"no answer within {deadline.seconds:g} s")
        self._check_expectations()
        data = self._next(size)
        self.reads.append((size, len(data)))
        return data

    def close(self) -> None:
        self.closed = True
        if self._pair is not None:
            for end in self._pair:
                end.close()

    def start_tls(self, context: Any, server_name: str | None,
                  alpn: list[bytes] | None = None) -> TlsStream:
        """TLS over the script (the script then holds the server's TLS records)."""
        return TlsStream(self, context, server_name, alpn)

    @property
    def sock(self) -> socket.socket:
        """A placeholder for the ``Stream`` protocol's TCP socket: one end of a local socket
        pair, made on first use (``TlsStream`` keeps a reference) and closed by :meth:`close`.
        The scripted bytes never pass through it."""
        if self._pair is None:
            self._pair = socket.socketpair()
        return self._pair[0]

    @sock.setter
    def sock(self, value: socket.socket) -> None:
        raise AttributeError("a ScriptedStream's socket is a placeholder and cannot be replaced")

    # --- for the test ------------------------------------------------------------------------

    @property
    def written(self) -> bytes:
        """Everything written so far, joined."""
        return b"".join(self.writes)

    @property
    def unread(self) -> bytes:
        """The scripted bytes no ``recv`` has returned yet, up to the first marker."""
        out = bytearray()
        for item in self.script:
            if isinstance(item, Expect):
                continue
            if not isinstance(item, bytes):
                break
            out += item
        return bytes(out)

    @property
    def done(self) -> bool:
        """Every scripted item was consumed."""
        return not self.script

    def finish(self, *, allow_unread: bool = False) -> None:
        """Check the remaining ``Expect`` items against what was written, and (unless
        ``allow_unread``) that the client read the whole script."""
        self._check_expectations(final=True)
        if not allow_unread:
            left = [i for i in self.script if not isinstance(i, Expect)]
            assert not left, f"the client stopped before reading {left!r}"

    # --- internals ---------------------------------------------------------------------------

    def _check_expectations(self, final: bool = False) -> None:
        while self.script and isinstance(head := self.script[0], Expect):
            self.script.pop(0)
            self._check(head)
        if final:
            for item in [i for i in self.script if isinstance(i, Expect)]:
                self._check(item)
                self.script.remove(item)

    def _check(self, expect: Expect) -> None:
        written = self.written
        got = written[self._checked:]
        label = f" ({expect.note})" if expect.note else ""
        if callable(expect.data):
            assert expect.data(got), f"the client wrote{label} {got!r}"
        else:
            assert got == expect.data, (f"the client wrote{label}\n  {got!r}\n"
                                        f"expected\n  {expect.data!r}")
        self._checked = len(written)

    def _next(self, size: int) -> bytes:
        if self._state is CLOSE:
            return b""
        if self._state is RESET:
            raise StreamClosed("connection reset: [Errno 104] Connection reset by peer")
        if not self.script:
            return self._marker(self.end)
        item = self.script[0]
        if isinstance(item, bytes):
            if len(item) <= size:
                self.script.pop(0)
                return item
            self.script[0] = item[size:]
            return item[:size]
        assert isinstance(item, _Marker)
        self.script.pop(0)
        return self._marker(item)

    def _marker(self, marker: _Marker) -> bytes:
        if marker is SILENCE:
            raise StreamTimeout("no answer (scripted silence)")
        self._state = marker
        return self._next(1)
