"""The router probe and the diagnosis against a real miniupnpd in network namespaces.

Run by ``./script/test`` when the lab can start (root, Linux); otherwise skipped with
the reason. The test's event loop moves into the LAN namespace for each test, where
the router is at 192.168.1.1 and "Plex" at 192.168.1.10.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
import contextlib
from dataclasses import replace
from ipaddress import IPv4Address
import time
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.doctor.diagnose import Finding, diagnose
from custom_components.plex_remote_doctor.doctor.evidence import MappingState, RouterState
from custom_components.plex_remote_doctor.doctor.gena import RouterEvents
from custom_components.plex_remote_doctor.doctor.router import Router
from simulator.echo import EchoState, FakePlexTv, FakePublicIpEcho, PlexTvState, server_resource
from simulator.plex_server import FakePlexServer, PlexState, default_prefs, healthy_account
from tests.doctor.scenarios import build

from .netlab import CASES, HOST_LAN, LOCATION, NS_LAN, ROUTER_LAN, UPSTREAM_PUBLIC, InNamespace, Lab, why_not

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Generator[Lab]:
    if reason := why_not():
        pytest.skip(reason)
    the_lab = Lab(tmp_path_factory.mktemp("router-lab"))
    yield the_lab
    the_lab.down()


@pytest.fixture
def allow_lab(lab: Lab, socket_enabled: None) -> Lab:
    """The lab, with its addresses allowed to this test's sockets."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", ROUTER_LAN, HOST_LAN], allow_unix_socket=True)
    return lab


@contextlib.asynccontextmanager
async def on_lan() -> AsyncGenerator[aiohttp.ClientSession]:
    """An HTTP session on the LAN host (this thread moves into the LAN namespace)."""
    with InNamespace(NS_LAN):
        async with aiohttp.ClientSession() as session:
            yield session


def evidence_with(router: RouterState, **plex: Any) -> Any:
    """Plex's side as a scenario, the router's side as miniupnpd answered."""
    return replace(build(private=HOST_LAN, **plex), router=router, server_url_host=HOST_LAN)


def add_mapping(lab: Lab, target: str = HOST_LAN, external: int = 32500) -> str:
    """What Plex does through UPnP (here with miniupnpc): external -> target:32400."""
    result = lab.upnpc("-e", "Plex Media Server", "-a", target, "32400", str(external), "TCP")
    return result.stdout + result.stderr


async def test_public_wan_with_plex_mapping(allow_lab: Lab) -> None:
    allow_lab.up(CASES["public"])
    add_mapping(allow_lab)
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.wan_ip == IPv4Address("203.0.113.2")
        assert state.port_mappings is not None
        assert [(m.external_port, m.internal_client, m.internal_port) for m in state.port_mappings] == [
            (32500, HOST_LAN, 32400)
        ]
        diagnosis = diagnose(
            evidence_with(state, public_port=32500, public_ip="203.0.113.2", plex_public="203.0.113.2")
        )
        assert diagnosis.finding is Finding.OK
        assert (
            diagnosis.cgnat,
            diagnosis.double_nat,
            diagnosis.wan_public_ip_match,
            diagnosis.port_mapping,
        ) == (
            False,
            False,
            True,
            True,
        )


async def test_cgnat_wan(allow_lab: Lab) -> None:
    allow_lab.up(CASES["cgnat"])
    add_mapping(allow_lab)
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.wan_ip == IPv4Address("100.64.10.2")
        diagnosis = diagnose(
            evidence_with(
                state,
                public_ip="198.51.100.77",
                plex_public="198.51.100.77",
                public_port=32500,
                mapping_error="unreachable",
            )
        )
        assert diagnosis.finding is Finding.CGNAT
        assert (
            diagnosis.cgnat,
            diagnosis.double_nat,
            diagnosis.wan_public_ip_match,
            diagnosis.port_mapping,
        ) == (
            True,
            False,
            False,
            True,
        )


async def test_private_wan_is_double_nat(allow_lab: Lab) -> None:
    allow_lab.up(CASES["private"])
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.wan_ip == IPv4Address("192.168.100.2")
        diagnosis = diagnose(
            evidence_with(state, mapping_state=MappingState.FAILED, mapping_error="doublenat")
        )
        assert diagnosis.finding is Finding.DOUBLE_NAT
        assert (diagnosis.cgnat, diagnosis.double_nat, diagnosis.port_mapping) == (False, True, False)


async def test_stock_miniupnpd_hides_a_reserved_wan(allow_lab: Lab) -> None:
    allow_lab.up(CASES["stock-private"])
    assert "501" in add_mapping(allow_lab) or "failed" in add_mapping(allow_lab).lower()
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.wan_ip is None
        diagnosis = diagnose(evidence_with(state, mapping_state=MappingState.FAILED))
        assert diagnosis.finding is Finding.WAN_IP_NOT_PUBLIC
        assert (diagnosis.cgnat, diagnosis.double_nat, diagnosis.wan_public_ip_match) == (None, None, None)


