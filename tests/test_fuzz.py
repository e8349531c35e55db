"""Fuzzing (hypothesis) of everything that parses input netcheck does not control: proxy and
NO_PROXY values for every client model, WWW-Authenticate headers, the well-known URL builders
and certificate material. No input may raise anything but the documented error, and the reports
built from fuzzed input still validate against the schema.

Example counts are bounded so the suite stays fast; run with ``--hypothesis-seed`` to replay.
"""

from __future__ import annotations

import contextlib
import io
import json
import string
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
)

from netcheck.cli import main
from netcheck.hops import proxy_resolve
from netcheck.net.challenges import parse_challenges
from netcheck.oauth.discovery import (
    authorization_server_metadata_urls,
    protected_resource_metadata_urls,
)
from netcheck.profiles import PROFILES
from netcheck.proxy.models import Target
from netcheck.proxy.registry import MODELS, decide_all
from netcheck.proxy.url import ProxyURL, ProxyURLError
from netcheck.redaction import redact_urls_in
from netcheck.settings.client_identity import IdentityError, load_identity
from netcheck.settings.files import parse_certificates
from netcheck.settings.trust import load_source
from tests import hostile

FAST = settings(max_examples=300, deadline=None)
NETWORK = settings(max_examples=25, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- proxy variables and NO_PROXY -------------------------------------------------------------

PROXY_NAMES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
               "all_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD")
URL_CHARS = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=% \t*"
fragments = st.sampled_from(["http://", "https://", "socks5://", "HTTP://", "://", "[", "]",
                             "::1", "127.0.0.1", "localhost", ":", "@", ".", ",", "*", "/",
                             "%40", "user:pa:ss@", "10.0.0.0/8", ".corp", "[::1]:8080"])
proxyish = st.lists(st.one_of(fragments, st.text(URL_CHARS, max_size=8)), max_size=6).map(
    "".join)
any_text = st.text(max_size=40)
environments = st.dictionaries(st.sampled_from(PROXY_NAMES), st.one_of(proxyish, any_text),
                               max_size=5)
targets = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["mcp.corp.example", "localhost", "127.0.0.1", "[::1]", "10.1.2.3",
                     "a.b.corp", "xn--bcher-kva.example"]),
    st.sampled_from(["", ":443", ":8080", ":1"]),
    st.sampled_from(["", "/", "/mcp", "/a/b?x=1"]))


@FAST
@given(env=environments, url=targets)
def test_every_client_model_decides_without_raising(env, url):
    decisions = decide_all(env, url, every=True)
    assert set(decisions) == set(MODELS)
    for decision in decisions.values():
        decision.as_vector()  # the documented forms only
        assert decision.error is None or decision.raw is None or decision.proxy_url
        json.dumps(decision.to_json())


@FAST
@given(env=environments, url=targets, profile=st.sampled_from(sorted(PROFILES)))
def test_proxy_resolve_hop_is_total(env, url, profile):
    outcome = proxy_resolve.resolve(env, url, PROFILES[profile])
    hop, proxy = outcome.result, outcome.value
    assert hop.status.value in ("ok", "warning", "failed")
    assert (proxy is None) or (hop.status.value != "failed")
    json.dumps(hop.details, default=str)


@FAST
@given(value=st.one_of(proxyish, any_text))
def test_proxy_url_parser_raises_only_its_own_error(value):
    try:
        parsed = ProxyURL.parse(value)
    except ProxyURLError as exc:
        assert str(exc)
        return
    assert parsed.host and 0 < parsed.port < 65536


@FAST
@given(url=st.one_of(targets, any_text))
def test_target_parser_raises_only_value_error(url):
    with contextlib.suppress(ValueError):
        Target.parse(url)


# --- WWW-Authenticate -------------------------------------------------------------------------

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=120)
challengeish = st.lists(st.one_of(
    st.sampled_from(["Bearer", "Basic", "Negotiate", " ", ",", "=", '"', "\\", "realm",
                     "resource_metadata", "scope", "error", "==", 'x="a,b"', "token68=="]),
    st.text(string.printable.strip(), max_size=6)), max_size=12).map("".join)


@FAST
@given(value=st.one_of(header_text, challengeish))
@example('Bearer resource_metadata="https://x, realm=,"y')
@example('Bearer realm="unterminated \\')
def test_www_authenticate_parser_is_total(value):
    for challenge in parse_challenges(value):
        assert challenge.scheme
        assert all(isinstance(k, str) and isinstance(v, str)
                   for k, v in challenge.params.items())
        json.dumps(challenge.to_json())


@pytest.fixture(scope="module")
def challenge_server():
    server = hostile.RawHttpsServer(None)
    yield server
    server.close()


@NETWORK
@given(value=st.one_of(challengeish, header_text.filter(lambda v: v.strip() == v)))
def test_any_www_authenticate_gives_a_valid_report(run_cli, schema, challenge_server, value):
    challenge_server.routes["/mcp"] = hostile.answer(401, b"{}", [("WWW-Authenticate", value)])
    result = run_cli("check", challenge_server.url("/mcp"), "--timeout", "2", "--no-oauth")
    assert result.status in (0, 1)
    assert result.report is not None  # run_cli validated it against the schema
    assert "Traceback" not in result.stdout + result.stderr


# --- well-known URL builders -------------------------------------------------------------------

segment = st.text(string.ascii_letters + string.digits + "-._~%;=:@!$&'()*+,", max_size=8)
paths = st.lists(st.one_of(segment, st.sampled_from(["", ".", ".."])), max_size=4).map(
    lambda parts: "/".join(["", *parts]) if parts else "")
