"""The MCP Python SDK's own client, driven by one JSON job: a test oracle for netcheck's
``python`` profile.

    echo '{"url": "https://mcp.test:8443/mcp", "timeout_s": 20}' | \\
        .venv/bin/python -m tests.real_clients.py_client

Job (stdin, one JSON object):
    url            the MCP endpoint
    cert, key      client certificate / key files (PEM; see "TLS" below)
    passphrase_env name of the environment variable holding the key's passphrase
    cafile         extra trust: a PEM bundle
    timeout_s      the whole run is bounded by this (default 20)
    browser        false (default): stop when the SDK hands over the authorization URL.
                   true: act as the browser (GET the URL, follow redirects to the loopback
                   redirect_uri, hand code/state/iss to the SDK) and let the flow finish.
    api            "session" (default): ``streamable_http_client`` + ``ClientSession.initialize``.
                   "client": ``mcp.Client(transport)`` (2.x's high-level client, mode "auto":
                   it probes ``server/discover`` before falling back to ``initialize``).
    client_metadata_url  passed to ``OAuthClientProvider`` (Client ID Metadata Documents)
    http_timeout_s httpx2 timeout; default the SDK's own (30 s, read 300 s)
    scope          client metadata scope (default none)
    trust_env      false: ``httpx2.AsyncClient(trust_env=False)`` (default: httpx2's default, true)

How the program talks to the network is what a typical program on mcp 2.3.0 does: the SDK's
transport takes no ``auth`` argument, so the program builds the ``httpx2.AsyncClient`` itself
(the SDK's docstring for ``streamable_http_client(http_client=...)`` says so) with
``auth=OAuthClientProvider(...)`` and the SDK's default timeouts; nothing else.
TLS: without cert and cafile, httpx2's default (``verify=True``: httpcore2's default context,
which reads SSL_CERT_FILE / SSL_CERT_DIR when ``trust_env``). With either,
``verify=ssl.create_default_context(cafile=cafile)`` plus ``load_cert_chain(cert, key,
password)``: what httpx2's own deprecation message for ``cert=``/``verify=<str>`` tells users to
do. Proxies: httpx2's ``trust_env`` (the default) reads the proxy variables.

Output: one JSON line on stdout, always (even on a crash or a hang: a watchdog prints it):
    {"reached": "authorization_url"|"connected"|"error", "authorization_url": ...,
     "error": {"type", "message", "chain": ["Type: message", ...]} | null,
     "requests": [[method, url, status | "ErrorType: message", content type?], ...],
     "via": ["direct" | proxy URL, ...]   (parallel to requests: the transport httpx2 chose),
     "log": [...] (the SDK's warnings), "versions": {...}, "seconds": ...}
Requests are recorded by wrapping each transport instance httpx2 built (its own, and one per
proxy mount), after the client chose its proxies: the SDK's code paths are untouched.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import sys
import threading
import time
import traceback
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

REDIRECT_URI = "http://127.0.0.1:53682/callback"
_out_lock = threading.Lock()
_printed = False


def _emit(result: dict[str, Any]) -> None:
    global _printed
    with _out_lock:
        if _printed:
            return
        _printed = True
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        sys.stdout.flush()


class StopAtAuthorization(Exception):
    """Raised by the callback handler: the flow reached the browser step and stops here."""


def _flatten(exc: BaseException, seen: set[int] | None = None) -> list[BaseException]:
    """The exception, the members of exception groups, and causes / contexts, in order."""
    seen = seen if seen is not None else set()
    out: list[BaseException] = []
    if id(exc) in seen:
        return out
    seen.add(id(exc))
    out.append(exc)
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            out += _flatten(sub, seen)
    nxt = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if nxt is not None:
        out += _flatten(nxt, seen)
    return out


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}".replace("builtins.", "")


def _root(exc: BaseException) -> BaseException:
    """The most telling exception: the first non-group, non-marker one."""
    for item in _flatten(exc):
        if not isinstance(item, BaseExceptionGroup):
            return item
    return exc


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < 40:
            self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}"[:500])


def _ssl_context(job: dict[str, Any]) -> ssl.SSLContext | None:
    if not (job.get("cert") or job.get("cafile")):
        return None
    ctx = ssl.create_default_context(cafile=job.get("cafile") or None)
    if job.get("cert"):
        password = os.environ.get(job["passphrase_env"]) if job.get("passphrase_env") else None
        ctx.load_cert_chain(job["cert"], job.get("key") or None, password=password)
    return ctx


async def _run(job: dict[str, Any], result: dict[str, Any]) -> None:
    import anyio
    import httpx2
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import MCP_DEFAULT_SSE_READ_TIMEOUT, MCP_DEFAULT_TIMEOUT
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
    from pydantic import AnyUrl

    requests: list[list[Any]] = result["requests"]
    via: list[str] = result["via"]

    class MemoryStorage:
        def __init__(self) -> None:
            self.tokens: OAuthToken | None = None
            self.client_info: OAuthClientInformationFull | None = None

        async def get_tokens(self) -> OAuthToken | None:
            return self.tokens

        async def set_tokens(self, tokens: OAuthToken) -> None:
            self.tokens = tokens
            result["got_token"] = True

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return self.client_info

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            self.client_info = client_info
            result["client_id"] = client_info.client_id

    async def redirect_handler(url: str) -> None:
        result["authorization_url"] = url

    result["stage"] = "ssl_context"
    ssl_ctx = _ssl_context(job)

    async def callback_handler() -> AuthorizationCodeResult:
        url = result.get("authorization_url")
        if not job.get("browser") or not url:
            raise StopAtAuthorization(url)
        # Act as the browser: follow redirects until the loopback redirect_uri.
        browse: list[list[Any]] = result.setdefault("browser", [])
        async with httpx2.AsyncClient(verify=ssl_ctx if ssl_ctx is not None else True,
                                      trust_env=False, timeout=5) as browser:
            for _ in range(10):
                if url.startswith(REDIRECT_URI):
                    query = parse_qs(urlsplit(url).query)
                    if "code" not in query:
                        raise RuntimeError(f"browser: callback without code: {url}")
                    return AuthorizationCodeResult(code=query["code"][0],
                                                   state=query.get("state", [None])[0],
                                                   iss=query.get("iss", [None])[0])
                response = await browser.get(url)
                browse.append(["GET", url, response.status_code])
                location = response.headers.get("location")
                if not location:
                    raise RuntimeError(f"browser: {response.status_code} without a redirect at "
                                       f"{url}: {response.text[:200]!r}")
                url = urljoin(url, location)
        raise RuntimeError("browser: too many redirects")

    metadata = OAuthClientMetadata(
        client_name="netcheck py_client oracle", redirect_uris=[AnyUrl(REDIRECT_URI)],
        grant_types=["authorization_code", "refresh_token"], response_types=["code"],
        scope=job.get("scope"))
    provider = OAuthClientProvider(
        server_url=job["url"], client_metadata=metadata, storage=MemoryStorage(),
        redirect_handler=redirect_handler, callback_handler=callback_handler,
        client_metadata_url=job.get("client_metadata_url"))

    if job.get("http_timeout_s"):
        timeout = httpx2.Timeout(float(job["http_timeout_s"]))
    else:
        timeout = httpx2.Timeout(MCP_DEFAULT_TIMEOUT, read=MCP_DEFAULT_SSE_READ_TIMEOUT)
    kwargs: dict[str, Any] = {"auth": provider, "timeout": timeout}
    if job.get("trust_env") is False:
        kwargs["trust_env"] = False
    if ssl_ctx is not None:
        kwargs["verify"] = ssl_ctx
    result["stage"] = "client"
    client = httpx2.AsyncClient(**kwargs)
    _record_transports(client, requests, via)
    result["stage"] = "connect"
    async with client:
        if job.get("api", "session") == "client":
            from mcp.client import Client

            async with Client(streamable_http_client(job["url"], http_client=client)) as mcp:
                result["reached"] = "connected"
                result["protocol_version"] = getattr(mcp.session, "protocol_version", None)
                await anyio.sleep(0.3)  # let notifications/initialized go out, for the record
            return
        async with (streamable_http_client(job["url"], http_client=client) as (read, write),
                    ClientSession(read, write) as session):
            init = await session.initialize()
            result["reached"] = "connected"
            info = getattr(init, "server_info", None)
            result["server_info"] = info.model_dump(mode="json") if info else None
            await anyio.sleep(0.3)  # let notifications/initialized go out, for the record


def _record_transports(client: Any, requests: list[list[Any]], via: list[str]) -> None:
    """Wrap each transport instance httpx2 built, to record what was sent and what came back."""
    import anyio

    transports = [("direct", client._transport)]
    for pattern, transport in client._mounts.items():
        if transport is not None:
            pool = getattr(transport, "_pool", None)
            proxy_url = getattr(pool, "_proxy_url", None)
            if proxy_url is not None:
                name = (f"{proxy_url.scheme.decode()}://{proxy_url.host.decode()}"
                        f"{':' + str(proxy_url.port) if proxy_url.port else ''}")
            else:
                name = f"mount:{pattern.pattern}"
            transports.append((name, transport))
    for name, transport in transports:
        original = transport.handle_async_request

        async def handle(request: Any, _original: Any = original, _name: str = name) -> Any:
            entry: list[Any] = [request.method, str(request.url), None]
            requests.append(entry)
            via.append(_name)
            try:
                response = await _original(request)
            except BaseException as exc:
                entry[2] = ("cancelled (the driver was closing)"
                            if isinstance(exc, anyio.get_cancelled_exc_class()) else _describe(exc))
                raise
            entry[2] = response.status_code
            entry.append(response.headers.get("content-type", ""))
            return response

        transport.handle_async_request = handle


def main() -> int:
    started = time.monotonic()
    result: dict[str, Any] = {"reached": "error", "authorization_url": None, "error": None,
                              "requests": [], "via": [], "log": []}
    try:
        job = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        result["error"] = {"type": "BadJob", "message": str(exc), "chain": []}
        _emit(result)
        return 2
    timeout = float(job.get("timeout_s") or 20)

    def watchdog() -> None:
        result["error"] = {"type": "Hang", "message": f"no result after {timeout + 3:.0f} s",
                           "chain": []}
        result["seconds"] = round(time.monotonic() - started, 3)
        _emit(result)
        os._exit(3)

    timer = threading.Timer(timeout + 3, watchdog)
    timer.daemon = True
    timer.start()
    collector = _LogCollector()
    logging.getLogger().addHandler(collector)
    logging.getLogger().setLevel(logging.WARNING)
    try:
        from importlib.metadata import version

        result["versions"] = {n: version(n) for n in ("mcp", "httpx2", "httpcore2")}
        result["versions"]["python"] = sys.version.split()[0]
        import anyio

        async def bounded() -> None:
            with anyio.fail_after(timeout):
                await _run(job, result)

        anyio.run(bounded)
    except BaseException as exc:  # noqa: BLE001 - the JSON line must come out whatever happens
        items = _flatten(exc)
        marker = next((e for e in items if isinstance(e, StopAtAuthorization)), None)
        if marker is not None and result.get("authorization_url"):
            result["reached"] = "authorization_url"
        else:
            root = _root(exc)
            if isinstance(root, TimeoutError) and not str(root):
                root_msg = f"driver timeout after {timeout} s"
            else:
                root_msg = str(root)
            result["error"] = {"type": f"{type(root).__module__}.{type(root).__qualname__}"
                                       .replace("builtins.", ""),
                               "message": root_msg[:2000],
                               "chain": [_describe(e)[:1000] for e in items][:20]}
            if os.environ.get("PY_CLIENT_TRACEBACK"):
                result["traceback"] = traceback.format_exception(exc)
    result["log"] = collector.lines
    result["seconds"] = round(time.monotonic() - started, 3)
    _emit(result)
    timer.cancel()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
