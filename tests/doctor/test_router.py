"""The router probe against a real IGD served on loopback (v1 and v2)."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address

import aiohttp
import pytest

from custom_components.plex_remote_doctor.doctor.errors import (
    DoctorConnectionError,
    DoctorGoneError,
    DoctorResponseError,
)
from custom_components.plex_remote_doctor.doctor.gena import RouterEvents
from custom_components.plex_remote_doctor.doctor.router import (
    WALK_WINDOW,
    Router,
    describe,
    parse_port_listing,
)
from simulator.igd import IgdState, Mapping, PppLine
from simulator.network import LAN_IP, FakeNetwork
from tests.test_events import wait_until

WAN_IP = IPv4Address("203.0.113.2")
TIMEOUT = 0.3  # the router's timeout in these tests; a held-back answer comes after it
HELD_BACK = 2 * TIMEOUT


@pytest.mark.parametrize("version", [1, 2])
async def test_reads_wan_ip_status_and_table(
    session: aiohttp.ClientSession, net: FakeNetwork, version: int
) -> None:
    net.igd.state.version = version
    net.igd.state.mappings = [
        Mapping(41234, LAN_IP),
        Mapping(32500, "192.168.1.99", 32400),
        Mapping(5000, LAN_IP, 5000, "UDP"),
    ]
    state = await Router(net.igd.description_url, session).read()
    assert state.wan_ip == IPv4Address("203.0.113.2")
    assert state.connection_status == "Connected"
    assert state.port_mappings is not None
    tcp = [
        (m.external_port, m.internal_client, m.internal_port, m.protocol)
        for m in state.port_mappings
        if m.protocol == "TCP"
    ]
    assert tcp == [(41234, LAN_IP, 32400, "TCP"), (32500, "192.168.1.99", 32400, "TCP")]
    listed = "GetListOfPortMappings" in net.igd.state.calls
    assert listed is (version == 2)
    walked = net.igd.state.calls.count("GetGenericPortMappingEntry")
    assert walked == (0 if version == 2 else WALK_WINDOW)  # one window: three entries, then 713s


async def test_empty_table_on_v2_is_error_730(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    net.igd.state.mappings = []
    state = await Router(net.igd.description_url, session).read()
    assert state.port_mappings == ()


async def test_list_refused_falls_back_to_walk(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    net.igd.state.list_error = 606
    state = await Router(net.igd.description_url, session).read()
    assert state.port_mappings is not None
    assert [m.external_port for m in state.port_mappings] == [41234]
    assert "GetGenericPortMappingEntry" in net.igd.state.calls


@pytest.mark.parametrize("answer", ["", "0.0.0.0"])
async def test_hidden_wan_ip_is_none(session: aiohttp.ClientSession, net: FakeNetwork, answer: str) -> None:
    """Stock miniupnpd answers "" for a reserved WAN address."""
    net.igd.state.external_ip = answer
    state = await Router(net.igd.description_url, session).read()
    assert state.wan_ip is None


@pytest.mark.parametrize(
    ("raw_soap", "external_ip_error", "external_ip"),
    [
        ("<not soap", None, "203.0.113.2"),
        ("<?xml version='1.0'?><Envelope/>", None, "203.0.113.2"),
        (None, 501, "203.0.113.2"),
        (None, None, "not-an-ip"),
    ],
)
async def test_malformed_answers_are_typed_errors(
    session: aiohttp.ClientSession,
    net: FakeNetwork,
    raw_soap: str | None,
    external_ip_error: int | None,
    external_ip: str,
) -> None:
    router = Router(net.igd.description_url, session)
    await router.info()
    net.igd.state.raw_soap = raw_soap
    net.igd.state.external_ip_error = external_ip_error
    net.igd.state.external_ip = external_ip
    with pytest.raises(DoctorResponseError):
        await router.read()


async def test_router_gone_is_a_connection_error_and_recovers(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """A call refused: the description is asked at once, and its silence says "look elsewhere"."""
    router = Router(net.igd.description_url, session, timeout=2)
    await router.read()
    await net.igd.stop()
    with pytest.raises(DoctorGoneError):
        await router.read()
    await net.igd.start()  # same port
    assert (await router.read()).wan_ip == WAN_IP


async def test_description_timing_out_is_gone(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    net.plex.state.delay = HELD_BACK
    with pytest.raises(DoctorGoneError):
        await Router(f"{net.plex.url}/identity", session, timeout=TIMEOUT).read()


async def test_wan_ip_timing_out_is_no_reason_to_look_elsewhere(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """Without the WAN IP there is no reading, but the router answered: it has not moved."""
    router = Router(net.igd.description_url, session, timeout=TIMEOUT)
    await router.read()
    net.igd.state.delays = {"GetExternalIPAddress": HELD_BACK}
    with pytest.raises(DoctorConnectionError) as slow:
        await router.read()
    assert not isinstance(slow.value, DoctorGoneError)


async def test_not_an_igd(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    with pytest.raises(DoctorResponseError):
        await describe(f"{net.plex.url}/identity", session)


async def test_describe(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    info = await describe(net.igd.description_url, session)
    assert info.udn == net.igd.state.udn
    assert info.wan_service_type == "urn:schemas-upnp-org:service:WANIPConnection:2"


def test_port_listing_parse_skips_junk() -> None:
    listing = (
        '<p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection">'
        "<p:PortMappingEntry><p:NewExternalPort>32500</p:NewExternalPort><p:NewProtocol>tcp</p:NewProtocol>"
        "<p:NewInternalPort>32400</p:NewInternalPort><p:NewInternalClient>192.168.1.20</p:NewInternalClient>"
        "<p:NewEnabled>1</p:NewEnabled></p:PortMappingEntry>"
        "<p:PortMappingEntry><p:NewExternalPort>abc</p:NewExternalPort></p:PortMappingEntry>"
        "<p:Other/></p:PortMappingList>"
    )
    mappings = parse_port_listing(listing)
    assert [(m.external_port, m.protocol, m.enabled) for m in mappings] == [(32500, "TCP", True)]
    with pytest.raises(DoctorResponseError):
        parse_port_listing("<p:PortMappingList")


def v1_table(state: IgdState, entries: int) -> list[int]:
    """An IGD v1 (walked entry by entry) with ``entries`` mappings; their external ports."""
    state.version = 1
    state.mappings = [Mapping(20000 + index, LAN_IP) for index in range(entries)]
    return [mapping.external_port for mapping in state.mappings]


@pytest.mark.parametrize("entries", [0, 7, 8, 9, 25])
async def test_v1_walk_in_windows_keeps_every_entry_in_order(
    session: aiohttp.ClientSession, net: FakeNetwork, entries: int
) -> None:
    ports = v1_table(net.igd.state, entries)
    state = await Router(net.igd.description_url, session).read()
    assert state.port_mappings is not None
    assert [m.external_port for m in state.port_mappings] == ports
    windows = entries // WALK_WINDOW + 1
    assert net.igd.state.calls.count("GetGenericPortMappingEntry") == windows * WALK_WINDOW


# --- a call that fails leaves its part unknown and keeps the rest ------------------------


@pytest.mark.parametrize("index", [0, 5, 9], ids=["first", "mid_window", "second_window"])
async def test_walk_timeout_leaves_the_table_unknown_and_keeps_the_line(
    session: aiohttp.ClientSession, net: FakeNetwork, index: int
) -> None:
    ports = v1_table(net.igd.state, 12)
    router = Router(net.igd.description_url, session, timeout=TIMEOUT)
    await router.read()
    switches: list[None] = []
    router.on_switch(lambda: switches.append(None))
    net.igd.state.entry_delays = {index: HELD_BACK}
    state = await router.read()
    assert (state.wan_ip, state.connection_status, state.port_mappings) == (WAN_IP, "Connected", None)
    net.igd.state.clear_faults()
    state = await router.read()
    assert [m.external_port for m in (state.port_mappings or ())] == ports
    assert switches == []  # a slow router keeps its description and its event subscription


@pytest.mark.parametrize(
    ("index", "code"),
    [(0, 606), (0, 501), (3, 606), (3, 501), (9, 501), (3, 402)],
    ids=["refused", "error_at_0", "refused_later", "busy", "busy_second_window", "invalid_args"],
)
async def test_walk_refused_or_cut_short_is_unknown(
    session: aiohttp.ClientSession, net: FakeNetwork, index: int, code: int
) -> None:
    """An overloaded router's 501 part-way is no end of table: the rest may hold Plex's mapping."""
    v1_table(net.igd.state, 12)
    net.igd.state.entry_errors = {index: code}
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.port_mappings) == (WAN_IP, None)


@pytest.mark.parametrize("code", [713, 714])
async def test_walk_ends_at_713_or_714(session: aiohttp.ClientSession, net: FakeNetwork, code: int) -> None:
    """Just misses "cut short": these two codes are the end of the table, wherever they come."""
    ports = v1_table(net.igd.state, 12)
    net.igd.state.entry_errors = {5: code}
    state = await Router(net.igd.description_url, session).read()
    assert [m.external_port for m in (state.port_mappings or ())] == ports[:5]


async def test_listing_timeout_leaves_the_table_unknown(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """IGD v2: no walk after a listing that timed out (it would only be slower)."""
    net.igd.state.delays = {"GetListOfPortMappings": HELD_BACK}
    state = await Router(net.igd.description_url, session, timeout=TIMEOUT).read()
    assert (state.wan_ip, state.connection_status, state.port_mappings) == (WAN_IP, "Connected", None)
    assert "GetGenericPortMappingEntry" not in net.igd.state.calls


@pytest.mark.parametrize("version", [1, 2])
async def test_status_timeout_keeps_wan_ip_and_table(
    session: aiohttp.ClientSession, net: FakeNetwork, version: int
) -> None:
    net.igd.state.version = version
    net.igd.state.delays = {"GetStatusInfo": HELD_BACK}
    state = await Router(net.igd.description_url, session, timeout=TIMEOUT).read()
    assert (state.wan_ip, state.connection_status, state.connected) == (WAN_IP, None, None)
    assert [m.external_port for m in (state.port_mappings or ())] == [41234]


async def test_v1_walk_stops_at_the_cap(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """A table longer than the cap is not walked to the end, and a partial table is no evidence."""
    v1_table(net.igd.state, 40)
    state = await Router(net.igd.description_url, session, max_mappings=20).read()
    assert state.port_mappings is None
    assert net.igd.state.calls.count("GetGenericPortMappingEntry") <= 24


# --- which WAN service carries traffic (DSL routers list several) ----------------------

PPP_IP = IPv4Address("198.51.100.20")


def dsl(state: IgdState, *, same_device: bool = False, version: int = 2) -> PppLine:
    """A DSL router: an idle WANIPConnection listed first, the dialled-in PPP line beside it."""
    state.version = version
    state.connection_status = "Disconnected"
    state.mappings = []
    state.ppp = PppLine(same_device=same_device, mappings=[Mapping(41234, LAN_IP)])
    return state.ppp


def ppp_default(state: IgdState) -> str:
    """GetDefaultConnectionService's answer naming the PPP line, spelled as the spec says."""
    return f"{state.ppp_device_udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANPPPConn1"


