"""Defaults shared by the command line and the settings (kept import-free: ``--help`` reads
them)."""

DEFAULT_TIMEOUT = 10.0  # seconds, one hop's wait
DEFAULT_DEADLINE = 120.0  # seconds, the whole run; a healthy check takes well under a second
# servers checked at a time (check without a URL, several URLs): 10 servers take 1.17x the
# slowest alone at 10 workers and 1.45x at 8 (bench/side_by_side.py)
DEFAULT_PARALLEL = 16
DEFAULT_CALLBACK_WAIT = 300.0  # seconds netcheck login waits for the browser to come back
