"""Low-level, bounded I/O the hops are built on: deadlines, TLS over a socket, HTTP/1.1."""
