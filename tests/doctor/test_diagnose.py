"""The runbook as a decision table: each finding triggers, and just misses.

Every row names the network (what differs from a healthy single-NAT home with UPnP
working) and the diagnosis the runbook gives for it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.plex_remote_doctor.doctor.diagnose import (
    Egress,
    Finding,
    RemoteAccessStatus,
    Verdict,
    WarningKey,
    diagnose,
)
from custom_components.plex_remote_doctor.doctor.evidence import CustomUrlResult, MappingState, SignInState

from .scenarios import CUSTOM_URL, LAN_IP, UPNP_PORT, WAN_IP, build, custom, mapping, remote_stream, without

FAILED = {"mapping_state": MappingState.FAILED, "mapping_error": None}
VPN = "198.51.100.77"  # where a VPN on one host leaves
OLD_PUBLIC_IP = "203.0.113.99"  # the home's address before the provider renumbered it
UNREACHABLE = {"mapping_error": "unreachable"}
# Manual mode: port 32500 chosen in Plex, a static forward the UPnP table does not show.
MANUAL = {"manual": True, "manual_port": 32500, "public_port": 32500, "table": ()}

S = RemoteAccessStatus
F = Finding

# id, changes from healthy, expected finding, expected status
TABLE: list[tuple[str, dict[str, Any], Finding | None, RemoteAccessStatus | None]] = [
    ("healthy", {}, F.OK, S.REACHABLE),
    # plex_unreachable
    ("server down", {"reachable": False}, F.PLEX_UNREACHABLE, None),
    ("miss plex_unreachable: server answers, account fine", {"sign_in": SignInState.OK}, F.OK, S.REACHABLE),
    # not_signed_in
    # Plex's own "unknown" mapping state is no status (v2), not relay
    ("signed out", {"sign_in": SignInState.NONE, "mapping_state": None}, F.NOT_SIGNED_IN, None),
    ("sign-in invalid", {"sign_in": SignInState.INVALID, **FAILED}, F.NOT_SIGNED_IN, S.RELAY),
    ("badauth", {"mapping_error": "badauth"}, F.NOT_SIGNED_IN, S.RELAY),
    (
        "miss not_signed_in: sign-in unknown is not signed out",
        {"sign_in": SignInState.UNKNOWN, **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    # remote_access_disabled
    ("remote access off", {"publish": False, "mapping_state": None}, F.REMOTE_ACCESS_DISABLED, S.DISABLED),
    (
        "miss remote_access_disabled: off but published by a custom URL that answers",
        {"publish": False, "custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.ANSWERS),)},
        F.OK,
        S.CUSTOM,
    ),
    # custom_url_unreachable (a reverse proxy is the only way in)
    (
        "custom URL: certificate expired",
        {"publish": False, "custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.TLS_EXPIRED),)},
        F.CUSTOM_URL_UNREACHABLE,
        S.DISABLED,
    ),
    (
        "custom URL: name does not resolve",
        {
            "publish": False,
            "custom": (CUSTOM_URL,),
            "custom_checks": (custom(CustomUrlResult.NAME_UNRESOLVED),),
        },
        F.CUSTOM_URL_UNREACHABLE,
        S.DISABLED,
    ),
    (
        "custom URL: another server answers",
        {"publish": False, "custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.OTHER_SERVER),)},
        F.CUSTOM_URL_UNREACHABLE,
        S.DISABLED,
    ),
    (
        "miss custom_url_unreachable: a timeout proves nothing (no hairpin NAT): unknown, not disabled",
        {"publish": False, "custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.TIMEOUT),)},
        None,
        None,
    ),
    (
        "miss custom_url_unreachable: one of two URLs answers",
        {
            "publish": False,
            "custom": (CUSTOM_URL, "https://other.example.com"),
            "custom_checks": (
                custom(CustomUrlResult.HTTP_ERROR, detail="HTTP 502"),
                custom(CustomUrlResult.ANSWERS, url="https://other.example.com"),
            ),
        },
        F.OK,
        S.CUSTOM,
    ),
    (
        "miss custom_url_unreachable: remote access on (Plex's path is the way in)",
        {"custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.TLS_EXPIRED),)},
        F.OK,
        S.REACHABLE,
    ),
    # a reverse proxy beside a failing Plex path: status custom, no network finding
    (
        "reverse proxy works while Plex's mapping fails",
        {"custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.ANSWERS),), **FAILED},
        F.OK,
        S.CUSTOM,
    ),
    (
        "reverse proxy times out while Plex's mapping fails: nothing is proven",
        {"custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.TIMEOUT),), **FAILED},
        None,
        None,
    ),
    (
        "reverse proxy answers for another server: Plex's own failure shows",
        {"custom": (CUSTOM_URL,), "custom_checks": (custom(CustomUrlResult.OTHER_SERVER),), **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    # cgnat
    ("WAN in 100.64/10", {"wan": "100.64.10.2", **FAILED}, F.CGNAT, S.RELAY),
    ("WAN at top of 100.64/10", {"wan": "100.127.255.254", **FAILED}, F.CGNAT, S.RELAY),
    ("WAN DS-Lite", {"wan": "192.0.0.2", **FAILED}, F.CGNAT, S.RELAY),
    ("WAN public but not the public IP", {"wan": "198.51.100.9", **FAILED}, F.CGNAT, S.RELAY),
    (
        "WAN public, HA and plex.tv both see another address",
        {"wan": "198.51.100.9", "plex_public": None, "plex_tv_public": WAN_IP, **FAILED},
        F.CGNAT,
        S.RELAY,
    ),
    (
        "miss cgnat: only the server's vantage point differs (public-IP service down: a VPN?)",
        {"wan": "198.51.100.9", "public_ip": None, **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    (
        "miss cgnat: HA leaves through a VPN, Plex sees the WAN IP",
        {"public_ip": "198.51.100.77", **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    (
        "miss cgnat: HA and the server see different addresses, neither the WAN's",
        {"wan": "198.51.100.9", "public_ip": "198.51.100.77", **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    (
        "miss cgnat: link-local WAN is no verdict",
        {"wan": "169.254.3.4", **UNREACHABLE, **MANUAL},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    (
        "miss cgnat: WAN just below 100.64/10",
        {"wan": "100.63.255.254", "public_ip": "100.63.255.254", "plex_public": "100.63.255.254", **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    ("miss cgnat: CGNAT WAN but Plex fully accessible", {"wan": "100.64.10.2"}, F.OK, S.REACHABLE),
    # double_nat
    ("WAN private", {"wan": "192.168.100.2", **FAILED}, F.DOUBLE_NAT, S.RELAY),
    ("WAN 172.16/12", {"wan": "172.31.255.1", **FAILED}, F.DOUBLE_NAT, S.RELAY),
    (
        "Plex says doublenat, no router",
        {"router": False, "mapping_error": "doublenat", "mapping_state": MappingState.FAILED},
        F.DOUBLE_NAT,
        S.RELAY,
    ),
    (
        "miss double_nat: WAN 172.32.0.1 is public",
        {"wan": "172.32.0.1", "public_ip": "172.32.0.1", "plex_public": "172.32.0.1", **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    ("miss double_nat: double NAT forwarded twice works", {"wan": "192.168.100.2"}, F.OK, S.REACHABLE),
    # wan_ip_not_public
    ("router hides WAN IP", {"wan": None, **FAILED}, F.WAN_IP_NOT_PUBLIC, S.RELAY),
    ("miss wan_ip_not_public: no router at all", {"router": False, **FAILED}, F.MAPPING_FAILED, S.RELAY),
    (
        "miss wan_ip_not_public: WAN status unread",
        {"wan": None, "connection": None, **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    # wan_disconnected (before CGNAT: an outage is not the router hiding its address)
    (
        "internet down",
        {"wan": None, "connection": "Disconnected", "public_ip": None, **FAILED},
        F.WAN_DISCONNECTED,
        S.RELAY,
    ),
    (
        "PPP still connecting",
        {
            "wan": None,
            "connection": "Connecting",
            "service": "WANPPPConnection:1",
            "public_ip": None,
            **FAILED,
        },
        F.WAN_DISCONNECTED,
        S.RELAY,
    ),
    (
        "miss wan_disconnected: the router says down, but Home Assistant reached the internet",
        {"wan": None, "connection": "Disconnected", **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    ("miss wan_disconnected: connected", {"connection": "Connected", **FAILED}, F.MAPPING_FAILED, S.RELAY),
    (
        "miss wan_disconnected: down but Plex fully accessible (a stale answer)",
        {"wan": None, "connection": "Disconnected"},
        F.OK,
        S.REACHABLE,
    ),
    # plex_public_ip_mismatch
    (
        "server egress via VPN",
        {"plex_public": "198.51.100.50", **UNREACHABLE},
        F.PLEX_PUBLIC_IP_MISMATCH,
        S.RELAY,
    ),
    (
        "miss plex_public_ip_mismatch: Plex public IP unknown",
        {"plex_public": None, **UNREACHABLE},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    (
        "miss plex_public_ip_mismatch: HA's vantage point does not confirm the WAN IP",
        {"plex_public": "198.51.100.50", "public_ip": None, **UNREACHABLE, **MANUAL},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    (
        "miss plex_public_ip_mismatch: no router, HA and Plex differ (who is on the VPN?)",
        {"router": False, "plex_public": "198.51.100.50", **UNREACHABLE, **MANUAL},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    # mapping_failed
    ("mapping failed", FAILED, F.MAPPING_FAILED, S.RELAY),
    ("mapping failed, relay off", {**FAILED, "relay": False}, F.MAPPING_FAILED, S.UNREACHABLE),
    ("miss mapping_failed: mapped without error", {"mapping_state": MappingState.MAPPED}, F.OK, S.REACHABLE),
    # upnp_stale
    ("UPnP mapped but table empty", {"table": (), **UNREACHABLE}, F.UPNP_STALE, S.RELAY),
    (
        "UPnP mapping to another port",
        {"table": (mapping(UPNP_PORT, internal_port=8080),), **UNREACHABLE},
        F.UPNP_STALE,
        S.RELAY,
    ),
    ("miss upnp_stale: manual mode, table empty", {**MANUAL, **UNREACHABLE}, F.PORT_BLOCKED, S.RELAY),
    ("miss upnp_stale: table unreadable", {"table": None, **UNREACHABLE}, F.PORT_BLOCKED, S.RELAY),
    # port_forward_wrong_target (runbook step 4, before mapping_failed and upnp_stale)
    (
        "stale UPnP lease to the old LAN IP, mapping failed",
        {"table": (mapping(UPNP_PORT, target="192.168.1.99"),), **FAILED},
        F.PORT_FORWARD_WRONG_TARGET,
        S.RELAY,
    ),
    (
        "stale UPnP lease, Plex says mapped but unreachable",
        {"table": (mapping(UPNP_PORT, target="192.168.1.99"),), **UNREACHABLE},
        F.PORT_FORWARD_WRONG_TARGET,
        S.RELAY,
    ),
    (
        "Docker bridge: a static forward to the host is right",
        {
            **MANUAL,
            "private": "172.17.0.2",
            "url_host": "plex.lan",
            "url_address": LAN_IP,
            "table": (mapping(32500),),
            **UNREACHABLE,
        },
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    (
        "Docker bridge: a forward to the container is wrong",
        {
            **MANUAL,
            "private": "172.17.0.2",
            "url_host": "plex.lan",
            "url_address": LAN_IP,
            "table": (mapping(32500, target="172.17.0.2"),),
            **UNREACHABLE,
        },
        F.PORT_FORWARD_WRONG_TARGET,
        S.RELAY,
    ),
    (
        "forward to an old LAN IP",
        {**MANUAL, "table": (mapping(32500, target="192.168.1.99"),), **UNREACHABLE},
        F.PORT_FORWARD_WRONG_TARGET,
        S.RELAY,
    ),
    (
        "miss port_forward_wrong_target: forward to Plex",
        {**MANUAL, "table": (mapping(32500),), **UNREACHABLE},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    (
        "miss port_forward_wrong_target: other IP on another port",
        {**MANUAL, "table": (mapping(32501, target="192.168.1.99"),), **UNREACHABLE},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    # port_blocked
    ("unreachable, single NAT proven", {**MANUAL, **UNREACHABLE}, F.PORT_BLOCKED, S.RELAY),
    (
        "unreachable, NAT unverified",
        {**MANUAL, "router": False, "public_ip": None, **UNREACHABLE},
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    ("miss port_blocked: reachable", MANUAL, F.OK, S.REACHABLE),
    # plex_reported_error
    (
        "jumboframes",
        {"mapping_error": "jumboframes", "mapping_error_message": "Jumbo frames detected"},
        F.PLEX_REPORTED_ERROR,
        S.RELAY,
    ),
    ("a code Plex adds later", {"mapping_error": "somethingnew"}, F.PLEX_REPORTED_ERROR, S.RELAY),
    ("miss plex_reported_error: empty mappingError", {"mapping_error": None}, F.OK, S.REACHABLE),
    # published_address_stale (the provider renumbered; plex.tv still sends apps to the old address)
    (
        "plex.tv still lists the address before a renumbering",
        {"published": ((OLD_PUBLIC_IP, UPNP_PORT),)},
        F.PUBLISHED_ADDRESS_STALE,
        S.REACHABLE,
    ),
    (
        "plex.tv lists the current address on an old port",
        {"published": ((WAN_IP, 40000),)},
        F.PUBLISHED_ADDRESS_STALE,
        S.REACHABLE,
    ),
    (
        "miss published_address_stale: the old address beside the current one",
        {"published": ((OLD_PUBLIC_IP, UPNP_PORT), (WAN_IP, UPNP_PORT))},
        F.OK,
        S.REACHABLE,
    ),
    (
        "miss published_address_stale: plex.tv read right after the change (Plex may not have published)",
        {"published": ((OLD_PUBLIC_IP, UPNP_PORT),), "plex_tv_settled": False},
        F.OK,
        S.REACHABLE,
    ),
    (
        "miss published_address_stale: no two vantage points agree on the current address",
        {"published": ((OLD_PUBLIC_IP, UPNP_PORT),), "router": False, "public_ip": VPN},
        F.OK,
        S.REACHABLE,
    ),
    (
        "miss published_address_stale: Plex has not mapped (nothing new to publish)",
        {"published": ((OLD_PUBLIC_IP, UPNP_PORT),), **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    # a direct stream from the internet is proof: no network finding while it plays
    (
        "stream proof: a phone on 4G plays directly while Plex says unreachable",
        {"table": (), **UNREACHABLE, "streams": (remote_stream(),)},
        F.OK,
        S.RELAY,
    ),
    (
        "no stream proof: a relayed stream goes around the broken path",
        {"table": (), **UNREACHABLE, "streams": (remote_stream(relayed=True),)},
        F.UPNP_STALE,
        S.RELAY,
    ),
    (
        "no stream proof: a Tailscale viewer (100.64/10) is not the internet",
        {"table": (), **UNREACHABLE, "streams": (remote_stream("100.101.102.103"),)},
        F.UPNP_STALE,
        S.RELAY,
    ),
    (
        "no stream proof: a LAN player Plex counts as remote shows the home's own address",
        {"table": (), **UNREACHABLE, "streams": (remote_stream(WAN_IP),)},
        F.UPNP_STALE,
        S.RELAY,
    ),
    # account_issue
    ("myplexgone", {"mapping_error": "myplexgone"}, F.ACCOUNT_ISSUE, S.RELAY),
    ("publisherror", {"mapping_error": "publisherror"}, F.ACCOUNT_ISSUE, S.RELAY),
    ("plex.tv does not list the server", {"plex_tv": "absent"}, F.ACCOUNT_ISSUE, S.REACHABLE),
    ("plex.tv lists it offline", {"plex_tv": "offline"}, F.ACCOUNT_ISSUE, S.REACHABLE),
    ("miss account_issue: plex.tv unreachable", {"plex_tv": None}, F.OK, S.REACHABLE),
    # several findings at once: layer order decides
    ("CGNAT and mapping failed", {"wan": "100.64.10.2", **FAILED}, F.CGNAT, S.RELAY),
    (
        "signed out behind double NAT",
        {"wan": "192.168.100.2", "sign_in": SignInState.NONE, **FAILED},
        F.NOT_SIGNED_IN,
        S.RELAY,
    ),
    (
        "disabled behind CGNAT",
        {"publish": False, "wan": "100.64.10.2", "mapping_state": None},
        F.REMOTE_ACCESS_DISABLED,
        S.DISABLED,
    ),
    (
        "double NAT and hidden... Plex doublenat",
        {"wan": None, "mapping_error": "doublenat", **{"mapping_state": MappingState.FAILED}},
        F.DOUBLE_NAT,
        S.RELAY,
    ),
    (
        "VPN egress and mapping failed",
        {"plex_public": "198.51.100.50", **FAILED},
        F.PLEX_PUBLIC_IP_MISMATCH,
        S.RELAY,
    ),
    (
        "wrong target and blocked",
        {**MANUAL, "table": (mapping(32500, target="192.168.1.99"),), **UNREACHABLE, "plex_tv": "absent"},
        F.PORT_FORWARD_WRONG_TARGET,
        S.RELAY,
    ),
    ("blocked and not on plex.tv", {**MANUAL, **UNREACHABLE, "plex_tv": "absent"}, F.PORT_BLOCKED, S.RELAY),
    # homes a review built against v2 (each failed before its fix)
    ("IPv6-only line: WAN is RFC 7600's 192.0.0.8", {"wan": "192.0.0.8", **FAILED}, F.CGNAT, S.RELAY),
    (
        "miss cgnat: Plex on Home Assistant's own host (loopback URL) behind that host's VPN",
        {"url_host": "127.0.0.1", "url_address": "127.0.0.1", "public_ip": VPN, "plex_public": VPN, **FAILED},
        F.MAPPING_FAILED,
        S.RELAY,
    ),
    (
        "home LAN in 172.18/16: a forward to the server is no container's",
        {
            **MANUAL,
            "url_host": "127.0.0.1",
            "url_address": "127.0.0.1",
            "private": "172.18.1.20",
            "router_address": "172.18.1.1",
            "table": (mapping(32500, target="172.18.1.20"),),
            **UNREACHABLE,
        },
        F.PORT_BLOCKED,
        S.RELAY,
    ),
    (
        "miss account_issue: Plex restarting (state unknown) while plex.tv sees it offline",
        {"mapping_state": None, "plex_tv": "offline"},
        None,
        None,
    ),
    (
        "miss account_issue: Plex's mapping failed, plex.tv does not list it (not judged)",
        {**FAILED, "plex_tv": "absent", "table": (mapping(UPNP_PORT, target="192.168.1.99"),)},
        F.PORT_FORWARD_WRONG_TARGET,
        S.RELAY,
    ),
    (
        "UPnP table maps only an older external port",
        {"table": (mapping(40000),), **UNREACHABLE},
        F.UPNP_STALE,
        S.RELAY,
    ),
    (
        "Plex's publicAddress empty, plex.tv sees the server elsewhere",
        {"plex_public": None, "plex_tv_public": "198.51.100.50", **MANUAL, **UNREACHABLE},
        F.PLEX_PUBLIC_IP_MISMATCH,
        S.RELAY,
    ),
]


@pytest.mark.parametrize(
    ("changes", "finding", "status"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_decision_table(
    changes: dict[str, Any], finding: Finding | None, status: RemoteAccessStatus | None
) -> None:
    """Each network gets the runbook's diagnosis and Plex's status."""
    diagnosis = diagnose(build(**changes))
    assert diagnosis.finding == finding
    assert diagnosis.status == status
    assert diagnosis.remote_access == (None if status is None else status in (S.REACHABLE, S.CUSTOM))


def test_every_finding_has_a_triggering_row() -> None:
    """The table covers every finding of the contract."""
    covered = {row[2] for row in TABLE if not row[0].startswith("miss")}
    assert covered - {None} == set(Finding)


def test_every_finding_has_a_near_miss_row() -> None:
    """...and for each a case that just misses it ("miss <finding>: ...")."""
    missed = {row[0].split(":")[0].removeprefix("miss ") for row in TABLE if row[0].startswith("miss ")}
    assert missed == {finding.value for finding in Finding} - {"ok"}
    for row in TABLE:
        if row[0].startswith("miss "):
            assert row[2] != Finding(row[0].split(":")[0].removeprefix("miss ")), row[0]


@pytest.mark.parametrize(
    ("changes", "facts"),
    [
        ({"wan": "100.64.10.2", **FAILED}, {"wan_ip": "100.64.10.2", "lan_ip": LAN_IP}),
        ({"wan": "198.51.100.9", **FAILED}, {"wan_ip": "198.51.100.9", "public_ip": WAN_IP}),
        ({"wan": "192.168.100.2", **FAILED}, {"wan_ip": "192.168.100.2"}),
        # IPv6 around the IPv4 NAT: the server's global address, or the switch that is off
        (
            {"wan": "100.64.10.2", **FAILED, "ipv6_enabled": True, "ipv6_address": "2001:db8:1234::20"},
            {"ipv6": "global", "ipv6_address": "2001:db8:1234::20"},
        ),
        ({"wan": "192.168.100.2", **FAILED, "ipv6_enabled": False}, {"ipv6": "off"}),
        (
            {"plex_public": "198.51.100.50", **UNREACHABLE},
            {"plex_public_address": "198.51.100.50", "public_ip": WAN_IP},
        ),
        (
            {**MANUAL, "table": (mapping(32500, target="192.168.1.99"),), **UNREACHABLE},
            {"forward_target": "192.168.1.99:32400", "external_port": "32500", "lan_ip": LAN_IP},
        ),
        (
            {"mapping_error": "jumboframes", "mapping_error_message": "Jumbo frames detected"},
            {"mapping_error": "jumboframes", "mapping_error_message": "Jumbo frames detected"},
        ),
        ({**MANUAL, **UNREACHABLE}, {"unverified": "", "external_port": "32500", "internal_port": "32400"}),
        (
            {**MANUAL, "router": False, "public_ip": None, "plex_public": None, **UNREACHABLE},
            {"unverified": "router_unanswered,public_ip"},
        ),
        # link-local WAN: the CGNAT verdict is unknown, so single NAT is not proven
        ({**MANUAL, "wan": "169.254.3.4", **UNREACHABLE}, {"unverified": "wan_unclassified"}),
        # public WAN, only the server's vantage point (differs): not proven either
        (
            {**MANUAL, "wan": "198.51.100.9", "public_ip": None, **UNREACHABLE},
            {"unverified": "vantage_points"},
        ),
        # Docker bridge: the forward goes to the host and its published port, never the container
        (
            {
                **FAILED,
                "private": "172.17.0.2",
                "url_host": "plex.lan",
                "url_address": LAN_IP,
                "url_port": 32401,
            },
            {"lan_ip": LAN_IP, "internal_port": "32401", "container_ip": "172.17.0.2"},
        ),
        # privateAddress outside the router's LAN while the URL's host is inside it
        (
            {**FAILED, "private": "10.88.0.5", "url_address": LAN_IP},
            {"lan_ip": LAN_IP, "container_ip": "10.88.0.5"},
        ),
        # Home Assistant beside Plex on one host, URL on loopback: no container, the LAN IP
        ({**FAILED, "url_host": "127.0.0.1", "url_address": "127.0.0.1"}, {"lan_ip": LAN_IP}),
        # ...and beside a container: the host's LAN IP is unknown, never loopback or the container
        (
            {**FAILED, "private": "172.17.0.2", "url_host": "127.0.0.1", "url_address": "127.0.0.1"},
            {"lan_ip": "", "container_ip": "172.17.0.2"},
        ),
        # a server with two addresses on the LAN is no container
        ({**FAILED, "private": "192.168.1.21", "url_address": LAN_IP}, {"lan_ip": "192.168.1.21"}),
        (
            {"wan": None, "connection": "Disconnected", "public_ip": None, **FAILED},
            {"connection_status": "Disconnected"},
        ),
        (
            {**MANUAL, "table": (mapping(32500, target="192.168.1.99"),), **UNREACHABLE},
            {"forward_kind": "upnp"},
        ),
        (
            {
                **MANUAL,
                "table": (replace(mapping(32500, target="192.168.1.99"), description="", lease_duration=0),),
                **UNREACHABLE,
            },
            {"forward_kind": "static"},
        ),
        ({"wan": "192.168.100.2", **FAILED}, {"source": "wan_private"}),
        ({**FAILED, "mapping_error": "doublenat"}, {"source": "plex_report", "wan_ip": WAN_IP}),
        ({**FAILED, "mapping_error": "doublenat", "router": False}, {"source": "plex_report_only"}),
        (
            {
                "publish": False,
                "custom": (CUSTOM_URL,),
                "custom_checks": (custom(CustomUrlResult.TLS_EXPIRED),),
            },
            {"custom_url": CUSTOM_URL, "custom_url_result": "tls_expired"},
        ),
    ],
)
def test_facts_carry_the_measured_evidence(changes: dict[str, Any], facts: dict[str, str]) -> None:
    """The repair's placeholders come from the evidence the finding rests on."""
    diagnosis = diagnose(build(**changes))
    assert {key: diagnosis.facts.get(key) for key in facts} == facts