@pytest.mark.parametrize("same_device", [False, True], ids=["second_device", "same_device"])
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("idle_status", "idle_ip"),
    [("Disconnected", ""), ("Unconfigured", "0.0.0.0"), ("Connected", "0.0.0.0")],
)
async def test_dsl_router_reads_the_connected_ppp_line(
    session: aiohttp.ClientSession,
    net: FakeNetwork,
    same_device: bool,
    version: int,
    idle_status: str,
    idle_ip: str,
) -> None:
    """No Layer3Forwarding: the first service Connected with an address, not the first listed."""
    dsl(net.igd.state, same_device=same_device, version=version)
    net.igd.state.connection_status = idle_status
    net.igd.state.down_ip = net.igd.state.external_ip = idle_ip
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.connection_status, state.connected) == (PPP_IP, "Connected", True)
    assert (state.service, state.service_choice) == ("WANPPPConnection:1", "connected")
    assert state.port_mappings is not None
    assert [m.external_port for m in state.port_mappings] == [41234]  # the PPP line's table


@pytest.mark.parametrize("same_device", [False, True], ids=["second_device", "same_device"])
@pytest.mark.parametrize(
    ("ppp_status", "ppp_ip"),
    [("Disconnected", ""), ("Connecting", "0.0.0.0"), ("Connected", "")],
    ids=["both_down", "ppp_connecting", "ppp_hides_its_address"],
)
async def test_dsl_router_without_a_line_up_reads_the_first_service(
    session: aiohttp.ClientSession, net: FakeNetwork, same_device: bool, ppp_status: str, ppp_ip: str
) -> None:
    """Just misses: Connected without an address is not enough; the first listed is read."""
    ppp = dsl(net.igd.state, same_device=same_device)
    ppp.connection_status = ppp_status
    ppp.external_ip = ppp.down_ip = ppp_ip
    state = await Router(net.igd.description_url, session).read()
    assert (state.service, state.service_choice) == ("WANIPConnection:2", "first")
    assert (state.wan_ip, state.connection_status, state.connected) == (None, "Disconnected", False)
    assert state.port_mappings == ()


