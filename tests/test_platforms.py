"""Snapshot of every platform: entity registry entries and states of a healthy network."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, Platform
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from simulator.network import FakeNetwork


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.BUTTON])
async def test_platform_snapshot(
    hass: HomeAssistant,
    network: FakeNetwork,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    config_entry.add_to_hass(hass)
    with patch("custom_components.plex_remote_doctor.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


def the_entry_device(hass: HomeAssistant, entry_id: str, machine_identifier: str) -> dr.DeviceEntry:
    """The entry's one device, found without the integration's own lookup (compat.py)."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    assert [device.identifiers for device in devices] == [{("plex_remote_doctor", machine_identifier)}]
    return devices[0]


async def test_device(hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry) -> None:
    """The Plex server is the device; its version comes from the server."""
    device = the_entry_device(hass, setup_entry.entry_id, network.plex.state.machine_identifier)
    assert (device.name, device.manufacturer, device.model) == (
        "Living Room Plex",
        "Plex",
        "Plex Media Server",
    )
    assert device.configuration_url == f"{network.plex.url}/web"
    assert device.sw_version == network.plex.state.version


async def test_device_version_after_a_start(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry
) -> None:
    """While Home Assistant starts, the device is added before the server is asked who it is."""
    hass.set_state(CoreState.starting)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    machine_identifier = network.plex.state.machine_identifier
    device = the_entry_device(hass, config_entry.entry_id, machine_identifier)
    assert device.sw_version is None

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    async with asyncio.timeout(5):  # the first check runs in the background
        while not config_entry.runtime_data.data.checked:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    device = the_entry_device(hass, config_entry.entry_id, machine_identifier)
    assert device.sw_version == network.plex.state.version