@pytest.mark.parametrize(
    ("changes", "cgnat", "double_nat", "match", "port_mapping"),
    [
        ({}, False, False, True, True),
        ({"wan": "100.64.10.2"}, True, False, False, True),
        ({"wan": "192.168.100.2"}, False, True, False, True),
        ({"wan": None}, None, None, None, True),
        ({"router": False}, None, None, None, None),
        ({"router": False, "mapping_error": "doublenat"}, None, True, None, None),
        ({"table": ()}, False, False, True, False),
        ({"table": None}, False, False, True, None),
        ({"public_ip": None, "plex_public": None}, None, False, None, True),
    ],
)
def test_binary_facts_are_reported_whatever_the_status(
    changes: dict[str, Any],
    cgnat: bool | None,
    double_nat: bool | None,
    match: bool | None,
    port_mapping: bool | None,
) -> None:
    """cgnat, double_nat, WAN/public match and the UPnP mapping are facts, unknown as None."""
    diagnosis = diagnose(build(**changes))
    assert (diagnosis.cgnat, diagnosis.double_nat, diagnosis.wan_public_ip_match, diagnosis.port_mapping) == (
        cgnat,
        double_nat,
        match,
        port_mapping,
    )


@pytest.mark.parametrize(
    ("changes", "exposed"),
    [
        ({"manual": True, "manual_port": 32400, "public_port": 32400}, True),
        ({"public_port": 32400, "table": (mapping(32400),)}, True),
        ({"table": (mapping(UPNP_PORT), mapping(32400))}, True),
        # Plex down (prefs and account unread): a table without 32400 does not clear it
        ({"reachable": False}, None),
        ({}, False),
        (MANUAL, False),
        ({"publish": False, "manual": True, "manual_port": 32400}, False),
        # remote access off, but the router forwards 32400 to Plex: still open
        ({"publish": False, "mapping_state": None, "table": (mapping(32400),)}, True),
        # behind proven CGNAT nothing is open, whatever Plex chose
        (
            {"wan": "100.64.10.2", "manual": True, "manual_port": 32400, "public_port": 32400, "table": ()},
            False,
        ),
    ],
)
def test_default_port_exposed_warning(changes: dict[str, Any], exposed: bool | None) -> None:
    """External port 32400, mapped or chosen manually, raises the warning beside the finding."""
    diagnosis = diagnose(build(**changes))
    verdict = diagnosis.outcomes[WarningKey.DEFAULT_PORT_EXPOSED].verdict
    assert verdict is {True: Verdict.HOLDS, False: Verdict.CLEAR, None: Verdict.UNKNOWN}[exposed]


