"""The session cannot reach beyond loopback (:mod:`tests.confine`): what the other tests and
the real clients they drive rely on to keep the rule "nothing leaves 127.0.0.0/8 and ::1"."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from tests.confine import interfaces


@pytest.fixture
def confined() -> None:
    if os.geteuid() != 0:
        pytest.skip("the session is confined only when the tests run as root")


def test_only_the_loopback_interface_is_here(confined: None) -> None:
    assert interfaces() == ["lo"]


def test_an_address_beyond_loopback_is_unreachable_from_the_tests_and_their_children(
        confined: None) -> None:
    for family, address in ((socket.AF_INET, ("192.0.2.1", 443)),
                            (socket.AF_INET6, ("2001:db8::1", 443))):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            with pytest.raises(OSError) as caught:
                sock.connect(address)
            assert caught.value.errno in (101, 99), caught.value  # ENETUNREACH / EADDRNOTAVAIL
    child = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, timeout=10,
                           check=True)
    assert [line.split(":")[1].strip() for line in child.stdout.splitlines()] == ["lo"]


def test_loopback_still_works(confined: None) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname(), timeout=2):
        pass
