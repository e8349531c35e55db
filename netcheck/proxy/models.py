"""How each real client picks a proxy for a URL from the environment.

One function per client model, each a faithful transcription of that client's own logic
(see ``shared/reference/proxy-env.md``; the 24 measured cases of ``proxy-vectors.json`` are a
test). The clients disagree on almost every edge, which is the point: a diagnosis must route each
request the way the user's failing client would.

Versions modelled: curl 7.88, Go net/http (x/net/http/httpproxy), CPython 3.11 urllib,
requests 2.34, httpx 0.28, proxy-from-env 2.1 (axios and many Node tools), undici 7.30
``EnvHttpProxyAgent`` (Node fetch, Claude Code).
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from netcheck.net.address import DEFAULT_PORTS, bracketed, digits, ip
from netcheck.proxy.url import ProxyURL, ProxyURLError
from netcheck.redaction import Secret, redact_url

Env = Mapping[str, str]


@dataclass(frozen=True)
class Target:
    """The parts of a request URL the proxy logic of the clients looks at."""

    url: str
    scheme: str
    hostname: str  # lowercase, IPv6 without brackets
    port: int | None  # explicit port, if any

    @classmethod
    def parse(cls, url: str) -> Target:
        """Raises ValueError for anything but an absolute URL with a host (and a valid port)."""
        parts = urlsplit(url)
        if not parts.scheme or not parts.hostname:
            raise ValueError(f"not an absolute URL with a host: {url!r}")
        return cls(url=url, scheme=parts.scheme.lower(), hostname=parts.hostname.lower(),
                   port=parts.port)

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.scheme, 0)

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.hostname

    @property
    def bracketed_host(self) -> str:
        return bracketed(self.hostname)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.bracketed_host}:{self.effective_port}"

    @property
    def netloc_host(self) -> str:
        """Host as in the URL's authority, port included when explicit (urllib's ``req.host``)."""
        return self.bracketed_host + (f":{self.port}" if self.port else "")


# The WHATWG URL standard's forbidden host and domain code points: a URL whose host has one
# fails to parse in fetch (and so in Node clients), whatever Python's lenient split makes of it.
_FORBIDDEN_IN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|%\x7f") | {chr(c) for c in range(32)}


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a usable host and a valid port: something netcheck (and a
    fetch-based client) can request."""
    try:
        target = Target.parse(url)
    except ValueError:
        return False
    host = target.hostname if not target.is_ipv6 else ""
    return target.scheme in ("http", "https") and not _FORBIDDEN_IN_HOST.intersection(host)


@dataclass(frozen=True)
class ProxyDecision:
    """What one client model decides for one URL."""

    model: str
    raw: Secret | None = None  # the value as the client took it (may carry credentials)
    proxy_url: str | None = None  # normalised with its scheme, without credentials
    error: str | None = None  # why the client refuses the request, if it does
    reason: str = ""
    variable: str | None = None  # the variable the proxy came from
    no_proxy_entry: str | None = None  # the NO_PROXY entry that sent the request direct

    def as_vector(self) -> str:
        """The form of ``proxy-vectors.json``: ``DIRECT``, the raw value, or ``ERR:<why>``."""
        if self.error is not None:
            return f"ERR:{self.error}"
        return "DIRECT" if self.raw is None else self.raw.reveal()

    def to_json(self) -> dict[str, str | None]:
        return {"proxy": self.proxy_url, "error": self.error, "reason": self.reason}


def _direct(model: str, reason: str, entry: str | None = None) -> ProxyDecision:
    return ProxyDecision(model=model, reason=reason, no_proxy_entry=entry)


def _proxied(model: str, raw: str, variable: str, normalised: str) -> ProxyDecision:
    try:
        shown = ProxyURL.parse(normalised).display
    except ProxyURLError:
        shown = redact_url(normalised)
    return ProxyDecision(model=model, raw=Secret(raw), proxy_url=shown, reason=variable,
                         variable=variable)


def _with_scheme(value: str, scheme: str) -> str:
    return value if "://" in value else f"{scheme}://{value}"


