"""The client side of a SOCKS handshake over a :class:`~netcheck.net.streams.Stream`: SOCKS5
(RFC 1928) with username/password authentication (RFC 1929), SOCKS4 and SOCKS4a.

Protocol only: what the proxy answered, as data (:class:`SocksReply`) or as a
:class:`SocksError` of a small closed set of kinds. Wording a diagnosis is the hop's job
(:mod:`netcheck.hops.socks_connect`).

Who resolves the target's name
------------------------------
:func:`socks_connect` never resolves anything itself.

- ``remote_dns=True`` (``socks5h://``, ``socks4a://``): ``host`` is sent as a name and the
  *proxy* resolves it. An IP literal is still sent as an address (ATYP 1/4 in SOCKS5, DSTIP in
  SOCKS4a), as curl, undici and python-socks do.
- ``remote_dns=False`` (``socks5://`` in curl, ``socks4://``): the *caller* resolved the name
  (the client would, locally) and passes one of the addresses as ``host``; passing a name then
  is a programming error (``ValueError``). SOCKS4 has no way to send a name at all, so
  ``version="socks4"`` with ``remote_dns=True`` is a programming error too.

Bytes on the wire
-----------------
SOCKS5: greeting ``05 NMETHODS METHODS`` offering ``00`` (no authentication), and ``02``
(username/password) when a user name is given, in that order (curl's order in lib/socks.c;
undici 7.30 sends ``02`` first, and only with both a user name and a password);
the answer ``05 METHOD``; with ``02`` the RFC 1929 sub-negotiation ``01 ULEN UNAME PLEN PASSWD``
(UTF-8; each at most 255 bytes) answered by ``01 STATUS``; then the request
``05 01 00 ATYP DST.ADDR DST.PORT`` (CONNECT) answered by ``05 REP RSV ATYP BND.ADDR BND.PORT``.

SOCKS4/4a: the request ``04 01 DSTPORT DSTIP USERID 00`` (SOCKS4a with a name: DSTIP
``0.0.0.1`` and the name and a ``00`` after the user id), answered by exactly eight bytes
``VN CD DSTPORT DSTIP`` with ``VN`` 0 and ``CD`` 90 for success. SOCKS4 carries no password.

Every read and write is bounded by the one ``deadline`` through the stream, and a reply is
read field by field: nothing past its last byte is consumed (what follows belongs to the
tunnel: the TLS handshake comes next). A reply code other than success ends the read there,
as the connection is over anyway. Only when an answer is not SOCKS at all are up to
:data:`SAMPLE_SIZE` more bytes read (briefly) to show what spoke instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from netcheck.net.address import ip as parse_ip
from netcheck.net.deadline import Deadline, seconds
from netcheck.net.hostname import HostnameError, ascii_host
from netcheck.net.streams import Stream, StreamError, StreamTimeout

Version = Literal["socks5", "socks4", "socks4a"]
VERSIONS: tuple[Version, ...] = ("socks5", "socks4", "socks4a")

# SOCKS5 authentication methods (RFC 1928 section 3: X'03'-X'7F' IANA-assigned, X'80'-X'FE'
# private)
NO_AUTHENTICATION = 0x00
GSSAPI = 0x01
USERNAME_PASSWORD = 0x02
NO_ACCEPTABLE_METHODS = 0xFF
METHOD_NAMES = {
    0x00: "no authentication",
    0x01: "GSSAPI",
    0x02: "username/password",
    0xFF: "no acceptable methods",
}

# SOCKS5 reply codes (RFC 1928 section 6) and SOCKS4 result codes (the SOCKS4 protocol text)
SOCKS5_SUCCEEDED = 0x00
SOCKS5_REPLIES = {
    0x00: "succeeded",
    0x01: "general SOCKS server failure",
    0x02: "connection not allowed by ruleset",
    0x03: "network unreachable",
    0x04: "host unreachable",
    0x05: "connection refused",
    0x06: "TTL expired",
    0x07: "command not supported",
    0x08: "address type not supported",
}
SOCKS4_GRANTED = 90
SOCKS4_REPLIES = {
    90: "request granted",
    91: "request rejected or failed",
    92: "request rejected because the SOCKS server cannot connect to identd on the client",
    93: "request rejected because the client program and identd report different user-ids",
}

ATYP_IPV4 = 0x01
ATYP_DOMAIN = 0x03
ATYP_IPV6 = 0x04
ADDRESS_TYPES = {ATYP_IPV4: "ipv4", ATYP_DOMAIN: "domain", ATYP_IPV6: "ipv6"}

SAMPLE_SIZE = 512  # at most this much more is read to show a peer that is not speaking SOCKS
SAMPLE_WAIT = 0.25  # and for at most this long


class Kind(StrEnum):
    """Why a SOCKS handshake failed. A closed set."""

    TIMEOUT = "timeout"  # the proxy did not answer (or finish its answer) by the deadline
    CLOSED = "closed"  # the proxy closed or reset the connection before its answer was complete
    PROTOCOL_ERROR = "protocol_error"  # the answer is not SOCKS (see looks_like) or is malformed
    NO_ACCEPTABLE_METHOD = "no_acceptable_method"  # SOCKS5 X'FF': none of ``methods`` will do
    METHOD_UNSUPPORTED = "method_unsupported"  # SOCKS5: it chose a method we did not offer
    AUTH_REQUIRED = "auth_required"  # SOCKS5: it chose username/password, we have no user name
    AUTH_REJECTED = "auth_rejected"  # RFC 1929 status other than 0
    REQUEST_REFUSED = "request_refused"  # reply code other than success (``reply``)
    TARGET_UNSUPPORTED = "target_unsupported"  # the target cannot be put in this request
    CREDENTIALS_UNSUPPORTED = "credentials_unsupported"  # the credentials cannot be sent


class Stage(StrEnum):
    """Which exchange of the handshake a failure happened in."""

    PREPARE = "prepare"  # before anything was sent
    GREETING = "greeting"  # SOCKS5 method negotiation
    AUTH = "auth"  # RFC 1929 username/password
    REQUEST = "request"  # the CONNECT request and its reply


class SocksError(Exception):
    """A failed handshake.

    ``reply``: the reply code the proxy sent (SOCKS5 REP, SOCKS4 CD), for ``request_refused``;
    ``methods``: the SOCKS5 authentication methods offered, once the greeting was sent;
    ``method``: the method the proxy chose, if it chose one; ``received``: the bytes of the
    answer being read when it failed (for ``protocol_error``, plus a short sample of what came
    after); ``looks_like``: for ``protocol_error``, what the answer looks like instead
    (``http``, ``tls``, ``socks4``, ``socks5``) or None.
    """

    def __init__(self, kind: Kind | str, message: str, reply: int | None = None,
                 methods: tuple[int, ...] | None = None, *, version: Version | None = None,
                 stage: Stage | None = None, method: int | None = None,
                 received: bytes = b"") -> None:
        super().__init__(message)
        self.kind = Kind(kind)
        self.message = message
        self.reply = reply
        self.methods = methods
        self.version = version
        self.stage = stage
        self.method = method
        self.received = received
        self.looks_like = looks_like(received, version) if self.kind is Kind.PROTOCOL_ERROR \
            else None

    @property
    def reply_name(self) -> str | None:
        return None if self.reply is None or self.version is None else \
            reply_name(self.version, self.reply)

    def __repr__(self) -> str:
        return f"SocksError({self.kind.value!r}, {self.message!r})"


@dataclass(frozen=True)
class SocksReply:
    """A granted request.

    ``method``: the SOCKS5 authentication method the proxy chose (None for SOCKS4/4a);
    ``bound_host``/``bound_port``: the address the proxy reported (SOCKS5 BND.ADDR/BND.PORT,
    SOCKS4 DSTIP/DSTPORT; for CONNECT many proxies report zeros or echo the target);
    ``bound_address_type``: ``ipv4``, ``ipv6`` or ``domain``; ``reply_code``: 0 or 90;
    ``address_type``: how the target was sent (``ipv4``, ``ipv6``, ``domain``); ``name_sent``:
    True when the target was sent as a name for the proxy to resolve.
    """

    version: Version
    method: int | None
    bound_host: str
    bound_port: int
    bound_address_type: str
    reply_code: int
    address_type: str
    name_sent: bool

    @property
    def method_name(self) -> str | None:
        return None if self.method is None else method_name(self.method)

    @property
    def reply_name(self) -> str:
        return reply_name(self.version, self.reply_code)


def method_name(method: int) -> str:
    if method in METHOD_NAMES:
        return METHOD_NAMES[method]
    if 0x80 <= method <= 0xFE:
        return f"private method X'{method:02X}'"
    return f"IANA-assigned method X'{method:02X}'"


def reply_name(version: Version, code: int) -> str:
    names = SOCKS5_REPLIES if version == "socks5" else SOCKS4_REPLIES
    return names.get(code, f"unassigned reply code {code}")


def looks_like(data: bytes, version: Version | None = None) -> str | None:
    """What a non-SOCKS answer looks like: ``http`` (an HTTP proxy or server), ``tls`` (a TLS
    record: a TLS port), ``socks5`` (a SOCKS5 server answering SOCKS4), ``socks4`` (a SOCKS4
    reply to a SOCKS5 greeting), or None."""
    if data.startswith(b"HTTP") or data[:4] in (b"<!DO", b"<htm", b"<HTM"):
        return "http"
    if len(data) >= 2 and data[0] in (0x15, 0x16) and data[1] == 0x03:
        return "tls"
    if version in ("socks4", "socks4a") and data[:1] == b"\x05":
        return "socks5"
    if version == "socks5" and len(data) >= 2 and data[0] == 0 and 90 <= data[1] <= 93:
        return "socks4"
    return None


def socks_connect(stream: Stream, *, version: Version, host: str, port: int,
                  username: str | None, password: str | None, remote_dns: bool,
                  deadline: Deadline) -> SocksReply:
    """Ask the proxy on ``stream`` (already connected to it) to CONNECT to ``host:port``.

    ``username``/``password`` as decoded from the proxy URL (``password`` is only sent by
    SOCKS5; SOCKS4 sends the user name as its user id). ``remote_dns``: see the module
    docstring (who resolves). Returns the :class:`SocksReply` of a granted request, with the
    stream positioned right after the reply; raises :class:`SocksError` otherwise (every
    stream error is turned into one), ``ValueError`` for arguments no caller should pass.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown SOCKS version {version!r}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"port out of range: {port}")
    ip = parse_ip(host.strip("[]"))
    if ip is None and not remote_dns:
        raise ValueError(f"{host!r} is a name: with remote_dns=False the caller resolves it "
                         "and passes an address")
    if version == "socks4" and remote_dns:
        raise ValueError("SOCKS4 cannot send a name: use socks4a for remote_dns")
    if version == "socks5":
        return _socks5(stream, host, ip, port, username, password, deadline)
    return _socks4(stream, version, host, ip, port, username, deadline)