@pytest.mark.parametrize(
    ("changes", "holds"),
    [
        ({"plex_pass": False}, True),
        # a reverse proxy publishes the server: remote viewers still need a pass
        ({"plex_pass": False, "publish": False, "custom": (CUSTOM_URL,)}, True),
        ({"plex_pass": True}, False),
        ({"plex_pass": False, "publish": False}, False),  # remote access off: nobody streams remotely
        ({"plex_pass": None}, None),  # neither the server nor plex.tv said
        ({"plex_pass": False, "reachable": False}, None),  # settings unread
    ],
)
def test_remote_streaming_needs_pass_warning(changes: dict[str, Any], holds: bool | None) -> None:
    """Remote access on and no Plex Pass on the owner's account: a warning, whatever the network says."""
    diagnosis = diagnose(build(**changes))
    verdict = diagnosis.outcomes[WarningKey.REMOTE_STREAMING_NEEDS_PASS].verdict
    assert verdict is {True: Verdict.HOLDS, False: Verdict.CLEAR, None: Verdict.UNKNOWN}[holds]


def test_missing_evidence_never_invents_a_finding() -> None:
    """No router, no public IP, no plex.tv: a healthy server stays ok."""
    evidence = without(build(), router=None, public_ip=None, plex_tv=None)
    diagnosis = diagnose(evidence)
    assert diagnosis.finding is Finding.OK
    assert (diagnosis.cgnat, diagnosis.double_nat, diagnosis.wan_public_ip_match) == (None, None, None)