def _first_set(env: Env, *names: str) -> tuple[str, str] | None:
    """The first of ``names`` set to a non-empty value."""
    for name in names:
        value = env.get(name)
        if value:
            return name, value
    return None


# --- curl ------------------------------------------------------------------------------------


def decide_curl(env: Env, target: Target) -> ProxyDecision:
    """curl 7.88: ``http_proxy`` (never upper case), ``<scheme>_proxy`` then upper, ALL_PROXY."""
    model = "curl"
    found = _first_set(env, "no_proxy", "NO_PROXY")
    if found:
        entry = _curl_no_proxy_match(found[1], target)
        if entry is not None:
            return _direct(model, f"{found[0]} entry {entry!r}", entry)
    names = ["http_proxy"] if target.scheme == "http" else [
        f"{target.scheme}_proxy", f"{target.scheme.upper()}_PROXY"]
    chosen = _first_set(env, *names, "all_proxy", "ALL_PROXY")
    if chosen is None:
        why = "no proxy variable set"
        if target.scheme == "http" and env.get("HTTP_PROXY"):
            why = "curl ignores upper-case HTTP_PROXY (CGI header injection guard)"
        return _direct(model, why)
    return _proxied(model, chosen[1], chosen[0], _with_scheme(chosen[1], "http"))


def _curl_no_proxy_match(no_proxy: str, target: Target) -> str | None:
    if no_proxy.strip() == "*":
        return "*"
    name = target.hostname
    is_ip = _ip(name) is not None
    for token in re.split(r"[\s,]+", no_proxy):
        if not token:
            continue
        if is_ip:
            if _ip_in(name, token, allow_cidr=True):
                return token
            continue
        entry = token.rstrip(".") if token.endswith(".") else token
        entry = entry[1:] if entry.startswith(".") else entry
        entry = entry.lower()
        if entry and (name == entry or name.endswith("." + entry)):
            return token
    return None


# --- Go --------------------------------------------------------------------------------------

GO_CGI_ERROR = "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"


def decide_go(env: Env, target: Target) -> ProxyDecision:
    """Go net/http ``ProxyFromEnvironment``: UPPER case first, no ALL_PROXY, loopback never."""
    model = "go"
    if target.scheme == "https":
        found = _first_set(env, "HTTPS_PROXY", "https_proxy")
    elif target.scheme == "http":
        found = _first_set(env, "HTTP_PROXY", "http_proxy")
    else:
        found = None
    if found is None:
        return _direct(model, "no proxy variable set")
    name, raw = found
    normalised = _go_parse_proxy(raw)
    if normalised is None:
        return _direct(model, f"{name} is not a URL Go can parse; Go silently ignores it")
    if target.scheme == "http" and "REQUEST_METHOD" in env and env["REQUEST_METHOD"] != "":
        return ProxyDecision(model=model, error=GO_CGI_ERROR, reason="REQUEST_METHOD is set",
                             variable=name)
    host, port = target.hostname, str(target.effective_port)
    if host == "localhost" or (_ip(host) is not None and _ip(host).is_loopback):  # type: ignore[union-attr]
        return _direct(model, "Go never proxies localhost or loopback addresses")
    no_proxy = _first_set(env, "NO_PROXY", "no_proxy")
    if no_proxy:
        entry = _go_no_proxy_match(no_proxy[1], host, port)
        if entry is not None:
            return _direct(model, f"{no_proxy[0]} entry {entry!r}", entry)
    return _proxied(model, normalised, name, normalised)


def _go_parse_proxy(raw: str) -> str | None:
    try:
        parts = urlsplit(raw)
        if parts.scheme and parts.netloc:
            return raw
    except ValueError:
        pass
    try:
        urlsplit("http://" + raw)
    except ValueError:
        return None
    return "http://" + raw