async def test_layer3_forwarding_names_the_line(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    dsl(net.igd.state)
    net.igd.state.default_connection = ppp_default(net.igd.state)
    router = Router(net.igd.description_url, session)
    state = await router.read()
    assert (state.wan_ip, state.service, state.service_choice) == (PPP_IP, "WANPPPConnection:1", "default")
    # Asked once: later checks read the chosen line only.
    assert net.igd.state.calls.count("GetDefaultConnectionService") == 1
    net.igd.state.calls.clear()
    assert (await router.read()).service_choice == "default"
    assert "GetDefaultConnectionService" not in net.igd.state.calls


async def test_layer3_forwarding_wins_over_a_connected_line(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """Just misses "connected": the router's default is read even while its line is down."""
    dsl(net.igd.state)
    net.igd.state.default_connection = (
        f"{net.igd.state.ip_device_udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1"
    )
    state = await Router(net.igd.description_url, session).read()
    assert (state.service, state.service_choice) == ("WANIPConnection:2", "default")
    assert (state.wan_ip, state.connection_status) == (None, "Disconnected")


@pytest.mark.parametrize(
    "answer",
    [
        # miniupnpd 2.3.1 says WANConnectionDevice:2 whatever its IGD version
        "{udn}:WANConnectionDevice:2,urn:upnp-org:serviceId:WANPPPConn1",
        "{udn}::urn:schemas-upnp-org:device:WANConnectionDevice:1,urn:upnp-org:serviceId:WANPPPConn1",
        " {UDN}:WANCONNECTIONDEVICE:1 , URN:UPNP-ORG:SERVICEID:WANPPPCONN1 ",
        "{bare}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANPPPConn1",
        "urn:upnp-org:serviceId:WANPPPConn1",
        "{udn}:WANConnectionDevice:1,urn:schemas-upnp-org:service:WANPPPConnection:1",
        "uuid:someone-else:WANConnectionDevice:1,urn:upnp-org:serviceId:WANPPPConn1",
    ],
)
@pytest.mark.parametrize("same_device", [False, True], ids=["second_device", "same_device"])
async def test_layer3_forwarding_spellings(
    session: aiohttp.ClientSession, net: FakeNetwork, answer: str, same_device: bool
) -> None:
    """Routers spell the default connection in many ways; each names the PPP line here."""
    dsl(net.igd.state, same_device=same_device)
    net.igd.state.connection_status = "Connected"  # the idle line up too: only the default tells
    net.igd.state.external_ip = "203.0.113.2"
    udn = net.igd.state.ppp_device_udn
    net.igd.state.default_connection = answer.format(udn=udn, UDN=udn.upper(), bare=udn.removeprefix("uuid:"))
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.service_choice) == (PPP_IP, "default")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("{udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANPPPConn9", None),
        ("{udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANCommonIFC1", None),
        ("{udn}:WANConnectionDevice:1,", None),
        ("", None),
        ("{udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANPPPConn1", 501),
    ],
    ids=["unknown_service", "not_a_connection", "no_service", "empty", "upnp_error"],
)
async def test_layer3_forwarding_naming_nothing_falls_back(
    session: aiohttp.ClientSession, net: FakeNetwork, answer: str, error: int | None
) -> None:
    dsl(net.igd.state)
    net.igd.state.default_connection = answer.format(udn=net.igd.state.ppp_device_udn)
    net.igd.state.default_connection_error = error
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.service, state.service_choice) == (PPP_IP, "WANPPPConnection:1", "connected")


