"""A proxy.py plugin that records every request a real client sends to the proxy.

Each CONNECT (``host:port``) and each absolute-form request (``GET http://host:port/...``) is
appended as one JSON line to the file named by ``NETCHECK_RECORD_FILE``, with whether it carried
a ``Proxy-Authorization`` header (never its value). Only the lab's names are served, all of them
on loopback: ``NETCHECK_RECORD_HOSTS`` (comma-separated) are resolved to 127.0.0.1 by the plugin
itself, and anything else (a client's own telemetry or update hosts, say) is refused with a 502
after being recorded, so the proxy never asks the machine's DNS nor leaves loopback.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from proxy.http.exception import HttpRequestRejected
from proxy.http.proxy import HttpProxyBasePlugin

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _lab_hosts() -> set[str]:
    names = {h.strip().lower() for h in os.environ.get("NETCHECK_RECORD_HOSTS", "").split(",")}
    return {h for h in names if h} | LOOPBACK


class Recorder(HttpProxyBasePlugin):
    """Record, then serve lab names on loopback and refuse everything else."""

    def before_upstream_connection(self, request: Any) -> Any:
        host = (request.host or b"").decode("latin-1").strip("[]").lower()
        port = int(request.port or 0)
        method = (request.method or b"").decode("latin-1")
        headers = request.headers or {}
        allowed = host in _lab_hosts()
        record = {"t": time.time(), "method": method, "target": f"{host}:{port}",
                  "proxy_authorization": b"proxy-authorization" in headers,
                  "path": None if method == "CONNECT" else
                  (request.path or b"").decode("latin-1"),
                  "served": allowed}
        path = os.environ.get("NETCHECK_RECORD_FILE")
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        if not allowed:
            raise HttpRequestRejected(status_code=502, reason=b"Bad Gateway",
                                      headers={b"Content-Type": b"text/plain"},
                                      body=b"not a lab host")
        return request

    def resolve_dns(self, host: str, port: int) -> tuple[Any, Any]:
        if host.strip("[]").lower() in _lab_hosts():
            return ("::1" if host.strip("[]") == "::1" else "127.0.0.1"), None
        return None, None