def _go_no_proxy_match(no_proxy: str, host: str, port: str) -> str | None:
    if no_proxy == "*":
        return "*"
    host_ip = _ip(host)
    for original in no_proxy.split(","):
        p = original.strip().lower()
        if not p:
            continue
        if p == "*":
            return original.strip()
        if "/" in p:
            try:
                net = ipaddress.ip_network(p, strict=False)
            except ValueError:
                net = None
            if net is not None:
                if host_ip is not None and host_ip in net:
                    return original.strip()
                continue
        phost, pport = _go_split_host_port(p)
        if phost is None:
            phost, pport = p, ""
        elif not phost:
            continue
        elif phost.startswith("[") and phost.endswith("]"):
            phost = phost[1:-1]
        pip = _ip(phost)
        if pip is not None:
            if host_ip is not None and pip == host_ip and pport in ("", port):
                return original.strip()
            continue
        if phost.startswith("*."):
            phost = phost[1:]
        match_host = not phost.startswith(".")
        if match_host:
            phost = "." + phost
        if (host.endswith(phost) or (match_host and host == phost[1:])) and pport in ("", port):
            return original.strip()
    return None


def _go_split_host_port(hostport: str) -> tuple[str | None, str]:
    """Go's ``net.SplitHostPort``: ``(None, "")`` where Go returns an error."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not hostport[end + 1 :].startswith(":"):
            return None, ""
        host, port = hostport[1:end], hostport[end + 2 :]
        return host, port
    if hostport.count(":") != 1:
        return None, ""
    host, _, port = hostport.partition(":")
    return host, port


# --- CPython urllib, requests, httpx ---------------------------------------------------------


def _python_getproxies(env: Env) -> dict[str, str]:
    """``urllib.request.getproxies_environment``: two passes, exact lower case wins."""
    proxies: dict[str, str] = {}
    for name, value in env.items():
        lname = name.lower()
        if value and lname[-6:] == "_proxy":
            proxies[lname[:-6]] = value
    if "REQUEST_METHOD" in env:
        proxies.pop("http", None)
    for name, value in env.items():
        if name[-6:] == "_proxy":
            lname = name.lower()
            if value:
                proxies[lname[:-6]] = value
            else:
                proxies.pop(lname[:-6], None)
    return proxies


def _python_variable(env: Env, key: str) -> str:
    """Which variable a ``getproxies`` key came from, for the report."""
    lower = f"{key}_proxy"
    if env.get(lower):
        return lower
    for name in env:
        if name.lower() == lower and env[name]:
            return name
    return lower


def _urllib_bypass(proxies: Mapping[str, str], host: str) -> str | None:
    """``urllib.request.proxy_bypass_environment``; returns the matching entry."""
    no_proxy = proxies.get("no")
    if no_proxy is None:
        return None
    if no_proxy == "*":
        return "*"
    host = host.lower()
    m = re.fullmatch(r"(.*):([0-9]*)", host, re.DOTALL)
    hostonly = m.group(1) if m and m.group(2) else host
    for original in no_proxy.split(","):
        name = original.strip()
        if not name:
            continue
        name = name.lstrip(".").lower()
        if hostonly == name or host == name:
            return original.strip()
        name = "." + name
        if hostonly.endswith(name) or host.endswith(name):
            return original.strip()
    return None


def decide_python_urllib(env: Env, target: Target) -> ProxyDecision:
    """CPython ``urllib.request`` (ProxyHandler): ``<scheme>_proxy`` only, ALL_PROXY ignored."""
    model = "python-urllib"
    proxies = _python_getproxies(env)
    raw = proxies.get(target.scheme)
    if not raw:
        return _direct(model, "no proxy variable set for this scheme")
    entry = _urllib_bypass(proxies, target.netloc_host)
    if entry is not None:
        return _direct(model, f"{_python_variable(env, 'no')} entry {entry!r}", entry)
    return _proxied(model, raw, _python_variable(env, target.scheme),
                    _with_scheme(raw, target.scheme))


def decide_python_requests(env: Env, target: Target) -> ProxyDecision:
    """requests 2.34: its own NO_PROXY pass (CIDR for IPv4), then urllib's, then ALL_PROXY."""
    model = "python-requests"
    found = _first_set(env, "no_proxy", "NO_PROXY")
    if found:
        entry = _requests_no_proxy_match(found[1], target)
        if entry is not None:
            return _direct(model, f"{found[0]} entry {entry!r}", entry)
    proxies = _python_getproxies(env)
    entry = _urllib_bypass(proxies, target.hostname)
    if entry is not None:
        return _direct(model, f"{_python_variable(env, 'no')} entry {entry!r}", entry)
    key = target.scheme if proxies.get(target.scheme) else "all"
    raw = proxies.get(key)
    if not raw:
        return _direct(model, "no proxy variable set")
    return _proxied(model, raw, _python_variable(env, key), _with_scheme(raw, "http"))