@pytest.mark.parametrize(
    ("device", "service", "choice"),
    [
        ("ppp", "WANPPPConnection:1", "default"),
        ("ip", "WANIPConnection:2", "default"),
        ("nobody", "WANPPPConnection:1", "connected"),
    ],
)
async def test_default_on_two_devices_with_one_service_id(
    session: aiohttp.ClientSession, net: FakeNetwork, device: str, service: str, choice: str
) -> None:
    """Two WANConnectionDevices each with a "WANIPConn1" (as with two DSL PVCs): the device
    part decides; naming no device just misses a lenient match and falls back."""
    dsl(net.igd.state)
    udn = {"ppp": net.igd.state.ppp_device_udn, "ip": net.igd.state.ip_device_udn}.get(device, "uuid:nobody")
    net.igd.state.default_connection = f"{udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1"
    async with session.get(net.igd.description_url) as response:
        description = await response.text()
    net.igd.state.raw_description = description.replace("serviceId:WANPPPConn1", "serviceId:WANIPConn1")
    state = await Router(net.igd.description_url, session).read()
    assert (state.service, state.service_choice) == (service, choice)


@pytest.mark.parametrize(
    ("status", "down_ip"),
    [("Disconnected", ""), ("Disconnected", "0.0.0.0"), ("Connecting", ""), ("Disconnected", None)],
    ids=["empty", "zeros", "connecting", "stale_address"],
)
async def test_line_down_is_evidence_not_a_failure(
    session: aiohttp.ClientSession, net: FakeNetwork, status: str, down_ip: str | None
) -> None:
    """A single WANIPConnection that is down: returned, wan_ip None (also a stale address)."""
    net.igd.state.connection_status = status
    net.igd.state.down_ip = down_ip
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.connection_status, state.connected) == (None, status, False)
    assert (state.service, state.service_choice) == ("WANIPConnection:2", "first")
    assert state.port_mappings is not None


