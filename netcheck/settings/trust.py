"""Trust sources: the certificate stores a client verifies servers against.

Every source is loaded once per run and reported with its certificate count; which ones the
chosen client actually uses depends on the profile (``TrustRules.sources``). The TLS hop
verifies each server chain against every source separately, so the report can say "your system
store would accept this, Claude Code's bundled store would not".
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from netcheck.profiles.rules import TrustRules
from netcheck.settings.ca_fix import CaFix, windows_platform
from netcheck.settings.files import (
    LocalFileError,
    certificate_bodies_in_file,
    certificate_files_in,
    certificates_in_file,
    unchanged,
)
from netcheck.settings.platform_stores import PlatformStore, StoreReader

# Variables that name a CA file, and the profiles that read them.
CA_VARIABLES = ("NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
                "CODEX_CA_CERTIFICATE")


ContentKey = tuple[tuple[str, ...], tuple[str, ...]]  # (files, directories) a source reads


@dataclass
class TrustSource:
    name: str  # "bundled", "system", a variable name, or "--cacert"
    origin: str  # where its content came from
    paths: list[str]
    public: bool  # the public web PKI (Mozilla's roots, as bundled by certifi)
    used: bool = False  # the profile's client uses it
    certificates: list[x509.Certificate] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # certificate files read as files
    dirs: list[str] = field(default_factory=list)  # OpenSSL-style directories (hash lookup)
    skipped_blocks: int = 0
    error: str | None = None

    @property
    def content_key(self) -> ContentKey:
        """Sources read from the same files and directories hold the same certificates
        (NODE_EXTRA_CA_CERTS, CURL_CA_BUNDLE and SSL_CERT_FILE often name one file): they
        share a store."""
        if not self.files and not self.dirs:  # a platform's store (Windows, macOS): its own
            return (f"<{self.name}: {self.origin}>",), ()
        return tuple(self.files), tuple(self.dirs)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "paths": self.paths,
            "public": self.public,
            "used_by_client": self.used,
            "certificates": len(self.certificates),
            "unparsable_blocks": self.skipped_blocks,
            "error": self.error,
        }


Parsed = dict[str, tuple[list[x509.Certificate], int]]  # path -> (certificates, bad blocks)


def load_source(name: str, origin: str, paths: list[str], *, public: bool,
                what: str, dirs: bool | str = False,
                parsed: Parsed | None = None, skip_bad: bool = False) -> TrustSource:
    """Load certificates from files (and OpenSSL-style directories where the client reads
    them: ``dirs``), recording any problem. ``parsed`` carries files already parsed this run:
    several variables often name the same bundle."""
    source = TrustSource(name=name, origin=origin, paths=paths, public=public)
    parsed = {} if parsed is None else parsed
    known: set[bytes] = set()  # PEM bodies read so far: a store read file by file repeats its
    for path in paths:          # bundle (Debian's /etc/ssl/certs), which need not be re-parsed
        try:
            is_dir = (dirs is True or dirs == path) and os.path.isdir(path)
            if skip_bad and not is_dir:
                bodies = certificate_bodies_in_file(path, what)
                if bodies and bodies <= known:
                    continue
                known |= bodies
            (source.dirs if is_dir else source.files).append(path)
            for file in certificate_files_in(path) if is_dir else [path]:
                key = os.path.abspath(file)
                if key not in parsed:
                    parsed[key] = certificates_in_file(file, what)
                certs, bad = parsed[key]
                source.certificates.extend(certs)
                source.skipped_blocks += bad
        except LocalFileError as exc:
            if skip_bad:  # a store read file by file skips what it cannot read
                source.skipped_blocks += 1
                continue
            source.error = str(exc)
            return source
    # a file and a directory of the same store (SSL_CERT_FILE + SSL_CERT_DIR) repeat each other
    source.certificates = list(dict.fromkeys(source.certificates))
    if not source.certificates:
        named = ", ".join(paths) if len(paths) <= 3 else f"{len(paths)} files ({origin})"
        source.error = f"{what} {named} holds no certificates"
    return source


def system_store_paths(env: Mapping[str, str]) -> tuple[list[str], str, str | None]:
    """The OS store as OpenSSL finds it (SSL_CERT_FILE / SSL_CERT_DIR override it): its
    paths, where they came from, and which one is the hashed directory."""
    defaults = ssl.get_default_verify_paths()
    paths, origins = [], []
    cafile = env.get("SSL_CERT_FILE") or defaults.openssl_cafile
    capath = env.get("SSL_CERT_DIR") or defaults.openssl_capath
    if cafile and (env.get("SSL_CERT_FILE") or os.path.exists(cafile)):
        paths.append(cafile)
        origins.append("env SSL_CERT_FILE" if env.get("SSL_CERT_FILE") else "OpenSSL default file")
    directory = None
    if capath and (env.get("SSL_CERT_DIR") or (not paths and os.path.isdir(capath))):
        paths.append(capath)
        directory = capath
        origins.append("env SSL_CERT_DIR" if env.get("SSL_CERT_DIR") else "OpenSSL default dir")
    return paths, " + ".join(origins) or "none found", directory


@dataclass
class TrustSetup:
    sources: list[TrustSource]
    why: str  # how the profile's stores were chosen
    verification_off: str | None = None  # the setting that turns the client's checks off
    fix: CaFix | None = None  # how to make the client trust one more CA
    _union: Any = None
    verdicts: dict[tuple[bytes, ...], Any] = field(default_factory=dict)  # per chain, see tls

    @property
    def used(self) -> list[TrustSource]:
        return [s for s in self.sources if s.used and not s.error]

    _stores: dict[ContentKey, Any] = field(default_factory=dict)
    _building: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _proxy: TrustSetup | None = None

    def for_proxy(self, rules: TrustRules, env: Mapping[str, str]) -> TrustSetup:
        """What an https:// proxy's own certificate is checked against: the servers' trust,
        unless the client checks proxies against other sources (``rules.proxy_sources``)."""
        if rules.proxy_sources is None:
            return self
        with self._building:
            if self._proxy is None:
                used, why = rules.proxy_sources(env)
                fix = self.fix and dataclasses.replace(self.fix, flag=rules.proxy_ca_flag,
                                                       caveat=why)
                self._proxy = TrustSetup(
                    sources=[dataclasses.replace(s, used=s.name in used)
                             for s in self.sources],
                    why=why, verification_off=self.verification_off, fix=fix)
            return self._proxy

    def union_store(self) -> Any:
        """One OpenSSL store with every certificate the client trusts (built once a run)."""
        with self._building:
            if self._union is None:
                self._union = _store_of(self.used)
            return self._union

    def store_of(self, source: TrustSource) -> Any:
        """An OpenSSL store of one source (built once a run for each distinct content)."""
        key = source.content_key
        with self._building:
            if key not in self._stores:
                self._stores[key] = _store_of([source])
            return self._stores[key]

    def build_stores(self) -> None:
        """Build every store the TLS hop verifies chains against: called in the background
        while the first handshake waits for the server, so the chain's check finds them."""
        self.union_store()
        for source in self.sources:
            if not source.error and source.certificates:
                self.store_of(source)