async def test_upstream_nat_learned_by_stun_is_not_ok(allow_lab: Lab) -> None:
    """The router reports the carrier's address as its own and refuses every mapping."""
    allow_lab.up(CASES["upstream-nat"])
    refused = add_mapping(allow_lab)
    assert "501" in refused
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.wan_ip == IPv4Address(UPSTREAM_PUBLIC)
        assert state.port_mappings == ()
        diagnosis = diagnose(
            evidence_with(
                state,
                mapping_state=MappingState.FAILED,
                public_ip=UPSTREAM_PUBLIC,
                plex_public=UPSTREAM_PUBLIC,
            )
        )
        assert diagnosis.finding is Finding.MAPPING_FAILED
        assert (diagnosis.cgnat, diagnosis.wan_public_ip_match, diagnosis.port_mapping) == (
            False,
            True,
            False,
        )


async def test_forward_to_an_old_lan_ip(allow_lab: Lab) -> None:
    allow_lab.up(
        CASES["public"], secure_mode=False
    )  # secure mode would refuse (718) a mapping for another host
    add_mapping(allow_lab, target="192.168.1.99")
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.port_mappings is not None
        assert [m.internal_client for m in state.port_mappings] == ["192.168.1.99"]
        diagnosis = diagnose(
            evidence_with(
                state, manual=True, manual_port=32500, public_port=32500, mapping_error="unreachable"
            )
        )
        assert diagnosis.finding is Finding.PORT_FORWARD_WRONG_TARGET
        assert diagnosis.facts["forward_target"] == "192.168.1.99:32400"


async def test_igd_v1_walk_with_newest_first(allow_lab: Lab) -> None:
    """miniupnpd lists index 0 as the newest mapping; leases tick down while we read."""
    allow_lab.up(CASES["public"], igd_v1=True)
    add_mapping(allow_lab, external=32500)
    add_mapping(allow_lab, external=32501)
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
        assert state.port_mappings is not None
        assert sorted(m.external_port for m in state.port_mappings) == [32500, 32501]


async def test_wan_renumbering_arrives_by_gena_within_2_s(allow_lab: Lab) -> None:
    allow_lab.up(CASES["public"])
    async with on_lan() as lan:
        router = Router(LOCATION, lan)
        changed = asyncio.Event()
        events = RouterEvents(router, changed.set, source_ip=HOST_LAN)
        await events.start()
        try:
            await asyncio.sleep(0.5)  # the initial event sets the baseline
            start = time.monotonic()
            await asyncio.to_thread(allow_lab.renumber_wan, "203.0.113.9/24")
            async with asyncio.timeout(2 + 0.5):  # renumber_wan itself waits 0.5 s before SIGUSR1
                await changed.wait()
            elapsed = time.monotonic() - start
            assert elapsed < 2.5
            assert (await router.read()).wan_ip == IPv4Address("203.0.113.9")
        finally:
            await events.stop()


@pytest.mark.parametrize("keep_address", [True, False], ids=["link_down", "address_removed"])
async def test_wan_down_is_evidence(allow_lab: Lab, keep_address: bool) -> None:
    """miniupnpd 2.3.1 (WAN address learned by STUN) when its WAN goes down.

    GetStatusInfo says Disconnected at once; GetExternalIPAddress keeps answering the
    old address (SIGUSR1 changes nothing), so the probe drops it. Losing the address is
    evented at once (netlink); a link going down with its address kept only after SIGUSR1.
    """
    allow_lab.up(CASES["public"])
    async with on_lan() as lan:
        router = Router(LOCATION, lan)
        state = await router.read()
        assert (state.wan_ip, state.service, state.service_choice) == (
            IPv4Address("203.0.113.2"),
            "WANIPConnection:2",
            "default",  # miniupnpd offers Layer3Forwarding
        )
        changed = asyncio.Event()
        events = RouterEvents(router, changed.set, source_ip=HOST_LAN)
        await events.start()
        try:
            await asyncio.sleep(0.5)  # the initial event sets the baseline
            await asyncio.to_thread(allow_lab.wan_down, keep_address=keep_address)
            state = await router.read()
            assert await router.external_ip_text() == "203.0.113.2"  # what miniupnpd still says
            assert (state.wan_ip, state.connection_status, state.connected) == (None, "Disconnected", False)
            assert (state.service, state.service_choice) == ("WANIPConnection:2", "default")
            # The line is down: Home Assistant's public-IP service does not answer either.
            diagnosis = diagnose(evidence_with(state, mapping_state=MappingState.FAILED, public_ip=None))
            assert diagnosis.finding is Finding.WAN_DISCONNECTED  # not "the router hides its WAN IP"
            if keep_address:
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(1):
                        await changed.wait()
                allow_lab.nudge()
            async with asyncio.timeout(2):
                await changed.wait()
            allow_lab.nudge()
            await asyncio.sleep(0.5)
            assert (await router.read()).wan_ip is None  # still the old address, still dropped

            await asyncio.to_thread(allow_lab.wan_up)
            state = await router.read()
            assert (state.wan_ip, state.connection_status) == (IPv4Address("203.0.113.2"), "Connected")
        finally:
            await events.stop()


