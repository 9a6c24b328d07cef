"""The notification blueprint, loaded in a test Home Assistant against the integration."""

from __future__ import annotations

from datetime import timedelta
import json
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

TRANSLATIONS = Path(__file__).parent.parent / "custom_components" / "plex_remote_doctor" / "translations"


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
    # The diagnosis as the user reads it (state_translated), not its key "cgnat".
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


def remote_access(hass: HomeAssistant) -> str:
    state = hass.states.get("binary_sensor.living_room_plex_remote_access")
    assert state is not None
    return state.state


async def goes(hass: HomeAssistant, network: FakeNetwork, entry: MockConfigEntry, scenario: str) -> str:
    """Put the network in ``scenario``, check once; the remote access sensor's new state."""
    network.apply(scenario)
    await check(hass, entry)
    return remote_access(hass)


async def test_off_through_unavailable_notifies_once(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """on → unavailable → off: the common break (Plex restarts or moves, comes back unreachable)."""
    assert remote_access(hass) == "on"
    assert await goes(hass, network, setup_entry, "plex_unreachable") == "unavailable"
    await later(hass, freezer, 1)
    assert await goes(hass, network, setup_entry, "port_blocked") == "off"
    await later(hass, freezer, 4)
    assert notifications == []  # not off long enough yet
    await later(hass, freezer, 1.5)
    assert [call.data["title"] for call in notifications] == ["Plex remote access is broken"]
    for _ in range(3):
        await check(hass, setup_entry)
        await later(hass, freezer, 10)
    assert len(notifications) == 1


async def test_restart_that_comes_back_working_sends_nothing(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """on → unavailable → on, even when the server stays away longer than "broken for"."""
    assert remote_access(hass) == "on"
    assert await goes(hass, network, setup_entry, "plex_unreachable") == "unavailable"
    await later(hass, freezer, 6)
    assert await goes(hass, network, setup_entry, "healthy") == "on"
    await later(hass, freezer, 6)
    assert notifications == []


async def test_a_restart_during_an_outage_is_still_one_outage(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """off → unavailable → off: no second notification; back on through unavailable: "back"."""
    assert await goes(hass, network, setup_entry, "cgnat") == "off"
    await later(hass, freezer, 6)
    assert len(notifications) == 1
    for _ in range(2):  # Plex restarts twice, still behind CGNAT
        assert await goes(hass, network, setup_entry, "plex_unreachable") == "unavailable"
        await later(hass, freezer, 1)
        assert await goes(hass, network, setup_entry, "cgnat") == "off"
        await later(hass, freezer, 10)
    assert len(notifications) == 1
    # The provider gives a public IPv4; the server restarts onto it.
    assert await goes(hass, network, setup_entry, "plex_unreachable") == "unavailable"
    assert await goes(hass, network, setup_entry, "healthy") == "on"
    assert [call.data["title"] for call in notifications] == [
        "Plex remote access is broken",
        "Plex remote access is back",
    ]
    # A later outage is a new one.
    await later(hass, freezer, 1)
    assert await goes(hass, network, setup_entry, "cgnat") == "off"
    await later(hass, freezer, 6)
    assert len(notifications) == 3


async def test_the_diagnosis_is_named_in_home_assistants_language(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Home Assistant speaks German: the notification names the diagnosis as de.json does."""
    diagnosis = json.loads((TRANSLATIONS / "de.json").read_text(encoding="utf-8"))["entity"]["sensor"][
        "diagnosis"
    ]["state"]["cgnat"]
    hass.config.language = "de"
    # Platforms load their translations when set up, as after a restart in German.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    network.apply("cgnat")
    await check(hass, setup_entry)
    await later(hass, freezer, 5.5)
    assert len(notifications) == 1
    assert notifications[0].data["message"].startswith(f"{diagnosis}. ")
    assert diagnosis == "Carrier-Grade-NAT"
