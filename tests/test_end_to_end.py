"""Every finding, end to end: fakes on real sockets -> integration -> HA state machine."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.network import FakeNetwork

# scenario: diagnosis, remote_access_status, cgnat, double_nat, wan_public_ip_match, remote_access
EXPECTED: dict[str, tuple[str, str, str, str, str, str]] = {
    "healthy": ("ok", "reachable", "off", "off", "on", "on"),
    "plex_unreachable": ("plex_unreachable", "unavailable", "off", "off", "on", "unavailable"),
    # Plex says mappingState "unknown" while signed out: no status, no guess (v2)
    "not_signed_in": ("not_signed_in", "unknown", "off", "off", "on", "unknown"),
    "remote_access_disabled": ("remote_access_disabled", "disabled", "off", "off", "on", "off"),
    "cgnat": ("cgnat", "relay", "on", "off", "off", "off"),
    "double_nat": ("double_nat", "relay", "off", "on", "off", "off"),
    "wan_ip_not_public": ("wan_ip_not_public", "relay", "unknown", "unknown", "unknown", "off"),
    "plex_public_ip_mismatch": ("plex_public_ip_mismatch", "relay", "off", "off", "on", "off"),
    "mapping_failed": ("mapping_failed", "relay", "off", "off", "on", "off"),
    "upnp_stale": ("upnp_stale", "relay", "off", "off", "on", "off"),
    "port_forward_wrong_target": ("port_forward_wrong_target", "relay", "off", "off", "on", "off"),
    "port_blocked": ("port_blocked", "relay", "off", "off", "on", "off"),
    "plex_reported_error": ("plex_reported_error", "relay", "off", "off", "on", "off"),
    "account_issue": ("account_issue", "reachable", "off", "off", "on", "on"),
}

ENTITIES = (
    "sensor.living_room_plex_diagnosis",
    "sensor.living_room_plex_remote_access_status",
    "binary_sensor.living_room_plex_carrier_grade_nat",
    "binary_sensor.living_room_plex_double_nat",
    "binary_sensor.living_room_plex_wan_ip_is_public_ip",
    "binary_sensor.living_room_plex_remote_access",
)


def states(hass: HomeAssistant) -> tuple[str, ...]:
    return tuple(hass.states.get(entity_id).state for entity_id in ENTITIES)  # type: ignore[union-attr]


@pytest.mark.parametrize("scenario", list(EXPECTED))
async def test_scenario_reaches_home_assistant(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, scenario: str
) -> None:
    """Set the network, let the integration check (as Run diagnosis does), read Home Assistant's states."""
    assert states(hass) == EXPECTED["healthy"]
    network.apply(scenario)
    await setup_entry.runtime_data.async_check_now()
    await hass.async_block_till_done()
    assert states(hass) == EXPECTED[scenario]


@pytest.mark.parametrize("scenario", list(EXPECTED))
async def test_scenario_with_igd_v1_and_xml_plex(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry, scenario: str
) -> None:
    """The same answers from an IGD v1 router (table walked entry by entry) and an XML-only Plex."""
    network.igd.state.version = 1
    network.plex.state.body_format = "xml"
    network.apply(scenario)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert states(hass) == EXPECTED[scenario]
    assert "GetListOfPortMappings" not in network.igd.state.calls
