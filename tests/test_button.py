"""Buttons: retry goes to Plex once per cooldown; run diagnosis checks now."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import SERVICE_PRESS
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.network import FakeNetwork

RETRY = "button.living_room_plex_retry_remote_access"
RUN = "button.living_room_plex_run_diagnosis"


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call("button", SERVICE_PRESS, {"entity_id": entity_id}, blocking=True)


async def test_retry_asks_plex_once_per_cooldown(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("custom_components.plex_remote_doctor.doctor.doctor.monotonic", lambda: clock[0])
    network.apply("mapping_failed")
    await press(hass, RETRY)
    assert network.plex.state.refresh_reachability_calls == 1
    assert hass.states.get("sensor.living_room_plex_diagnosis").state == "mapping_failed"  # type: ignore[union-attr]

    clock[0] += 30
    with pytest.raises(HomeAssistantError) as caught:
        await press(hass, RETRY)
    assert caught.value.translation_key == "retry_cooldown"
    assert network.plex.state.refresh_reachability_calls == 1

    clock[0] += 31
    await press(hass, RETRY)
    assert network.plex.state.refresh_reachability_calls == 2


async def test_retry_failure_is_a_clear_error(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    network.plex.state.fail_status = 500
    with pytest.raises(HomeAssistantError) as caught:
        await press(hass, RETRY)
    assert caught.value.translation_key == "retry_failed"


async def test_run_diagnosis_checks_now(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    network.apply("cgnat")
    await press(hass, RUN)
    assert hass.states.get("sensor.living_room_plex_diagnosis").state == "cgnat"  # type: ignore[union-attr]
    assert network.plex.state.refresh_reachability_calls == 0  # checking never asks plex.tv to retest
