"""Variables in Claude Code's settings files (the ``env`` block), found and compared.

Claude Code also takes environment variables from the ``env`` block of its settings files. When
those blocks set a variable netcheck reads, the report says so (values redacted), and warns when
a value differs from the environment netcheck ran with, so a support engineer sees both. They are
not applied: export the same value (or pass the flag) to test it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from netcheck.redaction import SECRET_VARIABLES, redact_proxy, redact_url

FILES = (("user", ".claude/settings.json", True), ("project", ".claude/settings.json", False),
         ("local", ".claude/settings.local.json", False))


def relevant(name: str) -> bool:
    upper = name.upper()
    return upper.endswith("_PROXY") or upper.startswith(("CLAUDE_CODE_CLIENT_", "SSL_CERT_")) \
        or upper in ("NODE_EXTRA_CA_CERTS", "CLAUDE_CODE_CERT_STORE", "NODE_USE_ENV_PROXY",
                     "NODE_TLS_REJECT_UNAUTHORIZED", "CLAUDE_CODE_PROXY_RESOLVES_HOSTS")


def settings_env(home: Path, cwd: Path) -> list[tuple[str, dict[str, str]]]:
    """``(file, {variable: value})`` for each settings file with relevant ``env`` entries."""
    found = []
    seen: set[Path] = set()
    for _scope, relative, in_home in FILES:
        path = (home if in_home else cwd) / relative
        if path in seen:
            continue
        seen.add(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        env = doc.get("env") if isinstance(doc, dict) else None
        if isinstance(env, dict):
            picked = {k: str(v) for k, v in env.items() if isinstance(k, str) and relevant(k)}
            if picked:
                found.append((str(path), picked))
    return found


def describe(found: list[tuple[str, dict[str, str]]],
             environ: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """JSON-ready (redacted) view of the blocks, and notes where they differ from ``environ``."""
    view: dict[str, dict[str, str]] = {}
    notes = []
    for path, env in found:
        view[path] = {k: "<redacted, set>" if k in SECRET_VARIABLES else
                      redact_proxy(v) if k.upper().endswith("_PROXY") else redact_url(v)
                      for k, v in env.items()}
        for name, value in env.items():
            if environ.get(name) != value:
                notes.append(f"{path} sets {name} in its env block, and this run's environment "
                             "has a different value (or none): Claude Code may see the "
                             "settings value; export it to test that")
    return view, notes
