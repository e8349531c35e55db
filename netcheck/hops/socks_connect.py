"""Hop ``proxy_connect`` through a SOCKS proxy: our own SOCKS5 / SOCKS4 / SOCKS4a handshake
(:mod:`netcheck.net.socks`), every outcome worded as a diagnosis a user can act on."""

from __future__ import annotations

from typing import Any

from netcheck.model import Code, Hop, HopResult, Outcome, Status
from netcheck.net.address import authority, is_ip
from netcheck.net.deadline import Deadline, Stopwatch, seconds
from netcheck.net.socks import (
    USERNAME_PASSWORD,
    Kind,
    SocksError,
    SocksReply,
    Stage,
    Version,
    method_name,
    socks_connect,
)
from netcheck.net.streams import Stream
from netcheck.profiles import Profile
from netcheck.proxy.url import ProxyURL

LABELS: dict[Version, str] = {"socks5": "SOCKS5", "socks4": "SOCKS4", "socks4a": "SOCKS4a"}
SCHEME_VERSIONS: dict[str, Version] = {"socks5": "socks5", "socks5h": "socks5",
                                       "socks4": "socks4", "socks4a": "socks4a"}
PERCENT_HINT = "percent-encode special characters (@ as %40, : as %3A)"


def socks_version(scheme: str, profile: Profile) -> Version:
    """The SOCKS version a client speaks for a proxy URL scheme. ``socks://`` differs: curl
    takes it as SOCKS4 (lib/url.c), undici 7.30 as SOCKS5 (lib/dispatcher/proxy-agent.js); read
    in their sources, not measured."""
    if scheme == "socks":
        return "socks4" if profile.proxy.model == "curl" else "socks5"
    if scheme not in SCHEME_VERSIONS:
        raise ValueError(f"not a SOCKS proxy scheme: {scheme!r}")
    return SCHEME_VERSIONS[scheme]


def tunnel(stream: Stream, proxy: ProxyURL, host: str, port: int, profile: Profile,
           timeout: float, remote_dns: bool, *, resolved_from: str | None = None) -> Outcome[None]:
    """:func:`socks_tunnel`, as the walk takes hops."""
    return Outcome(socks_tunnel(stream, proxy, host, port, profile, timeout, remote_dns,
                                resolved_from=resolved_from))


def socks_tunnel(stream: Stream, proxy: ProxyURL, host: str, port: int, profile: Profile,
                 timeout: float, remote_dns: bool, *, version: Version | None = None,
                 resolved_from: str | None = None) -> HopResult:
    """Open a tunnel to ``host:port`` through the SOCKS proxy on ``stream``.

    ``remote_dns``: the proxy resolves ``host`` (socks5h, socks4a); otherwise ``host`` is the
    address the client resolved (``resolved_from``: the name it resolved, for the report).
    ``version``: by default from the proxy URL's scheme (:func:`socks_version`). On success the
    stream is positioned right after the proxy's reply: TLS can start on it.
    """
    watch = Stopwatch()
    version = version or socks_version(proxy.scheme, profile)
    label = LABELS[version]
    target = authority(host, port)
    shown = f"{resolved_from} ({target})" if resolved_from else target
    details: dict[str, Any] = {
        "proxy": proxy.display, "version": version, "request": f"CONNECT {target}",
        "credentials_offered": proxy.username is not None,
        "name_resolved_by": _resolved_by(host, remote_dns, resolved_from),
    }
    notes = []
    if version != "socks5" and proxy.password:
        notes.append(f"{label} has no password: only the user name was sent, as the user id")
    username = proxy.username
    password = proxy.password.reveal() if proxy.password is not None else None
    try:
        reply = socks_connect(stream, version=version, host=host, port=port, username=username,
                              password=password, remote_dns=remote_dns,
                              deadline=Deadline(timeout))
    except SocksError as exc:
        details.update(_error_details(exc))
        code, message, hint = _diagnose(exc, proxy, label, shown, timeout, remote_dns)
        return HopResult(hop=Hop.PROXY_CONNECT, status=Status.FAILED, message=message,
                         duration_ms=watch.ms(), code=code, hint=hint, details=details,
                         notes=notes)
    details.update(_reply_details(reply))
    how = [method_name(reply.method)] if reply.method is not None else []
    if reply.name_sent:
        how.append("the proxy resolved the name")
    return HopResult(hop=Hop.PROXY_CONNECT, status=Status.OK, duration_ms=watch.ms(),
                     message=f"{label} tunnel to {shown} open"
                             + (f" ({'; '.join(how)})" if how else ""),
                     details=details, notes=notes)


