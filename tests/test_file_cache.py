"""Trust material read once per process while its files are unchanged, re-read when they
change (several checks in one process: every configured server, the demo's two runs)."""

from __future__ import annotations

import os
from pathlib import Path

from netcheck.settings.files import UnchangedFileCache, certificates_in_file
from tests.pki import Pki


def test_an_unchanged_file_is_worked_out_once_and_a_changed_one_again(tmp_path: Path) -> None:
    cache = UnchangedFileCache()
    path = tmp_path / "bundle.pem"
    path.write_text("one")
    calls: list[str] = []

    def work() -> str:
        calls.append(path.read_text())
        return path.read_text()

    assert cache.get([str(path)], "t", work) == "one"
    assert cache.get([str(path)], "t", work) == "one"
    assert calls == ["one"]
    assert cache.get([str(path)], "other tag", work) == "one"  # another question, asked anew
    assert len(calls) == 2
    path.write_text("two, longer")
    assert cache.get([str(path)], "t", work) == "two, longer"
    stat = path.stat()
    path.write_text("six!!!!!!!!")  # same size: the modification time tells
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.get([str(path)], "t", work) == "six!!!!!!!!"


def test_a_missing_file_is_never_remembered(tmp_path: Path) -> None:
    cache = UnchangedFileCache()
    path = tmp_path / "absent.pem"
    results = iter(["first", "second"])
    assert cache.get([str(path)], "t", lambda: next(results)) == "first"
    assert cache.get([str(path)], "t", lambda: next(results)) == "second"


def test_certificates_follow_the_file(tmp_path: Path, pki: Pki) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(pki.path("public-ca.pem")).read_bytes())
    first, _bad = certificates_in_file(str(bundle), "CA file")
    bundle.write_bytes(Path(pki.path("public-ca.pem")).read_bytes() * 2)
    second, _bad = certificates_in_file(str(bundle), "CA file")
    assert len(second) == 2 * len(first)


def test_a_bundle_several_variables_name_is_read_once_into_a_store(pki: Pki,
                                                                   monkeypatch) -> None:
    """SSL_CERT_FILE, NODE_EXTRA_CA_CERTS and the like often all name the system bundle: the
    store of the client's sources reads it once, and still trusts every certificate."""
    from OpenSSL import crypto

    from netcheck.settings import trust

    read: list[str] = []
    original = crypto.X509Store.load_locations

    def counting(self, cafile, capath=None):  # type: ignore[no-untyped-def]
        read.append(str(cafile))
        return original(self, cafile, capath)

    monkeypatch.setattr(crypto.X509Store, "load_locations", counting)
    bundle = pki.path("public-ca.pem")
    sources = [trust.load_source(name, f"env {name}", [bundle], public=False, what="file")
               for name in ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS")]
    sources.append(trust.load_source("extra", "--cacert", [pki.path("client-ca.pem")],
                                     public=False, what="file"))
    store = trust._new_store_of(sources)
    assert read == [bundle, pki.path("client-ca.pem")]
    for source in sources:
        cert = crypto.X509.from_cryptography(source.certificates[0])
        crypto.X509StoreContext(store, cert).verify_certificate()  # a root: trusted as itself