def _store_of(sources: list[TrustSource]) -> Any:
    """An OpenSSL store of ``sources`` (shared by the runs of one process while their files
    are unchanged; OpenSSL's stores are safe to verify against from several threads)."""
    if any(not source.files and not source.dirs for source in sources):
        return _new_store_of(sources)  # a platform's store, read through its API: no files
    paths = [path for source in sources for path in (*source.dirs, *source.files)]
    tag = ("store", tuple(source.content_key for source in sources))
    return unchanged.get(paths, tag, lambda: _new_store_of(sources))


def _new_store_of(sources: list[TrustSource]) -> Any:
    """An OpenSSL store of ``sources``: OpenSSL reads their files itself (several times faster
    than converting parsed certificates one by one) and looks directories up by subject hash,
    as OpenSSL clients do; a file it refuses as a whole (a bad block among good ones) falls
    back to the certificates we parsed from it. A path several sources name (variables often
    all point at the system bundle) is read once."""
    from OpenSSL import crypto

    store = crypto.X509Store()
    loaded: set[str] = set()
    for source in sources:
        if not source.files and not source.dirs:  # a platform's store: certificates only
            for cert in source.certificates:
                with contextlib.suppress(crypto.Error):  # already added from another source
                    store.add_cert(crypto.X509.from_cryptography(cert))
            continue
        try:
            for directory in source.dirs:
                if os.path.abspath(directory) not in loaded:
                    store.load_locations(None, directory)
            for file in source.files:
                if os.path.abspath(file) not in loaded:
                    store.load_locations(file)
        except crypto.Error:
            for cert in source.certificates:
                with contextlib.suppress(crypto.Error):  # already added from a good file
                    store.add_cert(crypto.X509.from_cryptography(cert))
        # read, or its certificates added one by one: either way in the store now
        loaded.update(os.path.abspath(path) for path in (*source.dirs, *source.files))
    return store


