"""Distinguished names compared as OpenSSL compares them (``X509_NAME_cmp``): by their
canonical form, so a name written as PrintableString and as UTF8String, or with other case and
spacing, is the same name."""

from __future__ import annotations

import re

Canonical = tuple[tuple[tuple[str, str], ...], ...]  # RDNs of (OID, canonical value)

# ASN.1 string tags and how their bytes decode
_STRINGS = {0x0C: "utf-8", 0x13: "latin-1", 0x14: "latin-1", 0x16: "latin-1",
            0x1A: "latin-1", 0x1E: "utf-16-be", 0x1C: "utf-32-be"}


def canonical(der: bytes) -> Canonical | None:
    """The canonical form of a DER-encoded Name, or None when it does not parse."""
    try:
        rdns, rest = _tlv(der, 0x30)
        if rest:
            return None
        out = []
        while rdns:
            rdn, rdns = _tlv(rdns, 0x31)
            attributes = []
            while rdn:
                pair, rdn = _tlv(rdn, 0x30)
                oid, value = _tlv(pair, 0x06)
                attributes.append((oid.hex(), _value(value)))
            out.append(tuple(sorted(attributes)))
        return tuple(out)
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def _value(encoded: bytes) -> str:
    tag = encoded[0]
    content, _rest = _tlv(encoded, tag)
    if tag not in _STRINGS:
        return "#" + encoded.hex()  # not a string: compared as encoded
    text = content.decode(_STRINGS[tag])
    return re.sub(r"\s+", " ", text.strip()).lower()


def _tlv(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """The content of the element ``tag`` at the start of ``data``, and what follows it."""
    if data[0] != tag:
        raise ValueError(f"expected tag {tag:#x}, found {data[0]:#x}")
    length, start = data[1], 2
    if length & 0x80:
        size = length & 0x7F
        length, start = int.from_bytes(data[2:2 + size], "big"), 2 + size
    end = start + length
    if end > len(data):
        raise ValueError("truncated")
    return data[start:end], data[end:]
