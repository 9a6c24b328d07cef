"""The runbook "Plex remote access not working" as rules over typed evidence.

``FINDINGS`` lists one row per finding in the runbook's layer order: its rule, whether
it explains a failure, its severity, its fix and the placeholders its repair quotes.
The first finding that holds is the diagnosis.
Each rule answers HOLDS (with the facts it rests on), CLEAR (the evidence it needs
shows it does not hold) or UNKNOWN (that evidence is missing). Repairs use the three
answers: only HOLDS confirms, only CLEAR deletes, UNKNOWN leaves a repair as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, ip_address

from .evidence import (
    PLEX_DEFAULT_PORT,
    CustomUrlResult,
    Evidence,
    MappingState,
    PlexTvConnection,
    PortMapping,
    SignInState,
)
from .network import AddressClass, classify, parse_ipv4


class Finding(StrEnum):
    """The diagnosis: which layer breaks remote access (contract keys, layer order)."""

    PLEX_UNREACHABLE = "plex_unreachable"
    NOT_SIGNED_IN = "not_signed_in"
    REMOTE_ACCESS_DISABLED = "remote_access_disabled"
    CUSTOM_URL_UNREACHABLE = "custom_url_unreachable"
    WAN_DISCONNECTED = "wan_disconnected"
    CGNAT = "cgnat"
    DOUBLE_NAT = "double_nat"
    WAN_IP_NOT_PUBLIC = "wan_ip_not_public"
    PLEX_PUBLIC_IP_MISMATCH = "plex_public_ip_mismatch"
    PORT_FORWARD_WRONG_TARGET = "port_forward_wrong_target"
    MAPPING_FAILED = "mapping_failed"
    UPNP_STALE = "upnp_stale"
    PORT_BLOCKED = "port_blocked"
    PLEX_REPORTED_ERROR = "plex_reported_error"
    PUBLISHED_ADDRESS_STALE = "published_address_stale"
    ACCOUNT_ISSUE = "account_issue"
    OK = "ok"


class WarningKey(StrEnum):
    """Risks raised beside the finding."""

    DEFAULT_PORT_EXPOSED = "default_port_exposed"
    REMOTE_STREAMING_NEEDS_PASS = "remote_streaming_needs_pass"  # noqa: S105 - a Plex Pass, not a password


class Ipv6Option(StrEnum):
    """What IPv6 offers a home behind CGNAT or double NAT."""

    GLOBAL = "global"  # the server has a global IPv6 address plex.tv lists
    OFF = "off"  # IPv6 is off in Plex's network settings


class NatCheck(StrEnum):
    """A check that single NAT could not be proven without (``port_blocked``)."""

    ROUTER_UNANSWERED = "router_unanswered"
    ROUTER_WAN_HIDDEN = "router_wan_hidden"
    WAN_UNCLASSIFIED = "wan_unclassified"  # link-local, reserved: neither public nor NAT space
    PUBLIC_IP = "public_ip"  # no vantage point saw the home's public IP
    VANTAGE_POINTS = "vantage_points"  # the vantage points do not agree


class Egress(StrEnum):
    """Whose traffic leaves the home another way than the router's WAN (a VPN, a second WAN)."""

    HOME_ASSISTANT = "home_assistant"
    SERVER = "server"


class ForwardKind(StrEnum):
    """How a router forward was made: it decides how a wrong target is fixed."""

    UPNP = "upnp"  # a lease Plex asked for: reserve the address, then Retry
    STATIC = "static"  # made in the router's admin page: reserve, then repoint it


class DoubleNatSource(StrEnum):
    """What proves double NAT: the router's private WAN, or Plex's own report."""

    WAN_PRIVATE = "wan_private"
    PLEX_REPORT = "plex_report"  # with a WAN address that is not private
    PLEX_REPORT_ONLY = "plex_report_only"  # the router's WAN address was not read


class AccountReason(StrEnum):
    """Why ``account_issue`` holds: Plex's own errors, or what plex.tv shows."""

    MYPLEXGONE = "myplexgone"
    PUBLISHERROR = "publisherror"
    NOT_LISTED = "not_listed"
    NOT_PRESENT = "not_present"


class RemoteAccessStatus(StrEnum):
    """What Plex Web calls the server's remote access, plus a custom URL that works."""

    REACHABLE = "reachable"
    CUSTOM = "custom"
    RELAY = "relay"
    UNREACHABLE = "unreachable"
    DISABLED = "disabled"


class Severity(StrEnum):
    """How a finding's repair is shown (Home Assistant's issue severities by name)."""

    ERROR = "error"
    WARNING = "warning"


class Fix(StrEnum):
    """What a finding's fix flow changes in Plex, after the user confirms."""

    ENABLE_REMOTE_ACCESS = "enable_remote_access"
    MANUAL_PORT = "manual_port"


class Verdict(StrEnum):
    """A rule's answer for one check."""

    HOLDS = "holds"
    CLEAR = "clear"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A rule's verdict and, when it holds, the measured facts it rests on."""

    verdict: Verdict
    facts: Mapping[str, str] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """Whether the rule holds."""
        return self.verdict is Verdict.HOLDS


CLEAR = Outcome(Verdict.CLEAR)
UNKNOWN = Outcome(Verdict.UNKNOWN)

