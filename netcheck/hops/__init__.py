"""One module per network hop, in the order a request crosses them.

    proxy_resolve -> dns -> tcp -> proxy_tls -> proxy_connect -> tls -> client_cert -> http

Each returns an :class:`~netcheck.model.Outcome`; :mod:`netcheck.pipeline` runs them in order.
"""