def _resolved_by(host: str, remote_dns: bool, resolved_from: str | None) -> str | None:
    if resolved_from:
        return "client"
    if is_ip(host.strip("[]")):
        return None  # an address: nobody resolves anything
    return "proxy" if remote_dns else "client"


def _reply_details(reply: SocksReply) -> dict[str, Any]:
    out: dict[str, Any] = {"reply_code": reply.reply_code, "reply_name": reply.reply_name,
                           "bound_address": reply.bound_host, "bound_port": reply.bound_port,
                           "target_sent_as": reply.address_type}
    if reply.method is not None:
        out["method"] = reply.method_name
        out["credentials_sent"] = reply.method == USERNAME_PASSWORD
    else:
        out["credentials_sent"] = False  # a SOCKS4 user id is not a credential
    return out


def _error_details(exc: SocksError) -> dict[str, Any]:
    out: dict[str, Any] = {"failure": exc.kind.value,
                           "stage": exc.stage.value if exc.stage else None}
    if exc.methods is not None:
        out["methods_offered"] = [method_name(m) for m in exc.methods]
    if exc.method is not None:
        out["method"] = method_name(exc.method)
        out["credentials_sent"] = (exc.method == USERNAME_PASSWORD
                                   and exc.stage is not Stage.GREETING)
    if exc.reply is not None:
        out["reply_code"] = exc.reply
        out["reply_name"] = exc.reply_name
    if exc.received:
        out["received"] = preview(exc.received)
        out["received_bytes"] = len(exc.received)
    if exc.looks_like:
        out["looks_like"] = exc.looks_like
    return out


def preview(data: bytes, limit: int = 80) -> str:
    """The bytes as text, non-printable ones escaped, at most ``limit`` characters."""
    text = "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in data[:limit])
    return text + ("..." if len(data) > limit else "")


