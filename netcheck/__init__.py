"""netcheck: walk the path an MCP client walks and say which hop breaks.

The package reads as the pipeline it runs::

    settings/   what the client would use (proxy variables, client certificate, trust), validated
    proxy/      which proxy each client model picks for a URL
    hops/       one module per network hop: dns, tcp, proxy_connect, tls, client_cert, http
    pipeline.py the hops for one URL, in order
    runner.py   the steps of a check, and the report
    configs/    the MCP servers configured in the clients on this machine, one module a client
    many.py     several servers checked side by side (check_many)
    report/     the versioned JSON report, its schema and redaction
    cli/        argument parsing and terminal rendering (the only place that prints)

Heavy imports (httpx, OpenSSL, dnspython, rich) happen inside the modules that need them, so
``netcheck --version`` stays cheap.
"""

from netcheck._version import __version__

__all__ = ["__version__"]
