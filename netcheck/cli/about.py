"""What ``--version`` and ``--help`` tell a user: the versions a support engineer asks for, the
examples, the exit statuses. Cheap to import: the versions are read (from the installed
packages' metadata, without importing them) only when ``--version`` is given."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from netcheck import __version__

LIBRARIES = ("httpx", "pyOpenSSL", "cryptography", "dnspython", "rich")

EXIT_STATUSES = """\
exit status:
  0    every hop passed (warnings allowed)
  1    a hop failed: the diagnosis was delivered (verdict and report)
  2    usage error (bad flags or arguments, an unusable URL)
  3    internal error: a bug in netcheck (run again with --traceback and report it)
  130  interrupted (Ctrl-C)"""

EXAMPLES = """\
examples:
  netcheck check https://mcp.example.com/mcp                  as Claude Code would connect
  netcheck check https://mcp.example.com/mcp --client curl    as curl would
  netcheck check https://mcp.example.com/mcp --proxy http://proxy.corp:3128 --cacert corp.pem
  netcheck proxy https://mcp.example.com/mcp                  who would use which proxy
  netcheck demo                                               a healthy run, then a fault"""

EPILOG = f"{EXAMPLES}\n\n{EXIT_STATUSES}"


def installed_versions(names: Sequence[str],
                       paths: Sequence[str] | None = None) -> dict[str, str | None]:
    """The installed version of each distribution in ``names`` (None: not installed), read
    from the names of the ``*.dist-info`` folders on ``paths`` (``sys.path``): one directory
    listing each, where importing ``importlib.metadata`` alone would double the start-up time
    of ``--version``. A distribution not found so is asked of ``importlib.metadata``."""
    wanted = {_normalized(n): n for n in names}
    found: dict[str, str | None] = {}
    for path in sys.path if paths is None else paths:
        try:
            entries = os.listdir(path or ".")
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            dist, _, version = stem.partition("-")
            name = wanted.get(_normalized(dist))
            if name is not None and name not in found and version:
                found[name] = version.partition("-")[0]
    missing = [n for n in names if n not in found]
    if missing:
        from importlib import metadata

        for name in missing:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = None
    return {name: found[name] for name in names}


def _normalized(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def version_text() -> str:
    """netcheck's version, then Python's and OpenSSL's, then its libraries'."""
    import _ssl  # what ssl.OPENSSL_VERSION reads, without the cost of importing ssl

    python = ".".join(str(n) for n in sys.version_info[:3])
    libraries = [f"{name} {version or '(not installed)'}"
                 for name, version in installed_versions(LIBRARIES).items()]
    return "\n".join([
        f"netcheck {__version__}",
        f"Python {python} ({sys.implementation.name}, {sys.platform}); {_ssl.OPENSSL_VERSION} "
        "(Python's ssl; pyOpenSSL uses the one cryptography ships)",
        ", ".join(libraries),
    ])


class VersionAction(argparse.Action):
    """``--version``: print :func:`version_text` and exit 0."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> NoReturn:
        print(version_text())
        parser.exit(0)
