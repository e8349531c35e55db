"""Step ``callback``: the browser's way back to the client after the user signs in.

The authorization server sends the browser to the client's loopback ``redirect_uri``
(Claude Code: ``http://localhost:PORT/callback``, listening on 127.0.0.1). Three hops, all
checked on this machine and in this order, as the browser meets them:

- ``remote_session``: is the browser on this machine at all? SSH, WSL, a container or a cloud
  workspace mean ``localhost`` in the browser is another machine: the port must be forwarded
  (a warning with the command; a port the client draws at random must be fixed first);
- ``localhost_resolve``: does ``localhost`` resolve here to the address the client listens on?
- ``callback_port``: can the port be bound on that address (bound and released at once)?

Nothing is sent to the callback. The redirect_uri itself is checked against the authorization
server in step ``authorization_endpoint``, which sends it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from netcheck.model import Code, Hop, HopResult, Status, Step, StepResult, failed
from netcheck.net.deadline import Stopwatch, Timeout, call_bounded
from netcheck.oauth import remote_session
from netcheck.oauth.context import FlowContext
from netcheck.oauth.loopback import CallbackPlan, Machine

RESOLVE_TIMEOUT = 3.0  # the hosts file answers at once; a resolver that hangs is a finding


def run(ctx: FlowContext) -> StepResult:
    plan = ctx.callback
    env = ctx.prepared.settings.env
    return check(plan, env, ctx.machine, min(RESOLVE_TIMEOUT, ctx.run.deadline.remaining()))


def check(plan: CallbackPlan, env: Mapping[str, str], machine: Machine,
          resolve_timeout: float = RESOLVE_TIMEOUT, listening: bool = False) -> StepResult:
    """The three hops for ``plan``; ``env`` is the client's environment. ``listening``: a
    real login listens on the port next (netcheck login), this is not all that is done."""
    step = StepResult(step=Step.CALLBACK, url=plan.redirect_uri)
    hops: list[Callable[[], HopResult]] = [
        lambda: _session(plan, env, machine),
        lambda: _localhost(plan, machine, resolve_timeout),
        lambda: _port(plan, machine)]
    for hop in hops:
        watch = Stopwatch()
        result = hop()
        step.hops.append(replace(result, duration_ms=watch.ms()))
    session, resolved = step.hops[0], step.hops[1]
    if session.status is Status.WARNING and resolved.status is not Status.FAILED:
        step.hops[1] = resolved.noted(
            "this is how this machine resolves it; with the port forwarded, the browser's "
            "machine resolves localhost and connects to its own loopback", warn=False)
    if not listening:
        step.notes.append(f"callback port {plan.port}: {plan.source}; netcheck only bound it "
                          "and released it at once, and sent nothing to the callback")
    rules = plan.rules
    if rules.owned_by_application:
        step.notes.append(
            "for this profile the callback is the application's, not the library's (an MCP "
            f"SDK leaves it to the program): netcheck checked {rules.listen_address}:"
            f"{plan.port} as a stand-in; pass --callback-port with your application's port")
    return step


def _session(plan: CallbackPlan, env: Mapping[str, str], machine: Machine) -> HopResult:
    sessions = remote_session.detect(env, machine.exists)
    if not sessions:
        return HopResult(hop=Hop.REMOTE_SESSION, status=Status.OK,
                         message="no sign of a remote session: the browser can reach this "
                                 "machine's localhost", details={"sessions": []})
    first = sessions[0]
    names = " and ".join(s.name for s in sessions)
    evidence = ", ".join(e for s in sessions for e in s.evidence)
    listen = plan.rules.listen_address
    forward = remote_session.forwarding(first, plan.port, listen, env)
    message = (f"this runs in {names} ({evidence}): a browser outside it opens "
               f"{plan.redirect_uri} where the browser runs, not here, so the callback never "
               "arrives unless the port is forwarded")
    if plan.fixed:
        hint = forward
    else:
        hint = (f"the client draws a new port for every login ({plan.source}), which "
                f"cannot be forwarded ahead: fix the port first ({plan.rules.port_setting}; "
                "check it with netcheck --callback-port PORT), "
                f"then forward it: {remote_session.forwarding(first, 'PORT', listen, env)}")
    details: dict[str, Any] = {"sessions": [{"kind": s.kind, "evidence": list(s.evidence)}
                                            for s in sessions],
                               "port_fixed": plan.fixed, "forward": hint}
    return HopResult(hop=Hop.REMOTE_SESSION, status=Status.WARNING, message=message,
                     details=details, notes=[f"to get the callback here: {hint}"])


def _localhost(plan: CallbackPlan, machine: Machine, timeout: float) -> HopResult:
    rules = plan.rules
    host, listen = rules.redirect_host, rules.listen_address
    details: dict[str, Any] = {"name": host, "listen_address": listen}
    if _is_address(host):
        return HopResult(hop=Hop.LOCALHOST_RESOLVE, status=Status.OK, details=details,
                         message=f"the redirect_uri names the address {host}: nothing to "
                                 "resolve")
    try:
        addresses = call_bounded(lambda: machine.resolve(host), max(timeout, 0.1))
    except Timeout:
        return failed(Hop.LOCALHOST_RESOLVE, Code.LOCALHOST_UNRESOLVED,
                      f"resolving {host!r} here took longer than {timeout:g} s",
                      _hosts_fix(host, listen), **details)
    except (OSError, UnicodeError) as exc:
        return failed(Hop.LOCALHOST_RESOLVE, Code.LOCALHOST_UNRESOLVED,
                      f"{host!r} does not resolve on this machine ({exc})",
                      _hosts_fix(host, listen), **details)
    details["addresses"] = addresses
    if listen in ("::", "0.0.0.0") and addresses:  # the client listens on every address
        return HopResult(hop=Hop.LOCALHOST_RESOLVE, status=Status.OK, details=details,
                         message=f"{host!r} resolves here to {', '.join(addresses)}; the "
                                 "client listens on every address")
    if listen not in addresses:
        return failed(Hop.LOCALHOST_RESOLVE, Code.LOCALHOST_MISMATCH,
                      f"{host!r} resolves here to {', '.join(addresses) or 'nothing'}, but the "
                      f"client listens on {listen} only: a browser that asks the system "
                      "resolver connects where nothing listens",
                      _hosts_fix(host, listen), **details)
    result = HopResult(hop=Hop.LOCALHOST_RESOLVE, status=Status.OK, details=details,
                       message=f"{host!r} resolves here to {', '.join(addresses)}, which "
                               f"includes {listen}, where the client listens")
    if addresses[0] != listen:
        result = result.noted(f"{addresses[0]} comes first: a browser tries it, is refused, and "
                              f"falls back to {listen}", warn=False)
    return result


def _hosts_fix(host: str, listen: str) -> str:
    return (f"make {host!r} resolve to {listen}: /etc/hosts (Windows: "
            f"C:\\Windows\\System32\\drivers\\etc\\hosts) should have the line "
            f"'{listen} {host}' (some browsers resolve localhost themselves, others use "
            "this file)")


def _port(plan: CallbackPlan, machine: Machine) -> HopResult:
    listen = plan.rules.listen_address
    details: dict[str, Any] = {"address": listen, "port": plan.port, "fixed": plan.fixed,
                               "source": plan.source}
    bound = machine.bind(listen, plan.port)
    if bound.ok:
        how = ("fixed" if plan.fixed else "drawn as the client draws it; the client picks "
               "another free one if it is taken by then")
        return HopResult(hop=Hop.CALLBACK_PORT, status=Status.OK, details=details,
                         message=f"{listen}:{plan.port} can be bound ({how})")
    details["error"] = bound.errno_name
    if plan.stand_in:
        # the port is netcheck's guess, not the application's: a program that happens to hold
        # it says nothing about the login, so it cannot fail the step
        return HopResult(
            hop=Hop.CALLBACK_PORT, status=Status.WARNING, details=details,
            message=f"netcheck's stand-in port {plan.port} cannot be bound on {listen} "
                    f"({bound.errno_name}); the application chooses its own callback port",
            notes=["pass --callback-port with the port your application listens on to check "
                   "that one"])
    if bound.errno_name == "EADDRINUSE":
        words = plan.rules.port_in_use_words.format(
            port=plan.port, last=plan.port + plan.rules.port_tries - 1)
        other = plan.redirect_uri.replace(f":{plan.port}", ":NEWPORT", 1)
        return failed(
            Hop.CALLBACK_PORT, Code.CALLBACK_PORT_IN_USE,
            f"the callback port {plan.port} is already in use on {listen}: another program "
            "listens there, so the client cannot receive the browser's callback"
            + (f" (it says: '{words}')" if words else ""),
            f"find the program with `lsof -nP -iTCP:{plan.port} -sTCP:LISTEN` (or `ss -ltnp "
            f"'sport = :{plan.port}'`) and stop it, or use another port ("
            f"{plan.rules.port_setting or 'the client setting for it'}) and register {other} "
            "with the authorization server for a pre-registered client", **details)
    return failed(Hop.CALLBACK_PORT, Code.CALLBACK_PORT_UNAVAILABLE,
                  f"the callback port {plan.port} cannot be bound on {listen}: "
                  f"{bound.errno_name}: {bound.text}",
                  "choose a port from 1024 to 65535 and check that the loopback interface "
                  f"has {listen}", **details)


def _is_address(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host.strip("[]"))
            return True
        except OSError:
            continue
    return False
