"""One user's situation (:class:`Setup`) and a real client behind one interface
(:class:`Client`): what the drivers and the cases share (``clients.py`` lists the clients)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.real_clients.agreement import Outcome, Request
from tests.real_clients.netcheck_run import run_netcheck
from tests.real_clients.sandbox import Sandbox


@dataclass(frozen=True)
class Cert:
    cert: str
    key: str | None = None
    passphrase: str | None = None  # given to SDK programs through a variable


@dataclass
class Setup:
    """One user's situation, for one client."""

    url: str
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, str | dict[str, Any]] = field(default_factory=dict)  # path -> content
    cert: Cert | None = None  # what an SDK program is given (Claude Code: variables)
    netcheck_args: tuple[str, ...] = ()  # what the user tells netcheck besides the variables
    job: dict[str, Any] = field(default_factory=dict)  # driver options (e.g. requestTls)
    server_config: dict[str, Any] = field(default_factory=dict)  # Claude Code: oauth, headers
    log: Callable[[], list[Request]] | None = None  # what the lab's servers answered


@dataclass(frozen=True)
class Client:
    """A real client: its name in the table, the profile claiming to be it, how far its
    driver goes, and how to run it."""

    name: str
    profile: str
    depth: str
    run: Callable[[Sandbox, Setup], Outcome]
    # how its users make it trust one more CA (a file): the lab's CA is given so
    trusts: Callable[[str], dict[str, str]] = lambda ca: {"NODE_EXTRA_CA_CERTS": ca}
    # steps beyond ``depth`` the client meets before the browser (mcp-remote's callback)
    also: frozenset[str] = frozenset()

    def netcheck(self, box: Sandbox, setup: Setup, at: Path | None = None,
                 profile: str | None = None) -> dict[str, Any]:
        """netcheck's report for ``setup`` with this client's profile (``at``: another
        netcheck's repository, to compare releases; ``profile``: the one that netcheck gave
        this client's users, where it had none of its own)."""
        args = list(setup.netcheck_args)
        if self.profile == "mcp-remote" and profile is None:  # its flags, as the entry has them
            args += [f"--client-arg={a}" for a in setup.server_config.get("args", [])]
        if setup.cert is not None and self.profile != "claude-code":
            args += ["--cert", setup.cert.cert] + (["--key", setup.cert.key]
                                                   if setup.cert.key else [])
            if setup.cert.passphrase is not None:
                args += ["--key-passphrase-env", "CLIENT_KEY_PASSPHRASE"]
        env = dict(setup.env)
        if setup.cert is not None and setup.cert.passphrase is not None:
            env["CLIENT_KEY_PASSPHRASE"] = setup.cert.passphrase
        return run_netcheck(box, setup.url, profile or self.profile, env, tuple(args), repo=at)