# --- SOCKS5 ----------------------------------------------------------------------------------


def _socks5(stream: Stream, host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
            port: int, username: str | None, password: str | None,
            deadline: Deadline) -> SocksReply:
    io = _Exchange(stream, deadline, "socks5")
    if ip is None:
        name = _encode_name(host)
        if not 1 <= len(name) <= 255:
            raise io.error(Kind.TARGET_UNSUPPORTED,
                           f"the host name is {len(name)} bytes long; SOCKS5 carries 1 to 255",
                           Stage.PREPARE)
        address, address_type = bytes([ATYP_DOMAIN, len(name)]) + name, "domain"
    elif ip.version == 4:
        address, address_type = bytes([ATYP_IPV4]) + ip.packed, "ipv4"
    else:
        address, address_type = bytes([ATYP_IPV6]) + ip.packed, "ipv6"
    credentials = None
    if username is not None:
        user, secret = username.encode("utf-8"), (password or "").encode("utf-8")
        for what, value in (("user name", user), ("password", secret)):
            if len(value) > 255:
                raise io.error(Kind.CREDENTIALS_UNSUPPORTED,
                               f"the {what} is {len(value)} bytes long; SOCKS5 (RFC 1929) "
                               "carries at most 255", Stage.PREPARE)
        credentials = (bytes([0x01, len(user)]) + user + bytes([len(secret)]) + secret)
    methods = (NO_AUTHENTICATION, USERNAME_PASSWORD) if credentials else (NO_AUTHENTICATION,)
    io.methods = methods

    # method negotiation
    io.send(bytes([0x05, len(methods), *methods]), Stage.GREETING)
    ver, method = io.read(2, Stage.GREETING, "the answer to the greeting")
    if ver != 0x05:
        raise io.protocol_error(Stage.GREETING,
                                f"the answer to the SOCKS5 greeting starts with X'{ver:02X}', "
                                "not the version X'05'")
    io.method = method
    if method == NO_ACCEPTABLE_METHODS:
        offered = ", ".join(method_name(m) for m in methods)
        raise io.error(Kind.NO_ACCEPTABLE_METHOD,
                       f"the proxy accepts none of the offered methods ({offered})",
                       Stage.GREETING)
    if method not in methods:
        if method == USERNAME_PASSWORD:
            raise io.error(Kind.AUTH_REQUIRED, "the proxy requires username/password "
                           "authentication and no user name was given", Stage.GREETING)
        raise io.error(Kind.METHOD_UNSUPPORTED,
                       f"the proxy chose {method_name(method)} (X'{method:02X}'), which was "
                       "not offered", Stage.GREETING)

    # RFC 1929 username/password
    if method == USERNAME_PASSWORD:
        assert credentials is not None  # offered only with credentials
        io.send(credentials, Stage.AUTH)
        auth_ver, status = io.read(2, Stage.AUTH, "the answer to the username/password")
        if auth_ver != 0x01:
            raise io.protocol_error(Stage.AUTH,
                                    f"the username/password answer starts with "
                                    f"X'{auth_ver:02X}', not the sub-negotiation version X'01'")
        if status != 0x00:
            raise io.error(Kind.AUTH_REJECTED,
                           f"the proxy rejected the user name and password (status "
                           f"X'{status:02X}')", Stage.AUTH)

    # the request
    io.send(bytes([0x05, 0x01, 0x00]) + address + port.to_bytes(2, "big"), Stage.REQUEST)
    ver, rep = io.read(2, Stage.REQUEST, "the reply")
    if ver != 0x05:
        raise io.protocol_error(Stage.REQUEST, f"the reply starts with X'{ver:02X}', not the "
                                "version X'05'")
    if rep != SOCKS5_SUCCEEDED:
        raise io.error(Kind.REQUEST_REFUSED,
                       f"the proxy refused the request: {reply_name('socks5', rep)} "
                       f"(X'{rep:02X}')", Stage.REQUEST, reply=rep)
    _rsv, atyp = io.read(2, Stage.REQUEST, "the reply")  # RSV is not checked, as curl does not
    if atyp == ATYP_IPV4:
        bound = str(ipaddress.IPv4Address(io.read(4, Stage.REQUEST, "the bound address")))
    elif atyp == ATYP_IPV6:
        bound = str(ipaddress.IPv6Address(io.read(16, Stage.REQUEST, "the bound address")))
    elif atyp == ATYP_DOMAIN:
        (length,) = io.read(1, Stage.REQUEST, "the bound address")
        bound = io.read(length, Stage.REQUEST, "the bound address").decode("ascii", "replace")
    else:
        raise io.protocol_error(Stage.REQUEST,
                                f"the reply has an unknown address type X'{atyp:02X}'")
    bound_port = int.from_bytes(io.read(2, Stage.REQUEST, "the bound port"), "big")
    return SocksReply(version="socks5", method=method, bound_host=bound, bound_port=bound_port,
                      bound_address_type=ADDRESS_TYPES[atyp], reply_code=rep,
                      address_type=address_type, name_sent=ip is None)


