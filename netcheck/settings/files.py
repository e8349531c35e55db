"""Reading local certificate material safely: every failure becomes a sentence, not a traceback."""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from cryptography import x509

T = TypeVar("T")
MAX_FILE_BYTES = 16 * 1024 * 1024
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)


class LocalFileError(Exception):
    """A local file could not be used; the message names the file and the problem."""


def read_local_file(path: str, what: str) -> bytes:
    """The bytes of ``path``, or a :class:`LocalFileError` saying why not (opened once and
    checked through its handle: a store read file by file reads a few hundred)."""
    try:
        with open(os.path.expanduser(path), "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise LocalFileError(
                    f"{what} {path} is {size // (1024 * 1024)} MiB, too large to be "
                    "certificate material")
            data = fh.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise LocalFileError(f"{what} {path} is a directory, not a file") from None
    except FileNotFoundError:
        raise LocalFileError(f"{what} {path} does not exist") from None
    except PermissionError:
        if os.path.isdir(os.path.expanduser(path)):  # what Windows says of a directory
            raise LocalFileError(f"{what} {path} is a directory, not a file") from None
        raise LocalFileError(f"{what} {path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise LocalFileError(f"{what} {path} cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise LocalFileError(f"{what} {path} is empty")
    return data


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """``(label, whole block)`` for each PEM block in ``data``."""
    return [(m.group(1).decode(), m.group(0)) for m in PEM_BLOCK.finditer(data)]


def pem_bodies(data: bytes) -> set[bytes]:
    """The base64 bodies of the certificate blocks in ``data``, whitespace removed."""
    return {b"".join(m.group(2).split()) for m in PEM_BLOCK.finditer(data)
            if m.group(1) in (b"CERTIFICATE", b"TRUSTED CERTIFICATE")}


def parse_certificates(data: bytes) -> tuple[list[x509.Certificate], int]:
    """Certificates in a PEM bundle or a single DER certificate, and how many blocks failed."""
    blocks = [b for label, b in pem_blocks(data) if label in ("CERTIFICATE", "TRUSTED CERTIFICATE",
                                                               "X509 CERTIFICATE")]
    if not blocks:
        try:
            return [x509.load_der_x509_certificate(data)], 0
        except ValueError:
            return [], 0
    certs, bad = [], 0
    with warnings.catch_warnings():  # old roots with odd serials still work in OpenSSL
        warnings.simplefilter("ignore")
        for block in blocks:
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                bad += 1
    return certs, bad


def certificate_files_in(directory: str) -> list[str]:
    """The certificate files of an OpenSSL-style directory: its subject-hash links (what
    OpenSSL reads), or its *.pem / *.crt files when it has no such links."""
    try:
        names = sorted(n for n in os.listdir(directory)
                       if os.path.isfile(os.path.join(directory, n)))
    except OSError:
        return []
    hashed = [n for n in names if re.fullmatch(r"[0-9a-f]{8}\.\d+", n)]
    chosen = hashed or [n for n in names if n.endswith((".pem", ".crt"))]
    return [os.path.join(directory, n) for n in chosen]


class UnchangedFileCache:
    """What was worked out from a file, kept while the file is unchanged (same inode, size
    and modification time). One process may run several checks (every configured server, the
    demo's two runs) that read the same trust stores: a store of a few hundred certificates
    costs tens of milliseconds to read each time."""

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._known: dict[tuple[object, ...], Any] = {}
        self._lock = threading.Lock()

    def get(self, paths: Sequence[str], tag: object, work: Callable[[], T]) -> T:
        """``work()``, or its earlier result for the same ``tag`` and unchanged ``paths``;
        raising is never remembered."""
        stamps: list[object] = [tag]
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                return work()
            stamps.append((os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns))
        key = tuple(stamps)
        with self._lock:
            if key in self._known:
                return cast(T, self._known[key])
        value = work()
        with self._lock:
            if len(self._known) >= self.MAX_ENTRIES:
                self._known.clear()
            self._known[key] = value
        return value


unchanged = UnchangedFileCache()  # the process's one cache


def certificates_in_file(path: str, what: str) -> tuple[list[x509.Certificate], int]:
    """:func:`parse_certificates` of ``path``, read once while it is unchanged."""
    return unchanged.get([path], "certificates",
                         lambda: parse_certificates(read_local_file(path, what)))


def certificate_bodies_in_file(path: str, what: str) -> set[bytes]:
    """:func:`pem_bodies` of ``path``, read once while it is unchanged."""
    return unchanged.get([path], "bodies", lambda: pem_bodies(read_local_file(path, what)))
