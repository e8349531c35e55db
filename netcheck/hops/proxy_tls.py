"""Hop ``proxy_tls``: TLS to an ``https://`` proxy, before the CONNECT inside it.

The proxy's chain is judged as the server's is: against the client's own stores (a corporate
proxy's certificate often comes from the corporate CA the client does not know), or the ones it
keeps for proxies (curl: ``--proxy-cacert`` or its default bundle, never ``--cacert``), host
name, validity. Where the proxy asks for a client certificate, the client's is presented, as Claude
Code presents it to every TLS peer that asks (measured).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netcheck.hops import tls
from netcheck.model import Code, Hop, Outcome, failed
from netcheck.net.streams import Stream, TlsStream
from netcheck.proxy.url import ProxyURL
from netcheck.settings.check import Prepared


def establish(inner: Stream, proxy: ProxyURL, prepared: Prepared, timeout: float,
              context: Any, on_first_flight: Callable[[], None] | None = None
              ) -> Outcome[TlsStream]:
    """TLS to ``proxy`` over ``inner`` (the TCP connection to it)."""
    outcome = tls.establish(inner, proxy.host, identity=prepared.identity,
                            trust=lambda: prepared.proxy_trust, profile=prepared.settings.profile,
                            via_proxy=False, timeout=timeout, context=context,
                            hop=Hop.PROXY_TLS, on_first_flight=on_first_flight)
    handshake = outcome.value
    if outcome.result.failed or handshake is None:
        return Outcome(outcome.result)
    if handshake.stream is None:  # the proxy ended the handshake over the client certificate
        given = prepared.identity is not None
        return Outcome(failed(
            Hop.PROXY_TLS, Code.CLIENT_CERT_REJECTED if given else Code.CLIENT_CERT_REQUIRED,
            f"the proxy {proxy.display} ended the TLS handshake over the client certificate "
            f"({handshake.cert_failure})",
            "the proxy wants a client certificate it accepts: ask IT which one" if given else
            "the proxy wants a client certificate: configure the client's (for Claude Code, "
            "CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY)", **outcome.result.details))
    return Outcome(outcome.result, handshake.stream)