def _requests_no_proxy_match(no_proxy: str, target: Target) -> str | None:
    hostname = target.hostname
    hosts = [h for h in no_proxy.replace(" ", "").split(",") if h]
    ip = _ip(hostname)
    if ip is not None and ip.version == 4:
        for entry in hosts:
            if _is_requests_cidr(entry):
                if ip in ipaddress.ip_network(entry, strict=False):
                    return entry
            elif hostname == entry:
                return entry
        return None
    host_with_port = hostname + (f":{target.port}" if target.port else "")
    for entry in hosts:
        host = entry.lstrip(".")
        if hostname == host or host_with_port == host:
            return entry
        host = "." + host
        if hostname.endswith(host) or host_with_port.endswith(host):
            return entry
    return None


def _is_requests_cidr(entry: str) -> bool:
    if entry.count("/") != 1:
        return False
    addr, bits = entry.split("/")
    try:
        ipaddress.IPv4Address(addr)
    except ValueError:
        return False
    return digits(bits) and 1 <= int(bits) <= 32


def httpx_without_cli() -> None:
    """Before ``import httpx``: netcheck runs httpx's URL parser (httpx2 shares it) to decide
    as those clients do, never httpx's command line, whose imports (click, pygments, rich's
    syntax highlighting) are a third of httpx's import time. A ``None`` in ``sys.modules``
    makes that one import fail, and httpx falls back to a stub ``main``."""
    if "httpx" not in sys.modules:
        from netcheck import warmup

        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
        warmup.load("httpx")  # the other clients' decisions run in the background


def httpx_creation_error(env: Env) -> tuple[str | None, str] | None:
    """``(variable, error)`` when ``httpx.Client()`` raises for ``env``: it makes every proxy
    value an ``httpx.Proxy`` and every NO_PROXY entry a mount pattern when it is created, so
    one unusable value fails every request, whatever its URL (a ``*`` among the entries drops
    them all first)."""
    proxies = _python_getproxies(env)
    entries = [h.strip() for h in proxies.get("no", "").split(",")]
    if "*" in entries:
        return None
    httpx_without_cli()
    import httpx

    for key in ("http", "https", "all"):
        if proxies.get(key):
            try:
                httpx.Proxy(_with_scheme(proxies[key], "http"))
            except (httpx.InvalidURL, ValueError) as exc:
                return _python_variable(env, key), f"{type(exc).__name__}:{exc}"
    for entry in filter(None, entries):
        try:
            httpx.URL(_httpx_no_proxy_pattern(entry))
        except httpx.InvalidURL as exc:
            return _python_variable(env, "no"), f"InvalidURL:{exc}"
    return None


def decide_python_httpx(env: Env, target: Target) -> ProxyDecision:
    """httpx 0.28 ``get_environment_proxies``: NO_PROXY entries become mount patterns.

    httpx itself parses the values (it is imported only when a proxy or NO_PROXY is set)."""
    model = "python-httpx"
    proxies = _python_getproxies(env)
    key = target.scheme if proxies.get(target.scheme) else ("all" if proxies.get("all") else None)
    no_entries = [h.strip() for h in proxies.get("no", "").split(",")]
    no_variable = _python_variable(env, "no")
    if "*" in no_entries:
        return _direct(model, f"{no_variable} entry '*'", "*")
    if not any(proxies.get(k) for k in ("http", "https", "all")) and not any(no_entries):
        return _direct(model, "no proxy variable set")
    broken = httpx_creation_error(env)
    if broken is not None:
        return ProxyDecision(model=model, error=broken[1], variable=broken[0],
                             reason=f"httpx cannot use {broken[0]} ({broken[1]}) and fails "
                                    "when the client is created, before any request")
    if key is None:
        return _direct(model, "no proxy variable set")
    import httpx

    other = httpx.URL(target.url)
    for entry in filter(None, no_entries):
        if _httpx_no_proxy_matches(entry, other):
            return _direct(model, f"{no_variable} entry {entry!r}", entry)
    raw = proxies[key]
    return _proxied(model, _with_scheme(raw, "http"), _python_variable(env, key),
                    _with_scheme(raw, "http"))


