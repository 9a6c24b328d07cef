"""Faults through the loopback fakes: clear states, no invented findings, recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.doctor.cadence import STALE_LIMIT
from simulator.network import FakeNetwork

from .doctor.test_router import HELD_BACK, TIMEOUT


def state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def check(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


def quick_router(entry: MockConfigEntry) -> None:
    """Router calls give up after ``TIMEOUT``: an answer held back ``HELD_BACK`` times out."""
    router = entry.runtime_data.doctor.router
    assert router is not None
    router.requester.timeout = TIMEOUT


async def test_plex_down_is_a_finding_and_recovers(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    await network.plex.stop()
    await check(hass, setup_entry)
    assert state(hass, "sensor.living_room_plex_diagnosis") == "plex_unreachable"
    assert state(hass, "sensor.living_room_plex_remote_access_status") == STATE_UNAVAILABLE
    assert state(hass, "binary_sensor.living_room_plex_remote_access") == STATE_UNAVAILABLE
    assert state(hass, "sensor.living_room_plex_router_wan_ip") == "203.0.113.2"  # router still read
    assert "no plex evidence this check" in caplog.text
    caplog.clear()
    await check(hass, setup_entry)
    assert "no plex evidence" not in caplog.text  # logged once, not every check

    await network.plex.start()
    await check(hass, setup_entry)
    assert state(hass, "sensor.living_room_plex_diagnosis") == "ok"
    assert state(hass, "binary_sensor.living_room_plex_remote_access") == "on"
    assert "plex evidence is back" in caplog.text


async def test_plex_down_at_start_still_sets_up(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry
) -> None:
    await network.plex.stop()
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, "sensor.living_room_plex_diagnosis") == "plex_unreachable"


async def test_vanished_router_invents_no_finding(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    network.apply("mapping_failed")
    await network.igd.stop()
    await check(hass, setup_entry)
    assert state(hass, "sensor.living_room_plex_diagnosis") == "mapping_failed"
    for entity_id in (
        "binary_sensor.living_room_plex_carrier_grade_nat",
        "binary_sensor.living_room_plex_double_nat",
        "binary_sensor.living_room_plex_wan_ip_is_public_ip",
        "binary_sensor.living_room_plex_upnp_port_mapping",
        "sensor.living_room_plex_router_wan_ip",
    ):
        assert state(hass, entity_id) == STATE_UNKNOWN, entity_id
    await network.igd.start()
    await check(hass, setup_entry)
    assert state(hass, "binary_sensor.living_room_plex_carrier_grade_nat") == "off"


async def test_plex_tv_and_public_ip_down_keep_ok(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    network.plex_tv.state.status = 503
    network.echo.state.status = 500
    # Asked again (the user asks): the last answers still describe this home, which has not changed.
    await setup_entry.runtime_data.async_check_now()
    await hass.async_block_till_done()
    assert state(hass, "sensor.living_room_plex_diagnosis") == "ok"
    assert state(hass, "sensor.living_room_plex_public_ip") == "203.0.113.2"
    # Down for longer than a reading may stand in: unknown, and still no finding.
    freezer.tick(timedelta(seconds=STALE_LIMIT + 1))
    await check(hass, setup_entry)
    assert state(hass, "sensor.living_room_plex_diagnosis") == "ok"
    assert state(hass, "sensor.living_room_plex_public_ip") == STATE_UNKNOWN
    # Plex's own public address stands in for the public IP.
    assert state(hass, "binary_sensor.living_room_plex_wan_ip_is_public_ip") == "on"


@pytest.mark.parametrize(
    "body",
    ["<MyPlex mappingState=", "<html>Maintenance</html>", '{"MyPlex": ', "\x00\x01binary"],
)
async def test_malformed_account_is_unknown_not_a_finding(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    body: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    network.apply("cgnat")  # a finding that must not be claimed without Plex's account
    network.plex.state.raw_bodies["/myplex/account"] = body
    await check(hass, setup_entry)
    assert state(hass, "sensor.living_room_plex_diagnosis") == STATE_UNKNOWN
    assert state(hass, "sensor.living_room_plex_remote_access_status") == STATE_UNKNOWN
    assert state(hass, "binary_sensor.living_room_plex_carrier_grade_nat") == "on"  # the fact stands
    assert "no plex_account evidence this check: account: " in caplog.text


async def test_one_check_request_count(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """A routine check: 3 Plex requests and 3 SOAP calls on an IGD v2, no shared service.

    A check the user asks for adds the public-IP service and plex.tv, once each.
    """
    network.plex.state.requests.clear()
    network.igd.state.calls.clear()
    network.echo.state.calls = 0
    network.plex_tv.state.calls = 0
    await check(hass, setup_entry)
    assert sorted(network.plex.state.requests) == [
        ("GET", "/:/prefs"),
        ("GET", "/myplex/account"),
        ("GET", "/status/sessions"),
    ]
    assert sorted(network.igd.state.calls) == [
        "GetExternalIPAddress",
        "GetListOfPortMappings",
        "GetStatusInfo",
    ]
    assert (network.echo.state.calls, network.plex_tv.state.calls) == (0, 0)
    await setup_entry.runtime_data.async_check_now()
    assert (network.echo.state.calls, network.plex_tv.state.calls) == (1, 1)


async def test_start_up_is_never_held_up_by_the_first_check(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry
) -> None:
    """While Home Assistant starts, setup returns at once; the first check runs once started."""
    from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
    from homeassistant.core import CoreState

    network.plex.state.delay = 5.0  # a slow server would hold start-up for seconds
    hass.set_state(CoreState.starting)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert ("GET", "/myplex/account") not in network.plex.state.requests
    assert state(hass, "sensor.living_room_plex_diagnosis") == STATE_UNAVAILABLE

    network.plex.state.delay = 0.0
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    async with asyncio.timeout(5):  # the first check runs in the background
        while state(hass, "sensor.living_room_plex_diagnosis") != "ok":  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_router_found_again_by_udn_when_its_url_stops_answering(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry
) -> None:
    """The router restarted on another port: SSDP knows its UDN at the new URL."""
    from unittest.mock import patch

    from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo

    hass.config.components.add("ssdp")
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data=config_entry.data | {"router_url": "http://127.0.0.1:1/rootDesc.xml"}
    )
    found = SsdpServiceInfo(
        ssdp_usn=f"{network.igd.state.udn}::urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        ssdp_st="urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        ssdp_location=network.igd.description_url,
        ssdp_udn=network.igd.state.udn,
        upnp={},
    )
    with patch(
        "custom_components.plex_remote_doctor.listeners.ssdp.async_get_discovery_info_by_udn",
        return_value=[found],
    ) as lookup:
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        assert state(hass, "sensor.living_room_plex_router_wan_ip") == STATE_UNKNOWN
        lookup.assert_called_with(hass, network.igd.state.udn)
    assert config_entry.data["router_url"] == network.igd.description_url
    await check(hass, config_entry)
    assert state(hass, "sensor.living_room_plex_router_wan_ip") == "203.0.113.2"


@pytest.mark.parametrize(
    ("action", "wan_ip", "port_mapping"),
    [
        ("GetGenericPortMappingEntry", "203.0.113.2", STATE_UNKNOWN),
        ("GetListOfPortMappings", "203.0.113.2", STATE_UNKNOWN),
        ("GetStatusInfo", "203.0.113.2", "on"),
        ("GetExternalIPAddress", STATE_UNKNOWN, STATE_UNKNOWN),
    ],
)
async def test_router_timeout_keeps_what_was_read_and_looks_nowhere_else(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    action: str,
    wan_ip: str,
    port_mapping: str,
) -> None:
    """A slow answer is unknown for one check; only the description not answering relocates."""
    from unittest.mock import patch

    hass.config.components.add("ssdp")
    quick_router(setup_entry)
    if action == "GetGenericPortMappingEntry":  # IGD v2 refusing the listing: the walk
        network.igd.state.list_error = 606
        network.igd.state.entry_delays = {0: HELD_BACK}
    else:
        network.igd.state.delays = {action: HELD_BACK}
    with patch(
        "custom_components.plex_remote_doctor.listeners.ssdp.async_get_discovery_info_by_udn", return_value=[]
    ) as lookup:
        await check(hass, setup_entry)
    lookup.assert_not_called()
    assert state(hass, "sensor.living_room_plex_router_wan_ip") == wan_ip
    assert state(hass, "binary_sensor.living_room_plex_upnp_port_mapping") == port_mapping
    assert state(hass, "sensor.living_room_plex_diagnosis") == "ok"
