"""Checking several MCP servers side by side: each one an independent :func:`run_check` (its
own settings, connections, deadline and redactor), at most ``max_workers`` at a time.

Nothing module-level is shared between runs: netcheck keeps no caches (no ``lru_cache``, no
module dicts that runs write to), the connection pool and the deadline belong to each run's
:class:`~netcheck.run_context.RunContext`, and the environment is passed in, never modified.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from netcheck.configs import BY_NAME
from netcheck.configs.model import ConfiguredServer
from netcheck.defaults import DEFAULT_PARALLEL
from netcheck.redaction import Redactor, redact_url
from netcheck.runner import CheckRun, run_check
from netcheck.settings.gather import Options, UsageError

COMMAND_LINE = "command line"


@dataclass(frozen=True)
class CheckTarget:
    """A server and how to check it; ``options`` is None when it is not checked (``skip``
    says why)."""

    server: ConfiguredServer
    options: Options | None
    skip: str | None = None
    applicable: bool = True  # False: a local (stdio) server, no network path to check
    nearest: str | None = None  # why the profile is not the client itself


@dataclass
class ServerCheck:
    target: CheckTarget
    run: CheckRun | None = None
    error: str | None = None  # why the check could not start (already redacted)


def from_command_line(url: str, base: Options) -> CheckTarget:
    server = ConfiguredServer(name=redact_url(url), client=None, config_file=None,
                              scope=COMMAND_LINE, transport="http", url=url)
    return CheckTarget(server, dataclasses.replace(base, url=url))


def target_for(server: ConfiguredServer, base: Options,
               profile: str | None = None) -> CheckTarget:
    """How ``server`` is checked: with what its client would send, as the client's profile
    (or ``profile``, given with ``--client``); flags given on the command line win."""
    client = BY_NAME.get(server.client or "")
    if server.bridge is not None:  # the client runs a bridge: its network path is the bridge's
        chosen = profile or server.bridge
        nearest = None
    else:
        chosen = profile or (client.profile if client else base.client)
        nearest = client.nearest if client and not profile else None
    if server.unused:
        return CheckTarget(server, None, f"not used: {server.unused}", nearest=nearest)
    if not server.remote:
        return CheckTarget(server, None, "a local (stdio) server: no network path to check",
                           applicable=False, nearest=nearest)
    if server.problem or server.url is None:
        return CheckTarget(server, None, server.problem or "no URL", nearest=nearest)
    broken = [name for name, value in server.headers if "\n" in value.reveal() or
              "\r" in value.reveal()]
    if broken:
        return CheckTarget(server, None, f"header {broken[0]} has a line break in its value: "
                                         "no client can send it", nearest=nearest)
    options = dataclasses.replace(
        base, url=server.url, client=chosen, transport=server.transport,
        headers=(*(f"{name}: {value.reveal()}" for name, value in server.headers),
                 *base.headers),
        client_id=base.client_id or server.client_id,
        auth_server_metadata=base.auth_server_metadata or server.auth_server_metadata_url,
        callback_port=base.callback_port or server.callback_port,
        claude_settings=base.claude_settings if chosen == "claude-code" else (),
        client_flags=(*server.client_flags, *base.client_flags)
        if chosen == server.bridge else base.client_flags,
        client_release=server.bridge_release if chosen == server.bridge else None)
    return CheckTarget(server, options, nearest=nearest)


def secrets_of(targets: Sequence[CheckTarget]) -> Redactor:
    """A redactor that knows every header value and every value a variable put in a URL."""
    redactor = Redactor()
    for target in targets:
        for _name, value in target.server.headers:
            redactor.add(value)
            _scheme, _, token = value.reveal().partition(" ")
            redactor.add(token)
        for secret in target.server.url_secrets:
            redactor.add(secret)
        for line in target.options.headers if target.options else ():
            redactor.add(line.partition(":")[2].strip())
    return redactor


def check_many(targets: Sequence[CheckTarget], max_workers: int = DEFAULT_PARALLEL, *,
               environ: Mapping[str, str] | None = None,
               on_done: Callable[[ServerCheck], None] | None = None) -> list[ServerCheck]:
    """Check every target that has options, at most ``max_workers`` at a time; the results
    come in the order of ``targets``. ``on_done`` is called (from a worker thread) as each
    finishes."""
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    env = dict(environ or {})
    redactor = secrets_of(targets)

    def one(target: CheckTarget) -> ServerCheck:
        result = ServerCheck(target)
        if target.options is not None:
            try:
                result.run = run_check(target.options, env)
            except UsageError as exc:
                result.error = redactor.scrub(str(exc))
            except Exception as exc:  # noqa: BLE001 - one server's bug must not stop the rest
                result.error = (f"internal error ({exc.__class__.__name__}); this is a bug in "
                                "netcheck: check this server alone with --traceback")
        if on_done is not None:
            on_done(result)
        return result

    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="netcheck-server")
    try:
        return list(pool.map(one, targets))
    finally:  # interrupted: start no further run (those under way end at their deadline)
        pool.shutdown(wait=False, cancel_futures=True)