def _httpx_no_proxy_pattern(entry: str) -> str:
    """The mount key ``get_environment_proxies`` makes of one NO_PROXY entry."""
    if "://" in entry:
        return entry
    if _is_ip_prefix(entry, ipaddress.IPv4Address):
        return f"all://{entry}"
    if _is_ip_prefix(entry, ipaddress.IPv6Address):
        return f"all://[{entry}]"
    if entry.lower() == "localhost":
        return f"all://{entry}"
    return f"all://*{entry}"


def _httpx_no_proxy_matches(entry: str, other: object) -> bool:
    import httpx

    assert isinstance(other, httpx.URL)
    url = httpx.URL(_httpx_no_proxy_pattern(entry))
    scheme = "" if url.scheme == "all" else url.scheme
    if scheme and scheme != other.scheme:
        return False
    host = "" if url.host == "*" else url.host
    if host:
        if host.startswith("*."):
            regex = rf"^.+\.{re.escape(host[2:])}$"
        elif host.startswith("*"):
            regex = rf"^(.+\.)?{re.escape(host[1:])}$"
        else:
            regex = rf"^{re.escape(host)}$"
        if not re.match(regex, other.host):
            return False
    return url.port is None or url.port == other.port


def _is_ip_prefix(entry: str, kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address]
                  ) -> bool:
    """httpx's ``is_ipv4_hostname`` / ``is_ipv6_hostname``: the part before any ``/``."""
    try:
        kind(entry.split("/")[0])
    except ValueError:
        return False
    return True


# --- Node ------------------------------------------------------------------------------------


def decide_node_proxy_from_env(env: Env, target: Target) -> ProxyDecision:
    """proxy-from-env 2.1 (axios, many Node tools): ``lower || UPPER``, exact NO_PROXY names."""
    model = "node-proxy-from-env"

    def get(key: str) -> tuple[str, str] | None:
        return _first_set(env, key.lower(), key.upper())

    no_proxy = get("npm_config_no_proxy") or get("no_proxy")
    if no_proxy:
        entry = _proxy_from_env_no_proxy_match(no_proxy[1].lower(), target)
        if entry is not None:
            return _direct(model, f"{no_proxy[0]} entry {entry!r}", entry)
    scheme = target.scheme
    found = (get(f"npm_config_{scheme}_proxy") or get(f"{scheme}_proxy")
             or get("npm_config_proxy") or get("all_proxy"))
    if found is None:
        return _direct(model, "no proxy variable set")
    name, raw = found
    value = _with_scheme(raw, scheme)
    return _proxied(model, value, name, value)


def _proxy_from_env_no_proxy_match(no_proxy: str, target: Target) -> str | None:
    if no_proxy == "*":
        return "*"
    hostname, port = target.bracketed_host, target.effective_port
    for entry in re.split(r"[,\s]", no_proxy):
        if not entry:
            continue
        m = re.fullmatch(r"(.+):(\d+)", entry, re.DOTALL)
        ehost = m.group(1) if m else entry
        eport = int(m.group(2)) if m else 0
        if eport and eport != port:
            continue
        if not re.match(r"[.*]", ehost):
            if hostname == ehost:
                return entry
            continue
        if ehost.startswith("*"):
            ehost = ehost[1:]
        if hostname.endswith(ehost):
            return entry
    return None


UNDICI_PROTOCOL_ERROR = "Invalid URL protocol: the URL must start with `http:` or `https:`."


