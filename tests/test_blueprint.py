"""The notification blueprint, loaded in a test Home Assistant against the integration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from simulator.network import FakeNetwork

from .blueprint import notify_on_broken_remote_access


@pytest.fixture
async def notifications(
    hass: HomeAssistant, tmp_path: Path, network: FakeNetwork, setup_entry: MockConfigEntry
) -> list[ServiceCall]:
    return await notify_on_broken_remote_access(hass, tmp_path, broken_for={"minutes": 5})


async def check(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_notifies_once_with_diagnosis_and_action_then_when_restored(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    network.apply("cgnat")
    await check(hass, setup_entry)
    await later(hass, freezer, 4)
    assert notifications == []  # not broken long enough yet
    await later(hass, freezer, 1.5)
    assert len(notifications) == 1
    assert notifications[0].data["title"] == "Plex remote access is broken"
    assert notifications[0].data["message"] == (
        "Carrier-grade NAT. Ask your provider for a public IPv4; meanwhile use Plex Relay or Tailscale/WireGuard."
    )
    for _ in range(3):  # more checks and time while still broken: no more notifications
        await check(hass, setup_entry)
        await later(hass, freezer, 10)
    assert len(notifications) == 1

    network.apply("healthy")
    await check(hass, setup_entry)
    assert len(notifications) == 2
    assert notifications[1].data["title"] == "Plex remote access is back"


async def test_short_outage_sends_nothing(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    network.apply("port_blocked")
    await check(hass, setup_entry)
    await later(hass, freezer, 2)
    network.apply("healthy")
    await check(hass, setup_entry)
    await later(hass, freezer, 10)
    assert notifications == []
