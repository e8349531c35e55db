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
from netcheck.profiles.rules import CertFormat
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


def stored_as(cert_path: str, key_path: str | None) -> CertFormat | None:
    """How the certificate and its key are stored; None when a file cannot be read or holds
    no certificate (loading it then says why)."""
    try:
        data = read_local_file(cert_path, "client certificate")
        key = read_local_file(key_path, "client key") if key_path else None
    except LocalFileError:
        return None
    if _is_der_cert(data):
        return CertFormat.DER
    if _looks_like_pkcs12(cert_path, data):
        return CertFormat.PKCS12
    if not pem_blocks(data):
        return None
    if key is not None and not pem_blocks(key):
        return CertFormat.DER
    return CertFormat.PEM if key_path else CertFormat.PEM_COMBINED


def conversion(stored: CertFormat, cert_path: str, key_path: str | None,
               variables: tuple[str, str, str] | None, given_by: str = "") -> str:
    """The commands (or setting) that turn ``stored`` into a PEM certificate and key, then
    how the client takes them: its variables, or ``given_by`` (a client without variables,
    e.g. "the program's ssl context (load_cert_chain: PEM)")."""
    cert_var, key_var = (variables[0], variables[1]) if variables else ("--cert", "--key")
    then = (f"then set {cert_var}=client.pem and {key_var}=client.key" if variables else
            f"then give the client client.pem and client.key ({given_by or 'PEM'}), and "
            "check them with netcheck --cert client.pem --key client.key")
    if stored is CertFormat.PKCS12:
        return (f"convert it: openssl pkcs12 -in {cert_path} -clcerts -nokeys -out client.pem "
                f"&& openssl pkcs12 -in {cert_path} -nocerts -out client.key; {then}")
    if stored is CertFormat.DER:
        key = f" && openssl pkey -inform DER -in {key_path} -out client.key" if key_path else ""
        return f"convert it: openssl x509 -inform DER -in {cert_path} -out client.pem{key}; {then}"
    return (f"set {key_var}={cert_path} too: the key is read only from {key_var}"
            if variables else f"split the key out: openssl pkey -in {cert_path} -out "
                              f"client.key; {then}")


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


def allows_client_auth(cert: x509.Certificate) -> bool:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return ExtendedKeyUsageOID.CLIENT_AUTH in eku or \
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku


def check_identity(identity: ClientIdentity, now: dt.datetime) -> IdentityCheck:
    """The key must match the certificate (clients cannot even start otherwise); a validity
    window or key usage the server will refuse is a warning: clients send the certificate
    anyway (measured), and the server's answer is the verdict."""
    cert = identity.certificate
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    key_spki = identity.key.public_key().public_bytes(der, spki)
    if cert.public_key().public_bytes(der, spki) != key_spki:
        return IdentityCheck(IdentityError(
            Code.KEY_CERT_MISMATCH, "the private key does not belong to the client certificate",
            "pair the certificate with the key it was issued for"), [])
    warnings = []
    if now < cert.not_valid_before_utc:
        warnings.append(f"the client certificate is valid only from "
                        f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC and this machine's clock "
                        f"says {now:%Y-%m-%d %H:%M} UTC: servers will refuse it (check the clock)")
    elif now > cert.not_valid_after_utc:
        warnings.append(f"the client certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}: "
                        "clients still send it and servers refuse it; renew it with your PKI "
                        "team")
    elif cert.not_valid_after_utc - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        left = cert.not_valid_after_utc - now
        warnings.append(f"the client certificate expires in {left.days} days "
                        f"({cert.not_valid_after_utc:%Y-%m-%d})")
    if not allows_client_auth(cert):
        warnings.append("the certificate's extended key usage does not allow client "
                        f"authentication (it allows: {', '.join(extended_key_usage(cert) or [])})"
                        ": servers that check it refuse it; request a certificate issued for "
                        "clientAuth")
    return IdentityCheck(None, warnings)