def decide_node_undici(env: Env, target: Target) -> ProxyDecision:
    """undici 7.30 ``EnvHttpProxyAgent``: ``lower ?? UPPER`` (empty lower case wins), https
    falls back to the HTTP proxy, ALL_PROXY not read, NO_PROXY matches names and subdomains.

    The agent builds its HTTP and HTTPS proxy agents when it is created, so an unusable value
    in either variable fails every request, whatever its scheme or NO_PROXY says."""
    model = "node-undici"
    broken = undici_creation_error(env)
    if broken is not None:
        return ProxyDecision(model=model, error=broken[1], variable=broken[0],
                             reason=f"{broken[0]} is not a usable URL, and undici builds both "
                                    "proxy agents when the client starts")
    http = _undici_variable(env, "http_proxy", "HTTP_PROXY")
    https = _undici_variable(env, "https_proxy", "HTTPS_PROXY")
    no_proxy = _undici_variable(env, "no_proxy", "NO_PROXY")
    if no_proxy:
        entry = _undici_no_proxy_match(no_proxy[1], target)
        if entry is not None:
            return _direct(model, f"{no_proxy[0]} entry {entry!r}", entry)
    chosen = (https or http) if target.scheme == "https" else http
    if chosen is None:
        return _direct(model, "no proxy variable set")
    name, raw = chosen
    decision = _proxied(model, raw, name, raw)
    if target.scheme == "https" and chosen is http:
        reason = f"{name} (undici falls back to the HTTP proxy for https: URLs)"
        decision = ProxyDecision(model=model, raw=decision.raw, proxy_url=decision.proxy_url,
                                 reason=reason, variable=name)
    return decision


def _undici_variable(env: Env, lower: str, upper: str) -> tuple[str, str] | None:
    """``env[lower] ?? env[UPPER]``, when that value is not empty."""
    name = lower if lower in env else upper
    value = env.get(name)
    return (name, value) if value else None


def undici_creation_error(env: Env) -> tuple[str, str] | None:
    """``(variable, error)`` when ``new EnvHttpProxyAgent()`` throws for ``env``: it builds a
    proxy agent for each of the HTTP and HTTPS variables at once."""
    for lower, upper in (("http_proxy", "HTTP_PROXY"), ("https_proxy", "HTTPS_PROXY")):
        found = _undici_variable(env, lower, upper)
        error = _undici_proxy_error(found[1]) if found else None
        if found and error is not None:
            return found[0], error
    return None


def _undici_proxy_error(raw: str) -> str | None:
    """What ``new ProxyAgent(raw)`` throws, if anything (WHATWG URL parsing, then protocol)."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", raw.strip())
    if not m:
        return "Invalid URL"
    if m.group(1).lower() not in ("http", "https", "socks5", "socks"):
        return UNDICI_PROTOCOL_ERROR  # 7.30 takes socks5:// and socks:// (experimental)
    try:
        ProxyURL.parse(raw)
    except ProxyURLError:
        return "Invalid URL"
    return None


def _undici_no_proxy_match(no_proxy: str, target: Target) -> str | None:
    if no_proxy == "*":
        return "*"
    hostname, port = target.bracketed_host, target.effective_port
    for entry in re.split(r"[,\s]", no_proxy):
        if not entry:
            continue
        m = re.fullmatch(r"(.+):(\d+)", entry, re.DOTALL)
        ehost = re.sub(r"^\*?\.", "", m.group(1) if m else entry).lower()
        eport = int(m.group(2)) if m else 0
        if eport and eport != port:
            continue
        if hostname == ehost or hostname.endswith("." + ehost):
            return entry
    return None


# --- shared helpers --------------------------------------------------------------------------


_ip = ip  # the models' name for it (claude_code imports it from here)


def _ip_in(host: str, token: str, *, allow_cidr: bool) -> bool:
    addr = _ip(host)
    if addr is None:
        return False
    if allow_cidr and "/" in token:
        try:
            return addr in ipaddress.ip_network(token, strict=False)
        except ValueError:
            return False
    other = _ip(token)
    return other is not None and other == addr


Model = Callable[[Env, Target], ProxyDecision]

# The libraries of proxy-vectors.json (each vector says what every one of them does); the
# profiles' own client models join them in netcheck.proxy.registry.
MODELS: dict[str, Model] = {
    "curl": decide_curl,
    "go": decide_go,
    "python-urllib": decide_python_urllib,
    "python-requests": decide_python_requests,
    "python-httpx": decide_python_httpx,
    "node-proxy-from-env": decide_node_proxy_from_env,
    "node-undici": decide_node_undici,
}