def test_failing_without_router_is_not_a_nat_finding() -> None:
    """A vanished router is not CGNAT: the next layer with evidence explains the failure."""
    diagnosis = diagnose(without(build(**FAILED), router=None, public_ip=None))
    assert diagnosis.finding is Finding.MAPPING_FAILED
    assert diagnosis.outcomes[Finding.CGNAT].verdict is Verdict.UNKNOWN
    assert diagnosis.outcomes[Finding.DOUBLE_NAT].verdict is Verdict.UNKNOWN


def test_account_unread_gives_unknown_diagnosis() -> None:
    """The server answered but its account could not be read: no guess."""
    diagnosis = diagnose(without(build(wan="100.64.10.2"), account=None))
    assert diagnosis.finding is None
    assert diagnosis.status is None
    assert diagnosis.outcomes[Finding.CGNAT].verdict is Verdict.UNKNOWN
    assert diagnosis.cgnat is True  # the fact itself is still measured


def test_prefs_unread_keeps_status_unknown() -> None:
    """Without prefs the relay setting, and so the status of a failing server, is unknown."""
    diagnosis = diagnose(without(build(**FAILED), prefs=None))
    assert diagnosis.status is None
    assert diagnosis.finding is Finding.MAPPING_FAILED
    assert diagnosis.outcomes[Finding.REMOTE_ACCESS_DISABLED].verdict is Verdict.UNKNOWN