async def test_line_down_and_address_refused(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """Some routers refuse GetExternalIPAddress while down: the status is still evidence."""
    net.igd.state.connection_status = "Disconnected"
    net.igd.state.external_ip_error = 501
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.connection_status) == (None, "Disconnected")
    net.igd.state.connection_status = "Connected"  # just misses: refused while up is a failure
    with pytest.raises(DoctorResponseError):
        await Router(net.igd.description_url, session).read()


async def test_line_up_keeps_its_address(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """Just misses the down case: Connected with an address is read as it is."""
    net.igd.state.down_ip = None
    state = await Router(net.igd.description_url, session).read()
    assert (state.wan_ip, state.connected, state.service_choice) == (
        IPv4Address("203.0.113.2"),
        True,
        "connected",
    )


async def test_choice_follows_the_line_after_a_reboot(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """Chosen because Connected, and re-chosen when that line drops and another comes up."""
    ppp = dsl(net.igd.state)
    router = Router(net.igd.description_url, session)
    assert (await router.read()).service == "WANPPPConnection:1"
    # The router comes back from a reboot in cable mode: the IP service carries traffic.
    ppp.connection_status = "Disconnected"
    net.igd.state.connection_status = "Connected"
    net.igd.state.external_ip = "203.0.113.7"
    state = await router.read()
    assert (state.wan_ip, state.service, state.service_choice) == (
        IPv4Address("203.0.113.7"),
        "WANIPConnection:2",
        "connected",
    )


async def test_status_timeout_keeps_the_chosen_line(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """An unknown status is no line down: the PPP line stays read, the idle one unasked."""
    ppp = dsl(net.igd.state)
    router = Router(net.igd.description_url, session, timeout=TIMEOUT)
    await router.read()
    ppp.delays = {"GetStatusInfo": HELD_BACK}
    net.igd.state.calls.clear()
    state = await router.read()
    assert (state.service, state.service_choice, state.wan_ip, state.connection_status) == (
        "WANPPPConnection:1",
        "connected",
        PPP_IP,
        None,
    )
    assert [m.external_port for m in (state.port_mappings or ())] == [41234]
    assert net.igd.state.calls.count("GetStatusInfo") == 1


async def test_choice_stays_while_its_line_is_up(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """Just misses a re-choice: the other line coming up changes nothing while PPP is up."""
    dsl(net.igd.state)
    router = Router(net.igd.description_url, session)
    await router.read()
    net.igd.state.connection_status = "Connected"
    net.igd.state.external_ip = "203.0.113.7"
    net.igd.state.calls.clear()
    state = await router.read()
    assert (state.service, state.service_choice) == ("WANPPPConnection:1", "connected")
    assert "GetStatusInfo" in net.igd.state.calls
    assert net.igd.state.calls.count("GetStatusInfo") == 1  # the other line was not asked


async def test_default_asked_again_only_while_its_line_is_down(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    ppp = dsl(net.igd.state)
    net.igd.state.default_connection = ppp_default(net.igd.state)
    router = Router(net.igd.description_url, session)
    await router.read()
    ppp.connection_status = "Disconnected"
    net.igd.state.calls.clear()
    state = await router.read()
    # The default's line is down: evidence (wan_disconnected), one call to ask again.
    assert (state.service, state.service_choice, state.connection_status) == (
        "WANPPPConnection:1",
        "default",
        "Disconnected",
    )
    assert net.igd.state.calls.count("GetDefaultConnectionService") == 1
    # Reconfigured to the IP line (cable mode): the next question finds the new default.
    net.igd.state.default_connection = (
        f"{net.igd.state.ip_device_udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1"
    )
    net.igd.state.connection_status = "Connected"
    net.igd.state.external_ip = "203.0.113.7"
    state = await router.read()
    assert (state.wan_ip, state.service, state.service_choice) == (
        IPv4Address("203.0.113.7"),
        "WANIPConnection:2",
        "default",
    )


@pytest.mark.parametrize(
    ("setup", "first_check", "next_check"),
    [
        # today's single WANIPConnection:2: GetStatusInfo, GetExternalIPAddress, GetListOfPortMappings
        ("single", 3, 3),
        # miniupnpd: Layer3Forwarding asked on the first check only
        ("layer3", 4, 3),
        # DSL without Layer3Forwarding: the idle line is asked once; PPP's table is walked (v1 only)
        ("dsl", 2 + 2 + WALK_WINDOW, 2 + WALK_WINDOW),
    ],
)
async def test_soap_calls_per_check(
    session: aiohttp.ClientSession, net: FakeNetwork, setup: str, first_check: int, next_check: int
) -> None:
    state = net.igd.state
    if setup == "layer3":
        state.default_connection = (
            f"{state.ip_device_udn}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1"
        )
    if setup == "dsl":
        dsl(state)
    router = Router(net.igd.description_url, session)
    await router.read()
    assert len(state.calls) == first_check
    state.calls.clear()
    await router.read()
    assert len(state.calls) == next_check


async def test_describe_names_the_line(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    dsl(net.igd.state, same_device=True)
    info = await describe(net.igd.description_url, session)
    assert info.wan_service_type == "urn:schemas-upnp-org:service:WANPPPConnection:1"


async def test_events_come_from_the_line(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    dsl(net.igd.state, same_device=True)
    events = RouterEvents(Router(net.igd.description_url, session), lambda: None, source_ip="127.0.0.1")
    await events.start()
    try:
        assert net.igd.subscribed_to == ["PPPConn"]
    finally:
        await events.stop()


async def test_events_follow_the_line_but_not_an_outage(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """Subscribed while no line is up (first service), moved when PPP dials in, kept when it drops."""
    ppp = dsl(net.igd.state)
    ppp.connection_status = "Connecting"
    router = Router(net.igd.description_url, session)
    changes: list[None] = []
    events = RouterEvents(router, lambda: changes.append(None), source_ip="127.0.0.1")
    await events.start()
    try:
        assert net.igd.subscribed_to == ["IPConn"]
        ppp.connection_status = "Connected"
        assert (await router.read()).service == "WANPPPConnection:1"
        await wait_until(lambda: net.igd.subscribed_to == ["PPPConn"], 5)
        await wait_until(lambda: events.subscribed, 5)
        await asyncio.sleep(0.05)  # the initial event sets the baseline
        # The daily reconnect: while it lasts the first service is read, events stay on PPP.
        ppp.connection_status = "Disconnected"
        assert (await router.read()).service_choice == "first"
        await asyncio.sleep(0.05)
        assert net.igd.subscribed_to == ["PPPConn"]
        ppp.connection_status = "Connected"
        assert await net.igd.renumber_wan("198.51.100.21") == 1
        await wait_until(lambda: len(changes) >= 1, 5)
        await events.renew()
        assert net.igd.subscribed_to == ["PPPConn"]
    finally:
        await events.stop()
    assert net.igd.subscribed_to == []