# --- SOCKS4 / SOCKS4a ------------------------------------------------------------------------


def _socks4(stream: Stream, version: Version, host: str,
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None, port: int,
            username: str | None, deadline: Deadline) -> SocksReply:
    io = _Exchange(stream, deadline, version)
    if ip is not None and ip.version == 6:
        raise io.error(Kind.TARGET_UNSUPPORTED,
                       f"{version.upper()} cannot carry an IPv6 address ({host})",
                       Stage.PREPARE)
    user_id = (username or "").encode("utf-8")
    if b"\x00" in user_id:
        raise io.error(Kind.CREDENTIALS_UNSUPPORTED,
                       "the user name contains a NUL character, which ends a SOCKS4 user id",
                       Stage.PREPARE)
    if ip is None:  # SOCKS4a, the proxy resolves
        name = _encode_name(host)
        if not name or b"\x00" in name:
            raise io.error(Kind.TARGET_UNSUPPORTED, "the host name cannot be sent in SOCKS4a",
                           Stage.PREPARE)
        request = (bytes([0x04, 0x01]) + port.to_bytes(2, "big") + bytes([0, 0, 0, 1])
                   + user_id + b"\x00" + name + b"\x00")
    else:
        request = bytes([0x04, 0x01]) + port.to_bytes(2, "big") + ip.packed + user_id + b"\x00"
    io.send(request, Stage.REQUEST)
    vn, cd = io.read(2, Stage.REQUEST, "the reply")
    if vn != 0x00:
        raise io.protocol_error(Stage.REQUEST, f"the reply starts with X'{vn:02X}', not the "
                                "reply version X'00'")
    if cd != SOCKS4_GRANTED:
        raise io.error(Kind.REQUEST_REFUSED,
                       f"the proxy refused the request: {reply_name(version, cd)} ({cd})",
                       Stage.REQUEST, reply=cd)
    rest = io.read(6, Stage.REQUEST, "the reply")
    return SocksReply(version=version, method=None,
                      bound_host=str(ipaddress.IPv4Address(rest[2:6])),
                      bound_port=int.from_bytes(rest[:2], "big"), bound_address_type="ipv4",
                      reply_code=cd, address_type="domain" if ip is None else "ipv4",
                      name_sent=ip is None)


