"""One module per network hop, in the order a request crosses them.

    proxy_resolve -> dns -> tcp -> proxy_connect -> tls -> client_cert -> http

Each returns a :class:`~netcheck.model.HopResult`; :mod:`netcheck.pipeline` runs them in order.
"""
