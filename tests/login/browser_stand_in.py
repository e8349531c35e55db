"""A browser stand-in for netcheck login tests (run as the BROWSER command): it follows the
authorization URL's redirects through the lab's proxy, as a user's browser on that network
does, with the lab's client certificate, until the redirect reaches the loopback callback,
which it opens directly. NETCHECK_TEST_BROWSER_LOG, if set, gets each URL's origin and path
(never its query: the callback's holds the code). NETCHECK_TEST_BROWSER_STOP_AT_CALLBACK:
print the callback URL instead of opening it, as a user copies it from a browser on another
machine."""

from __future__ import annotations

import os
import ssl
import sys
from urllib.parse import urljoin, urlsplit

import httpx


def main(url: str) -> int:
    proxy = os.environ.get("NETCHECK_TEST_BROWSER_PROXY")
    ca = os.environ["NETCHECK_TEST_BROWSER_CA"]
    cert = os.environ.get("NETCHECK_TEST_BROWSER_CERT")
    key = os.environ.get("NETCHECK_TEST_BROWSER_KEY")  # when not in the certificate's file
    log = os.environ.get("NETCHECK_TEST_BROWSER_LOG")
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    with httpx.Client(proxy=proxy, verify=context, timeout=10, trust_env=False) as web, \
            httpx.Client(timeout=10, trust_env=False) as local:
        for _ in range(10):
            parts = urlsplit(url)
            if log:
                with open(log, "a", encoding="utf-8") as file:
                    file.write(f"{parts.scheme}://{parts.netloc}{parts.path}\n")
            loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
            if loopback and os.environ.get("NETCHECK_TEST_BROWSER_STOP_AT_CALLBACK"):
                print(url)  # the URL the user would copy from the address bar
                return 0
            response = (local if loopback else web).get(url)
            location = response.headers.get("location")
            if not location or loopback:
                return 0 if response.status_code < 400 else 1
            url = urljoin(url, location)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