# --- shared ----------------------------------------------------------------------------------


def _encode_name(host: str) -> bytes:
    """The name as clients send it: ASCII as it is, an international name in its UTS #46
    punycode form (as in DNS and SNI, :mod:`netcheck.net.hostname`)."""
    if host.isascii():
        return host.encode("ascii")
    try:
        return ascii_host(host).encode("ascii")
    except HostnameError:
        return host.encode("utf-8")


class _Exchange:
    """Sends and exact-length reads on one stream under one deadline, turning stream errors
    into :class:`SocksError` and keeping the bytes of the answer being read."""

    def __init__(self, stream: Stream, deadline: Deadline, version: Version) -> None:
        self.stream = stream
        self.deadline = deadline
        self.version: Version = version
        self.methods: tuple[int, ...] | None = None
        self.method: int | None = None
        self.answer = bytearray()  # the bytes of the current answer so far
        self.answer_stage: Stage | None = None

    def error(self, kind: Kind, message: str, stage: Stage, *, reply: int | None = None,
              received: bytes | None = None) -> SocksError:
        return SocksError(kind, message, reply, self.methods, version=self.version, stage=stage,
                          method=self.method,
                          received=bytes(self.answer) if received is None else received)

    def send(self, data: bytes, stage: Stage) -> None:
        self.answer = bytearray()
        self.answer_stage = stage
        try:
            self.stream.sendall(data, self.deadline)
        except StreamTimeout as exc:
            raise self.error(Kind.TIMEOUT, f"could not send the {_STAGE_TEXT[stage]} within "
                             f"{seconds(self.deadline.seconds)} s", stage) from exc
        except StreamError as exc:
            raise self.error(Kind.CLOSED, f"the connection was lost while sending the "
                             f"{_STAGE_TEXT[stage]} ({exc})", stage) from exc

    def read(self, size: int, stage: Stage, what: str) -> bytes:
        """Exactly ``size`` bytes, never more."""
        data = bytearray()
        while len(data) < size:
            try:
                chunk = self.stream.recv(size - len(data), self.deadline)
            except StreamTimeout as exc:
                raise self.error(Kind.TIMEOUT, self._short(f"no complete answer to the "
                                 f"{_STAGE_TEXT[stage]} within {seconds(self.deadline.seconds)} s"),
                                 stage) from exc
            except StreamError as exc:
                raise self.error(Kind.CLOSED, self._short(f"the connection was reset while "
                                 f"reading {what} ({exc})"), stage) from exc
            if not chunk:
                raise self.error(Kind.CLOSED, self._short(
                    f"the proxy closed the connection before {what} was complete"
                    if self.answer or data else
                    f"the proxy closed the connection without answering the "
                    f"{_STAGE_TEXT[stage]}"), stage)
            data += chunk
            self.answer += chunk
        return bytes(data)

    def _short(self, message: str) -> str:
        return f"{message} (got {len(self.answer)} bytes)" if self.answer else message

    def protocol_error(self, stage: Stage, message: str) -> SocksError:
        """A ``protocol_error``, with a short sample of what the peer sent after the bytes read
        so far (the connection is unusable anyway)."""
        sample = bytes(self.answer)
        wait = Deadline(min(SAMPLE_WAIT, self.deadline.remaining()))
        try:
            while len(sample) < SAMPLE_SIZE and wait.remaining() > 0:
                chunk = self.stream.recv(SAMPLE_SIZE - len(sample), wait)
                if not chunk:
                    break
                sample += chunk
        except StreamError:
            pass
        what = looks_like(sample, self.version)
        if what is not None:
            message += f"; the answer looks like {_LOOKS[what]}"
        return self.error(Kind.PROTOCOL_ERROR, message, stage, received=sample)


_STAGE_TEXT = {
    Stage.PREPARE: "request",
    Stage.GREETING: "SOCKS5 greeting",
    Stage.AUTH: "username/password authentication",
    Stage.REQUEST: "connect request",
}
_LOOKS = {"http": "HTTP", "tls": "a TLS record", "socks5": "SOCKS5", "socks4": "SOCKS4"}

__all__ = ["METHOD_NAMES", "SOCKS4_REPLIES", "SOCKS5_REPLIES", "VERSIONS", "Kind", "SocksError",
           "SocksReply", "Stage", "Version", "looks_like", "method_name", "reply_name",
           "socks_connect"]
