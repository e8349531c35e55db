"""Recognising TLS-inspecting middleboxes by the names on the certificates they mint."""

from __future__ import annotations

import functools
import re

# (pattern over subject/issuer text, product name). Order: most specific first.
PRODUCTS: tuple[tuple[str, str], ...] = (
    (r"zscaler", "Zscaler"),
    (r"netskope", "Netskope"),
    (r"palo ?alto|pan-?os|globalprotect", "Palo Alto Networks"),
    (r"forti(gate|net|proxy)", "Fortinet FortiGate"),
    (r"cisco( umbrella| secure)?|ironport|umbrella", "Cisco"),
    (r"blue ?coat|symantec|broadcom", "Symantec / Blue Coat"),
    (r"forcepoint|websense", "Forcepoint"),
    (r"cloudflare.*(gateway|teams|zero trust|for teams)|gateway ca - cloudflare",
     "Cloudflare Zero Trust"),
    (r"sophos", "Sophos"),
    (r"check ?point", "Check Point"),
    (r"mcafee|skyhigh|trellix", "Skyhigh / McAfee Web Gateway"),
    (r"barracuda", "Barracuda"),
    (r"menlo security", "Menlo Security"),
    (r"iboss", "iboss"),
    (r"lightspeed", "Lightspeed"),
    (r"untangle|arista edge", "Untangle"),
    (r"kaspersky", "Kaspersky"),
    (r"eset ssl filter|\beset\b", "ESET"),
    (r"avast|\bavg\b", "Avast / AVG"),
    (r"bitdefender", "Bitdefender"),
    (r"mitmproxy", "mitmproxy"),
    (r"fiddler", "Fiddler"),
    (r"portswigger|burp", "Burp Suite"),
    (r"charles proxy", "Charles Proxy"),
    (r"squid", "Squid (ssl-bump)"),
    (r"proxy\.py", "proxy.py"),
)


@functools.cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The patterns, compiled when a chain is first looked at (not when the TLS hop is
    imported, which happens before the first handshake)."""
    return tuple((re.compile(p, re.IGNORECASE), name) for p, name in PRODUCTS)


def product_in(names: list[str]) -> str | None:
    """The inspection product named by any of ``names`` (subjects and issuers), if one is."""
    for text in names:
        for pattern, product in _compiled():
            if pattern.search(text):
                return product
    return None
