"""SOCKS5 / SOCKS4 / SOCKS4a: the handshake bytes (netcheck.net.socks) against scripted peers,
the hop's diagnosis (netcheck.hops.socks_connect), then live through pproxy, a real SOCKS
server from PyPI, to a loopback TLS server."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netcheck.hops.socks_connect import socks_tunnel, socks_version
from netcheck.model import Code, Hop, Status
from netcheck.net.deadline import Deadline
from netcheck.net.socks import Kind, SocksError, SocksReply, Stage, looks_like, socks_connect
from netcheck.net.streams import PlainStream, StreamClosed, StreamTimeout
from netcheck.profiles import PROFILES
from netcheck.proxy.url import ProxyURL
from tests import servers
from tests.pki import Pki
from tests.scripted import CLOSE, RESET, SILENCE, Expect, ScriptedStream

# --- bytes -----------------------------------------------------------------------------------

LOCAL = bytes([127, 0, 0, 1])
V6 = bytes(15) + b"\x01"  # ::1
P443 = b"\x01\xbb"
NOAUTH = b"\x05\x01\x00"  # greeting offering "no authentication"
BOTH = b"\x05\x02\x00\x02"  # ... and username/password
AUTH_ALICE = b"\x01\x05alice\x06secret"
OK_V4 = b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00"  # granted, bound 0.0.0.0:0
TLS_HELLO = b"\x16\x03\x01\x00\x05hello"  # what comes after the reply belongs to the tunnel


def req5(address: bytes, port: bytes = P443) -> bytes:
    return b"\x05\x01\x00" + address + port


def req4(ip: bytes = LOCAL, user: bytes = b"", name: bytes | None = None,
         port: bytes = P443) -> bytes:
    out = b"\x04\x01" + port + ip + user + b"\x00"
    return out + name + b"\x00" if name is not None else out


def connect(stream: ScriptedStream, **kw: Any) -> SocksReply:
    args: dict[str, Any] = {"version": "socks5", "host": "127.0.0.1", "port": 443,
                            "username": None, "password": None, "remote_dns": False,
                            "deadline": Deadline(5)}
    args.update(kw)
    return socks_connect(stream, **args)


def failure(stream: ScriptedStream, **kw: Any) -> SocksError:
    with pytest.raises(SocksError) as info:
        connect(stream, **kw)
    return info.value


# --- ScriptedStream itself -------------------------------------------------------------------


def test_scripted_stream_chunks_markers_and_records() -> None:
    d = Deadline(5)
    s = ScriptedStream(b"abc", SILENCE, b"de", CLOSE)
    assert s.recv(2, d) == b"ab" and s.recv(10, d) == b"c"  # never joins two chunks
    with pytest.raises(StreamTimeout):
        s.recv(1, d)
    assert s.unread == b"de"
    assert s.recv(5, d) == b"de" and s.recv(5, d) == b"" and s.recv(5, d) == b""
    s.sendall(b"x", d)
    s.sendall(b"yz", d)
    assert s.written == b"xyz" and s.writes == [b"x", b"yz"]
    assert s.reads[:2] == [(2, 2), (10, 1)] and all(x is d for x in s.deadlines)
    reset = ScriptedStream(b"a", RESET)
    assert reset.recv(5, d) == b"a"
    for _ in range(2):  # a reset stays
        with pytest.raises(StreamClosed):
            reset.recv(5, d)
    with pytest.raises(StreamClosed):
        ScriptedStream(end=RESET).recv(1, d)
    with pytest.raises(StreamTimeout):
        ScriptedStream().recv(1, d)  # past the script: silence by default
    with pytest.raises(StreamTimeout):
        ScriptedStream(b"a").recv(1, Deadline(0))  # an expired deadline, as real streams do


def test_scripted_stream_expect_and_send_limit() -> None:
    d = Deadline(5)
    s = ScriptedStream(Expect(b"hi"), b"yo", Expect(lambda b: b.startswith(b"G")))
    s.sendall(b"h", d)
    s.sendall(b"i", d)
    assert s.recv(5, d) == b"yo"
    s.sendall(b"GET", d)
    s.finish()
    bad = ScriptedStream(Expect(b"hi"), b"yo")
    bad.sendall(b"ho", d)
    with pytest.raises(AssertionError, match="expected"):
        bad.recv(5, d)
    unread = ScriptedStream(b"left")
    with pytest.raises(AssertionError, match="stopped before"):
        unread.finish()
    limited = ScriptedStream(send_limit=3)
    limited.sendall(b"ab", d)
    with pytest.raises(StreamClosed):
        limited.sendall(b"cd", d)
    assert limited.written == b"abc"
    with pytest.raises(ValueError):
        ScriptedStream(b"")


# --- SOCKS5: granted -------------------------------------------------------------------------


@dataclass
class Granted:
    kw: dict[str, Any]
    script: tuple[Any, ...]  # what the proxy sends
    written: bytes  # exactly what we must send
    method: int | None
    bound: tuple[str, int]
    address_type: str
    name_sent: bool = False


GRANTED = {
    "ipv4 no auth": Granted({}, (b"\x05\x00", b"\x05\x00\x00\x01\x0a\x00\x00\x01\x1f\x90"),
                            NOAUTH + req5(b"\x01" + LOCAL), 0, ("10.0.0.1", 8080), "ipv4"),
    "ipv6 target": Granted({"host": "::1"}, (b"\x05\x00", OK_V4),
                           NOAUTH + req5(b"\x04" + V6), 0, ("0.0.0.0", 0), "ipv6"),
    "remote dns name": Granted(
        {"host": "mcp.example.com", "remote_dns": True, "port": 8443}, (b"\x05\x00", OK_V4),
        NOAUTH + req5(b"\x03\x0fmcp.example.com", b"\x20\xfb"), 0, ("0.0.0.0", 0), "domain",
        True),
    "remote dns, ipv4 literal sent as address": Granted(
        {"host": "127.0.0.1", "remote_dns": True}, (b"\x05\x00", OK_V4),
        NOAUTH + req5(b"\x01" + LOCAL), 0, ("0.0.0.0", 0), "ipv4"),
    "remote dns, ipv6 literal sent as address": Granted(
        {"host": "[::1]", "remote_dns": True}, (b"\x05\x00", OK_V4),
        NOAUTH + req5(b"\x04" + V6), 0, ("0.0.0.0", 0), "ipv6"),
    "idna name": Granted({"host": "bücher.example", "remote_dns": True}, (b"\x05\x00", OK_V4),
                         NOAUTH + req5(b"\x03\x15xn--bcher-kva.example"), 0, ("0.0.0.0", 0),
                         "domain", True),
    "username/password": Granted(
        {"username": "alice", "password": "secret"}, (b"\x05\x02", b"\x01\x00", OK_V4),
        BOTH + AUTH_ALICE + req5(b"\x01" + LOCAL), 2, ("0.0.0.0", 0), "ipv4"),
    "credentials offered, proxy needs none": Granted(
        {"username": "alice", "password": "secret"}, (b"\x05\x00", OK_V4),
        BOTH + req5(b"\x01" + LOCAL), 0, ("0.0.0.0", 0), "ipv4"),
    "user name without password: PLEN 0": Granted(
        {"username": "alice"}, (b"\x05\x02", b"\x01\x00", OK_V4),
        BOTH + b"\x01\x05alice\x00" + req5(b"\x01" + LOCAL), 2, ("0.0.0.0", 0), "ipv4"),
    "utf-8 credentials": Granted(
        {"username": "zoë", "password": "p@ss:wörd"}, (b"\x05\x02", b"\x01\x00", OK_V4),
        BOTH + b"\x01\x04zo\xc3\xab\x0ap@ss:w\xc3\xb6rd" + req5(b"\x01" + LOCAL), 2,
        ("0.0.0.0", 0), "ipv4"),
    "bound ipv6": Granted({}, (b"\x05\x00", b"\x05\x00\x00\x04" + bytes(15) + b"\x01\x04\x38"),
                          NOAUTH + req5(b"\x01" + LOCAL), 0, ("::1", 1080), "ipv4"),
    "bound domain": Granted({}, (b"\x05\x00", b"\x05\x00\x00\x03\x0aproxy.corp\x00\x50"),
                            NOAUTH + req5(b"\x01" + LOCAL), 0, ("proxy.corp", 80), "ipv4"),
    "bound empty domain": Granted({}, (b"\x05\x00", b"\x05\x00\x00\x03\x00\x00\x50"),
                                  NOAUTH + req5(b"\x01" + LOCAL), 0, ("", 80), "ipv4"),
    "reserved byte not zero is ignored": Granted(
        {}, (b"\x05\x00", b"\x05\x00\x07\x01" + bytes(6)), NOAUTH + req5(b"\x01" + LOCAL), 0,
        ("0.0.0.0", 0), "ipv4"),
    "every answer one byte at a time": Granted(
        {"username": "alice", "password": "secret"},
        tuple(bytes([b]) for b in b"\x05\x02\x01\x00\x05\x00\x00\x03\x03abc\x01\xbb"),
        BOTH + AUTH_ALICE + req5(b"\x01" + LOCAL), 2, ("abc", 443), "ipv4"),
    "answers split mid-field": Granted(
        {}, (b"\x05", b"\x00\x05\x00", b"\x00\x04" + bytes(7), bytes(9) + b"\x00", b"\x01"),
        NOAUTH + req5(b"\x01" + LOCAL), 0, ("::", 1), "ipv4"),
}


@pytest.mark.parametrize("case", GRANTED.values(), ids=GRANTED.keys())
def test_socks5_granted(case: Granted) -> None:
    stream = ScriptedStream(*case.script, TLS_HELLO)
    reply = connect(stream, **case.kw)
    assert stream.written == case.written
    assert (reply.bound_host, reply.bound_port) == case.bound
    assert reply.method == case.method and reply.version == "socks5"
    assert reply.address_type == case.address_type and reply.name_sent is case.name_sent
    assert reply.reply_code == 0 and reply.reply_name == "succeeded"
    assert stream.unread == TLS_HELLO  # nothing past the reply was consumed


def test_tls_starts_right_after_the_reply() -> None:
    """TLS layered on the same (scripted) stream: the ClientHello follows the request, and the
    TLS layer reads the bytes the proxy sent after its reply (here: an alert)."""
    from OpenSSL import SSL

    from netcheck.net.streams import TlsFailure, watch_handshakes

    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    watch_handshakes(context)
    alert = b"\x15\x03\x03\x00\x02\x02\x28"  # fatal handshake_failure
    stream = ScriptedStream(b"\x05\x00", OK_V4 + alert, end=CLOSE)
    connect(stream, host="mcp.test", remote_dns=True)
    sent = len(stream.written)
    tls = stream.start_tls(context, "mcp.test")
    with pytest.raises(TlsFailure) as info:
        tls.handshake(Deadline(5))
    assert info.value.alert == "handshake failure"
    hello = stream.written[sent:]
    assert hello[:1] == b"\x16" and b"mcp.test" in hello  # a ClientHello with its SNI
    stream.close()


def test_socks5_exchange_order() -> None:
    """The proxy answers each message only once it has it: we never read ahead of writing."""
    stream = ScriptedStream(Expect(BOTH, "greeting"), b"\x05\x02",
                            Expect(AUTH_ALICE, "auth"), b"\x01\x00",
                            Expect(req5(b"\x03\x09localhost"), "request"), OK_V4)
    connect(stream, host="localhost", remote_dns=True, username="alice", password="secret")
    stream.finish()
    assert len({id(d) for d in stream.deadlines}) == 1  # one deadline bounds every call


# --- SOCKS5: refused, rejected, broken -------------------------------------------------------

REPLY_NAMES = {1: "general SOCKS server failure", 2: "connection not allowed by ruleset",
               3: "network unreachable", 4: "host unreachable", 5: "connection refused",
               6: "TTL expired", 7: "command not supported", 8: "address type not supported",
               9: "unassigned reply code 9", 0xFF: "unassigned reply code 255"}


@pytest.mark.parametrize("code", REPLY_NAMES)
def test_socks5_reply_codes(code: int) -> None:
    # the rest of the reply is not read: the connection is over
    stream = ScriptedStream(b"\x05\x00", bytes([5, code, 0, 1]) + bytes(6))
    err = failure(stream)
    assert (err.kind, err.stage, err.reply) == (Kind.REQUEST_REFUSED, Stage.REQUEST, code)
    assert err.reply_name == REPLY_NAMES[code] and REPLY_NAMES[code] in err.message
    assert stream.unread == bytes([0, 1]) + bytes(6)


def test_socks5_refusal_of_two_bytes_then_close() -> None:
    err = failure(ScriptedStream(b"\x05\x00", b"\x05\x02", end=CLOSE))
    assert err.kind is Kind.REQUEST_REFUSED and err.reply == 2


@dataclass
class Broken:
    kw: dict[str, Any]
    script: tuple[Any, ...]
    end: Any
    kind: Kind
    stage: Stage
    written: bytes
    message: str = ""
    looks: str | None = None


def _b(*script: Any, end: Any = SILENCE) -> tuple[tuple[Any, ...], Any]:
    return script, end


CREDS = {"username": "alice", "password": "secret"}
BROKEN = {
    "no acceptable method (no credentials)": Broken(
        {}, (b"\x05\xff",), SILENCE, Kind.NO_ACCEPTABLE_METHOD, Stage.GREETING, NOAUTH,
        "none of the offered methods (no authentication)"),
    "no acceptable method (credentials)": Broken(
        CREDS, (b"\x05\xff",), SILENCE, Kind.NO_ACCEPTABLE_METHOD, Stage.GREETING, BOTH,
        "(no authentication, username/password)"),
    "username/password chosen, none offered": Broken(
        {}, (b"\x05\x02",), SILENCE, Kind.AUTH_REQUIRED, Stage.GREETING, NOAUTH),
    "GSSAPI chosen": Broken(CREDS, (b"\x05\x01",), SILENCE, Kind.METHOD_UNSUPPORTED,
                            Stage.GREETING, BOTH, "GSSAPI (X'01')"),
    "IANA-assigned method chosen": Broken({}, (b"\x05\x03",), SILENCE, Kind.METHOD_UNSUPPORTED,
                                          Stage.GREETING, NOAUTH, "IANA-assigned method X'03'"),
    "private method chosen": Broken({}, (b"\x05\x80",), SILENCE, Kind.METHOD_UNSUPPORTED,
                                    Stage.GREETING, NOAUTH, "private method X'80'"),
    "auth rejected": Broken(CREDS, (b"\x05\x02", b"\x01\x01"), SILENCE, Kind.AUTH_REJECTED,
                            Stage.AUTH, BOTH + AUTH_ALICE, "status X'01'"),
    "auth answer with version 5": Broken(
        CREDS, (b"\x05\x02", b"\x05\x00"), SILENCE, Kind.PROTOCOL_ERROR, Stage.AUTH,
        BOTH + AUTH_ALICE, "not the sub-negotiation version X'01'"),
    "greeting answered by HTTP": Broken(
        {}, (b"HTTP/1.1 400 Bad Request\r\n", b"Server: squid\r\n\r\n"), CLOSE,
        Kind.PROTOCOL_ERROR, Stage.GREETING, NOAUTH, "looks like HTTP", "http"),
    "greeting answered by a TLS alert": Broken(
        {}, (b"\x15\x03\x01\x00\x02\x02\x46",), CLOSE, Kind.PROTOCOL_ERROR, Stage.GREETING,
        NOAUTH, "a TLS record", "tls"),
    "greeting answered by a SOCKS4 reply": Broken(
        {}, (b"\x00\x5b" + bytes(6),), CLOSE, Kind.PROTOCOL_ERROR, Stage.GREETING, NOAUTH,
        "looks like SOCKS4", "socks4"),
    "greeting answered by garbage": Broken(
        {}, (b"\x04\x00",), SILENCE, Kind.PROTOCOL_ERROR, Stage.GREETING, NOAUTH,
        "starts with X'04'"),
    "reply with a wrong version": Broken(
        {}, (b"\x05\x00", b"\x04\x00\x00\x01"), SILENCE, Kind.PROTOCOL_ERROR, Stage.REQUEST,
        NOAUTH + req5(b"\x01" + LOCAL), "not the version X'05'"),
    "reply with an unknown address type": Broken(
        {}, (b"\x05\x00", b"\x05\x00\x00\x02" + bytes(6)), SILENCE, Kind.PROTOCOL_ERROR,
        Stage.REQUEST, NOAUTH + req5(b"\x01" + LOCAL), "unknown address type X'02'"),
    "closed before answering the greeting": Broken(
        {}, (), CLOSE, Kind.CLOSED, Stage.GREETING, NOAUTH, "without answering the SOCKS5"),
    "reset before answering the greeting": Broken(
        {}, (), RESET, Kind.CLOSED, Stage.GREETING, NOAUTH, "reset"),
    "closed mid-answer to the greeting": Broken(
        {}, (b"\x05",), CLOSE, Kind.CLOSED, Stage.GREETING, NOAUTH, "(got 1 bytes)"),
    "closed after the credentials": Broken(
        CREDS, (b"\x05\x02",), CLOSE, Kind.CLOSED, Stage.AUTH, BOTH + AUTH_ALICE),
    "closed before the reply": Broken(
        {}, (b"\x05\x00",), CLOSE, Kind.CLOSED, Stage.REQUEST, NOAUTH + req5(b"\x01" + LOCAL)),
    "closed mid-bound-address": Broken(
        {}, (b"\x05\x00", b"\x05\x00\x00\x04" + bytes(7)), CLOSE, Kind.CLOSED, Stage.REQUEST,
        NOAUTH + req5(b"\x01" + LOCAL), "(got 11 bytes)"),
    "silent after connect": Broken({}, (), SILENCE, Kind.TIMEOUT, Stage.GREETING, NOAUTH,
                                   "no complete answer to the SOCKS5 greeting"),
    "silent after the credentials": Broken(CREDS, (b"\x05\x02",), SILENCE, Kind.TIMEOUT,
                                           Stage.AUTH, BOTH + AUTH_ALICE),
    "silent after the request": Broken({}, (b"\x05\x00",), SILENCE, Kind.TIMEOUT,
                                       Stage.REQUEST, NOAUTH + req5(b"\x01" + LOCAL)),
    "silent mid-reply": Broken({}, (b"\x05\x00", b"\x05\x00\x00"), SILENCE, Kind.TIMEOUT,
                               Stage.REQUEST, NOAUTH + req5(b"\x01" + LOCAL), "(got 3 bytes)"),
    "name too long": Broken({"host": "a" * 256, "remote_dns": True}, (), SILENCE,
                            Kind.TARGET_UNSUPPORTED, Stage.PREPARE, b"", "256 bytes"),
    "user name too long": Broken({"username": "u" * 256}, (), SILENCE,
                                 Kind.CREDENTIALS_UNSUPPORTED, Stage.PREPARE, b"",
                                 "user name is 256 bytes"),
    "password too long": Broken({"username": "u", "password": "é" * 128}, (), SILENCE,
                                Kind.CREDENTIALS_UNSUPPORTED, Stage.PREPARE, b"",
                                "password is 256 bytes"),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_socks5_failures(case: Broken) -> None:
    stream = ScriptedStream(*case.script, end=case.end)
    err = failure(stream, **case.kw)
    assert (err.kind, err.stage) == (case.kind, case.stage), err.message
    assert stream.written == case.written
    assert case.message in err.message
    assert err.looks_like == case.looks
    assert err.version == "socks5"
    if case.stage is not Stage.PREPARE:
        assert err.methods == ((0, 2) if case.kw.get("username") else (0,))


def test_protocol_error_keeps_a_sample_of_the_answer() -> None:
    page = b"HTTP/1.1 400 Bad Request\r\nServer: squid\r\n\r\n"
    err = failure(ScriptedStream(page[:2], page[2:10], page[10:], end=SILENCE))
    assert err.received == page  # the two bytes read, then what followed (briefly)


def test_send_fails() -> None:
    err = failure(ScriptedStream(b"\x05\x00", send_limit=4))
    assert (err.kind, err.stage) == (Kind.CLOSED, Stage.REQUEST)
    assert "while sending the connect request" in err.message


def test_expired_deadline_is_a_timeout() -> None:
    stream = ScriptedStream(b"\x05\x00", OK_V4)
    err = failure(stream, deadline=Deadline(0))
    assert err.kind is Kind.TIMEOUT and stream.written == b""


@pytest.mark.parametrize("kw", [
    {"host": "mcp.example.com", "remote_dns": False},  # a name: the caller must resolve it
    {"version": "socks4", "host": "mcp.example.com", "remote_dns": True},  # SOCKS4 has no names
    {"version": "socks6"},
    {"port": 70000},
])
def test_programming_errors(kw: dict[str, Any]) -> None:
    stream = ScriptedStream()
    with pytest.raises(ValueError):
        connect(stream, **kw)
    assert stream.written == b""


# --- SOCKS4 / SOCKS4a ------------------------------------------------------------------------

S4_OK = b"\x00\x5a\x00\x00\x00\x00\x00\x00"
S4 = {
    "socks4 ip": ({"version": "socks4"}, req4(), "ipv4", False),
    "socks4 user id": ({"version": "socks4", "username": "alice", "password": "ignored"},
                       req4(user=b"alice"), "ipv4", False),
    "socks4a name, no user id": ({"version": "socks4a", "host": "localhost",
                                  "remote_dns": True},
                                 req4(ip=b"\x00\x00\x00\x01", name=b"localhost"), "domain",
                                 True),
    "socks4a name and user id": ({"version": "socks4a", "host": "mcp.example.com",
                                  "remote_dns": True, "username": "alice"},
                                 req4(ip=b"\x00\x00\x00\x01", user=b"alice",
                                      name=b"mcp.example.com"), "domain", True),
    "socks4a with an ipv4 literal is plain socks4": ({"version": "socks4a", "host": "10.1.2.3",
                                                      "remote_dns": True},
                                                     req4(ip=b"\x0a\x01\x02\x03"), "ipv4",
                                                     False),
    "socks4a resolved by the caller": ({"version": "socks4a", "host": "10.1.2.3",
                                        "remote_dns": False},
                                       req4(ip=b"\x0a\x01\x02\x03"), "ipv4", False),
}


@pytest.mark.parametrize("kw,written,address_type,name_sent", S4.values(), ids=S4.keys())
def test_socks4_granted(kw: dict[str, Any], written: bytes, address_type: str,
                        name_sent: bool) -> None:
    stream = ScriptedStream(Expect(written), S4_OK[:3], S4_OK[3:], TLS_HELLO)
    reply = connect(stream, **kw)
    stream.finish(allow_unread=True)
    assert stream.written == written
    assert reply.version == kw["version"] and reply.method is None
    assert (reply.reply_code, reply.reply_name) == (90, "request granted")
    assert reply.address_type == address_type and reply.name_sent is name_sent
    assert stream.unread == TLS_HELLO


def test_socks4_bound_address() -> None:
    reply = connect(ScriptedStream(b"\x00\x5a\x1f\x90\x0a\x00\x00\x07"), version="socks4")
    assert (reply.bound_host, reply.bound_port) == ("10.0.0.7", 8080)


@pytest.mark.parametrize("code,name", [
    (91, "request rejected or failed"),
    (92, "request rejected because the SOCKS server cannot connect to identd on the client"),
    (93, "request rejected because the client program and identd report different user-ids"),
    (94, "unassigned reply code 94"),
    (0, "unassigned reply code 0"),
])
@pytest.mark.parametrize("version", ["socks4", "socks4a"])
def test_socks4_reply_codes(version: str, code: int, name: str) -> None:
    stream = ScriptedStream(bytes([0, code]), bytes(6))
    err = failure(stream, version=version)
    assert (err.kind, err.reply, err.reply_name) == (Kind.REQUEST_REFUSED, code, name)
    assert stream.unread == bytes(6)


@pytest.mark.parametrize("script,end,kind,looks", [
    ((b"\x04\x5a" + bytes(6),), SILENCE, Kind.PROTOCOL_ERROR, None),  # VN must be 0
    ((b"\x05\xff",), CLOSE, Kind.PROTOCOL_ERROR, "socks5"),  # a SOCKS5-only server
    ((b"HTTP/1.0 400 Bad Request\r\n\r\n",), CLOSE, Kind.PROTOCOL_ERROR, "http"),
    ((), CLOSE, Kind.CLOSED, None),
    ((b"\x00\x5a\x00",), CLOSE, Kind.CLOSED, None),
    ((b"\x00\x5a\x00",), SILENCE, Kind.TIMEOUT, None),
    ((), RESET, Kind.CLOSED, None),
])
def test_socks4_broken(script: tuple[bytes, ...], end: Any, kind: Kind,
                       looks: str | None) -> None:
    stream = ScriptedStream(*script, end=end)
    err = failure(stream, version="socks4")
    assert (err.kind, err.stage, err.looks_like) == (kind, Stage.REQUEST, looks)
    assert err.methods is None and stream.written == req4()


@pytest.mark.parametrize("kw,kind", [
    ({"version": "socks4", "host": "::1"}, Kind.TARGET_UNSUPPORTED),
    ({"version": "socks4a", "host": "::1", "remote_dns": True}, Kind.TARGET_UNSUPPORTED),
    ({"version": "socks4a", "host": "a\x00b", "remote_dns": True}, Kind.TARGET_UNSUPPORTED),
    ({"version": "socks4", "username": "a\x00b"}, Kind.CREDENTIALS_UNSUPPORTED),
])
def test_socks4_cannot_send(kw: dict[str, Any], kind: Kind) -> None:
    stream = ScriptedStream()
    err = failure(stream, **kw)
    assert (err.kind, err.stage) == (kind, Stage.PREPARE) and stream.written == b""


def test_looks_like() -> None:
    assert looks_like(b"HTTP/1.1 200") == "http"
    assert looks_like(b"<html>") == "http"
    assert looks_like(b"\x16\x03\x03") == "tls"
    assert looks_like(b"\x05\x00", "socks4") == "socks5"
    assert looks_like(b"\x05\x00", "socks5") is None
    assert looks_like(b"\x00\x5a", "socks5") == "socks4"
    assert looks_like(b"") is None


# --- the hop ---------------------------------------------------------------------------------

PASSWORD = "pr0xy-S3cret!"
CURL = PROFILES["curl"]
NODE = PROFILES["node"]


@dataclass
class HopCase:
    url: str
    script: tuple[Any, ...]
    end: Any
    code: Code | None
    message: str
    hint: str = ""
    kw: dict[str, Any] | None = None
    details: dict[str, Any] | None = None


def refusal(code: int) -> tuple[bytes, ...]:
    return (b"\x05\x00", bytes([5, code, 0, 1]) + bytes(6))


U = f"socks5://alice:{PASSWORD.replace('!', '%21')}@proxy.corp:1080"
HOP_CASES = {
    "granted": HopCase("socks5://proxy.corp:1080", (b"\x05\x00", OK_V4), SILENCE, None,
                       "SOCKS5 tunnel to 10.1.2.3:443 open (no authentication)",
                       details={"method": "no authentication", "name_resolved_by": None,
                                "bound_address": "0.0.0.0", "reply_code": 0,
                                "reply_name": "succeeded", "target_sent_as": "ipv4"}),
    "granted, remote dns, credentials": HopCase(
        "socks5h://alice:pw@proxy.corp", (b"\x05\x02", b"\x01\x00", OK_V4), SILENCE, None,
        "SOCKS5 tunnel to mcp.example.com:443 open (username/password; the proxy resolved "
        "the name)", kw={"host": "mcp.example.com", "remote_dns": True},
        details={"name_resolved_by": "proxy", "credentials_sent": True}),
    "granted, resolved by the client": HopCase(
        "socks5://proxy.corp", (b"\x05\x00", OK_V4), SILENCE, None,
        "SOCKS5 tunnel to mcp.example.com (10.1.2.3:443) open",
        kw={"resolved_from": "mcp.example.com"}, details={"name_resolved_by": "client"}),
    "socks4a granted": HopCase("socks4a://bob:pw@proxy.corp", (S4_OK,), SILENCE, None,
                               "SOCKS4a tunnel to mcp.example.com:443 open (the proxy resolved",
                               kw={"host": "mcp.example.com", "remote_dns": True},
                               details={"credentials_sent": False}),
    "silent proxy": HopCase("socks5://proxy.corp", (), SILENCE, Code.PROXY_TIMEOUT,
                            "did not answer the SOCKS5 greeting within 2 s",
                            "HTTP proxy waiting for a request line"),
    "silent on the request": HopCase("socks5://proxy.corp", (b"\x05\x00",), SILENCE,
                                     Code.PROXY_TIMEOUT, "did not answer the request to connect "
                                     "to 10.1.2.3:443 within 2 s", "still trying to reach"),
    "silent socks4": HopCase("socks4://proxy.corp", (), SILENCE, Code.PROXY_TIMEOUT,
                             "did not answer the SOCKS4 request within 2 s"),
    "hangs up on the greeting, no credentials": HopCase(
        "socks5://proxy.corp", (), CLOSE, Code.PROXY_CLOSED,
        "closed the connection without answering the SOCKS5 greeting",
        "hang up instead of answering 'no acceptable methods'"),
    "hangs up on the credentials": HopCase(
        U, (b"\x05\x02",), CLOSE, Code.PROXY_CLOSED,
        "closed the connection after receiving the user name and password",
        "hang up on a wrong user name or password"),
    "hangs up on the request": HopCase(
        "socks5://proxy.corp", (b"\x05\x00",), CLOSE, Code.PROXY_CLOSED,
        "closed the connection instead of answering the request to connect to 10.1.2.3:443"),
    "HTTP proxy": HopCase("socks5://proxy.corp:3128", (b"HTTP/1.1 400 Bad Request\r\n\r\n",),
                          CLOSE, Code.PROXY_PROTOCOL_ERROR, "did not answer SOCKS5",
                          "use http://proxy.corp:3128 rather than socks5://",
                          details={"looks_like": "http",
                                   "received": "HTTP/1.1 400 Bad Request\\x0d\\x0a\\x0d\\x0a"}),
    "TLS port": HopCase("socks5://proxy.corp", (b"\x15\x03\x03\x00\x02\x02\x32",), CLOSE,
                        Code.PROXY_PROTOCOL_ERROR, "a TLS record", "expects TLS"),
    "SOCKS5 server asked SOCKS4": HopCase("socks4://proxy.corp", (b"\x05\xff",), CLOSE,
                                          Code.PROXY_PROTOCOL_ERROR, "looks like SOCKS5",
                                          "use socks5://"),
    "auth version byte": HopCase(U, (b"\x05\x02", b"\x05\x00"), SILENCE,
                                 Code.PROXY_PROTOCOL_ERROR, "not the sub-negotiation version",
                                 "clients may disagree"),
    "no acceptable method, no credentials": HopCase(
        "socks5://proxy.corp", (b"\x05\xff",), SILENCE, Code.PROXY_AUTH_REQUIRED,
        "requires authentication", "socks5://user:password@host:port",
        details={"methods_offered": ["no authentication"]}),
    "no acceptable method, credentials": HopCase(
        U, (b"\x05\xff",), SILENCE, Code.PROXY_AUTH_UNSUPPORTED,
        "accepts neither no authentication nor username/password", "GSSAPI",
        details={"methods_offered": ["no authentication", "username/password"]}),
    "username/password chosen, none offered": HopCase(
        "socks5://proxy.corp", (b"\x05\x02",), SILENCE, Code.PROXY_AUTH_REQUIRED,
        "requires a user name and password and the proxy URL has none"),
    "GSSAPI chosen": HopCase("socks5://proxy.corp", (b"\x05\x01",), SILENCE,
                             Code.PROXY_AUTH_UNSUPPORTED, "GSSAPI (X'01')"),
    "wrong password": HopCase(U, (b"\x05\x02", b"\x01\xff"), SILENCE, Code.PROXY_AUTH_REJECTED,
                              "rejected the user name and password", "percent-encode",
                              details={"credentials_sent": True, "stage": "auth"}),
    "general failure": HopCase("socks5://proxy.corp", refusal(1), SILENCE,
                               Code.PROXY_CONNECT_REJECTED,
                               "general SOCKS server failure (SOCKS5 reply 1)",
                               details={"reply_code": 1,
                                        "reply_name": "general SOCKS server failure"}),
    "ruleset": HopCase("socks5://proxy.corp", refusal(2), SILENCE, Code.PROXY_FORBIDDEN,
                       "refused to connect to 10.1.2.3:443: connection not allowed by ruleset"),
    "network unreachable": HopCase("socks5://proxy.corp", refusal(3), SILENCE,
                                   Code.PROXY_UPSTREAM_FAILED, "network unreachable"),
    "host unreachable, remote dns": HopCase(
        "socks5h://proxy.corp", refusal(4), SILENCE, Code.PROXY_UPSTREAM_FAILED,
        "mcp.example.com:443: host unreachable", "the proxy resolves it",
        kw={"host": "mcp.example.com", "remote_dns": True}),
    "connection refused": HopCase("socks5://proxy.corp", refusal(5), SILENCE,
                                  Code.PROXY_UPSTREAM_FAILED, "connection refused"),
    "TTL expired": HopCase("socks5://proxy.corp", refusal(6), SILENCE,
                           Code.PROXY_UPSTREAM_FAILED, "TTL expired"),
    "command not supported": HopCase("socks5://proxy.corp", refusal(7), SILENCE,
                                     Code.PROXY_CONNECT_REJECTED, "command not supported"),
    "address type not supported": HopCase(
        "socks5h://proxy.corp", refusal(8), SILENCE, Code.PROXY_CONNECT_REJECTED,
        "address type not supported", "socks5:// rather than socks5h://",
        kw={"host": "mcp.example.com", "remote_dns": True}),
    "unassigned reply": HopCase("socks5://proxy.corp", refusal(0x42), SILENCE,
                                Code.PROXY_CONNECT_REJECTED, "unassigned reply code 66"),
    "socks4 rejected": HopCase("socks4://proxy.corp", (b"\x00\x5b" + bytes(6),), SILENCE,
                               Code.PROXY_CONNECT_REJECTED,
                               "request rejected or failed (SOCKS4 reply 91)"),
    "socks4 identd unreachable": HopCase("socks4://proxy.corp", (b"\x00\x5c" + bytes(6),),
                                         SILENCE, Code.PROXY_AUTH_UNSUPPORTED, "identd",
                                         "RFC 1413"),
    "socks4 identd differs": HopCase("socks4://bob@proxy.corp", (b"\x00\x5d" + bytes(6),),
                                     SILENCE, Code.PROXY_AUTH_REJECTED, "different user-ids"),
    "socks4 and an IPv6 target": HopCase("socks4://proxy.corp", (), SILENCE,
                                         Code.PROXY_SCHEME_UNSUPPORTED,
                                         "SOCKS4 cannot carry an IPv6 address",
                                         "use socks5://", kw={"host": "2001:db8::1"}),
    "user name too long": HopCase("socks5://" + "u" * 300 + "@proxy.corp", (), SILENCE,
                                  Code.PROXY_URL_INVALID, "user name is 300 bytes"),
}


@pytest.mark.parametrize("case", HOP_CASES.values(), ids=HOP_CASES.keys())
def test_hop(case: HopCase) -> None:
    proxy = ProxyURL.parse(case.url)
    kw: dict[str, Any] = {"host": "10.1.2.3", "remote_dns": False, **(case.kw or {})}
    stream = ScriptedStream(*case.script, end=case.end)
    result = socks_tunnel(stream, proxy, kw.pop("host"), 443, CURL, 2.0, kw.pop("remote_dns"),
                          **kw)
    assert result.hop is Hop.PROXY_CONNECT
    assert result.code is case.code, (result.message, result.details)
    assert result.status is (Status.OK if case.code is None else Status.FAILED)
    assert case.message in result.message
    assert case.hint in (result.hint or "")
    if case.code is not None:
        assert proxy.display in result.message and result.hint
    assert result.duration_ms >= 0
    assert result.details["proxy"] == proxy.display
    assert result.details["version"] == socks_version(proxy.scheme, CURL)
    for key, value in (case.details or {}).items():
        assert result.details[key] == value, key
    shown = json.dumps({"m": result.message, "h": result.hint, "d": result.details,
                        "n": list(result.notes)})
    assert PASSWORD not in shown and "pr0xy" not in shown  # the password never shows


def test_hop_notes_a_socks4_password() -> None:
    result = socks_tunnel(ScriptedStream(S4_OK), ProxyURL.parse("socks4://bob:pw@proxy.corp"),
                          "10.1.2.3", 443, CURL, 2.0, False)
    assert result.status is Status.OK
    assert result.notes == ("SOCKS4 has no password: only the user name was sent, as the user "
                            "id",)


def test_socks_scheme_versions() -> None:
    assert socks_version("socks5h", NODE) == "socks5"
    assert socks_version("socks4a", CURL) == "socks4a"
    assert socks_version("socks", CURL) == "socks4"  # curl lib/url.c
    assert socks_version("socks", NODE) == "socks5"  # undici proxy-agent.js
    with pytest.raises(ValueError):
        socks_version("http", CURL)


# --- live: pproxy ----------------------------------------------------------------------------
# pproxy (PyPI, pinned by what the venv holds: 2.7.9) observed behaviour, which the live
# tests below pin: it answers "granted" before it connects upstream (echoing the requested
# address as the bound one), so an unreachable target shows as a tunnel that closes at once;
# it hangs up, without a SOCKS answer, on a wrong password, on missing credentials and on a
# protocol it does not listen for. Its SOCKS4 server has no SOCKS4a: a 4a request would make it
# connect to 0.0.0.1, off loopback, so it is not sent here. It resolves names with the system
# resolver: only "localhost" is used as a name.

USER, SECRET = servers.SOCKS_USER, servers.SOCKS_PASSWORD


@pytest.fixture(scope="module")
def pproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Pproxy]:
    with servers.pproxy(tmp_path_factory.mktemp("pproxy") / "pproxy.log") as proxy:
        yield proxy


@pytest.fixture(scope="module")
def targets(pki: Pki) -> Iterator[dict[str, servers.TlsHttpServer]]:
    started = {"127.0.0.1": servers.TlsHttpServer(servers.mcp_401(),
                                                  cert_file=pki.path("server.pem")),
               "::1": servers.TlsHttpServer(servers.mcp_401(), cert_file=pki.path("server.pem"),
                                            host="::1")}
    yield started
    for server in started.values():
        server.close()


def _through(pproxy: servers.Pproxy, listener: str,
             **kw: Any) -> tuple[socket.socket, SocksReply]:
    sock = socket.create_connection(("127.0.0.1", pproxy.ports[listener]), 5)
    try:
        reply = socks_connect(PlainStream(sock), deadline=Deadline(5), **kw)
    except BaseException:
        sock.close()
        raise
    return sock, reply


def _https_get(sock: socket.socket, pki: Pki, server_name: str) -> bytes:
    """A TLS handshake over the tunnel with Python's ssl (verifying against the test CA), then
    one request; returns the start of the response."""
    sock.setblocking(True)
    sock.settimeout(5)
    context = ssl.create_default_context(cafile=pki.path("public-ca.pem"))
    with context.wrap_socket(sock, server_hostname=server_name) as tls:
        tls.sendall(b"GET /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := tls.recv(4096):
            data += chunk
    return data


LIVE = {
    "socks5 ip": ("socks5", {"version": "socks5", "host": "127.0.0.1"}, "127.0.0.1", 0),
    "socks5h localhost": ("socks5", {"version": "socks5", "host": "localhost",
                                     "remote_dns": True}, "localhost", 0),
    "socks5 ipv6": ("socks5", {"version": "socks5", "host": "::1"}, "localhost", 0),
    "socks5 username/password": ("socks5-auth", {"version": "socks5", "host": "127.0.0.1",
                                                 "username": USER, "password": SECRET},
                                 "127.0.0.1", 2),
    "socks5h username/password": ("socks5-auth", {"version": "socks5", "host": "localhost",
                                                  "remote_dns": True, "username": USER,
                                                  "password": SECRET}, "localhost", 2),
    "socks4 ip": ("socks4", {"version": "socks4", "host": "127.0.0.1"}, "127.0.0.1", None),
    "socks4 user id": ("socks4-auth", {"version": "socks4", "host": "127.0.0.1",
                                       # pproxy takes the whole user:pass as the SOCKS4 user id
                                       "username": f"{USER}:{SECRET}"}, "127.0.0.1", None),
}


@pytest.mark.parametrize("listener,kw,server_name,method", LIVE.values(), ids=LIVE.keys())
def test_live_tunnel_then_tls(pproxy: servers.Pproxy, targets: dict[str, servers.TlsHttpServer],
                              pki: Pki, listener: str, kw: dict[str, Any], server_name: str,
                              method: int | None) -> None:
    target = targets["::1" if kw["host"] == "::1" else "127.0.0.1"]
    args = {"username": None, "password": None, "remote_dns": False, "port": target.port, **kw}
    sock, reply = _through(pproxy, listener, **args)
    with sock:
        assert reply.method == method
        assert reply.bound_port == target.port  # pproxy echoes the requested address
        assert reply.bound_host == kw["host"]
        answer = _https_get(sock, pki, server_name)
    assert answer.startswith(b"HTTP/1.1 401 ")


@pytest.mark.parametrize("listener,kw,kind,stage", [
    ("socks5-auth", {"username": USER, "password": "wrong"}, Kind.CLOSED, Stage.AUTH),
    ("socks5-auth", {}, Kind.CLOSED, Stage.GREETING),
    ("socks4-auth", {"version": "socks4", "username": USER}, Kind.CLOSED, Stage.REQUEST),
    ("socks4", {"version": "socks5"}, Kind.CLOSED, Stage.GREETING),  # SOCKS5 to a SOCKS4 port
    ("socks5", {"version": "socks4"}, Kind.CLOSED, Stage.REQUEST),  # and the reverse
], ids=["wrong password", "no credentials", "wrong socks4 user id", "socks5 to socks4 port",
        "socks4 to socks5 port"])
def test_live_pproxy_hangs_up(pproxy: servers.Pproxy, targets: dict[str, servers.TlsHttpServer],
                              listener: str, kw: dict[str, Any], kind: Kind,
                              stage: Stage) -> None:
    args = {"version": "socks5", "host": "127.0.0.1", "port": targets["127.0.0.1"].port,
            "username": None, "password": None, "remote_dns": False, **kw}
    with pytest.raises(SocksError) as info:
        _through(pproxy, listener, **args)
    assert (info.value.kind, info.value.stage) == (kind, stage)


def test_live_pproxy_grants_before_connecting(pproxy: servers.Pproxy, pki: Pki) -> None:
    """A closed target port: pproxy says "granted", then closes the tunnel."""
    port = servers.closed_port()
    sock, reply = _through(pproxy, "socks5", version="socks5", host="127.0.0.1", port=port,
                           username=None, password=None, remote_dns=False)
    with sock:
        assert (reply.reply_code, reply.bound_port) == (0, port)
        with pytest.raises((ssl.SSLError, OSError)):
            _https_get(sock, pki, "127.0.0.1")


def test_live_hop(pproxy: servers.Pproxy, targets: dict[str, servers.TlsHttpServer],
                  pki: Pki) -> None:
    target = targets["127.0.0.1"]
    good = ProxyURL.parse(f"socks5h://{USER}:{SECRET}@127.0.0.1:{pproxy.ports['socks5-auth']}")
    with socket.create_connection(("127.0.0.1", good.port), 5) as sock:
        result = socks_tunnel(PlainStream(sock), good, "localhost", target.port,
                              PROFILES["curl"], 5.0, True)
        assert result.status is Status.OK, result.message
        assert result.details["method"] == "username/password"
        assert result.details["name_resolved_by"] == "proxy"
        assert _https_get(sock, pki, "localhost").startswith(b"HTTP/1.1 401 ")
    bad = ProxyURL.parse(f"socks5://{USER}:nope@127.0.0.1:{pproxy.ports['socks5-auth']}")
    with socket.create_connection(("127.0.0.1", bad.port), 5) as sock:
        result = socks_tunnel(PlainStream(sock), bad, "127.0.0.1", target.port,
                              PROFILES["curl"], 5.0, False)
    assert result.code is Code.PROXY_CLOSED and result.details["stage"] == "auth"
    assert "nope" not in json.dumps(result.details) + result.message + (result.hint or "")


def test_live_http_proxy_stays_silent(tmp_path: Path) -> None:
    """proxy.py, a real HTTP proxy, waits for a request line after a SOCKS5 greeting: the
    timeout whose hint names an HTTP proxy."""
    with servers.proxy_py(tmp_path / "proxy") as http_proxy, \
            socket.create_connection(("127.0.0.1", http_proxy.port), 5) as sock:
        proxy = ProxyURL.parse(f"socks5://127.0.0.1:{http_proxy.port}")
        result = socks_tunnel(PlainStream(sock), proxy, "127.0.0.1", 443, PROFILES["curl"],
                              0.5, False)
    assert result.code is Code.PROXY_TIMEOUT
    assert "HTTP proxy" in (result.hint or "")