# mappingError values that a specific rule explains; any other is Plex's own word.
_MAPPING_ERROR_BADAUTH = "badauth"
_MAPPING_ERROR_DOUBLENAT = "doublenat"
_MAPPING_ERROR_UNREACHABLE = "unreachable"
_MAPPING_ERRORS_ACCOUNT = frozenset({AccountReason.MYPLEXGONE, AccountReason.PUBLISHERROR})
_MAPPING_ERRORS_EXPLAINED = frozenset(
    {_MAPPING_ERROR_BADAUTH, _MAPPING_ERROR_DOUBLENAT, _MAPPING_ERROR_UNREACHABLE} | _MAPPING_ERRORS_ACCOUNT
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosis:
    """The result of one check."""

    status: RemoteAccessStatus | None
    finding: Finding | None
    facts: Mapping[str, str]
    outcomes: Mapping[Finding | WarningKey, Outcome]
    cgnat: bool | None
    double_nat: bool | None
    wan_public_ip_match: bool | None
    port_mapping: bool | None
    # Whose traffic leaves another way than the router's WAN, when vantage points disagree.
    egress_differs: Egress | None = None
    # When Plex started saying "waiting" (kept across checks, at most WAITING_LIMIT).
    waiting_since: datetime | None = None
    # A direct (not relayed) stream plays to a player on the internet: remote access works,
    # whatever Plex's own test says, so no network finding is judged.
    remote_stream_proof: bool = False

    @property
    def warnings(self) -> tuple[WarningKey, ...]:
        """Warnings that hold on this check."""
        return tuple(
            key for key, outcome in self.outcomes.items() if isinstance(key, WarningKey) and outcome.holds
        )

    @property
    def remote_access(self) -> bool | None:
        """Reachable from the internet: through Plex's own path or a custom URL."""
        if self.status is None:
            return None
        return self.status in (RemoteAccessStatus.REACHABLE, RemoteAccessStatus.CUSTOM)


# --- facts derived from evidence -------------------------------------------------

# Docker's default bridge and the networks it hands out next: the router cannot reach them.
_CONTAINER_BRIDGES = tuple(IPv4Network(f"172.{second}.0.0/16") for second in range(17, 32))
# Home LANs are /24 almost everywhere; an address outside the router's /24 is taken for a
# container's only when the URL's host is another address (the one the router can reach).
_HOME_LAN_PREFIX = 24


def _url_address(evidence: Evidence) -> IPv4Address | None:
    return evidence.server_url_address or parse_ipv4(evidence.server_url_host)


def _simulated_lan(evidence: Evidence) -> bool:
    """A router on loopback: the whole home is simulated on 127.0.0.1 (tests and the demo)."""
    return evidence.router_address is not None and evidence.router_address.is_loopback


def container_address(evidence: Evidence) -> IPv4Address | None:
    """Plex's ``privateAddress`` when it is a container's (Docker bridge mode), else None."""
    private = evidence.account.private_address if evidence.account else None
    url_address = _url_address(evidence)
    if private is None or private == url_address:
        return None
    router = evidence.router_address
    if router is not None and not _simulated_lan(evidence):
        lan = IPv4Network(f"{router}/{_HOME_LAN_PREFIX}", strict=False)
        if private in lan:
            return None  # in the router's own LAN (also a home LAN in 172.16/12)
        if url_address is not None and url_address in lan:
            return private
    if any(private in bridge for bridge in _CONTAINER_BRIDGES):
        return private
    return None


def forward_target(evidence: Evidence) -> IPv4Address | None:
    """The address a forward must target: the server, or the Docker host of a container."""
    if container_address(evidence) is not None:
        host = _url_address(evidence)
        # Home Assistant on the Docker host itself may reach Plex on loopback: no target then.
        return None if host is None or (host.is_loopback and not _simulated_lan(evidence)) else host
    account = evidence.account
    if account is not None and account.private_address is not None:
        return account.private_address
    return _url_address(evidence)


def internal_port(evidence: Evidence) -> int:
    """The port a forward must target: the container's published host port, or Plex's."""
    if container_address(evidence) is not None and evidence.server_url_port:
        return evidence.server_url_port
    if evidence.account is not None and evidence.account.private_port:
        return evidence.account.private_port
    return evidence.server_url_port or PLEX_DEFAULT_PORT


def plex_lan_addresses(evidence: Evidence) -> frozenset[IPv4Address]:
    """Plex's LAN addresses: ``privateAddress`` and the host of the configured URL.

    In Docker bridge mode ``privateAddress`` is the container's address while router
    forwards target the host, so both count.
    """
    addresses: set[IPv4Address] = set()
    if evidence.account is not None and evidence.account.private_address is not None:
        addresses.add(evidence.account.private_address)
    if (url_address := _url_address(evidence)) is not None:
        addresses.add(url_address)
    return frozenset(addresses)


def plex_lan_ports(evidence: Evidence) -> frozenset[int]:
    """Ports a forward to Plex may target: Plex's ``privatePort`` and the URL's port."""
    ports = {PLEX_DEFAULT_PORT}
    if evidence.account is not None and evidence.account.private_port:
        ports = {evidence.account.private_port}
    if evidence.server_url_port:
        ports.add(evidence.server_url_port)
    return frozenset(ports)


def external_port(evidence: Evidence) -> int | None:
    """The public port Plex reports, else the manual one, else UPnP's last mapped port."""
    if evidence.account is not None and evidence.account.public_port:
        return evidence.account.public_port
    prefs = evidence.prefs
    if prefs is None:
        return None
    if prefs.manual_port_mapping and prefs.manual_port:
        return prefs.manual_port
    if prefs.manual_port_mapping is False and prefs.last_automatic_mapped_port:
        return prefs.last_automatic_mapped_port
    return None


def vantage_points(evidence: Evidence) -> dict[Egress, IPv4Address]:
    """The public IPv4 the internet sees, from each side: Home Assistant's host and the server's.

    The server's side is Plex's own ``publicAddress``, else plex.tv's view of the server.
    A VPN or a second WAN on one host moves only that side.
    """
    points: dict[Egress, IPv4Address] = {}
    if evidence.public_ip is not None:
        points[Egress.HOME_ASSISTANT] = evidence.public_ip
    server = evidence.account.public_address if evidence.account else None
    if server is None and evidence.plex_tv is not None and evidence.plex_tv.resource is not None:
        server = evidence.plex_tv.resource.public_address
    # Plex on Home Assistant's own host (a loopback URL) leaves the same way: one side only.
    if server is not None and not (_same_host(evidence) and Egress.HOME_ASSISTANT in points):
        points[Egress.SERVER] = server
    return points


def _same_host(evidence: Evidence) -> bool:
    url_address = _url_address(evidence)
    return url_address is not None and url_address.is_loopback and not _simulated_lan(evidence)


def _public_wan_ip(evidence: Evidence) -> IPv4Address | None:
    router = evidence.router
    if router is None or router.wan_ip is None or classify(router.wan_ip) is not AddressClass.PUBLIC:
        return None
    return router.wan_ip


def egress_differs(evidence: Evidence) -> Egress | None:
    """Which side leaves another way, when the other side's public IP is the router's WAN IP."""
    wan_ip = _public_wan_ip(evidence)
    points = vantage_points(evidence)
    if wan_ip is None or len(points) < 2 or all(point == wan_ip for point in points.values()):
        return None
    if points[Egress.HOME_ASSISTANT] == wan_ip:
        return Egress.SERVER
    if points[Egress.SERVER] == wan_ip:
        return Egress.HOME_ASSISTANT
    return None


def reference_public_ip(evidence: Evidence) -> IPv4Address | None:
    """The home's public IP: the public WAN IP a vantage point confirms, else a vantage point."""
    points = vantage_points(evidence)
    wan_ip = _public_wan_ip(evidence)
    if wan_ip is not None and wan_ip in points.values():
        return wan_ip
    return points.get(Egress.HOME_ASSISTANT) or points.get(Egress.SERVER)


def mappings_to_plex(evidence: Evidence) -> tuple[PortMapping, ...] | None:
    """Enabled TCP mappings in the router's table that target Plex; None if unread."""
    router = evidence.router
    if router is None or router.port_mappings is None:
        return None
    addresses = plex_lan_addresses(evidence)
    ports = plex_lan_ports(evidence)
    return tuple(
        mapping
        for mapping in router.port_mappings
        if mapping.enabled
        and mapping.protocol.upper() == "TCP"
        and mapping.internal_address in addresses
        and mapping.internal_port in ports
    )


def _base_facts(evidence: Evidence) -> dict[str, str]:
    """Facts every repair may quote: addresses and ports as measured, the forward's target."""
    target = forward_target(evidence)
    container = container_address(evidence)
    # Without an address, the URL's host name still tells the user which machine; never a container's.
    fallback = "" if container else evidence.server_url_host or ""
    facts = {"lan_ip": str(target) if target else fallback, "internal_port": str(internal_port(evidence))}
    if container is not None:
        facts["container_ip"] = str(container)
    if (port := external_port(evidence)) is not None:
        facts["external_port"] = str(port)
    if evidence.router is not None and evidence.router.wan_ip is not None:
        facts["wan_ip"] = str(evidence.router.wan_ip)
    if (public_ip := reference_public_ip(evidence)) is not None:
        facts["public_ip"] = str(public_ip)
    return facts


def agreed_public_ip(evidence: Evidence) -> IPv4Address | None:
    """The home's public IPv4 as two vantage points agree on it (router WAN, Home Assistant, Plex)."""
    seen = [
        address
        for address in (
            _public_wan_ip(evidence),
            evidence.public_ip,
            evidence.account.public_address if evidence.account else None,
        )
        if address is not None
    ]
    agreed = [address for address in seen if seen.count(address) >= 2]
    return agreed[0] if agreed else None


def published_connections(evidence: Evidence) -> tuple[PlexTvConnection, ...]:
    """The server's direct remote IPv4 connections, in plex.tv's order: where apps are sent."""
    view = evidence.plex_tv
    if view is None or view.resource is None:
        return ()
    return tuple(
        connection
        for connection in view.resource.connections
        if connection.direct_remote and not connection.ipv6 and parse_ipv4(connection.address) is not None
    )


def published_address(evidence: Evidence) -> str | None:
    """``address:port`` of the first connection plex.tv hands apps for this server."""
    published = published_connections(evidence)
    if not published:
        return None
    first = published[0]
    return first.address if first.port is None else f"{first.address}:{first.port}"


def server_global_ipv6(evidence: Evidence) -> str | None:
    """The server's global IPv6 address, as plex.tv lists it among its connections."""
    view = evidence.plex_tv
    if view is None or view.resource is None:
        return None
    for connection in view.resource.connections:
        if connection.ipv6 and connection.direct_remote:
            try:
                address = IPv6Address(connection.address.strip("[]"))
            except ValueError:
                continue
            if classify(address) is AddressClass.PUBLIC:
                return str(address)
    return None


def ipv6_facts(evidence: Evidence) -> dict[str, str]:
    """What IPv6 offers around the IPv4 NAT: a global address, or a switch to turn on in Plex."""
    prefs = evidence.prefs
    if prefs is not None and prefs.ipv6_enabled is False:
        return {"ipv6": Ipv6Option.OFF}
    if (address := server_global_ipv6(evidence)) is not None:
        return {"ipv6": Ipv6Option.GLOBAL, "ipv6_address": address}
    return {}


def remote_stream_proof(evidence: Evidence) -> bool:
    """A direct stream to a player on the internet: remote access works right now.

    Only a player at a public address that is not the home's own counts: a Tailscale or
    WireGuard viewer (100.64/10, private) or a LAN player Plex misjudges proves nothing
    about the path from the internet.
    """
    streams = evidence.streams
    if streams is None:
        return False
    home: set[IPv4Address] = set(vantage_points(evidence).values())
    if (wan_ip := _public_wan_ip(evidence)) is not None:
        home.add(wan_ip)
    for session in streams.sessions:
        if not session.remote or session.relayed is not False or session.player_address is None:
            continue
        try:
            player = ip_address(session.player_address)
        except ValueError:
            continue
        if classify(player) is AddressClass.PUBLIC and player not in home:
            return True
    return False


# --- raw network facts (what the binary sensors report, whatever the status) -------


def cgnat_evidence(evidence: Evidence) -> Outcome:
    """Carrier-grade NAT: WAN in shared space, or a public WAN no vantage point sees.

    One vantage point alone may leave through a VPN, so a public WAN counts as CGNAT only
    when both sides (Home Assistant's host and the server) agree on another address.
    """
    router = evidence.router
    if router is None or router.wan_ip is None:
        return UNKNOWN
    wan_class = classify(router.wan_ip)
    facts = {"wan_ip": str(router.wan_ip)}
    if wan_class in (AddressClass.CGNAT, AddressClass.DS_LITE):
        return Outcome(Verdict.HOLDS, facts)
    if wan_class is AddressClass.PRIVATE:
        return CLEAR
    if wan_class is not AddressClass.PUBLIC:
        return UNKNOWN
    points = vantage_points(evidence)
    if router.wan_ip in points.values():
        return CLEAR
    if len(points) == len(Egress) and len(set(points.values())) == 1:
        return Outcome(Verdict.HOLDS, facts | {"public_ip": str(points[Egress.HOME_ASSISTANT])})
    return UNKNOWN


def double_nat_evidence(evidence: Evidence) -> Outcome:
    """Two NAT layers: a private WAN address, or Plex's own ``doublenat`` error."""
    router = evidence.router
    wan_ip = router.wan_ip if router is not None else None
    if wan_ip is not None and classify(wan_ip) is AddressClass.PRIVATE:
        return Outcome(Verdict.HOLDS, {"wan_ip": str(wan_ip), "source": DoubleNatSource.WAN_PRIVATE})
    account = evidence.account
    if account is not None and account.mapping_error == _MAPPING_ERROR_DOUBLENAT:
        if wan_ip is None:
            return Outcome(Verdict.HOLDS, {"source": DoubleNatSource.PLEX_REPORT_ONLY})
        return Outcome(Verdict.HOLDS, {"wan_ip": str(wan_ip), "source": DoubleNatSource.PLEX_REPORT})
    if wan_ip is None:
        return UNKNOWN
    return CLEAR


def wan_public_ip_match(evidence: Evidence) -> bool | None:
    """Whether the router's WAN IP is the public IP (as any vantage point sees it)."""
    router = evidence.router
    points = vantage_points(evidence)
    if router is None or router.wan_ip is None or not points:
        return None
    return router.wan_ip in points.values()


# --- the rules, in layer order --------------------------------------------------

type Rule = Callable[[Evidence], Outcome]


def _plex_unreachable(evidence: Evidence) -> Outcome:
    if evidence.server_reachable is None:
        return UNKNOWN
    if evidence.server_reachable:
        return CLEAR
    return Outcome(Verdict.HOLDS, {"url_host": evidence.server_url_host or ""})


def _not_signed_in(evidence: Evidence) -> Outcome:
    account = evidence.account
    if account is None:
        return UNKNOWN
    if account.sign_in_state in (SignInState.NONE, SignInState.INVALID):
        return Outcome(Verdict.HOLDS, {"sign_in_state": str(account.sign_in_state)})
    if account.mapping_error == _MAPPING_ERROR_BADAUTH:
        return Outcome(Verdict.HOLDS, {"sign_in_state": _MAPPING_ERROR_BADAUTH})
    return CLEAR


def _remote_access_disabled(evidence: Evidence) -> Outcome:
    prefs = evidence.prefs
    if prefs is None or prefs.publish_server is None:
        return UNKNOWN
    # A server published only through custom URLs (a reverse proxy) chose that.
    if prefs.publish_server or prefs.custom_connections:
        return CLEAR
    return Outcome(Verdict.HOLDS, _base_facts(evidence))


def custom_url_answers(evidence: Evidence) -> bool | None:
    """Whether a ``customConnections`` URL answers as this server; None when not known."""
    checks = evidence.custom_urls
    if not checks:
        return None
    if any(check.result is CustomUrlResult.ANSWERS for check in checks):
        return True
    return False if all(check.result.definite for check in checks) else None


def _custom_url_unreachable(evidence: Evidence) -> Outcome:
    prefs = evidence.prefs
    if prefs is None or prefs.publish_server is None:
        return UNKNOWN
    # Only a server published through custom URLs alone depends on them.
    if prefs.publish_server or not prefs.custom_connections:
        return CLEAR
    answers = custom_url_answers(evidence)
    if answers is None:
        return UNKNOWN  # not probed, or a timeout: the router may not hairpin
    if answers or not evidence.custom_urls:
        return CLEAR
    failing = evidence.custom_urls[0]
    return Outcome(
        Verdict.HOLDS,
        {"custom_url": failing.url, "custom_url_result": failing.result, "custom_url_detail": failing.detail},
    )


def _wan_disconnected(evidence: Evidence) -> Outcome:
    router = evidence.router
    if router is None or router.connected is None:
        return UNKNOWN
    if router.connected:
        return CLEAR
    if evidence.public_ip is not None:
        # Home Assistant reached the internet this check: another line carries traffic
        # (a second WAN, a service the router did not name), so "down" is not proven.
        return UNKNOWN
    return Outcome(
        Verdict.HOLDS,
        _base_facts(evidence)
        | {"connection_status": router.connection_status or "", "wan_service": router.service or ""},
    )


def _with_base_facts(fact: Rule) -> Rule:
    """A NAT fact as a rule whose facts also name the LAN side and the IPv6 way around it."""

    def rule(evidence: Evidence) -> Outcome:
        outcome = fact(evidence)
        if outcome.holds:
            return Outcome(Verdict.HOLDS, _base_facts(evidence) | ipv6_facts(evidence) | dict(outcome.facts))
        return outcome

    return rule


def _wan_ip_not_public(evidence: Evidence) -> Outcome:
    router = evidence.router
    if router is None:
        return UNKNOWN
    if router.wan_ip is not None or router.connected is False:
        return CLEAR  # an address, or an outage (wan_disconnected explains that)
    if router.connected is None:
        return UNKNOWN
    return Outcome(Verdict.HOLDS, _base_facts(evidence))


def _plex_public_ip_mismatch(evidence: Evidence) -> Outcome:
    """The server leaves through another address than the home's public WAN IP.

    Proven only against a public WAN IP that Home Assistant's own vantage point confirms:
    without it, a server address that differs could as well be carrier-grade NAT.
    """
    server = vantage_points(evidence).get(Egress.SERVER)
    wan_ip = _public_wan_ip(evidence)
    if server is None or wan_ip is None:
        return UNKNOWN
    if server == wan_ip:
        return CLEAR
    if evidence.public_ip != wan_ip:
        return UNKNOWN
    facts = {"plex_public_address": str(server), "public_ip": str(wan_ip)}
    return Outcome(Verdict.HOLDS, _base_facts(evidence) | facts)


def _mapping_failed(evidence: Evidence) -> Outcome:
    account = evidence.account
    if account is None:
        return UNKNOWN
    if account.mapping_state is MappingState.FAILED:
        return Outcome(Verdict.HOLDS, _base_facts(evidence))
    return CLEAR


def _upnp_stale(evidence: Evidence) -> Outcome:
    prefs, account = evidence.prefs, evidence.account
    if prefs is None or prefs.manual_port_mapping is None or account is None:
        return UNKNOWN
    # Static forwards made in a router's admin page do not appear in the UPnP table:
    # in manual mode its absence proves nothing.
    if prefs.manual_port_mapping or account.mapping_state is not MappingState.MAPPED:
        return CLEAR
    mappings = mappings_to_plex(evidence)
    if mappings is None or not plex_lan_addresses(evidence):
        return UNKNOWN
    # A mapping left on an older external port does not carry Plex's current one.
    port = external_port(evidence)
    if any(port is None or mapping.external_port == port for mapping in mappings):
        return CLEAR
    return Outcome(Verdict.HOLDS, _base_facts(evidence))


def _port_forward_wrong_target(evidence: Evidence) -> Outcome:
    port = external_port(evidence)
    router = evidence.router
    # A container's own address is no target: the router cannot reach it.
    addresses = plex_lan_addresses(evidence) - {container_address(evidence)}
    if port is None or router is None or router.port_mappings is None or not addresses:
        return UNKNOWN
    for mapping in router.port_mappings:
        if (
            mapping.enabled
            and mapping.external_port == port
            and mapping.protocol.upper() == "TCP"
            and mapping.internal_address not in addresses
        ):
            kind = (
                ForwardKind.UPNP
                if mapping.lease_duration > 0 or "plex" in mapping.description.lower()
                else ForwardKind.STATIC
            )
            target = f"{mapping.internal_client}:{mapping.internal_port}"
            return Outcome(
                Verdict.HOLDS, _base_facts(evidence) | {"forward_target": target, "forward_kind": kind}
            )
    return CLEAR


def _port_blocked(evidence: Evidence) -> Outcome:
    account = evidence.account
    if account is None:
        return UNKNOWN
    if account.mapping_error != _MAPPING_ERROR_UNREACHABLE:
        return CLEAR
    unverified = ",".join(_unverified_nat_checks(evidence))
    return Outcome(Verdict.HOLDS, _base_facts(evidence) | {"unverified": unverified})


def _unverified_nat_checks(evidence: Evidence) -> list[NatCheck]:
    """Why single NAT is not proven, as codes; none when CGNAT and double NAT are both clear."""
    if (
        cgnat_evidence(evidence).verdict is Verdict.CLEAR
        and double_nat_evidence(evidence).verdict is Verdict.CLEAR
    ):
        return []
    router = evidence.router
    if router is None:
        missing = [NatCheck.ROUTER_UNANSWERED]
    elif router.wan_ip is None:
        missing = [NatCheck.ROUTER_WAN_HIDDEN]
    elif classify(router.wan_ip) is not AddressClass.PUBLIC:
        missing = [NatCheck.WAN_UNCLASSIFIED]
    else:
        missing = []
    points = vantage_points(evidence)
    if not points:
        missing.append(NatCheck.PUBLIC_IP)
    elif router is not None and router.wan_ip is not None and not missing:
        missing.append(NatCheck.VANTAGE_POINTS)
    return missing


def _plex_reported_error(evidence: Evidence) -> Outcome:
    account = evidence.account
    if account is None:
        return UNKNOWN
    error = account.mapping_error
    if not error or error in _MAPPING_ERRORS_EXPLAINED:
        return CLEAR
    facts = {"mapping_error": error, "mapping_error_message": account.mapping_error_message or ""}
    return Outcome(Verdict.HOLDS, _base_facts(evidence) | facts)


def _account_issue(evidence: Evidence) -> Outcome:
    account = evidence.account
    if account is not None and account.mapping_error in _MAPPING_ERRORS_ACCOUNT:
        return Outcome(Verdict.HOLDS, {"reason": account.mapping_error})
    if evidence.plex_tv is None:
        return UNKNOWN
    # plex.tv's view blames the account only once the network layers pass.
    failing = _remote_access_failing(evidence, remote_access_status(evidence))
    if failing is not False:
        return UNKNOWN
    resource = evidence.plex_tv.resource
    if resource is None:
        return Outcome(Verdict.HOLDS, {"reason": AccountReason.NOT_LISTED})
    if resource.presence is False:
        return Outcome(Verdict.HOLDS, {"reason": AccountReason.NOT_PRESENT})
    return CLEAR


def _published_address_stale(evidence: Evidence) -> Outcome:
    """plex.tv sends apps to an address that is not the home's current public IP and port."""
    prefs, account = evidence.prefs, evidence.account
    if prefs is None or prefs.publish_server is None or account is None:
        return UNKNOWN
    # Only a server that Plex has mapped publishes a direct address for apps.
    if not prefs.publish_server or account.mapping_state is not MappingState.MAPPED:
        return CLEAR
    if evidence.plex_tv is None:
        return UNKNOWN
    if evidence.plex_tv.resource is None:
        return CLEAR  # not listed at all: account_issue's to say
    published = published_connections(evidence)
    current, port = agreed_public_ip(evidence), external_port(evidence)
    if not published or current is None or port is None:
        return UNKNOWN
    if any(parse_ipv4(c.address) == current and c.port == port for c in published):
        return CLEAR
    if not evidence.plex_tv_settled:
        return UNKNOWN  # read right after a change: Plex may not have published yet
    facts = {
        "published_address": published_address(evidence) or "",
        "public_ip": str(current),
        "external_port": str(port),
    }
    return Outcome(Verdict.HOLDS, facts)


def _remote_streaming_needs_pass(evidence: Evidence) -> Outcome:
    """Remote access on, and the owner has no Plex Pass: every remote viewer needs a pass."""
    prefs = evidence.prefs
    if prefs is None or prefs.publish_server is None:
        return UNKNOWN
    if not prefs.publish_server and not prefs.custom_connections:
        return CLEAR
    if evidence.plex_pass is None:
        return UNKNOWN
    return CLEAR if evidence.plex_pass else Outcome(Verdict.HOLDS, {})


def _default_port_exposed(evidence: Evidence) -> Outcome:
    """Port 32400 open to the internet: Plex's prefs or account say so, or the router maps it.

    Cleared only by Plex's own prefs and account: a router table alone never clears it
    (it does not show static forwards, and it is all that is left while Plex restarts).
    """
    prefs, account = evidence.prefs, evidence.account
    if cgnat_evidence(evidence).holds:
        return CLEAR  # the carrier's NAT: no port of this home is open to the internet
    router_exposes = any(
        mapping.external_port == PLEX_DEFAULT_PORT for mapping in mappings_to_plex(evidence) or ()
    )
    facts = _base_facts(evidence) | {"external_port": str(PLEX_DEFAULT_PORT)}
    if prefs is not None and prefs.publish_server is False:
        # Plex publishes nothing, but a router forward of 32400 still opens the port.
        return Outcome(Verdict.HOLDS, facts) if router_exposes else CLEAR
    exposed = router_exposes or bool(
        (prefs is not None and prefs.manual_port_mapping and prefs.manual_port == PLEX_DEFAULT_PORT)
        or (
            account is not None
            and account.mapping_state is MappingState.MAPPED
            and account.public_port == PLEX_DEFAULT_PORT
        )
    )
    if exposed:
        return Outcome(Verdict.HOLDS, facts)
    if prefs is None or account is None or prefs.manual_port_mapping is None:
        return UNKNOWN
    return CLEAR


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """Everything about one finding or warning: its rule and how its repair looks."""

    key: Finding | WarningKey
    rule: Rule
    # A network finding explains a failure: judged only while remote access fails.
    needs_failure: bool = False
    severity: Severity = Severity.ERROR
    fix: Fix | None = None
    # What its repair text quotes besides {name} and {url}.
    placeholders: frozenset[str] = frozenset()


# Where a forward goes, and a note when Plex runs in a container the router cannot reach.
_LAN = frozenset({"lan_ip", "internal_port", "container_note"})

# The runbook, top to bottom: the first finding that holds is the diagnosis.
FINDINGS: tuple[Row, ...] = (
    Row(key=Finding.PLEX_UNREACHABLE, rule=_plex_unreachable),
    Row(key=Finding.NOT_SIGNED_IN, rule=_not_signed_in, placeholders=frozenset({"sign_in_state"})),
    Row(
        key=Finding.REMOTE_ACCESS_DISABLED,
        rule=_remote_access_disabled,
        severity=Severity.WARNING,
        fix=Fix.ENABLE_REMOTE_ACCESS,
    ),
    Row(
        key=Finding.CUSTOM_URL_UNREACHABLE,
        rule=_custom_url_unreachable,
        placeholders=frozenset({"custom_url", "custom_url_problem"}),
    ),
    Row(
        key=Finding.WAN_DISCONNECTED,
        rule=_wan_disconnected,
        needs_failure=True,
        placeholders=frozenset({"connection_status"}),
    ),
    Row(
        key=Finding.CGNAT,
        rule=_with_base_facts(cgnat_evidence),
        needs_failure=True,
        placeholders=frozenset({"wan_ip", "public_ip", "ipv6_option"}),
    ),
    Row(
        key=Finding.DOUBLE_NAT,
        rule=_with_base_facts(double_nat_evidence),
        needs_failure=True,
        placeholders=frozenset({"double_nat_evidence", "ipv6_option"}),
    ),
    Row(
        key=Finding.WAN_IP_NOT_PUBLIC,
        rule=_wan_ip_not_public,
        needs_failure=True,
        severity=Severity.WARNING,
    ),
    Row(
        key=Finding.PLEX_PUBLIC_IP_MISMATCH,
        rule=_plex_public_ip_mismatch,
        needs_failure=True,
        placeholders=frozenset({"plex_public_address", "public_ip"}),
    ),
    Row(
        key=Finding.PORT_FORWARD_WRONG_TARGET,
        rule=_port_forward_wrong_target,
        needs_failure=True,
        placeholders=_LAN | {"external_port", "forward_target", "forward_steps"},
    ),
    Row(
        key=Finding.MAPPING_FAILED,
        rule=_mapping_failed,
        needs_failure=True,
        fix=Fix.MANUAL_PORT,
        placeholders=_LAN,
    ),
    Row(key=Finding.UPNP_STALE, rule=_upnp_stale, needs_failure=True, fix=Fix.MANUAL_PORT, placeholders=_LAN),
    Row(
        key=Finding.PORT_BLOCKED,
        rule=_port_blocked,
        needs_failure=True,
        placeholders=_LAN | {"external_port", "nat_check"},
    ),
    Row(
        key=Finding.PLEX_REPORTED_ERROR,
        rule=_plex_reported_error,
        needs_failure=True,
        severity=Severity.WARNING,
        placeholders=frozenset({"mapping_error", "mapping_error_message"}),
    ),
    Row(
        key=Finding.PUBLISHED_ADDRESS_STALE,
        rule=_published_address_stale,
        placeholders=frozenset({"published_address", "public_ip", "external_port"}),
    ),
    Row(
        key=Finding.ACCOUNT_ISSUE,
        rule=_account_issue,
        severity=Severity.WARNING,
        placeholders=frozenset({"reason"}),
    ),
)

WARNINGS: tuple[Row, ...] = (
    Row(
        key=WarningKey.DEFAULT_PORT_EXPOSED,
        rule=_default_port_exposed,
        severity=Severity.WARNING,
        fix=Fix.MANUAL_PORT,
        placeholders=_LAN,
    ),
    Row(
        key=WarningKey.REMOTE_STREAMING_NEEDS_PASS,
        rule=_remote_streaming_needs_pass,
        severity=Severity.WARNING,
    ),
)

ROWS: Mapping[Finding | WarningKey, Row] = {row.key: row for row in FINDINGS + WARNINGS}


# --- putting it together --------------------------------------------------------


# Plex says "waiting" while it maps; after this long it is stuck, and its old answer stale.
WAITING_LIMIT = timedelta(minutes=10)


def remote_access_status(evidence: Evidence) -> RemoteAccessStatus | None:
    """The server's remote-access status; None when unknown or while Plex is mapping."""
    prefs, account = evidence.prefs, evidence.account
    custom = custom_url_answers(evidence)
    if prefs is not None and prefs.publish_server is False:
        if custom is None and evidence.custom_urls:
            return None  # the only way in timed out: it may work from outside
        return RemoteAccessStatus.CUSTOM if custom else RemoteAccessStatus.DISABLED
    if account is None:
        return None
    if account.mapping_state is MappingState.MAPPED and not account.mapping_error:
        return RemoteAccessStatus.REACHABLE
    if custom:
        return RemoteAccessStatus.CUSTOM
    if account.mapping_state in (None, MappingState.WAITING):
        return None  # Plex's own "unknown", or still mapping
    if custom is None and evidence.custom_urls:
        # A custom URL timed out (the router may not hairpin): it may work from outside.
        return None
    relay_enabled = prefs.relay_enabled if prefs is not None else None
    if relay_enabled is None:
        return None
    return RemoteAccessStatus.RELAY if relay_enabled else RemoteAccessStatus.UNREACHABLE


def _remote_access_failing(evidence: Evidence, status: RemoteAccessStatus | None) -> bool | None:
    """Whether remote access fails, the condition for judging the network findings."""
    if status is not None:
        return status in (RemoteAccessStatus.RELAY, RemoteAccessStatus.UNREACHABLE)
    account = evidence.account
    if account is None or account.mapping_state in (None, MappingState.WAITING):
        return None
    if evidence.custom_urls and custom_url_answers(evidence) is None:
        return None
    # Plex's own path fails; only the relay setting (relay or unreachable) is unread.
    return True


def diagnose(evidence: Evidence, previous: Diagnosis | None = None, now: datetime | None = None) -> Diagnosis:
    """Diagnose one check. While Plex maps, ``previous`` is kept for at most WAITING_LIMIT."""
    now = now or datetime.now(UTC)
    status = remote_access_status(evidence)
    proof = remote_stream_proof(evidence)
    # A direct stream from the internet is proof: nothing on the network path is broken.
    failing = False if proof else _remote_access_failing(evidence, status)
    outcomes: dict[Finding | WarningKey, Outcome] = {}
    for row in FINDINGS + WARNINGS:
        if row.needs_failure and failing is not True:
            outcomes[row.key] = UNKNOWN if failing is None else CLEAR
        else:
            outcomes[row.key] = row.rule(evidence)

    finding, facts = _primary_finding(evidence, failing, outcomes)
    waiting_since = None
    if evidence.account is not None and evidence.account.mapping_state is MappingState.WAITING:
        waiting_since = previous.waiting_since if previous and previous.waiting_since else now
        if previous is not None and now - waiting_since <= WAITING_LIMIT:
            # Plex is mapping right now: its status is in flux, keep the last answer.
            status, finding, facts = previous.status, previous.finding, previous.facts
        else:
            status, finding, facts = None, None, {}
    elif previous is not None and _still_stands(previous.finding, finding, outcomes):
        # The evidence of the last finding is missing this check (a probe failed): a
        # later layer must not take its place, and "unknown" is no news either.
        finding, facts = previous.finding, previous.facts

    mappings = mappings_to_plex(evidence)
    cgnat = cgnat_evidence(evidence).verdict
    double_nat = double_nat_evidence(evidence).verdict
    return Diagnosis(
        status=status,
        finding=finding,
        facts=facts,
        outcomes=outcomes,
        cgnat=None if cgnat is Verdict.UNKNOWN else cgnat is Verdict.HOLDS,
        double_nat=None if double_nat is Verdict.UNKNOWN else double_nat is Verdict.HOLDS,
        wan_public_ip_match=wan_public_ip_match(evidence),
        port_mapping=None if mappings is None else bool(mappings),
        egress_differs=egress_differs(evidence),
        waiting_since=waiting_since,
        remote_stream_proof=proof,
    )


_LAYER_ORDER = {row.key: index for index, row in enumerate(FINDINGS)}


def _still_stands(
    previous: Finding | None, current: Finding | None, outcomes: Mapping[Finding | WarningKey, Outcome]
) -> bool:
    """Whether the previous finding stands because this check could not judge it."""
    if previous is None or previous is Finding.OK:
        return False
    outcome = outcomes.get(previous)
    if outcome is None or outcome.verdict is not Verdict.UNKNOWN:
        return False
    if current is None or current is Finding.OK:
        return True
    return _LAYER_ORDER[previous] < _LAYER_ORDER[current]


def _primary_finding(
    evidence: Evidence,
    failing: bool | None,
    outcomes: Mapping[Finding | WarningKey, Outcome],
) -> tuple[Finding | None, Mapping[str, str]]:
    for row in FINDINGS:
        outcome = outcomes[row.key]
        if outcome.holds and isinstance(row.key, Finding):
            return row.key, outcome.facts
    # Nothing holds. Saying "ok" needs Plex's own view; failing without an explanation
    # (Plex has not settled on a mapping state) is not ok either.
    if evidence.account is None or failing is None or failing:
        return None, {}
    return Finding.OK, {}
