"""The router probe against a real IGD served on loopback (v1 and v2)."""

from __future__ import annotations

from ipaddress import IPv4Address

import aiohttp
import pytest

from custom_components.plex_remote_doctor.doctor.errors import DoctorConnectionError, DoctorResponseError
from custom_components.plex_remote_doctor.doctor.router import (
    WALK_WINDOW,
    Router,
    describe,
    parse_port_listing,
)
from simulator.igd import Mapping
from simulator.network import LAN_IP, FakeNetwork


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
    router = Router(net.igd.description_url, session, timeout=2)
    await router.read()
    await net.igd.stop()
    with pytest.raises(DoctorConnectionError):
        await router.read()
    await net.igd.start()  # same port
    assert (await router.read()).wan_ip == IPv4Address("203.0.113.2")


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


@pytest.mark.parametrize("entries", [0, 7, 8, 9, 25])
async def test_v1_walk_in_windows_keeps_every_entry_in_order(
    session: aiohttp.ClientSession, net: FakeNetwork, entries: int
) -> None:
    net.igd.state.version = 1
    net.igd.state.mappings = [Mapping(20000 + index, LAN_IP) for index in range(entries)]
    state = await Router(net.igd.description_url, session).read()
    assert state.port_mappings is not None
    assert [m.external_port for m in state.port_mappings] == [20000 + index for index in range(entries)]
    windows = entries // WALK_WINDOW + 1
    assert net.igd.state.calls.count("GetGenericPortMappingEntry") == windows * WALK_WINDOW


async def test_v1_walk_stops_at_the_cap(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """A table longer than the cap is not walked to the end, and a partial table is no evidence."""
    net.igd.state.version = 1
    net.igd.state.mappings = [Mapping(20000 + index, LAN_IP) for index in range(40)]
    state = await Router(net.igd.description_url, session, max_mappings=20).read()
    assert state.port_mappings is None
    assert net.igd.state.calls.count("GetGenericPortMappingEntry") <= 24
