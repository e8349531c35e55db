"""A throwaway PKI for the tests, built with trustme at test time (so nothing ever expires).

``python -m tests.pki DIR`` writes the same set of files to DIR for manual experiments
(see certs-fixtures/README.md).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSPHRASE = "correct horse battery staple"
SERVER_NAMES = ("localhost", "127.0.0.1", "mcp.test", "auth.test", "auth2.test", "blocked.test")


@dataclass
class Pki:
    root: Path
    public_ca: trustme.CA
    inspection_ca: trustme.CA
    client_ca: trustme.CA
    other_client_ca: trustme.CA

    def path(self, name: str) -> str:
        return str(self.root / name)


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _key_pem(cert: trustme.LeafCert) -> bytes:
    return cert.private_key_pem.bytes()


def _cert_pem(cert: trustme.LeafCert) -> bytes:
    return cert.cert_chain_pems[0].bytes()


def _load_key(pem: bytes):  # type: ignore[no-untyped-def]
    return serialization.load_pem_private_key(pem, None)


def _server_only_cert(ca: trustme.CA, key, name: str) -> bytes:  # type: ignore[no-untyped-def]
    """A certificate without clientAuth in its EKU (for the EKU check)."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _partial_wildcard_server(ca: trustme.CA, root: Path) -> None:
    """A server certificate whose only name is the partial wildcard ``m*.corp.test`` (trustme
    refuses to write one): Node accepts it for mcp.corp.test, OpenSSL's clients do not."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "m*.corp.test")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("m*.corp.test")]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _write(root / "server-partial-wildcard.pem", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
        + ca.cert_pem.bytes())


def _ca_with_awkward_name(root: Path) -> None:
    """A client CA whose name has a comma inside a value and an email attribute (as many
    corporate CAs do), its certificate, and a client certificate it issued."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme, Inc."),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, "pki@acme.example"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Acme Client CA")])
    now = dt.datetime.now(dt.UTC)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
          .public_key(key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(key, hashes.SHA256()))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bob@acme.example")]))
            .issuer_name(name).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    _write(root / "acme-client-ca.pem", ca.public_bytes(pem))
    _write(root / "acme-client.pem", leaf.public_bytes(pem))
    _write(root / "acme-client.key", leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def build(root: Path) -> Pki:
    root.mkdir(parents=True, exist_ok=True)
    pki = Pki(
        root=root,
        public_ca=trustme.CA(organization_name="Public Test Roots"),
        inspection_ca=trustme.CA(organization_name="Zscaler Inc.",
                                 organization_unit_name="Zscaler Root CA"),
        client_ca=trustme.CA(organization_name="Corp Client CA"),
        other_client_ca=trustme.CA(organization_name="Other Client CA"),
    )
    _write(root / "public-ca.pem", pki.public_ca.cert_pem.bytes())
    _write(root / "inspection-ca.pem", pki.inspection_ca.cert_pem.bytes())
    _write(root / "inspection-ca.key", pki.inspection_ca.private_key_pem.bytes())
    _write(root / "client-ca.pem", pki.client_ca.cert_pem.bytes())
    _write(root / "not-a-cert.pem", b"this is not a certificate\n")

    server = pki.public_ca.issue_cert(*SERVER_NAMES)
    server.private_key_and_cert_chain_pem.write_to_path(str(root / "server.pem"))
    expired_server = pki.public_ca.issue_cert(
        *SERVER_NAMES, not_before=dt.datetime(2020, 1, 1), not_after=dt.datetime(2021, 1, 1))
    expired_server.private_key_and_cert_chain_pem.write_to_path(str(root / "server-expired.pem"))
    other_name = pki.public_ca.issue_cert("other.example")
    other_name.private_key_and_cert_chain_pem.write_to_path(str(root / "server-wrong-name.pem"))

    client = pki.client_ca.issue_cert("alice@corp.example")
    _write(root / "client.pem", _cert_pem(client))
    _write(root / "client.key", _key_pem(client))
    _write(root / "client-combined.pem", _cert_pem(client) + _key_pem(client))
    key = _load_key(_key_pem(client))
    cert = x509.load_pem_x509_certificate(_cert_pem(client))
    _write(root / "client.der", cert.public_bytes(serialization.Encoding.DER))
    _write(root / "client-key.der", key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    secret = PASSPHRASE.encode()
    _write(root / "client-pkcs8-encrypted.key", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret)))
    _write(root / "client-traditional-encrypted.key", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(secret)))
    _write(root / "client.p12", pkcs12.serialize_key_and_certificates(
        b"alice", key, cert, None, serialization.BestAvailableEncryption(secret)))

    other = pki.other_client_ca.issue_cert("mallory@other.example")
    _write(root / "other-client.pem", _cert_pem(other))
    _write(root / "other-client.key", _key_pem(other))

    expired = pki.client_ca.issue_cert("old@corp.example", not_before=dt.datetime(2020, 1, 1),
                                       not_after=dt.datetime(2021, 1, 1))
    _write(root / "expired-client.pem", _cert_pem(expired))
    _write(root / "expired-client.key", _key_pem(expired))

    server_only_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write(root / "serverauth-only.pem", _server_only_cert(pki.client_ca, server_only_key,
                                                           "web@corp.example"))
    _write(root / "serverauth-only.key", server_only_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    _ca_with_awkward_name(root)
    _partial_wildcard_server(pki.public_ca, root)
    # a server whose certificate comes from the company's own CA (no proxy involved), and a
    # TLS-inspecting proxy's root that names no product: told apart by the chain fetched
    # directly (netcheck.hops.direct_chain)
    private = trustme.CA(organization_name="Acme Internal Server CA")
    _write(root / "private-server-ca.pem", private.cert_pem.bytes())
    private.issue_cert(*SERVER_NAMES).private_key_and_cert_chain_pem.write_to_path(
        str(root / "server-private-ca.pem"))
    egress = trustme.CA(organization_name="Acme Egress Gateway")
    _write(root / "egress-ca.pem", egress.cert_pem.bytes())
    _write(root / "egress-ca.key", egress.private_key_pem.bytes())
    # the proxy's signing key for intercepted leaf certificates (proxy.py needs its own)
    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write(root / "inspection-signing.key", signing.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    return pki


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "certs-fixtures/out")
    build(out)
    print(f"wrote the test PKI to {out}")
