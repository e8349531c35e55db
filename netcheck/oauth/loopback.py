"""The client's loopback callback: which port and redirect_uri it uses (as the profile's client
picks them), whether that port can be bound, and what ``localhost`` resolves to here.

The machine is reached through :class:`Machine` only (a resolver and a port test), so tests
replace it at that boundary. Binding is the only effect, and it is undone at once: the socket
is closed before anything could connect, and nothing is ever sent to a callback.
"""

from __future__ import annotations

import errno
import os
import random
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from netcheck.net.address import port_problem
from netcheck.profiles.rules import CallbackRules

RANDOM_TRIES = 100  # as Claude Code: this many random ports before its fallback


@dataclass(frozen=True)
class BindResult:
    ok: bool
    errno_name: str | None = None  # "EADDRINUSE", "EACCES", ...
    text: str = ""
    port: int = 0  # the port bound (useful when 0 was asked for)


def bind_and_release(address: str, port: int) -> BindResult:
    """Bind and listen on ``address:port`` as Node's ``listen`` does (SO_REUSEADDR on Unix),
    then close at once."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            if hasattr(socket, "SO_REUSEADDR"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(1)
            bound = int(sock.getsockname()[1])
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, "error")
        return BindResult(False, name, exc.strerror or str(exc))
    return BindResult(True, port=bound)


def resolve_addresses(name: str) -> list[str]:
    """The addresses the system resolver (hosts file first, as configured) gives ``name``, in
    its order, without duplicates; raises ``socket.gaierror``."""
    seen: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass(frozen=True)
class Machine:
    """This machine, as the callback step sees it: replaced whole in tests."""

    resolve: Callable[[str], list[str]] = resolve_addresses
    bind: Callable[[str, int], BindResult] = bind_and_release
    exists: Callable[[str], bool] = os.path.exists  # marker files of remote sessions
    pick: Callable[[int, int], int] = field(default=random.randint)
    windows: bool = sys.platform == "win32"


@dataclass(frozen=True)
class CallbackPlan:
    """The redirect_uri the client sends and the listener behind it."""

    rules: CallbackRules
    port: int
    fixed: bool  # False: the client draws a new port for every login
    source: str  # where the port comes from, for the report
    stand_in: bool = False  # netcheck's guess at an application's port, not the user's

    @property
    def redirect_uri(self) -> str:
        host = self.rules.redirect_host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}{self.rules.path}"


def port_from_variable(rules: CallbackRules, env: Mapping[str, str]) -> int | None:
    value = (env.get(rules.port_variable) or "").strip() if rules.port_variable else ""
    return int(value) if port_problem(value) is None else None


def plan_callback(rules: CallbackRules, fixed_port: int | None, env: Mapping[str, str],
                  machine: Machine) -> CallbackPlan:
    """The port the client would use: the configured one (``--callback-port``, Claude Code's
    ``oauth.callbackPort``), else the profile's variable, else its own pick."""
    if fixed_port is not None:
        return CallbackPlan(rules, fixed_port, True,
                            f"--callback-port ({rules.port_setting or 'the configured port'})")
    from_env = port_from_variable(rules, env)
    if from_env is not None:
        return CallbackPlan(rules, from_env, True, f"env {rules.port_variable}")
    ports = rules.ephemeral_ports_windows if machine.windows and \
        rules.ephemeral_ports_windows else rules.ephemeral_ports
    if ports is not None:
        low, high = ports
        for _ in range(RANDOM_TRIES):
            port = machine.pick(low, high)
            if machine.bind(rules.listen_address, port).ok:
                return CallbackPlan(rules, port, False,
                                    f"a random free port from {low}-{high}, new for every login")
        if rules.fallback_port and machine.bind(rules.listen_address, rules.fallback_port).ok:
            return CallbackPlan(rules, rules.fallback_port, False,
                                f"the fallback port {rules.fallback_port} (no random port free)")
        return CallbackPlan(rules, machine.bind(rules.listen_address, 0).port, False,
                            "a port the system picked (no random port free)")
    if rules.system_port:
        return CallbackPlan(rules, machine.bind(rules.listen_address, 0).port, False,
                            "a port the system picks, new for every login")
    if rules.default_port is not None and rules.port_tries > 1:
        # its own default (mcp-remote's, derived from the URL), and the next ones if taken
        for port in range(rules.default_port, rules.default_port + rules.port_tries):
            if machine.bind(rules.listen_address, port).ok:
                moved = f" ({rules.default_port} is taken)" if port != rules.default_port \
                    else ""
                return CallbackPlan(rules, port, True, f"the client's default port for this "
                                    f"server{moved}, tried in {rules.default_port}-"
                                    f"{rules.default_port + rules.port_tries - 1}")
        return CallbackPlan(rules, rules.default_port, True, "the client's default port for "
                            f"this server; {rules.default_port}-"
                            f"{rules.default_port + rules.port_tries - 1} are all taken")
    return CallbackPlan(rules, rules.default_port or 0, rules.default_port is not None,
                        "netcheck's stand-in for the application's port (set --callback-port)",
                        stand_in=rules.owned_by_application)
