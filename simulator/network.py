"""A whole home network of fakes, and the runbook's scenarios as states of it.

Tests, ``script/demo`` and the benchmarks set a scenario by name; each scenario edits
the fakes the way that network would answer, starting from a healthy single-NAT home
where Plex mapped its port through UPnP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .echo import EchoState, FakePlexTv, FakePublicIpEcho, PlexTvState, server_resource
from .igd import FakeIgd, IgdState, Mapping, PppLine
from .plex_server import FakePlexServer, PlexState, default_prefs, healthy_account, remote_stream
from .proxy import FakeProxy, ProxyState

LAN_IP = "192.168.1.20"
PUBLIC_IP = "203.0.113.2"
UPNP_PORT = 41234
MANUAL_PORT = 32500
# Docker's default bridge: the container's own address, which no router can reach.
CONTAINER_IP = "172.17.0.2"
# Where a DHCP lease put the server before it moved to LAN_IP.
OLD_LAN_IP = "192.168.1.10"
# The home's public IPv4 before the provider renumbered it.
OLD_PUBLIC_IP = "203.0.113.99"
# A Plex Relay server, and the server's global IPv6 address (documentation ranges).
RELAY_IP = "198.51.100.200"
SERVER_IPV6 = "2001:db8:1234:5678::20"


def plex_direct(address: str, port: int) -> dict[str, Any]:
    """A remote connection as plex.tv lists it: the plex.direct name of an address."""
    name = address.replace(".", "-").replace(":", "-")
    return {
        "protocol": "https",
        "address": address,
        "port": port,
        "uri": f"https://{name}.abc.plex.direct:{port}",
        "local": False,
        "relay": False,
        "IPv6": ":" in address,
    }


class FakeNetwork:
    """Plex server, router, public-IP echo, plex.tv and a reverse proxy, all on 127.0.0.1."""

    def __init__(self, *, igd_version: int = 2, base_port: int = 0) -> None:
        """Ports are random, or ``base_port`` .. ``base_port + 4`` (the demo's fixed ports)."""

        def port(offset: int) -> int:
            return base_port + offset if base_port else 0

        self.plex = FakePlexServer(PlexState(), port(0))
        self.igd = FakeIgd(IgdState(version=igd_version), port(1))
        self.echo = FakePublicIpEcho(EchoState(), port(2))
        self.plex_tv = FakePlexTv(PlexTvState(), port(3))
        # A reverse proxy (nginx, Caddy) in front of Plex, published as a customConnections URL.
        self.proxy = FakeProxy(ProxyState(), port=port(4))
        self.scenario = ""
        # A renumbered home whose new address plex.tv has not taken: (address, port) it still lists.
        self.stale_published: tuple[str, int] | None = None
        self.plex_tv.state.published = self.published_connections
        self.apply("healthy")

    async def start(self) -> FakeNetwork:
        for fake in self._fakes:
            await fake.start()
        self.proxy.state.upstream = self.plex.url
        return self

    async def stop(self) -> None:
        for fake in self._fakes:
            await fake.stop()

    @property
    def _fakes(self) -> tuple[FakePlexServer | FakeIgd | FakePublicIpEcho | FakePlexTv | FakeProxy, ...]:
        return (self.plex, self.igd, self.echo, self.plex_tv, self.proxy)

    def entry_data(self) -> dict[str, Any]:
        """Config entry data pointing the integration at the fakes."""
        return {
            "url": self.plex.url,
            "token": self.plex.state.token,
            "verify_ssl": True,
            "router_url": self.igd.description_url,
            "router_udn": self.igd.state.udn,
            "plex_tv_url": self.plex_tv.url,
        }

    def entry_options(self) -> dict[str, Any]:
        return {"public_ip_url": self.echo.url, "scan_interval": 300, "confirm_checks": 2}

    def apply(self, name: str) -> None:
        """Put every fake in the state of scenario ``name``."""
        plex, igd = self.plex.state, self.igd.state
        plex.account = healthy_account(LAN_IP, PUBLIC_IP, UPNP_PORT)
        plex.prefs = default_prefs()
        plex.fail_status = None
        plex.delay = 0.0
        igd.external_ip = PUBLIC_IP
        igd.connection_status = "Connected"
        igd.down_ip = ""
        igd.ppp = None
        igd.default_connection = None
        igd.mappings = [Mapping(UPNP_PORT, LAN_IP)]
        igd.list_error = None
        igd.external_ip_error = None
        igd.raw_soap = None
        self.echo.state.answer = PUBLIC_IP
        self.echo.state.status = 200
        self.plex_tv.state.status = 200
        self.plex_tv.state.resources = [server_resource(plex.machine_identifier)]
        self.proxy.state.status = None
        self.plex.state.sessions = []
        self.plex.state.ipv6_address = None
        self.plex_tv.state.plex_pass = True
        self.plex.state.root_plex_pass = True
        self.stale_published = None
        SCENARIOS[name](self)
        self.scenario = name

    def published_connections(self) -> list[dict[str, Any]]:
        """The remote connections plex.tv lists: what Plex published once it mapped its port."""
        account, prefs = self.plex.state.account, self.plex.state.prefs
        connections = []
        if self.stale_published is not None:
            connections.append(plex_direct(*self.stale_published))
        elif (
            account.get("mappingState") == "mapped"
            and account.get("publicAddress")
            and account.get("publicPort")
        ):
            connections.append(plex_direct(account["publicAddress"], int(account["publicPort"])))
        if (ipv6 := self.plex.state.ipv6_address) and prefs.get("EnableIPv6"):
            connections.append(plex_direct(ipv6, 32400))
        if prefs.get("RelayEnabled"):
            connections.append({**plex_direct(RELAY_IP, 8443), "relay": True})
        return connections

    async def announce(self) -> None:
        """Tell listeners what changed, as a real server and router would."""
        await self.plex.notify("reachability")
        await self.igd.announce(
            ExternalIPAddress=self.igd.state.external_ip or "0.0.0.0",  # noqa: S104 - UPnP's "no address", not a bind
            PortMappingNumberOfEntries=str(len(self.igd.state.mappings)),
        )

    # helpers the scenarios share
    def plex_says(self, **account: Any) -> None:
        self.plex.state.account.update(account)

    def manual_mode(self, port: int = MANUAL_PORT) -> None:
        self.plex.state.prefs.update(ManualPortMappingMode=True, ManualPortMappingPort=port)
        self.plex_says(publicPort=port)
        # A static forward made in the router's admin page is not in the UPnP table.
        self.igd.state.mappings = []


def _healthy(net: FakeNetwork) -> None:
    pass


def _plex_unreachable(net: FakeNetwork) -> None:
    # The server answers nothing useful on its LAN URL.
    net.plex.state.fail_status = 503


def _not_signed_in(net: FakeNetwork) -> None:
    net.plex_says(signInState="none", mappingState="unknown", publicAddress="", publicPort=0)
    net.plex_tv.state.resources = []


def _remote_access_disabled(net: FakeNetwork) -> None:
    net.plex.state.prefs["PublishServerOnPlexOnlineKey"] = False
    net.plex_says(mappingState="unknown", publicPort=0)
    net.igd.state.mappings = []


def _cgnat(net: FakeNetwork) -> None:
    net.igd.state.external_ip = "100.64.10.2"
    net.echo.state.answer = "198.51.100.77"
    net.plex_says(publicAddress="198.51.100.77", mappingError="unreachable")


def _double_nat(net: FakeNetwork) -> None:
    net.igd.state.external_ip = "192.168.100.2"
    net.plex_says(mappingState="failed", mappingError="doublenat")


def _wan_ip_not_public(net: FakeNetwork) -> None:
    net.igd.state.external_ip = ""
    net.plex_says(mappingState="failed")


def _plex_public_ip_mismatch(net: FakeNetwork) -> None:
    net.plex_says(publicAddress="198.51.100.50", mappingError="unreachable")


def _mapping_failed(net: FakeNetwork) -> None:
    net.plex_says(mappingState="failed", publicPort=0)
    net.igd.state.mappings = []


def _upnp_stale(net: FakeNetwork) -> None:
    net.plex_says(mappingError="unreachable")
    net.igd.state.mappings = []


def _port_forward_wrong_target(net: FakeNetwork) -> None:
    net.manual_mode()
    net.plex_says(mappingError="unreachable")
    net.igd.state.mappings = [Mapping(MANUAL_PORT, "192.168.1.99")]


def _port_blocked(net: FakeNetwork) -> None:
    net.manual_mode()
    net.plex_says(mappingError="unreachable")


def _plex_reported_error(net: FakeNetwork) -> None:
    net.plex_says(
        mappingError="jumboframes", mappingErrorMessage="Jumbo frames are enabled on the server's network"
    )


def _account_issue(net: FakeNetwork) -> None:
    net.plex_tv.state.resources = []


def _default_port_exposed(net: FakeNetwork) -> None:
    net.plex.state.prefs.update(ManualPortMappingMode=True, ManualPortMappingPort=32400)
    net.plex_says(publicPort=32400)


def _wan_down(net: FakeNetwork) -> None:
    # The line is down: the router says Disconnected and has no external address.
    net.igd.state.connection_status = "Disconnected"
    net.igd.state.external_ip = ""
    net.plex_says(mappingState="failed", publicAddress="")
    net.echo.state.status = 503


def _reverse_proxy(net: FakeNetwork) -> None:
    # Remote access on, Plex's own mapping fails, but the proxy publishes the server.
    net.plex.state.prefs["customConnections"] = net.proxy.url
    net.plex_says(mappingState="failed", publicPort=0)
    net.igd.state.mappings = []


def _custom_url_unreachable(net: FakeNetwork) -> None:
    # Published only through the proxy, whose upstream is down.
    net.plex.state.prefs.update(PublishServerOnPlexOnlineKey=False, customConnections=net.proxy.url)
    net.plex_says(mappingState="unknown", publicPort=0)
    net.igd.state.mappings = []
    net.proxy.state.status = 502


def _docker_bridge(net: FakeNetwork) -> None:
    # Plex in a container: it reports the bridge address; the router only reaches the host.
    net.plex_says(privateAddress=CONTAINER_IP, mappingState="failed", publicPort=0)
    net.igd.state.mappings = []


def _stale_upnp_lease(net: FakeNetwork) -> None:
    # The server moved to a new DHCP address; the router still maps Plex's port to the old one.
    net.plex_says(mappingError="unreachable")
    net.igd.state.mappings = [Mapping(UPNP_PORT, OLD_LAN_IP)]


def _dsl_ppp(net: FakeNetwork) -> None:
    # A DSL router: an idle WANIPConnection first, the PPP line that carries traffic beside
    # it (on a second WANConnectionDevice); Plex's UPnP mapping failed: that is the cause.
    net.igd.state.connection_status = "Unconfigured"
    net.igd.state.external_ip = ""
    net.igd.state.mappings = []
    net.igd.state.ppp = PppLine(external_ip=PUBLIC_IP)
    net.plex_says(mappingState="failed", publicPort=0)


def _home_assistant_vpn(net: FakeNetwork) -> None:
    # Home Assistant's traffic leaves through a VPN; Plex sees the WAN IP: no CGNAT.
    net.echo.state.answer = "198.51.100.77"
    net.plex_says(mappingState="failed", publicPort=0)
    net.igd.state.mappings = []


def _no_plex_pass(net: FakeNetwork) -> None:
    # The network works; the owner has no Plex Pass: since 29 April 2025 remote viewers
    # each need a Remote Watch Pass.
    net.plex_says(subscriptionActive="0", subscriptionState="Inactive")
    net.plex.state.root_plex_pass = False
    net.plex_tv.state.plex_pass = False


def _relay_streaming(net: FakeNetwork) -> None:
    # Plex's mapping failed; a viewer plays anyway, through the relay (1-2 Mbps).
    net.plex_says(mappingState="failed", publicPort=0)
    net.igd.state.mappings = []
    net.plex.state.sessions = [remote_stream(relayed=True)]


def _stale_published_address(net: FakeNetwork) -> None:
    # The provider gave the home a new address; Plex mapped it, plex.tv still lists the old.
    net.stale_published = (OLD_PUBLIC_IP, UPNP_PORT)


def _cgnat_with_ipv6(net: FakeNetwork) -> None:
    # CGNAT on IPv4; the line also has IPv6 and Plex has a global IPv6 address.
    _cgnat(net)
    net.plex.state.prefs["EnableIPv6"] = True
    net.plex.state.ipv6_address = SERVER_IPV6


SCENARIOS: dict[str, Callable[[FakeNetwork], None]] = {
    "healthy": _healthy,
    "plex_unreachable": _plex_unreachable,
    "not_signed_in": _not_signed_in,
    "remote_access_disabled": _remote_access_disabled,
    "cgnat": _cgnat,
    "double_nat": _double_nat,
    "wan_ip_not_public": _wan_ip_not_public,
    "plex_public_ip_mismatch": _plex_public_ip_mismatch,
    "mapping_failed": _mapping_failed,
    "upnp_stale": _upnp_stale,
    "port_forward_wrong_target": _port_forward_wrong_target,
    "port_blocked": _port_blocked,
    "plex_reported_error": _plex_reported_error,
    "account_issue": _account_issue,
    "default_port_exposed": _default_port_exposed,
    # real homes that broke diagnosis v1
    "wan_down": _wan_down,
    "reverse_proxy": _reverse_proxy,
    "custom_url_unreachable": _custom_url_unreachable,
    "docker_bridge": _docker_bridge,
    "stale_upnp_lease": _stale_upnp_lease,
    "home_assistant_vpn": _home_assistant_vpn,
    "dsl_ppp": _dsl_ppp,
    # evidence beyond the network (issue 16)
    "no_plex_pass": _no_plex_pass,
    "relay_streaming": _relay_streaming,
    "stale_published_address": _stale_published_address,
    "cgnat_with_ipv6": _cgnat_with_ipv6,
}
