"""Snapshot of every platform: entity registry entries and states of a healthy network."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, Platform
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.plex_remote_doctor.compat import device_by_identifier
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


async def test_device(hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry) -> None:
    """The Plex server is the device; its version comes from the server."""
    device = device_by_identifier(
        hass, ("plex_remote_doctor", network.plex.state.machine_identifier), setup_entry.entry_id
    )
    assert device is not None
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
    identifier = ("plex_remote_doctor", network.plex.state.machine_identifier)
    device = device_by_identifier(hass, identifier, config_entry.entry_id)
    assert device is not None
    assert device.sw_version is None

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    async with asyncio.timeout(5):  # the first check runs in the background
        while not config_entry.runtime_data.data.checked:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    device = device_by_identifier(hass, identifier, config_entry.entry_id)
    assert device is not None
    assert device.sw_version == network.plex.state.version
