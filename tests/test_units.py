"""Unit tests of single functions: challenge parsing, host name matching, redaction, the
schema's enums against the code's."""

from __future__ import annotations

import datetime as dt

import pytest
import trustme
from cryptography import x509

from netcheck.hops.interception import product_in
from netcheck.hops.tls import hostname_matches
from netcheck.model import Code, Hop, Status, Step
from netcheck.net.challenges import parse_challenges
from netcheck.proxy.url import ProxyURL, ProxyURLError
from netcheck.redaction import REDACTED, Redactor, Secret, redact_url
from netcheck.report import load_schema


def test_bearer_challenge_with_resource_metadata():
    [c] = parse_challenges('Bearer resource_metadata="https://x.test/.well-known/oauth-'
                           'protected-resource", scope="read write", error="invalid_token"')
    assert c.scheme == "Bearer"
    assert c.params == {"resource_metadata": "https://x.test/.well-known/oauth-protected-resource",
                        "scope": "read write", "error": "invalid_token"}


def test_several_challenges_and_token68():
    found = parse_challenges('Basic realm="corp", Negotiate YIIB==, NTLM')
    assert [c.scheme for c in found] == ["Basic", "Negotiate", "NTLM"]
    assert found[0].params == {"realm": "corp"}
    assert found[1].token68 == "YIIB=="


@pytest.mark.parametrize("junk", ["", ",,,", '"unterminated', "=", "Bearer ,=,", "\x00\xff"])
def test_malformed_challenges_never_raise(junk):
    assert isinstance(parse_challenges(junk), list)


@pytest.fixture(scope="module")
def leaf() -> x509.Certificate:
    ca = trustme.CA()
    cert = ca.issue_cert("*.example.test", "exact.test", "10.1.2.3")
    return x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes())


@pytest.mark.parametrize(("host", "ok"), [
    ("exact.test", True), ("EXACT.test", True), ("a.example.test", True),
    ("example.test", False), ("a.b.example.test", False), ("10.1.2.3", True),
    ("10.1.2.4", False), ("other.test", False),
])
def test_hostname_matching(leaf, host, ok):
    assert hostname_matches(leaf, host) is ok


def test_product_names():
    assert product_in(["CN=Zscaler Intermediate Root CA, O=Zscaler Inc."]) == "Zscaler"
    assert product_in(["O=Netskope Inc"]) == "Netskope"
    assert product_in(["CN=Let's Encrypt R3"]) is None


def test_proxy_url_credentials_split_at_last_at_and_decoded():
    proxy = ProxyURL.parse("http://dom%5Cuser:p%40ss@word@proxy.corp:8080")
    assert proxy.username == "dom\\user"
    assert proxy.password is not None and proxy.password.reveal() == "p@ss@word"
    assert proxy.display == "http://proxy.corp:8080"
    assert "p@ss" not in repr(proxy)


@pytest.mark.parametrize("bad", ["", "http://", "http://host:0", "http://host:x",
                                 "ftp://host:21", "http://[::1", "http://a b:1"])
def test_bad_proxy_urls(bad):
    with pytest.raises(ProxyURLError):
        ProxyURL.parse(bad)


def test_secret_never_prints():
    secret = Secret("hunter22")
    assert "hunter22" not in f"{secret} {secret!r}"
    assert secret.reveal() == "hunter22"


def test_redact_url():
    assert redact_url("http://u:p@h:1/x?code=abc&state=s&response_type=code&flag") == \
        f"http://u:{REDACTED}@h:1/x?code={REDACTED}&state={REDACTED}&response_type=code&flag"


def test_redactor_keeps_failure_codes():
    redactor = Redactor()
    redactor.add("wrong")
    tree = redactor.scrub_tree({"code": "key_passphrase_wrong", "message": "wrong passphrase"})
    assert tree == {"code": "key_passphrase_wrong", "message": f"{REDACTED} passphrase"}


def test_schema_enums_match_the_code():
    defs = load_schema()["$defs"]
    assert defs["code"]["enum"] == [c.value for c in Code]
    assert defs["hop_name"]["enum"] == [h.value for h in Hop]
    assert defs["step_name"]["enum"] == [s.value for s in Step]
    assert defs["hop"]["properties"]["status"]["enum"] == [s.value for s in Status]


def test_identity_expiry_warning(pki):
    from netcheck.settings.client_identity import check_identity, load_identity

    identity = load_identity(pki.path("client.pem"), pki.path("client.key"), None)
    soon = identity.certificate.not_valid_after_utc - dt.timedelta(days=3)
    verdict = check_identity(identity, soon)
    assert verdict.failure is None
    assert "expires in" in verdict.warnings[0]


@pytest.mark.parametrize("digits", ["²", "٣٣", "３１２８"])
def test_digits_that_are_not_ascii_are_not_ports(digits: str) -> None:
    """str.isdigit() accepts them, int() does not (Hypothesis found '0:²' in HTTPS_PROXY):
    each is a bad port, never a ValueError."""
    from netcheck.net.address import port_problem
    from netcheck.proxy.claude_code import decide_session
    from netcheck.proxy.models import Target
    from netcheck.proxy.url import ProxyURL, ProxyURLError

    with pytest.raises(ProxyURLError):
        ProxyURL.parse(f"proxy.corp:{digits}")
    assert port_problem(digits) is not None
    decide_session({"HTTPS_PROXY": f"http://proxy.corp:{digits}",
                    "NO_PROXY": f"corp.example:{digits},10.0.0.0/{digits}"},
                   Target.parse("https://mcp.corp.example/mcp"))  # decides, never raises