def _diagnose(exc: SocksError, proxy: ProxyURL, label: str, target: str, timeout: float,
              remote_dns: bool) -> tuple[Code, str, str]:
    """(code, message, hint) for a failed handshake."""
    who = f"the SOCKS proxy {proxy.display}"
    first = exc.stage is Stage.GREETING or (exc.stage is Stage.REQUEST and label != "SOCKS5")
    kind = exc.kind
    if kind is Kind.TIMEOUT:
        if first:
            return (Code.PROXY_TIMEOUT,
                    f"{who} did not answer the {label} "
                    f"{'greeting' if label == 'SOCKS5' else 'request'} within {seconds(timeout)} s",
                    "the port accepts connections but does not answer SOCKS: it may be an HTTP "
                    "proxy waiting for a request line (then use http://), expect TLS, speak "
                    "another SOCKS version, or be overloaded")
        if exc.stage is Stage.AUTH:
            return (Code.PROXY_TIMEOUT,
                    f"{who} did not answer the username/password within {seconds(timeout)} s",
                    "the proxy stalls on authentication: it may check the credentials against "
                    "a directory that does not answer; ask IT")
        return (Code.PROXY_TIMEOUT,
                f"{who} did not answer the request to connect to {target} within "
                f"{seconds(timeout)} s",
                "the proxy is probably still trying to reach the server (a firewall dropping "
                "its connection"
                + (", or a slow name resolution on the proxy" if remote_dns else "")
                + "): check the server is reachable from the proxy's network")
    if kind is Kind.CLOSED:
        if exc.stage is Stage.GREETING:
            hint = ("the port may not speak SOCKS5 (a SOCKS4-only server: use socks4://; an "
                    "HTTP proxy: use http://), or the proxy refuses this machine's address")
            if proxy.username is None:
                hint = ("some SOCKS servers hang up instead of answering 'no acceptable "
                        "methods' when they require a user name and password: put them in the "
                        "proxy URL (socks5://user:password@host:port, " + PERCENT_HINT + "); "
                        "or " + hint)
            return Code.PROXY_CLOSED, f"{who} closed the connection without answering the " \
                f"SOCKS5 greeting ({exc.message})", hint
        if exc.stage is Stage.AUTH:
            return (Code.PROXY_CLOSED,
                    f"{who} closed the connection after receiving the user name and password "
                    f"({exc.message})",
                    "many SOCKS servers hang up on a wrong user name or password instead of "
                    "answering it: check them in the proxy URL; " + PERCENT_HINT)
        if first:
            hint = ("the port may not speak " + label + " (use socks5:// for a SOCKS5 server, "
                    "http:// for an HTTP proxy), require a user id the proxy URL does not "
                    "give (socks4://user@host:port), or block " + target)
            return (Code.PROXY_CLOSED,
                    f"{who} closed the connection without answering the {label} request to "
                    f"connect to {target} ({exc.message})", hint)
        return (Code.PROXY_CLOSED,
                f"{who} closed the connection instead of answering the request to connect to "
                f"{target} ({exc.message})",
                "the proxy may block this destination, or have failed to reach it; its logs "
                "say which")
    if kind is Kind.PROTOCOL_ERROR:
        hints = {
            "http": f"this port speaks HTTP: it is an HTTP proxy, so use "
                    f"http://{proxy.hostport} rather than {proxy.scheme}://",
            "tls": "this port expects TLS: it is an https:// proxy or a TLS server, not a SOCKS "
                   "proxy",
            "socks5": "the proxy speaks SOCKS5: use socks5:// (or socks5h:// to let the proxy "
                      "resolve names)",
            "socks4": "the proxy speaks SOCKS4: use socks4:// (or socks4a:// to let the proxy "
                      "resolve names)",
        }
        hint = hints.get(exc.looks_like or "", "check that the proxy URL points at a SOCKS "
                         "proxy port and that its scheme (socks4/socks5) is what the proxy "
                         "speaks")
        if exc.stage is Stage.AUTH and exc.looks_like is None:
            hint = ("the proxy's answer to the username/password is malformed (its first byte "
                    "must be X'01', RFC 1929); curl's source ignores that byte while undici's "
                    "and python-socks' refuse the answer, so clients may disagree here")
        return (Code.PROXY_PROTOCOL_ERROR, f"{who} did not answer {label}: {exc.message}", hint)
    if kind is Kind.NO_ACCEPTABLE_METHOD:
        if proxy.username is None:
            return (Code.PROXY_AUTH_REQUIRED,
                    f"{who} requires authentication: it accepts none of the methods offered "
                    "(no authentication)",
                    "put a user name and password in the proxy URL: "
                    "socks5://user:password@host:port (" + PERCENT_HINT + ")")
        return (Code.PROXY_AUTH_UNSUPPORTED,
                f"{who} accepts neither no authentication nor username/password",
                "it probably requires GSSAPI (Kerberos), which netcheck cannot answer: ask IT "
                "for a SOCKS port that takes a user name and password, or for an HTTP proxy")
    if kind is Kind.AUTH_REQUIRED:
        return (Code.PROXY_AUTH_REQUIRED,
                f"{who} requires a user name and password and the proxy URL has none",
                "put them in the proxy URL: socks5://user:password@host:port (" + PERCENT_HINT
                + ")")
    if kind is Kind.METHOD_UNSUPPORTED:
        return (Code.PROXY_AUTH_UNSUPPORTED, f"{who} asks for an authentication method that was "
                f"not offered: {exc.message}",
                "netcheck answers only 'no authentication' and username/password: ask IT for a "
                "SOCKS port that takes a user name and password, or for an HTTP proxy")
    if kind is Kind.AUTH_REJECTED:
        return (Code.PROXY_AUTH_REJECTED,
                f"{who} rejected the user name and password in the proxy URL",
                "check the user name and password in the proxy variable; " + PERCENT_HINT)
    if kind is Kind.REQUEST_REFUSED:
        return _refused(exc, who, label, target, remote_dns)
    if kind is Kind.TARGET_UNSUPPORTED:
        return (Code.PROXY_SCHEME_UNSUPPORTED,
                f"cannot ask {who} for {target}: {exc.message}",
                "SOCKS4 carries only IPv4 addresses: use socks5:// (or socks4a:// to let the "
                "proxy resolve the name)" if label != "SOCKS5" else
                "the host name is too long for SOCKS5 (255 bytes): check the URL")
    return (Code.PROXY_URL_INVALID, f"cannot authenticate to {who}: {exc.message}",
            "shorten the credentials in the proxy URL (SOCKS5 carries at most 255 bytes each) "
            "or remove the NUL character from the user name")


