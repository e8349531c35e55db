"""The MCP OAuth flow, request by request, each through the full hop pipeline.

    protected_resource_metadata -> authorization_server_metadata -> client_registration
    -> authorization_endpoint -> token_endpoint -> token_refresh

:mod:`netcheck.oauth.flow` runs them in order; each step module builds its request(s) and
judges the answer in hop ``oauth``. No step creates a client or spends a real token unless the
user asks (``--register``).
"""
