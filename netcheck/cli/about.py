"""What ``--version`` and ``--help`` tell a user: the versions a support engineer asks for, the
examples, the exit statuses. Cheap to import: the versions are read (from the installed
packages' metadata, without importing them) only when ``--version`` is given."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from netcheck import __version__
from netcheck.versions import installed_versions

LIBRARIES = ("httpx", "pyOpenSSL", "cryptography", "dnspython", "rich")

EXIT_STATUSES = """\
exit status:
  0    every hop passed (warnings allowed)
  1    a hop failed: the diagnosis was delivered (verdict and report)
  2    usage error (bad flags or arguments, an unusable URL or report path)
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