def test_plex_unknown_mapping_state_while_failing_is_not_ok() -> None:
    """Signed in and published, but Plex says its mapping state is "unknown": no guess (v2)."""
    diagnosis = diagnose(build(mapping_state=None))
    assert diagnosis.finding is None
    assert diagnosis.status is None
    assert diagnosis.remote_access is None


def test_waiting_keeps_previous_status_and_diagnosis() -> None:
    """While Plex maps, the last answer stands; network rules neither confirm nor clear."""
    previous = diagnose(build(wan="100.64.10.2", **FAILED))
    waiting = diagnose(build(wan="100.64.10.2", mapping_state=MappingState.WAITING), previous)
    assert (waiting.status, waiting.finding) == (S.RELAY, F.CGNAT)
    assert waiting.facts == previous.facts
    assert waiting.outcomes[Finding.CGNAT].verdict is Verdict.UNKNOWN


def test_waiting_without_previous_is_unknown() -> None:
    """The first check during mapping says nothing it cannot know."""
    diagnosis = diagnose(build(mapping_state=MappingState.WAITING))
    assert (diagnosis.status, diagnosis.finding) == (None, None)


def test_reachable_clears_network_findings() -> None:
    """Fully accessible: network rules are CLEAR (repairs for them may go)."""
    diagnosis = diagnose(build(wan="100.64.10.2"))
    assert diagnosis.outcomes[Finding.CGNAT].verdict is Verdict.CLEAR
    assert diagnosis.cgnat is True


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (
            {"router": None},
            Finding.CGNAT,
        ),  # the router hiccups: CGNAT stands, port_blocked does not take over
        ({"account": None}, Finding.CGNAT),  # Plex's account unreadable for a check
        (
            {"server_reachable": False, "account": None, "prefs": None},
            Finding.PLEX_UNREACHABLE,
        ),  # an earlier layer
    ],
)
def test_a_finding_stands_while_its_evidence_is_missing(
    missing: dict[str, object], expected: Finding
) -> None:
    previous = diagnose(build(wan="100.64.10.2", **UNREACHABLE))
    assert previous.finding is Finding.CGNAT
    diagnosis = diagnose(without(build(wan="100.64.10.2", **UNREACHABLE), **missing), previous)
    assert diagnosis.finding is expected


