"""Address classes at their edges."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from custom_components.plex_remote_doctor.doctor.network import AddressClass, classify, is_public, parse_ipv4

A = AddressClass


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", A.PUBLIC),
        ("203.0.113.2", A.PUBLIC),  # TEST-NET-3 counts as public
        ("198.51.100.1", A.PUBLIC),  # TEST-NET-2
        ("192.0.2.1", A.PUBLIC),  # TEST-NET-1
        ("10.0.0.1", A.PRIVATE),
        ("10.255.255.254", A.PRIVATE),
        ("172.15.255.255", A.PUBLIC),
        ("172.16.0.1", A.PRIVATE),
        ("172.31.255.254", A.PRIVATE),
        ("172.32.0.0", A.PUBLIC),
        ("192.168.1.1", A.PRIVATE),
        ("100.63.255.255", A.PUBLIC),
        ("100.64.0.0", A.CGNAT),
        ("100.127.255.255", A.CGNAT),
        ("100.128.0.0", A.PUBLIC),
        ("192.0.0.1", A.DS_LITE),
        ("192.0.0.7", A.DS_LITE),
        ("192.0.0.8", A.DS_LITE),  # RFC 7600's dummy address of IPv6-only lines (contract: /24)
        ("192.0.0.255", A.DS_LITE),
        ("192.0.1.1", A.PUBLIC),  # just past the /24
        ("127.0.0.1", A.LOOPBACK),
        ("169.254.10.1", A.LINK_LOCAL),
        ("0.0.0.0", A.UNSPECIFIED),
        ("224.0.0.251", A.MULTICAST),
        ("240.0.0.1", A.RESERVED),
        ("255.255.255.255", A.RESERVED),
        ("2001:db8::1", A.PUBLIC),
        ("2a00:1450::1", A.PUBLIC),
        ("fd00::1", A.PRIVATE),
        ("fe80::1", A.LINK_LOCAL),
        ("::1", A.LOOPBACK),
        ("::", A.UNSPECIFIED),
        ("ff02::1", A.MULTICAST),
        ("::ffff:100.64.1.1", A.CGNAT),
    ],
)
def test_classify(address: str, expected: AddressClass) -> None:
    """Python's ipaddress calls 100.64/10 neither private nor global; the runbook does not."""
    assert classify(ip_address(address)) is expected
    assert is_public(ip_address(address)) is (expected is A.PUBLIC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.2", "203.0.113.2"),
        (" 203.0.113.2\n", "203.0.113.2"),
        ("", None),
        ("0.0.0.0", "0.0.0.0"),
        ("2001:db8::1", None),
        ("203.0.113", None),
        ("203.0.113.256", None),
        ("<html>", None),
        (None, None),
        (12345, None),
    ],
)
def test_parse_ipv4(text: object, expected: str | None) -> None:
    """Only a well-formed IPv4 address is an address."""
    parsed = parse_ipv4(text)
    assert (str(parsed) if parsed else None) == expected
