"""The embedded lab behind ``netcheck demo``: an MCP server that requires a client certificate,
its authorization server, a forward proxy with Basic auth and a DNS responder, all in-process on
loopback, with throwaway certificates. Each realistic fault changes one thing (see faults.py)."""