def certifi_bundle() -> tuple[str, str]:
    """certifi's version and the path of its bundle, found without importing it (its import
    brings importlib.resources and tempfile: ten milliseconds of every check)."""
    import importlib.util

    from netcheck.versions import installed_versions

    spec = importlib.util.find_spec("certifi")
    if spec is not None and spec.origin:
        bundle = os.path.join(os.path.dirname(spec.origin), "cacert.pem")
        version = installed_versions(["certifi"])["certifi"]
        if os.path.isfile(bundle) and version:
            return version, bundle
    import certifi  # an unusual install (a zip): ask it

    return certifi.__version__, certifi.where()


def load_trust(rules: TrustRules, env: Mapping[str, str], cacerts: list[str],
               public_roots: str | None, client: str = "the client",
               reader: StoreReader | None = None,
               proxy_cacerts: tuple[str, ...] = ()) -> TrustSetup:
    """Load every trust source that exists here and mark those the profile uses. ``reader``
    reads the platform's own store on Windows and macOS (default: this platform's);
    ``proxy_cacerts`` are CAs the client is given for proxies only (curl's --proxy-cacert)."""
    reader = reader or StoreReader()

    parsed: Parsed = {}
    if public_roots:
        bundled = load_source("bundled", "--public-roots", [public_roots], public=True,
                              what="public roots file", parsed=parsed)
    else:
        version, bundle = certifi_bundle()
        bundled = load_source("bundled", f"certifi {version} (Mozilla roots)", [bundle],
                              public=True, what="bundled roots", parsed=parsed)
    if reader.reads_platform_store and not (env.get("SSL_CERT_FILE") or env.get("SSL_CERT_DIR")):
        # the clients that read these variables there (httpx2, Go) then use them instead
        system = _platform_source(reader.read())
    else:
        system = _file_system_source(rules, env, parsed)
    sources = [bundled, system]
    for var in CA_VARIABLES:
        if env.get(var):
            sources.append(load_source(var, f"env {var}", [env[var]], public=False,
                                       what=f"{var} file", dirs=var == "REQUESTS_CA_BUNDLE",
                                       parsed=parsed))
    for path in cacerts:
        sources.append(load_source("--cacert", "flag --cacert", [path], public=False,
                                   what="--cacert file", parsed=parsed))
    for path in proxy_cacerts:
        sources.append(load_source("--proxy-cacert", "flag --proxy-cacert", [path],
                                   public=False, what="--proxy-cacert file", parsed=parsed))
    used, why = rules.sources(env)
    for source in sources:
        source.used = source.name in used or source.name == "--cacert"
    base = None if rules.ca_fix_adds else (
        bundled.files[0] if reader.reads_platform_store and bundled.files
        else _public_bundle(bundled))
    keeps = rules.ca_fix_keeps(env) if rules.ca_fix_keeps and not reader.reads_platform_store \
        else []
    fix = CaFix(variable=rules.ca_fix, adds=rules.ca_fix_adds, client=client, base=base,
                current=env.get(rules.ca_fix) or None,
                windows=windows_platform(reader.platform), keeps=tuple(keeps),
                caveat=rules.ca_fix_caveat)
    return TrustSetup(sources=sources, why=why, verification_off=rules.verification_off(env),
                      fix=fix)


def _file_system_source(rules: TrustRules, env: Mapping[str, str], parsed: Parsed
                        ) -> TrustSource:
    """The system store where it is files (Linux): as the profile's client finds them, or as
    OpenSSL does."""
    if rules.system_store is not None:
        paths, origin = rules.system_store(env)
        directory = None
    else:
        paths, origin, directory = system_store_paths(env)
    if not paths:
        return TrustSource("system", origin, [], public=False,
                           error="no system certificate store found")
    return load_source("system", origin, paths, public=False, what="system store",
                       dirs=directory or rules.system_store is not None, parsed=parsed,
                       skip_bad=rules.system_store is not None)


def _platform_source(store: PlatformStore) -> TrustSource:
    """The system store where the platform keeps it (Windows, macOS)."""
    return TrustSource("system", store.origin, store.paths, public=False,
                       certificates=store.certificates, skipped_blocks=store.skipped,
                       error=store.error)


def _public_bundle(bundled: TrustSource) -> str | None:
    """The file of public roots a client that reads OpenSSL's default store starts from: that
    default file, else the public roots netcheck uses (certifi's)."""
    paths, _origin, directory = system_store_paths({})
    files = [p for p in paths if p != directory and os.path.isfile(p)]
    if files:
        return files[0]
    return bundled.files[0] if bundled.files else None