server_urls = st.builds(lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
                        st.sampled_from(["https", "http"]),
                        st.sampled_from(["mcp.example", "mcp.example:8443", "[::1]:9",
                                         "u@h.example"]),
                        paths, st.sampled_from(["", "?a=b", "#frag"]))


@FAST
@given(server=server_urls, hinted=st.one_of(st.none(), server_urls))
def test_protected_resource_urls_are_the_sdks(server, hinted):
    assert protected_resource_metadata_urls(server, hinted) == \
        build_protected_resource_metadata_discovery_urls(hinted, server)


@FAST
@given(issuer=server_urls)
def test_authorization_server_urls_are_the_sdks(issuer):
    assert authorization_server_metadata_urls(issuer) == \
        build_oauth_authorization_server_metadata_discovery_urls(issuer, "https://unused/")


# --- certificate material ----------------------------------------------------------------------

def pem(label: str) -> st.SearchStrategy[bytes]:
    import base64

    return st.binary(max_size=300).map(
        lambda raw: (f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(raw)
                     + f"-----END {label}-----\n".encode()))


material = st.one_of(
    st.binary(max_size=400),
    pem("CERTIFICATE"), pem("PRIVATE KEY"), pem("ENCRYPTED PRIVATE KEY"),
    pem("RSA PRIVATE KEY"),
    st.tuples(pem("CERTIFICATE"), pem("EC PRIVATE KEY")).map(b"".join),
    st.binary(max_size=200).map(lambda raw: b"\x30\x82" + raw),  # DER / PKCS#12-looking
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-material")


@settings(FAST, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=material, suffix=st.sampled_from([".pem", ".der", ".p12"]),
       passphrase=st.one_of(st.none(), st.just("pw")))
def test_certificate_loading_on_arbitrary_bytes(scratch, data, suffix, passphrase):
    from netcheck.redaction import Secret

    path = scratch / f"material{suffix}"
    path.write_bytes(data)
    certs, bad = parse_certificates(data)
    assert bad >= 0 and all(c.subject is not None for c in certs)
    try:
        load_identity(str(path), None, Secret(passphrase) if passphrase else None)
    except IdentityError as exc:
        assert exc.code and exc.message and exc.hint
    source = load_source("--cacert", "fuzz", [str(path)], public=False, what="--cacert file")
    assert source.error or source.certificates


@NETWORK
@given(data=material, role=st.sampled_from(["--cert", "--cacert", "SSL_CERT_FILE"]))
def test_arbitrary_material_gives_a_valid_settings_report(scratch, schema: dict[str, Any],
                                                          data, role):
    path = scratch / "given.pem"
    path.write_bytes(data)
    # the MCP Python SDK cannot start with any of them unusable (Claude Code would skip them)
    args = ["check", "https://127.0.0.1:9/mcp", "--no-oauth", "--timeout", "1", "--json", "-",
            "--client", "python"]
    env = {"HOME": str(scratch)}
    if role.startswith("--"):
        args += [role, str(path)]
    else:
        env[role] = str(path)
    out, err = io.StringIO(), io.StringIO()
    status = main(args, environ=env, stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    jsonschema.validate(report, schema)
    assert status == 1 and report["verdict"]["step"] == "settings"
    assert "Traceback" not in err.getvalue()


# --- URLs inside free text (the report's backstop scrub) --------------------------------------

query_secret = st.text(string.ascii_letters + string.digits + "-._~%+/:@!$'()*,;=", min_size=6,
                       max_size=20)


@FAST
@given(before=any_text, after=any_text, value=query_secret,
       key=st.sampled_from(["sig", "token", "k", "code", "X-Amz-Signature"]),
       base=st.sampled_from(["https://h.example/p", "http://[::1]:8/a/b", "wss://x/",
                             "http://[bad"]))
def test_no_query_value_survives_inside_text(before, after, value, key, base):
    text = f"{before} {base}?{key}={value} {after}"
    assert value not in redact_urls_in(text).replace(before, "").replace(after, "")


def test_url_scrub_is_linear_on_hostile_text():
    import time

    for text in ("a." * 500_000 + "?", "x://" * 250_000 + "?", "http://h/?k=v " * 70_000):
        started = time.perf_counter()
        redact_urls_in(text)
        assert time.perf_counter() - started < 1.0  # a quadratic scan takes minutes here


@settings(FAST, max_examples=150)
@given(env=environments, url=targets, profile=st.sampled_from(sorted(PROFILES)))
def test_fuzzed_proxy_settings_give_a_valid_report(schema, env, url, profile):
    """The settings step and the proxy decision on fuzzed variables, built into a report
    without sending anything (a fuzzed proxy could name any address)."""
    import datetime as dt

    from netcheck.model import Step, StepResult, skipped
    from netcheck.pipeline import ORDER
    from netcheck.report import build_report
    from netcheck.runner import CheckRun, secrets_of
    from netcheck.settings.check import check_settings
    from netcheck.settings.gather import Options, gather

    options = Options(url=url, client=profile)
    settings_ = gather(options, env)
    settings_step, _prepared = check_settings(settings_)
    hop = proxy_resolve.resolve(settings_.env, url, settings_.profile).result
    resource = StepResult(step=Step.RESOURCE, url=url, hops=[hop] + [
        skipped(h, "not sent: fuzzed proxy settings") for h in ORDER[1:]])
    run = CheckRun(options=options, settings=settings_, environ=env,
                   started_at=dt.datetime.now(dt.UTC), steps=[settings_step, resource],
                   redactor=secrets_of(settings_, env, options))
    jsonschema.validate(build_report(run), schema)