def test_lab_tears_down_only_its_own(lab: Lab) -> None:
    lab.up(CASES["public"])
    started = dict(lab.processes)
    lab.down()
    assert all(process.poll() is not None for process in started.values())


async def test_home_assistant_against_miniupnpd(hass: HomeAssistant, allow_lab: Lab) -> None:
    """The whole integration: fake Plex, echo and plex.tv on the LAN host, miniupnpd as the router."""
    allow_lab.up(CASES["cgnat"])
    add_mapping(allow_lab, external=41234)
    with InNamespace(NS_LAN):
        plex = FakePlexServer(
            PlexState(
                account=healthy_account(HOST_LAN, "198.51.100.77", 41234) | {"mappingError": "unreachable"},
                prefs=default_prefs(),
            ),
            port=32400,
        )
        plex.server.host = HOST_LAN
        echo = FakePublicIpEcho(EchoState(answer="198.51.100.77"))
        echo.server.host = HOST_LAN
        plex_tv = FakePlexTv(PlexTvState(resources=[server_resource(plex.state.machine_identifier)]))
        plex_tv.server.host = HOST_LAN
        for fake in (plex, echo, plex_tv):
            await fake.start()
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Living Room Plex",
            unique_id=plex.state.machine_identifier,
            data={
                "url": plex.url,
                "token": plex.state.token,
                "verify_ssl": True,
                "router_url": LOCATION,
                "plex_tv_url": plex_tv.url,
            },
            options={"public_ip_url": echo.url, "confirm_checks": 2},
        )
        entry.add_to_hass(hass)
        try:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()

            def state(entity_id: str) -> str:
                current = hass.states.get(entity_id)
                assert current is not None, entity_id
                return current.state

            assert state("sensor.living_room_plex_diagnosis") == "cgnat"
            assert state("sensor.living_room_plex_router_wan_ip") == "100.64.10.2"
            assert state("binary_sensor.living_room_plex_carrier_grade_nat") == "on"
            assert state("binary_sensor.living_room_plex_double_nat") == "off"
            assert state("binary_sensor.living_room_plex_wan_ip_is_public_ip") == "off"
            assert state("binary_sensor.living_room_plex_upnp_port_mapping") == "on"

            # The router is renumbered (the provider hands out another CGNAT address):
            # GENA brings it to Home Assistant without a poll.
            router_events = entry.runtime_data.listeners.router_events
            assert router_events is not None
            async with asyncio.timeout(5):
                while not router_events.subscribed:  # noqa: ASYNC110 - a subscription in the background
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            start = time.monotonic()
            await asyncio.to_thread(allow_lab.renumber_wan, "100.64.10.9/10")
            async with asyncio.timeout(2.5):
                while state("sensor.living_room_plex_router_wan_ip") != "100.64.10.9":  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            assert time.monotonic() - start < 2.5  # 0.5 s of it is the lab waiting before SIGUSR1
        finally:
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            for fake in (plex, echo, plex_tv):
                await fake.stop()


async def test_miniupnpd_quirks(allow_lab: Lab) -> None:
    """Index 0 is the newest mapping, leases tick, secure mode answers 718, deleting is lenient."""
    allow_lab.up(CASES["public"], igd_v1=True)
    allow_lab.upnpc("-e", "Plex Media Server", "-a", HOST_LAN, "32400", "32500", "TCP", "3600")
    await asyncio.sleep(1.1)
    allow_lab.upnpc("-e", "Plex Media Server", "-a", HOST_LAN, "32400", "32501", "TCP", "3600")
    refused = add_mapping(allow_lab, target="192.168.1.99", external=32502)
    assert "718" in refused  # secure mode: a mapping for another LAN host
    deleted = allow_lab.upnpc("-d", "40000", "TCP")  # a mapping that does not exist
    assert "failed" not in (deleted.stdout + deleted.stderr).lower()
    async with on_lan() as lan:
        state = await Router(LOCATION, lan).read()
    assert state.port_mappings is not None
    assert [m.external_port for m in state.port_mappings] == [32501, 32500]  # newest first
    leases = {m.external_port: m.lease_duration for m in state.port_mappings}
    assert 0 < leases[32500] < 3600  # already ticking
    assert leases[32500] <= leases[32501]
