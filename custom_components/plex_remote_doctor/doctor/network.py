"""Address classes as the runbook uses them.

Python's ``ipaddress`` calls 100.64.0.0/10 neither private nor global and counts the
TEST-NETs as private; the runbook needs other lines: shared (CGNAT) space is its own
class, and documentation ranges count as public so that tests and labs may use them.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network


class AddressClass(StrEnum):
    """Where an address sits, in the runbook's terms."""

    PUBLIC = "public"
    PRIVATE = "private"  # RFC 1918 (IPv4), unique local fc00::/7 (IPv6)
    CGNAT = "cgnat"  # RFC 6598 shared address space 100.64.0.0/10
    # 192.0.0.0/24: DS-Lite's B4/AFTR (RFC 6333) and the dummy IPv4 of IPv6-only lines (RFC
    # 7600); a router with such a WAN address has no public IPv4: the carrier does IPv4 NAT.
    DS_LITE = "ds_lite"
    LOOPBACK = "loopback"
    LINK_LOCAL = "link_local"
    UNSPECIFIED = "unspecified"
    MULTICAST = "multicast"
    RESERVED = "reserved"  # 240.0.0.0/4, broadcast


_RFC1918 = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)
_SHARED_ADDRESS_SPACE = IPv4Network("100.64.0.0/10")
_DS_LITE = IPv4Network("192.0.0.0/24")
_FUTURE_USE = IPv4Network("240.0.0.0/4")
_IPV6_UNIQUE_LOCAL = IPv6Network("fc00::/7")


def classify(address: IPv4Address | IPv6Address) -> AddressClass:
    """Return the runbook's class of an address."""
    if isinstance(address, IPv6Address):
        return _classify_ipv6(address)
    if address.is_unspecified:
        return AddressClass.UNSPECIFIED
    if address.is_loopback:
        return AddressClass.LOOPBACK
    if address.is_link_local:
        return AddressClass.LINK_LOCAL
    if address.is_multicast:
        return AddressClass.MULTICAST
    if any(address in network for network in _RFC1918):
        return AddressClass.PRIVATE
    if address in _SHARED_ADDRESS_SPACE:
        return AddressClass.CGNAT
    if address in _DS_LITE:
        return AddressClass.DS_LITE
    if address in _FUTURE_USE or address == IPv4Address("255.255.255.255"):
        return AddressClass.RESERVED
    # Documentation (TEST-NET) and benchmarking ranges fall through on purpose.
    return AddressClass.PUBLIC


def _classify_ipv6(address: IPv6Address) -> AddressClass:
    if address.ipv4_mapped is not None:
        return classify(address.ipv4_mapped)
    if address.is_unspecified:
        return AddressClass.UNSPECIFIED
    if address.is_loopback:
        return AddressClass.LOOPBACK
    if address.is_link_local:
        return AddressClass.LINK_LOCAL
    if address.is_multicast:
        return AddressClass.MULTICAST
    if address in _IPV6_UNIQUE_LOCAL:
        return AddressClass.PRIVATE
    return AddressClass.PUBLIC


def is_public(address: IPv4Address | IPv6Address) -> bool:
    """Whether the internet can route to this address."""
    return classify(address) is AddressClass.PUBLIC


def parse_ipv4(text: object) -> IPv4Address | None:
    """Return an IPv4 address from text, or None for anything else (empty, IPv6, junk)."""
    if not isinstance(text, str):
        return None
    candidate = text.strip()
    try:
        return IPv4Address(candidate)
    except ValueError:
        return None