def _refused(exc: SocksError, who: str, label: str, target: str,
             remote_dns: bool) -> tuple[Code, str, str]:
    code, name = exc.reply, exc.reply_name or "unknown"
    said = f"{who} refused to connect to {target}: {name} ({label} reply {code})"
    if label == "SOCKS5":
        if code == 0x02:
            return (Code.PROXY_FORBIDDEN, said,
                    "the proxy's rules do not allow this destination (or this user): ask IT to "
                    "allow the host and port")
        if code == 0x03:
            return (Code.PROXY_UPSTREAM_FAILED, said,
                    "the proxy has no route to the server: it may be on a network the proxy "
                    "cannot reach (an internal host? then it belongs in NO_PROXY)")
        if code == 0x04:
            return (Code.PROXY_UPSTREAM_FAILED, said,
                    "the proxy could not reach the server"
                    + ("; many SOCKS servers also answer this when the name does not resolve, "
                       "and here the proxy resolves it: check the name from the proxy's network"
                       if remote_dns else ""))
        if code == 0x05:
            return (Code.PROXY_UPSTREAM_FAILED, said,
                    "as seen from the proxy, nothing accepts connections on this port: check "
                    "the URL's port, or whether the server admits the proxy's address")
        if code == 0x06:
            return (Code.PROXY_UPSTREAM_FAILED, said,
                    "the proxy's connection to the server timed out or looped: check the "
                    "server is reachable from the proxy's network")
        if code == 0x07:
            return (Code.PROXY_CONNECT_REJECTED, said,
                    "the proxy does not allow CONNECT: ask IT for a SOCKS port that does, or "
                    "use the HTTP proxy")
        if code == 0x08:
            return (Code.PROXY_CONNECT_REJECTED, said,
                    "the proxy does not take this kind of address: for a name, let the client "
                    "resolve it (socks5:// rather than socks5h:// where the client offers the "
                    "choice); for an IPv6 address, the proxy may only connect over IPv4"
                    if remote_dns else
                    "the proxy does not take this kind of address (IPv6?): try the server's "
                    "IPv4 address, or socks5h:// to let the proxy resolve the name")
        if code == 0x01:
            return (Code.PROXY_CONNECT_REJECTED, said,
                    "the proxy failed without saying why: often it could not "
                    + ("resolve or " if remote_dns else "") + "reach the server, or its rules "
                    "refused the request; the proxy's logs say which")
        return (Code.PROXY_CONNECT_REJECTED, said,
                "the reply code is not one RFC 1928 defines: the proxy refused the request; "
                "its logs say why")
    if code == 92:
        return (Code.PROXY_AUTH_UNSUPPORTED, said,
                "the proxy identifies users with identd (RFC 1413) on this machine and nothing "
                "answers it: use socks5:// with a user name and password if the proxy offers "
                "SOCKS5, or ask IT")
    if code == 93:
        return (Code.PROXY_AUTH_REJECTED, said,
                "identd on this machine reports another user than the user id sent: put your "
                "login name in the proxy URL (socks4://user@host:port)")
    return (Code.PROXY_CONNECT_REJECTED, said,
            "SOCKS4 does not say why: the proxy's rules may block the destination or the user "
            "id, it may have failed to "
            + ("resolve or " if remote_dns else "") + "reach the server; try socks5:// for "
            "a precise answer if the proxy speaks it, or check its logs")
