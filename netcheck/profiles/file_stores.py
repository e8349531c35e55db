"""Stores made of files as a client reads them on Linux: a bundle file and every certificate
file of some directories (Go's crypto/x509)."""

from __future__ import annotations

import os

from netcheck.profiles.rules import Env

# Go's crypto/x509 (root_linux.go, root_unix.go): the first bundle file found, then every
# file of every directory; SSL_CERT_FILE replaces the files, SSL_CERT_DIR the directories
GO_CERT_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                 "/etc/ssl/ca-bundle.pem", "/etc/pki/tls/cacert.pem",
                 "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem")
GO_CERT_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")


def go_cert_dirs(env: Env) -> list[str]:
    """The directories Go reads every file of, those that hold any: SSL_CERT_DIR (a ':'
    list), else its own."""
    dirs = [d for d in env["SSL_CERT_DIR"].split(":") if d] if env.get("SSL_CERT_DIR") else \
        list(GO_CERT_DIRS)
    return [d for d in dirs if _holds_files(d)]


def _holds_files(directory: str) -> bool:
    try:
        return any(entry.is_file() for entry in os.scandir(directory))
    except OSError:
        return False


def go_system_store(env: Env) -> tuple[list[str], str]:
    """Go's system roots on Linux: SSL_CERT_FILE or the first bundle file found, and every
    file in :func:`go_cert_dirs` (read whatever SSL_CERT_FILE says)."""
    if env.get("SSL_CERT_FILE"):
        files = [env["SSL_CERT_FILE"]]
    else:
        files = next(([f] for f in GO_CERT_FILES if os.path.isfile(f)), [])
    dirs = go_cert_dirs(env)
    seen = {os.path.realpath(f) for f in files}
    for directory in dirs:
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            real = os.path.realpath(path)
            if real not in seen and os.path.isfile(real):
                seen.add(real)
                files.append(path)
    origin = " + ".join(filter(None, [
        "env SSL_CERT_FILE" if env.get("SSL_CERT_FILE") else "Go's first bundle file",
        ("every file in " + ("env SSL_CERT_DIR" if env.get("SSL_CERT_DIR") else
                             ", ".join(dirs))) if dirs else ""]))
    return files, origin