def test_a_finding_goes_when_its_evidence_clears_it() -> None:
    previous = diagnose(build(wan="100.64.10.2", **UNREACHABLE))
    assert diagnose(build(), previous).finding is Finding.OK
    assert diagnose(build(**FAILED), previous).finding is Finding.MAPPING_FAILED


def test_default_port_exposed_survives_a_plex_restart() -> None:
    """While Plex restarts only the router answers: its table neither clears nor hides 32400."""
    restarting = {"account": None, "prefs": None, "server_reachable": True}
    clean_table = diagnose(without(build(manual=True, manual_port=32400), **restarting))
    assert clean_table.outcomes[WarningKey.DEFAULT_PORT_EXPOSED].verdict is Verdict.UNKNOWN
    forwarded = diagnose(without(build(table=(mapping(32400),)), **restarting))
    assert forwarded.outcomes[WarningKey.DEFAULT_PORT_EXPOSED].verdict is Verdict.HOLDS  # still open


@pytest.mark.parametrize(
    ("changes", "egress"),
    [
        ({"public_ip": "198.51.100.77"}, Egress.HOME_ASSISTANT),  # HA behind a VPN
        ({"plex_public": "198.51.100.50"}, Egress.SERVER),  # Plex behind a VPN
        ({}, None),
        ({"public_ip": None, "plex_public": "198.51.100.50"}, None),  # one side: unknown
        ({"wan": "100.64.10.2", "public_ip": "198.51.100.77"}, None),  # CGNAT WAN: no reference
    ],
)
def test_which_egress_differs(changes: dict[str, Any], egress: Egress | None) -> None:
    assert diagnose(build(**changes)).egress_differs is egress


def test_waiting_is_kept_at_most_ten_minutes() -> None:
    """Plex stuck on "waiting" gives unknown after 10 minutes, counted from the first wait."""
    start = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    broken = diagnose(build(wan="100.64.10.2", **FAILED), now=start)
    waiting = build(wan="100.64.10.2", mapping_state=MappingState.WAITING)
    first = diagnose(waiting, broken, now=start + timedelta(minutes=1))
    assert (first.finding, first.status, first.waiting_since) == (
        F.CGNAT,
        S.RELAY,
        start + timedelta(minutes=1),
    )
    later = diagnose(waiting, first, now=start + timedelta(minutes=11))
    assert (later.finding, later.status) == (F.CGNAT, S.RELAY)  # 10 minutes since the first wait
    stuck = diagnose(waiting, later, now=start + timedelta(minutes=11, seconds=1))
    assert (stuck.finding, stuck.status, stuck.remote_access) == (None, None, None)
    settled = diagnose(build(wan="100.64.10.2", **FAILED), stuck, now=start + timedelta(minutes=12))
    assert (settled.finding, settled.waiting_since) == (F.CGNAT, None)
