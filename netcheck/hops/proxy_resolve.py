"""Hop ``proxy_resolve``: which proxy the user's client picks for this URL, and who disagrees."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from netcheck.model import Code, Hop, HopResult, Outcome, Status, failed
from netcheck.profiles import Profile
from netcheck.proxy.models import ProxyDecision, Target
from netcheck.proxy.registry import MODELS, decide_all
from netcheck.proxy.url import ProxyURL, ProxyURLError


def _label(decision: ProxyDecision) -> str:
    if decision.error is not None:
        return f"refuses ({decision.error})"
    return decision.proxy_url or "DIRECT"


def source_of(decision: ProxyDecision, origins: Mapping[str, str]) -> str:
    """Where the decision's proxy setting came from, as a user gave it: ``--proxy`` for the
    flag (which netcheck applies as the variables), the variable and the settings file that
    set it, or the variable."""
    origin = origins.get(decision.variable or "")
    if origin is None:
        return decision.reason
    if origin.startswith("flag "):
        return origin.removeprefix("flag ")
    return f"{decision.reason}, set in {origin}"


def resolve(env: Mapping[str, str], url: str, profile: Profile,
            origins: Mapping[str, str] | None = None, oauth: bool = False) -> Outcome[ProxyURL]:
    """The profile's decision for ``url``: a proxy to tunnel through, or no value (direct),
    with what every other client model would do. ``origins``: where variables not from the
    process environment came from (a flag, a settings file); ``oauth``: an OAuth request."""
    own = decide(env, url, profile, origins, oauth)
    return Outcome(compare(env, url, profile, oauth)(own.result), own.value)


def model_of(profile: Profile, oauth: bool) -> str:
    """The proxy model of the profile's client for an MCP request or an OAuth one."""
    return (profile.proxy.oauth_model or profile.proxy.model) if oauth else profile.proxy.model


def decide(env: Mapping[str, str], url: str, profile: Profile,
           origins: Mapping[str, str] | None = None, oauth: bool = False) -> Outcome[ProxyURL]:
    """The profile's decision alone: what the request needs before it can go out (the other
    models' decisions, :func:`compare`, can be worked out while it is on its way)."""
    model = model_of(profile, oauth)
    chosen = MODELS[model](env, Target.parse(url))
    source = source_of(chosen, origins or {})
    setting = source if (origins or {}).get(chosen.variable or "") else chosen.variable
    details: dict[str, Any] = {
        "model": model,
        "proxy": chosen.proxy_url,
        "variable": chosen.variable,
        "source": source,
        "no_proxy_entry": chosen.no_proxy_entry,
        "reason": chosen.reason,
    }

    def done(result: HopResult) -> Outcome[ProxyURL]:
        return Outcome(result, proxy)

    proxy: ProxyURL | None = None
    if chosen.error is not None:
        where = f" in {setting}" if chosen.variable else ""
        unsupported = "UnsupportedProxyProtocol" in chosen.error or \
            "proxies are not supported" in chosen.error
        return done(failed(Hop.PROXY_RESOLVE, Code.PROXY_SCHEME_UNSUPPORTED if unsupported
                           else Code.PROXY_REFUSED_BY_CLIENT,
                           f"{profile.label} refuses the proxy setting{where}: {chosen.error} "
                           f"({chosen.reason})",
                           f"{profile.label} takes {', '.join(profile.proxy.schemes)} proxies: "
                           "use the proxy's HTTP port" if unsupported else
                           "write the proxy with its scheme, e.g. http://proxy.example:3128",
                           **details))
    if chosen.raw is None:
        why = chosen.reason
        ignored = [n for n, v in env.items() if v and n.lower() in ("https_proxy", "http_proxy")]
        if ignored and profile.proxy.ignored_proxy_fix:
            details["ignored_proxy"] = profile.proxy.ignored_proxy_fix
            why += f"; {' and '.join(sorted(ignored))} set, and ignored"
        return done(HopResult(hop=Hop.PROXY_RESOLVE, status=Status.OK, details=details,
                              message=f"direct connection ({why})"))
    try:
        proxy = ProxyURL.parse(chosen.raw.reveal())
    except ProxyURLError as exc:
        return done(failed(Hop.PROXY_RESOLVE, Code.PROXY_URL_INVALID,
                           f"the proxy in {setting} is not usable: {exc}",
                           "write it as http://[user:password@]host:port", **details))
    if proxy.scheme not in profile.proxy.schemes:
        proxy = None
        return done(failed(Hop.PROXY_RESOLVE, Code.PROXY_SCHEME_UNSUPPORTED,
                           f"{setting} names a {chosen.proxy_url} proxy, which "
                           f"{profile.name} does not support",
                           "use the proxy's HTTP port (http://host:port)", **details))
    creds = " with credentials" if proxy.has_credentials else ""
    return done(HopResult(hop=Hop.PROXY_RESOLVE, status=Status.OK, details=details,
                          message=f"via {proxy.display}{creds} (from {source})"))


def compare(env: Mapping[str, str], url: str, profile: Profile,
            oauth: bool = False) -> Callable[[HopResult], HopResult]:
    """What adds every client model's decision to the hop's result, and a note when others
    route ``url`` differently from the profile's client."""
    decisions = decide_all(env, url)
    mine = _label(MODELS[model_of(profile, oauth)](env, Target.parse(url)))
    differ = {name: _label(d) for name, d in decisions.items() if _label(d) != mine}
    every = {name: d.to_json() for name, d in decisions.items()}

    def amend(result: HopResult) -> HopResult:
        result = result.with_details(all_clients=every, clients_that_differ=differ)
        if differ and not result.failed:
            groups: dict[str, list[str]] = {}
            for name, label in differ.items():
                groups.setdefault(label, []).append(name)
            text = "; ".join(f"{', '.join(names)} would use {label}"
                             for label, names in groups.items())
            result = result.noted(f"other clients route this URL differently: {text}")
        return result
    return amend
