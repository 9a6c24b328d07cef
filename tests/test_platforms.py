"""Snapshot of every platform: entity registry entries and states of a healthy network."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from .compat import device_by_identifier, plain_keys
from .fakes.network import FakeNetwork


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
    entries = er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
    assert entries
    described = {}
    for entry in sorted(entries, key=lambda e: e.entity_id):
        state = hass.states.get(entry.entity_id)
        assert state is not None
        described[entry.entity_id] = {
            "unique_id": entry.unique_id,
            "translation_key": entry.translation_key,
            "original_name": entry.original_name,
            "device_class": entry.original_device_class,
            "entity_category": entry.entity_category,
            "capabilities": plain_keys(entry.capabilities),
            "state": state.state if platform is not Platform.BUTTON else "(press time)",
            "attributes": plain_keys(state.attributes),
        }
    assert described == snapshot


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
