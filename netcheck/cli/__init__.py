"""The command line: parse arguments, run, render. The only layer that prints.

Exit status: 0 every hop passed (warnings allowed), 1 a hop failed (a diagnosis was delivered),
2 usage error (bad flags, unusable URL, unusable report path), 3 internal error (a bug in
netcheck), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any

from netcheck.cli.about import EPILOG, EXIT_STATUSES, VersionAction
from netcheck.cli.program import DEFAULT_REPORT, PROG, ExitStatus
from netcheck.defaults import (
    DEFAULT_CALLBACK_WAIT,
    DEFAULT_DEADLINE,
    DEFAULT_PARALLEL,
    DEFAULT_TIMEOUT,
)
from netcheck.profiles.catalog import help_text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2 itself; keep it, with our text
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{PROG}: error: {message}\n")


def _add_network_options(p: argparse.ArgumentParser, many: bool = False,
                         login: bool = False) -> None:
    if login:
        p.add_argument("url", nargs="?", help="the MCP server URL (or --server NAME)")
    elif many:
        p.add_argument("url", nargs="*", help="the MCP server URL, e.g. "
                       "https://mcp.example.com/mcp; several are checked side by side; none: "
                       "every server configured in the MCP clients here")
    else:
        p.add_argument("url", help="the MCP server URL, e.g. https://mcp.example.com/mcp")
    p.add_argument("--client", default=None, metavar="PROFILE",
                   help="the client to check as, each measured against the release named: "
                        f"{help_text()}; default claude-code (configured servers: the "
                        "profile of the client configuring them)")
    p.add_argument("--proxy", metavar="URL",
                   help="use this proxy, as if HTTPS_PROXY/HTTP_PROXY were set to it")
    p.add_argument("--no-proxy", metavar="LIST", help="as if NO_PROXY were set to LIST")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Find which network hop breaks an MCP client's "
                     "connection or OAuth login, and what to change.", epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=VersionAction,
                        help="show netcheck's version, Python's, OpenSSL's and its libraries'")
    parser.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-color", action="store_true",
                        help="no colour (as does a non-empty NO_COLOR variable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="walk every hop to an MCP server and diagnose",
                           epilog=EXIT_STATUSES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_network_options(check, many=True)
    check.add_argument("--server", metavar="NAME",
                       help="check the configured server of this name (see netcheck servers)")
    check.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, metavar="N",
                       help=f"check at most N servers at a time (default {DEFAULT_PARALLEL})")
    _add_check_options(check)
    login = sub.add_parser("login", help="log in for real, as the client does: browser, "
                           "callback, code exchange, the MCP server called with the token, "
                           "refresh (the one command with side effects)",
                           epilog=EXIT_STATUSES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_network_options(login, login=True)
    login.add_argument("--server", metavar="NAME",
                       help="log in to the configured server of this name (see netcheck "
                            "servers)")
    login.add_argument("--no-browser", action="store_true",
                       help="print the authorization URL instead of opening a browser, and "
                            "take the URL the browser ends on pasted on standard input")
    login.add_argument("--client-secret-env", metavar="NAME",
                       help="the variable holding the client secret of --client-id (a "
                            "confidential pre-registered client); never pass it as a flag")
    login.add_argument("--callback-wait", type=float, default=DEFAULT_CALLBACK_WAIT,
                       metavar="SECONDS", help="how long to wait for the browser to come back "
                       f"(default {DEFAULT_CALLBACK_WAIT:g})")
    _add_check_options(login)

    demo = sub.add_parser("demo", help="run the whole check against an embedded lab on "
                          "loopback: healthy, then with a realistic fault")
    demo.add_argument("--fault", metavar="NAME",
                      help="the fault to plant (default tls-inspection; see --list-faults)")
    demo.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    demo.add_argument("--json", metavar="PATH", default="netcheck-demo-report.json",
                      help="where the faulty run's report goes (default "
                           "netcheck-demo-report.json)")
    demo.add_argument("-v", "--verbose", action="store_true", help="show every hop's evidence")

    servers = sub.add_parser("servers", help="list the MCP servers the clients here configure "
                             "(Claude Code, Codex, Gemini CLI, Copilot CLI, Claude Desktop, "
                             "VS Code, Cursor, Windsurf)")
    servers.add_argument("--json", metavar="PATH", help="'-' prints the list as JSON")

    proxy = sub.add_parser("proxy", help="show the proxy each client model picks for a URL")
    _add_network_options(proxy)
    proxy.add_argument("--json", metavar="PATH", help="'-' prints the decisions as JSON")
    _add_report_commands(sub)
    for command in sub.choices.values():  # accepted after the command too
        command.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                             help=argparse.SUPPRESS)
        command.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS,
                             help="no colour (as does a non-empty NO_COLOR variable)")
    return parser


def _add_check_options(p: argparse.ArgumentParser) -> None:
    """The options of one check (check and login)."""
    p.add_argument("--cert", metavar="PATH", help="client certificate (PEM, DER, .p12/.pfx)")
    p.add_argument("--key", metavar="PATH", help="client private key, if not in --cert")
    p.add_argument("--key-passphrase-env", metavar="NAME",
                       help="variable holding the key passphrase (default "
                            "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE); never pass it as a flag")
    p.add_argument("--cacert", metavar="PATH", action="append", default=[],
                       help="extra trusted CA certificates (PEM); repeatable")
    p.add_argument("--proxy-cacert", metavar="PATH", action="append", default=[],
                       help="curl profile: CA certificates for an https:// proxy's own "
                            "certificate, as curl's --proxy-cacert (curl never uses --cacert "
                            "for the proxy); repeatable")
    p.add_argument("--public-roots", metavar="PATH",
                       help="treat this bundle as the public roots instead of certifi's")
    p.add_argument("--dns-server", metavar="IP[:PORT]",
                       help="ask this DNS resolver instead of the system's")
    p.add_argument("--claude-settings", metavar="FILE_OR_JSON", action="append",
                       default=[], help="settings given to claude with --settings (a file or "
                                        "JSON); its env block applies as Claude Code applies it")
    p.add_argument("--client-arg", metavar="ARG", action="append", default=[],
                       help="an argument the client runs with for this server, as in its "
                            "configuration (mcp-remote: --client-arg=--enable-proxy, "
                            "--client-arg=--host --client-arg=127.0.0.1); repeatable")
    p.add_argument("-H", "--header", metavar="'NAME: VALUE'", action="append", default=[],
                       help="a header the client sends (as in the server's config 'headers'); "
                            "its value is never shown")
    oauth = p.add_argument_group("OAuth flow")
    oauth.add_argument("--client-id", metavar="ID",
                       help="a pre-registered client id (Claude Code: the server's "
                            "oauth.clientId); registration is then not probed")
    oauth.add_argument("--callback-port", metavar="PORT", type=int,
                       help="the client's fixed loopback callback port (Claude Code: the "
                            "server's oauth.callbackPort); default: as the client picks it")
    oauth.add_argument("--client-metadata-url", metavar="URL",
                       help="a Client ID Metadata Document to fetch and validate")
    oauth.add_argument("--auth-server-metadata", metavar="URL",
                       help="the authorization server metadata URL, skipping discovery "
                            "(Claude Code: oauth.authServerMetadataUrl)")
    oauth.add_argument("--no-oauth", action="store_true",
                       help="check only the MCP server's first request, not the OAuth flow")
    oauth.add_argument("--register", action="store_true",
                       help="register a client for real (named as a connectivity check) and "
                            "delete it again through RFC 7592 when the server allows; by "
                            "default registration is only probed and no client is created")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"bound on each hop's wait (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE, metavar="SECONDS",
                       help="bound on the whole run; the report says where it stopped "
                            f"(default {DEFAULT_DEADLINE:g})")
    p.add_argument("--no-reuse", action="store_true",
                       help="open a new connection for every request instead of keeping one "
                            "per origin alive as clients do (each step then shows every hop)")
    p.add_argument("--json", metavar="PATH", default=DEFAULT_REPORT,
                       help=f"write the JSON report here (default {DEFAULT_REPORT}; '-' for "
                            "stdout, human output then goes to stderr)")
    p.add_argument("--no-json", action="store_true", help="do not write a report file")
    p.add_argument("-v", "--verbose", action="store_true", help="show every hop's evidence")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")
    _add_round_trip_options(p)


def _add_round_trip_options(check: argparse.ArgumentParser) -> None:
    check.add_argument("--label", metavar="TEXT",
                       help="a name for this run in the report, e.g. 'office VPN', so two "
                            "reports can be told apart (the host name and OS are always in it)")
    check.add_argument("--anonymize", action="store_true",
                       help="replace user names, certificate subjects, internal host names and "
                            "addresses with placeholders in every output, for public trackers")
    check.add_argument("--markdown", metavar="PATH",
                       help="also write a Markdown summary for an issue tracker ('-': stdout)")


def _add_report_commands(sub: Any) -> None:
    show = sub.add_parser("show", help="render a received report as the terminal showed it")
    show.add_argument("report", metavar="REPORT.json")
    show.add_argument("-v", "--verbose", action="store_true", help="show every hop's evidence")
    show.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")
    show.add_argument("--anonymize", action="store_true",
                      help="anonymize the report first (as check --anonymize), for posting")
    show.add_argument("--markdown", metavar="PATH",
                      help="write a Markdown summary for an issue tracker ('-': stdout)")
    show.add_argument("--json", metavar="PATH",
                      help="write the report as shown (e.g. anonymized) as JSON ('-': stdout)")
    diff = sub.add_parser("diff", help="compare two reports of the same server: the settings "
                          "that differ, and where the outcomes part (exit 1 when they do)")
    diff.add_argument("a", metavar="A.json")
    diff.add_argument("b", metavar="B.json")
    summarize = sub.add_parser("summarize", help="count many reports (one per machine or "
                               "site) by verdict, step, proxy and client release")
    summarize.add_argument("paths", metavar="DIR_OR_FILE", nargs="+",
                           help="report files, or folders searched for *.json")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
         stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run netcheck; returns the exit status. Never raises for any input."""
    environ = dict(os.environ if environ is None else environ)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stdout)
        return ExitStatus.USAGE
    if getattr(args, "client", "") is None and not _many(args) and \
            not (args.command == "login" and args.server):
        args.client = "claude-code"
    from netcheck.cli.output import SafeStream

    err = SafeStream(stderr)  # a message must reach a cp1252 console too
    try:
        if args.command == "servers":
            from netcheck.cli.servers_command import run_servers

            return run_servers(args, environ, stdout)
        if args.command == "check" and _many(args):
            from netcheck.cli.check_command import options_from
            from netcheck.cli.servers_command import run_many

            return run_many(args, options_from(args), environ, stdout, stderr)
        if args.command == "check":
            args.url = args.url[0]
        if args.command == "demo":
            from netcheck.cli.demo_command import run_demo

            return run_demo(args, stdout, environ)
        if args.command == "show":
            from netcheck.cli.show_command import run_show

            return run_show(args, stdout, stderr)
        if args.command == "diff":
            from netcheck.cli.diff_command import run_diff

            return run_diff(args, stdout, stderr)
        if args.command == "summarize":
            from netcheck.cli.summarize_command import run_summarize

            return run_summarize(args, stdout, stderr)
        if args.command == "login":
            from netcheck.cli.login_command import run_login_command

            return run_login_command(args, environ, stdout, stderr)
        if args.command == "proxy":
            from netcheck.cli.proxy_command import run_proxy

            return run_proxy(args, environ, stdout)
        from netcheck.cli.check_command import run_check_command

        return run_check_command(args, environ, stdout, stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return ExitStatus.INTERRUPTED
    except Exception as exc:  # the last line of defence: a diagnosis, not a traceback
        from netcheck.settings.gather import UsageError

        if isinstance(exc, UsageError):
            print(f"{PROG}: error: {exc}", file=err)
            return ExitStatus.USAGE
        if args.traceback:
            raise
        # The message itself is not printed: it could hold a value we must not show.
        print(f"{PROG}: internal error ({exc.__class__.__name__}); this is a bug in netcheck: "
              "run again with --traceback and report it", file=err)
        return ExitStatus.INTERNAL


def _many(args: argparse.Namespace) -> bool:
    """``check`` without a URL, with several, or with ``--server``."""
    return args.command == "check" and (len(args.url) != 1 or args.server is not None)


def run() -> None:
    """Console-script entry point."""
    status = main()
    try:
        sys.stdout.flush()
    except OSError:  # the reader left (| head; EINVAL on Windows): the rest goes nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    # Everything is said and the report is written: leave without tearing the interpreter
    # down. Threads still waiting on the network after Ctrl-C (steps sent side by side,
    # connections opened ahead) would hold the exit until their bounds, and finalizing the
    # modules a check loads costs tens of milliseconds on every run.
    os._exit(status)


__all__ = ["DEFAULT_REPORT", "PROG", "ExitStatus", "build_parser", "main", "run"]
