"""Networks described in the runbook's words, as evidence the engine reads."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address
from typing import Any

from custom_components.plex_remote_doctor.doctor.evidence import (
    CustomUrlCheck,
    CustomUrlResult,
    Evidence,
    MappingState,
    PlexAccount,
    PlexPrefs,
    PlexSession,
    PlexStreams,
    PlexTvConnection,
    PlexTvResource,
    PlexTvView,
    PortMapping,
    RouterState,
    SignInState,
)

MACHINE_ID = "0123456789abcdef0123456789abcdef"
LAN_IP = "192.168.1.20"
WAN_IP = "203.0.113.2"  # TEST-NETs count as public
UPNP_PORT = 41234  # the port Plex chose through UPnP
ROUTER_LAN_IP = "192.168.1.1"
CUSTOM_URL = "https://plex.example.com:443"


def mapping(external_port: int, target: str = LAN_IP, internal_port: int = 32400) -> PortMapping:
    """One UPnP table entry."""
    return PortMapping(
        external_port=external_port,
        protocol="TCP",
        internal_client=target,
        internal_port=internal_port,
        description="Plex Media Server",
        lease_duration=3600,
    )


def healthy() -> dict[str, Any]:
    """A single-NAT home with UPnP working: the baseline every case edits."""
    return {
        "reachable": True,
        "sign_in": SignInState.OK,
        "mapping_state": MappingState.MAPPED,
        "mapping_error": None,
        "mapping_error_message": None,
        "plex_public": WAN_IP,
        "public_port": UPNP_PORT,
        "private": LAN_IP,
        "private_port": 32400,
        "publish": True,
        "manual": False,
        "manual_port": 32400,
        "relay": True,
        "custom": (),
        "router": True,
        "wan": WAN_IP,
        "table": (mapping(UPNP_PORT),),
        "public_ip": WAN_IP,
        "plex_tv": "listed",
        # v2: the router's WAN service, custom URL checks, Docker and addresses
        "connection": "Connected",
        "service": "WANIPConnection:2",
        "custom_checks": None,
        "url_host": LAN_IP,
        "url_address": LAN_IP,
        "url_port": 32400,
        "router_address": ROUTER_LAN_IP,
        "plex_tv_public": None,
        # v2, issue 16: what plex.tv publishes ("current": Plex's public address and port once
        # mapped, as a real plex.tv does; else (address, port) pairs), the server's IPv6,
        # Plex Pass, streams playing (remote_stream() dicts) and when plex.tv was read.
        "published": "current",
        "ipv6_enabled": None,
        "ipv6_address": None,
        "plex_pass": True,
        "streams": (),
        "plex_tv_settled": True,
    }


def custom(result: CustomUrlResult, url: str = CUSTOM_URL, detail: str = "") -> CustomUrlCheck:
    """What one custom URL's /identity answered."""
    return CustomUrlCheck(url=url, result=result, detail=detail)


def remote_stream(address: str = "198.51.100.23", *, relayed: bool = False) -> PlexSession:
    """A player outside the home (a phone on 4G by default) playing now."""
    return PlexSession(player_address=address, local=False, relayed=relayed, state="playing", location="wan")


def _connections(s: dict[str, Any]) -> tuple[PlexTvConnection, ...]:
    published = s["published"]
    if published == "current":
        mapped = s["mapping_state"] is MappingState.MAPPED and s["plex_public"] and s["public_port"]
        published = ((s["plex_public"], s["public_port"]),) if mapped else ()
    remote = [(address, port, False) for address, port in published]
    if s["ipv6_address"]:
        remote.append((s["ipv6_address"], 32400, True))
    return tuple(
        PlexTvConnection(
            uri=f"https://{address.replace('.', '-').replace(':', '-')}.abc.plex.direct:{port}",
            address=address,
            port=port,
            local=False,
            relay=False,
            ipv6=ipv6,
        )
        for address, port, ipv6 in remote
    )


def _ip(value: str | None) -> IPv4Address | None:
    return IPv4Address(value) if value else None


def build(**changes: Any) -> Evidence:
    """Evidence for the healthy network with ``changes`` applied."""
    s = healthy() | changes
    addresses = {
        "server_url_host": s["url_host"],
        "server_url_port": s["url_port"],
        "server_url_address": _ip(s["url_address"]),
        "router_address": _ip(s["router_address"]),
    }
    if not s["reachable"]:
        return Evidence(**addresses, server_reachable=False)
    account = PlexAccount(
        sign_in_state=s["sign_in"],
        mapping_state=s["mapping_state"],
        mapping_error=s["mapping_error"],
        mapping_error_message=s["mapping_error_message"],
        public_address=_ip(s["plex_public"]),
        public_port=s["public_port"],
        private_address=_ip(s["private"]),
        private_port=s["private_port"],
    )
    prefs = PlexPrefs(
        publish_server=s["publish"],
        manual_port_mapping=s["manual"],
        manual_port=s["manual_port"],
        relay_enabled=s["relay"],
        ipv6_enabled=s["ipv6_enabled"],
        custom_connections=tuple(s["custom"]),
    )
    router = (
        RouterState(
            wan_ip=_ip(s["wan"]),
            connection_status=s["connection"],
            port_mappings=s["table"],
            service=s["service"],
        )
        if s["router"]
        else None
    )
    seen_by_plex_tv = _ip(s["plex_tv_public"])
    plex_tv = {
        "listed": PlexTvView(
            resource=PlexTvResource(
                client_identifier=MACHINE_ID,
                presence=True,
                public_address=seen_by_plex_tv,
                connections=_connections(s),
            )
        ),
        "offline": PlexTvView(resource=PlexTvResource(client_identifier=MACHINE_ID, presence=False)),
        "absent": PlexTvView(resource=None),
        None: None,
    }[s["plex_tv"]]
    return Evidence(
        **addresses,
        server_reachable=True,
        account=account,
        prefs=prefs,
        router=router,
        public_ip=_ip(s["public_ip"]),
        plex_tv=plex_tv,
        custom_urls=s["custom_checks"],
        plex_pass=s["plex_pass"],
        streams=PlexStreams(sessions=tuple(s["streams"])),
        plex_tv_settled=s["plex_tv_settled"],
    )


def without(evidence: Evidence, **fields: Any) -> Evidence:
    """The same evidence with some probes' results missing."""
    return replace(evidence, **fields)
