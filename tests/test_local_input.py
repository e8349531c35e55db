"""Bad local files, every kind for every role: each is a ``settings`` diagnosis with a hint.

Kinds: missing, empty, a directory, unreadable (permission), huge (over 16 MiB) and garbage.
Roles: client certificate, client key, CA bundle (--cacert, and SSL_CERT_FILE for the MCP
Python SDK) and PKCS#12. Plus a wrong passphrase for each kind of encrypted key.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import jsonschema
import pytest

from netcheck.cli import main
from tests.pki import Pki

KINDS = ("missing", "empty", "directory", "unreadable", "huge", "garbage")


def make(kind: str, where: Path, suffix: str) -> str:
    """A file of ``kind`` in ``where`` (a directory anyone may enter)."""
    path = where / f"{kind}{suffix}"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        path.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        path.chmod(0)
    elif kind == "huge":
        with path.open("wb") as fh:  # sparse: 17 MiB without writing them
            fh.truncate(17 * 1024 * 1024)
    elif kind == "garbage":
        path.write_bytes(os.urandom(2048).replace(b"-", b"_"))
    return str(path)


def run_in_child(argv: list[str], env: dict[str, str], *, as_nobody: bool) -> tuple[int, str]:
    """``netcheck`` in a forked child (as nobody when asked, since root reads mode-0 files
    anyway); the exit status and what it printed. Forking keeps the privilege change out of
    this process and its server threads.

    As nobody, the child cannot read root's Python installation, so whatever the run imports
    must be imported before the fork: a first run here, with the bad file's path made a
    missing one, goes down the same code."""
    if as_nobody:
        missing = [f"{a}.missing" if a.endswith(("unreadable.pem", "unreadable.p12")) else a
                   for a in argv]
        warm_env = {k: f"{v}.missing" if v.endswith("unreadable.pem") else v
                    for k, v in env.items()}
        main(missing, environ=warm_env, stdout=io.StringIO(), stderr=io.StringIO())
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            os.close(read_end)
            if as_nobody:
                os.setgid(65534)
                os.setuid(65534)
            out, err = io.StringIO(), io.StringIO()
            code = int(main(argv, environ=env, stdout=out, stderr=err))
            os.write(write_end, (out.getvalue() + "\0" + err.getvalue()).encode())
        except BaseException as exc:  # noqa: BLE001 - told to the parent, which fails the test
            os.write(write_end, f"\0the forked child failed: {exc!r}".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode()


@pytest.fixture
def open_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("local-input")
    where.chmod(0o755)
    for parent in where.parents:  # pytest's base directory is private to its user
        if parent == Path(parent.anchor) or parent == Path("/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o111)
    return where


CERT_CODES = {"missing": "cert_file_unreadable", "empty": "cert_file_unreadable",
              "directory": "cert_file_unreadable", "unreadable": "cert_file_unreadable",
              "huge": "cert_file_unreadable", "garbage": "cert_invalid"}
KEY_CODES = {**{k: "key_file_unreadable" for k in KINDS}, "garbage": "key_invalid"}
CA_CODES = {**{k: "ca_file_unreadable" for k in KINDS}, "garbage": "ca_file_no_certificates"}
WORDS = {"missing": "does not exist", "empty": "is empty", "directory": "directory",
         "unreadable": "permission denied", "huge": "too large"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ["cert", "key", "cacert", "ssl-cert-file", "pkcs12"])
def test_bad_local_file(schema, pki: Pki, dns_server, open_dir, role, kind):
    suffix = ".p12" if role == "pkcs12" else ".pem"
    bad = make(kind, open_dir, suffix)
    # what netcheck needs besides the bad file is readable by anyone (see 'unreadable')
    good_cert = open_dir / "good.pem"
    good_key = open_dir / "good.key"
    roots = open_dir / "roots.pem"
    good_cert.write_bytes(Path(pki.path("client.pem")).read_bytes())
    good_key.write_bytes(Path(pki.path("client.key")).read_bytes())
    roots.write_bytes(Path(pki.path("public-ca.pem")).read_bytes())
    args = ["--public-roots", str(roots), "--dns-server", dns_server.address, "--timeout", "2",
            "--no-oauth", "--json", "-"]
    env = {"HOME": str(open_dir)}
    if role != "ssl-cert-file":  # a client that cannot start without its files (Claude Code
        args += ["--client", "curl"]  # skips a certificate it cannot read: test_settings)
    if role in ("cert", "pkcs12"):
        args += ["--cert", bad] + (["--key", str(good_key)] if role == "cert" else [])
        hop, code = "client_cert", CERT_CODES[kind]
    elif role == "key":
        args += ["--cert", str(good_cert), "--key", bad]
        hop, code = "client_cert", KEY_CODES[kind]
    elif role == "cacert":
        args += ["--cacert", bad]
        hop, code = "tls", CA_CODES[kind]
    else:  # the MCP Python SDK's httpx2 cannot start without its SSL_CERT_FILE
        env["SSL_CERT_FILE"] = bad
        args += ["--client", "python"]
        hop, code = "tls", CA_CODES[kind]
    if role == "pkcs12" and kind == "garbage":
        code = "cert_invalid"
    status, printed = run_in_child(["check", "https://mcp.test/mcp", *args], env,
                                   as_nobody=kind == "unreadable" and os.geteuid() == 0)
    stdout, _, stderr = printed.partition("\0")
    assert stdout, stderr
    report = json.loads(stdout)
    jsonschema.validate(report, schema)
    verdict = report["verdict"]
    assert status == 1 and report["ok"] is False
    assert (verdict["step"], verdict["hop"], verdict["code"]) == ("settings", hop, code), verdict
    assert verdict["hint"], verdict
    assert kind not in WORDS or WORDS[kind] in verdict["message"], verdict["message"]
    assert "Traceback" not in stdout + stderr
    assert all(h["status"] == "skipped" for h in report["steps"][1]["hops"])


@pytest.mark.parametrize(("cert", "key"), [
    ("client.pem", "client-pkcs8-encrypted.key"),
    ("client.pem", "client-traditional-encrypted.key"),
    ("client.p12", None),
])
def test_wrong_passphrase(run_cli, pki: Pki, base_args, cert, key):
    """Fatal for every client (Claude Code opens no connection at all, measured); curl also
    reads PKCS#12, which Claude Code would skip."""
    args = ["--cert", pki.path(cert), "--client", "curl"] + (["--key", pki.path(key)]
                                                              if key else [])
    result = run_cli("check", "https://mcp.test/mcp", *base_args, *args,
                     env={"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE": "not-the-passphrase"})
    assert result.diagnosis == ("settings", "client_cert", "key_passphrase_wrong")
    assert result.report["verdict"]["hint"]
    assert "not-the-passphrase" not in result.stdout + result.stderr
