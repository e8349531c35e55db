"""Defaults shared by the command line and the settings (kept import-free: ``--help`` reads
them)."""

DEFAULT_TIMEOUT = 10.0  # seconds, one hop's wait
DEFAULT_DEADLINE = 120.0  # seconds, the whole run; a healthy check takes well under a second
