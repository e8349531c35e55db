"""The operating system's certificate store, read where each platform keeps it.

On Linux the store is files (see :func:`netcheck.settings.trust.system_store_paths` and the
profiles' ``system_store``). On Windows and macOS it is not: clients that use "the system store"
there (Claude Code, curl, Go, Python through truststore) ask the platform, so netcheck reads:

=========  ==================================================================================
Windows    the ROOT and CA system stores (``ssl.enum_certificates``), certificates trusted for
           server authentication
macOS      the system roots (``SystemRootCertificates.keychain``) and the System keychain
           (``/Library/Keychains/System.keychain``, where IT installs a corporate root), through
           ``security find-certificate -a -p``
=========  ==================================================================================

The platform is a parameter and the reading functions are injectable, so every platform's path
is tested on any machine (the boundary is simulated, not the logic).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from netcheck.settings.files import parse_certificates

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
WINDOWS_STORES = ("ROOT", "CA")
MACOS_KEYCHAINS = ("/System/Library/Keychains/SystemRootCertificates.keychain",
                   "/Library/Keychains/System.keychain")
SECURITY_TIMEOUT = 15.0

# Windows: ssl.enum_certificates(store) -> [(bytes, "x509_asn" | "pkcs_7_asn", True | {oid})]
EnumCertificates = Callable[[str], Iterable[tuple[bytes, str, Any]]]
RunCommand = Callable[[list[str]], bytes]  # macOS: run `security`, its standard output


@dataclass
class PlatformStore:
    """What the platform's store holds (``certificates``), where it was read (``origin``,
    ``paths``), what could not be used (``skipped``) and why nothing could be read (``error``)."""

    origin: str
    paths: list[str]
    certificates: list[x509.Certificate] = field(default_factory=list)
    skipped: int = 0
    error: str | None = None


def reads_platform_store(platform: str) -> bool:
    """Whether the "system" trust source of ``platform`` is a store the platform keeps
    (Windows, macOS) rather than files (Linux and the other Unixes)."""
    return platform in ("win32", "darwin")


@dataclass(frozen=True)
class StoreReader:
    """Reads the system store of ``platform`` (default: this one)."""

    platform: str = sys.platform
    enum_certificates: EnumCertificates | None = None  # default: ssl.enum_certificates
    run: RunCommand | None = None  # default: a subprocess

    @property
    def reads_platform_store(self) -> bool:
        return reads_platform_store(self.platform)

    def read(self) -> PlatformStore:
        if self.platform == "win32":
            return _read_windows(self.enum_certificates or _enum_certificates)
        if self.platform == "darwin":
            return _read_macos(self.run or _run)
        return PlatformStore(origin=f"{self.platform}: a file store", paths=[],
                             error=f"{self.platform} keeps its store in files")


def _enum_certificates(store: str) -> Iterable[tuple[bytes, str, Any]]:
    import ssl

    enum = getattr(ssl, "enum_certificates", None)
    if enum is None:
        raise OSError("ssl.enum_certificates exists only on Windows")
    result: Iterable[tuple[bytes, str, Any]] = enum(store)
    return result


def _read_windows(enum: EnumCertificates) -> PlatformStore:
    found = PlatformStore(origin="Windows certificate stores ROOT + CA (local machine and "
                                 "current user)", paths=[f"cert store {s}" for s in WINDOWS_STORES])
    problems = []
    for store in WINDOWS_STORES:
        try:
            entries = list(enum(store))
        except OSError as exc:
            problems.append(f"{store}: {exc}")
            continue
        for data, encoding, trust in entries:
            if encoding != "x509_asn" or not (trust is True or SERVER_AUTH in trust):
                found.skipped += 1  # PKCS#7 blobs, or not trusted for server authentication
                continue
            try:
                with warnings.catch_warnings():  # old roots with odd serials still work
                    warnings.simplefilter("ignore")
                    found.certificates.append(x509.load_der_x509_certificate(data))
            except ValueError:
                found.skipped += 1
    found.certificates = list(dict.fromkeys(found.certificates))
    if not found.certificates:
        found.error = "the Windows certificate stores hold no usable certificate" + (
            f" ({'; '.join(problems)})" if problems else "")
    return found


def _run(args: list[str]) -> bytes:
    import subprocess  # here: macOS only, and the trust stores are read on every check

    done = subprocess.run(args, capture_output=True, timeout=SECURITY_TIMEOUT, check=True)
    return done.stdout


def _read_macos(run: RunCommand) -> PlatformStore:
    import subprocess

    found = PlatformStore(origin="macOS system roots + System keychain (security "
                                 "find-certificate)", paths=list(MACOS_KEYCHAINS))
    problems = []
    for keychain in MACOS_KEYCHAINS:
        try:
            output = run(["security", "find-certificate", "-a", "-p", keychain])
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"{keychain}: {exc.__class__.__name__}")
            continue
        certificates, bad = parse_certificates(output)
        found.certificates.extend(certificates)
        found.skipped += bad
    found.certificates = list(dict.fromkeys(found.certificates))
    if not found.certificates:
        found.error = "the macOS keychains hold no usable certificate" + (
            f" ({'; '.join(problems)})" if problems else "")
    return found
