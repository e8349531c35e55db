"""The client certificate and key for mTLS: loading every common format, then checking them.

Accepted: PEM (certificate and key in one file or two; PKCS#8, traditional and encrypted keys),
DER, and PKCS#12 (.p12/.pfx). Problems come back as :class:`IdentityError` with a failure code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from netcheck.model import Code, Finding
from netcheck.redaction import Secret
from netcheck.settings.files import LocalFileError, parse_certificates, pem_blocks, read_local_file

EXPIRY_WARNING_DAYS = 14
KEY_LABELS = ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
              "DSA PRIVATE KEY")


class IdentityError(Finding):
    """The client certificate or key cannot be used."""


@dataclass
class ClientIdentity:
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # intermediates sent after the leaf
    key: Any  # a cryptography private key
    format: str

    def summary(self) -> dict[str, Any]:
        cert = self.certificate
        return {
            "format": self.format,
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"),
            "sha256": hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "extended_key_usage": extended_key_usage(cert),
            "chain_certificates": len(self.chain),
        }


def extended_key_usage(cert: x509.Certificate) -> list[str] | None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return [getattr(oid, "_name", None) or oid.dotted_string for oid in eku]


FILE_HINT = "check the path and the file's permissions (the client reads the same file)"
KEY_HINT = "export the key as PEM (PKCS#8), with openssl pkcs8 -topk8 if need be"


def load_identity(cert_path: str, key_path: str | None,
                  passphrase: Secret | None) -> ClientIdentity:
    """Load a certificate (and its key) from ``cert_path`` / ``key_path``."""
    try:
        cert_data = read_local_file(cert_path, "client certificate")
    except LocalFileError as exc:
        raise IdentityError(Code.CERT_FILE_UNREADABLE, str(exc), FILE_HINT) from None
    try:
        key_data = read_local_file(key_path, "client key") if key_path else None
    except LocalFileError as exc:
        raise IdentityError(Code.KEY_FILE_UNREADABLE, str(exc), FILE_HINT) from None
    if _looks_like_pkcs12(cert_path, cert_data):
        return _load_pkcs12(cert_data, passphrase)
    certs, _bad = parse_certificates(cert_data)
    if not certs:
        raise IdentityError(Code.CERT_INVALID,
                            f"client certificate {cert_path} holds no PEM, DER or PKCS#12 "
                            "certificate", "export the certificate as PEM")
    key_source = key_data if key_data is not None else cert_data
    key = _load_key(key_source, passphrase, key_path or cert_path)
    return ClientIdentity(certificate=certs[0], chain=certs[1:], key=key,
                          format="PEM" if pem_blocks(cert_data) else "DER")


def _looks_like_pkcs12(path: str, data: bytes) -> bool:
    if path.lower().endswith((".p12", ".pfx")):
        return True
    return not pem_blocks(data) and data[:1] == b"\x30" and not _is_der_cert(data)


def _is_der_cert(data: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return False
    return True


def _load_pkcs12(data: bytes, passphrase: Secret | None) -> ClientIdentity:
    password = passphrase.reveal().encode() if passphrase else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        if "password" in str(exc).lower():
            if passphrase is None:
                raise IdentityError(Code.KEY_PASSPHRASE_REQUIRED,
                                    "the PKCS#12 file is protected and no passphrase was given",
                                    "set CLAUDE_CODE_CLIENT_KEY_PASSPHRASE (or name another "
                                    "variable with --key-passphrase-env)") from None
            raise IdentityError(Code.KEY_PASSPHRASE_WRONG,
                                "the passphrase does not open the PKCS#12 file",
                                "check the passphrase variable's value") from None
        raise IdentityError(Code.CERT_INVALID, "the file is not a valid PKCS#12 archive",
                            "export the identity again as .p12/.pfx or as PEM") from None
    if cert is None:
        raise IdentityError(Code.CERT_INVALID, "the PKCS#12 file holds no certificate",
                            "export the identity again with its certificate")
    if key is None:
        raise IdentityError(Code.KEY_MISSING, "the PKCS#12 file holds no private key",
                            "export the identity with its private key")
    return ClientIdentity(certificate=cert, chain=list(extra), key=key, format="PKCS#12")


def _load_key(data: bytes, passphrase: Secret | None, path: str) -> Any:
    blocks = [block for label, block in pem_blocks(data) if label in KEY_LABELS]
    if not blocks and pem_blocks(data):
        raise IdentityError(Code.KEY_MISSING, f"{path} holds no private key",
                            "give the key file with --key or CLAUDE_CODE_CLIENT_KEY")
    password = passphrase.reveal().encode() if passphrase else None
    try:
        if blocks:
            return serialization.load_pem_private_key(blocks[0], password)
        return serialization.load_der_private_key(data, password)
    except TypeError as exc:
        text = str(exc).lower()
        if "not encrypted" in text:  # a passphrase for a plain key: Node ignores it, so do we
            return _load_key(data, None, path)
        if "not given" in text or ("encrypted" in text and password is None):
            raise IdentityError(Code.KEY_PASSPHRASE_REQUIRED,
                                f"the private key in {path} is encrypted and no passphrase was "
                                "given", "set CLAUDE_CODE_CLIENT_KEY_PASSPHRASE (or name another "
                                "variable with --key-passphrase-env)") from None
        raise IdentityError(Code.KEY_INVALID, f"the private key in {path} cannot be used: "
                                              f"{_safe(exc)}", KEY_HINT) from None
    except ValueError as exc:
        if password is not None and ("decrypt" in str(exc).lower()
                                     or "password" in str(exc).lower()):
            raise IdentityError(Code.KEY_PASSPHRASE_WRONG,
                                f"the passphrase does not decrypt the private key in {path}",
                                "check the passphrase variable's value") from None
        raise IdentityError(Code.KEY_INVALID, f"{path} holds no usable private key",
                            KEY_HINT) from None
    except Exception as exc:  # noqa: BLE001 - unsupported algorithms and the like
        raise IdentityError(Code.KEY_INVALID, f"the private key in {path} cannot be used: "
                                              f"{_safe(exc)}", KEY_HINT) from None


def _safe(exc: Exception) -> str:
    return exc.__class__.__name__ if len(str(exc)) > 200 else str(exc)


@dataclass
class IdentityCheck:
    """Findings about a loaded identity: a failure, or warnings."""

    failure: IdentityError | None
    warnings: list[str]


def check_identity(identity: ClientIdentity, now: dt.datetime) -> IdentityCheck:
    """Key matches certificate, validity window, extended key usage."""
    cert = identity.certificate
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    key_spki = identity.key.public_key().public_bytes(der, spki)
    if cert.public_key().public_bytes(der, spki) != key_spki:
        return IdentityCheck(IdentityError(
            Code.KEY_CERT_MISMATCH, "the private key does not belong to the client certificate",
            "pair the certificate with the key it was issued for"), [])
    if now < cert.not_valid_before_utc:
        return IdentityCheck(IdentityError(
            Code.CERT_NOT_YET_VALID,
            f"the client certificate is valid only from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} "
            f"UTC; this machine's clock says {now:%Y-%m-%d %H:%M} UTC",
            "check the system clock, or wait until the certificate becomes valid"), [])
    if now > cert.not_valid_after_utc:
        return IdentityCheck(IdentityError(
            Code.CERT_EXPIRED,
            f"the client certificate expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
            "renew the client certificate with your PKI team"), [])
    warnings = []
    left = cert.not_valid_after_utc - now
    if left < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        warnings.append(f"the client certificate expires in {left.days} days "
                        f"({cert.not_valid_after_utc:%Y-%m-%d})")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    if eku is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in eku and \
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku:
        return IdentityCheck(IdentityError(
            Code.CERT_NOT_FOR_CLIENT_AUTH,
            "the certificate's extended key usage does not allow client authentication "
            f"(it allows: {', '.join(extended_key_usage(cert) or [])})",
            "request a certificate issued for clientAuth"), warnings)
    return IdentityCheck(None, warnings)
