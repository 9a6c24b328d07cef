"""The real homes that broke diagnosis v1, end to end: fakes on sockets -> states and repairs.

Each test starts from the situation a review found misdiagnosed and ends with the
diagnosis, the states and exactly the repairs the runbook gives for it.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.diagnostics import async_get_config_entry_diagnostics
from simulator.igd import Mapping
from simulator.network import CONTAINER_IP, MANUAL_PORT, OLD_LAN_IP, UPNP_PORT, FakeNetwork

from .conftest import Check

DIAGNOSIS = "sensor.living_room_plex_diagnosis"
STATUS = "sensor.living_room_plex_remote_access_status"
REMOTE_ACCESS = "binary_sensor.living_room_plex_remote_access"
CGNAT = "binary_sensor.living_room_plex_carrier_grade_nat"
DOUBLE_NAT = "binary_sensor.living_room_plex_double_nat"


def state(hass: HomeAssistant, entity_id: str) -> str:
    entity = hass.states.get(entity_id)
    assert entity is not None, entity_id
    return entity.state


def repairs(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    """This integration's issues by finding key."""
    return {
        issue.translation_key or "": issue
        for issue in ir.async_get(hass).issues.values()
        if issue.domain == DOMAIN and issue.active
    }


async def checks(check: Check, entry: MockConfigEntry, count: int = 3) -> None:
    for _ in range(count):
        await check(entry)


async def test_a_dsl_router_is_read_on_the_line_that_carries_traffic(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry, check: Check
) -> None:
    """An idle WANIPConnection beside the PPP line: the real cause shows, not a hidden WAN IP."""
    network.apply("dsl_ppp")  # a DSL home from the start: its router describes both lines
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    setup_entry = config_entry
    await checks(check, setup_entry)
    assert state(hass, "sensor.living_room_plex_router_wan_ip") == "203.0.113.2"
    assert (state(hass, CGNAT), state(hass, DOUBLE_NAT)) == ("off", "off")
    assert state(hass, DIAGNOSIS) == "mapping_failed"
    assert list(repairs(hass)) == ["mapping_failed"]


async def test_internet_outage_is_wan_disconnected(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """The router says Disconnected with 0.0.0.0: the line is down, not a hidden WAN IP."""
    network.apply("wan_down")
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "wan_disconnected"
    assert (state(hass, CGNAT), state(hass, DOUBLE_NAT)) == ("unknown", "unknown")
    assert list(repairs(hass)) == ["wan_disconnected"]
    placeholders = repairs(hass)["wan_disconnected"].translation_placeholders or {}
    assert placeholders["connection_status"] == "Disconnected"


async def test_home_assistant_behind_a_vpn_is_not_cgnat(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Home Assistant's public IP differs, but Plex sees the router's WAN IP: no CGNAT."""
    network.apply("home_assistant_vpn")
    await checks(check, setup_entry)
    assert state(hass, CGNAT) == "off"
    assert state(hass, DIAGNOSIS) == "mapping_failed"
    assert list(repairs(hass)) == ["mapping_failed"]
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert report["diagnosis"]["egress_differs"] == "home_assistant"


async def test_plex_behind_a_vpn_while_the_public_ip_service_is_down_is_not_cgnat(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Only the server's vantage point differs from the WAN IP: CGNAT stays unknown."""
    network.apply("plex_public_ip_mismatch")
    network.echo.state.status = 503
    await checks(check, setup_entry)
    assert state(hass, CGNAT) == "unknown"
    assert state(hass, DIAGNOSIS) == "port_blocked"
    assert list(repairs(hass)) == ["port_blocked"]
    placeholders = repairs(hass)["port_blocked"].translation_placeholders or {}
    assert "could not be proven" in placeholders["nat_check"]
    assert "proven:" not in placeholders["nat_check"]


async def test_plex_in_docker_bridge_mode_forwards_to_the_host(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Repairs name the host and its published port, never the container's address."""
    network.apply("docker_bridge")
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "mapping_failed"
    placeholders = repairs(hass)["mapping_failed"].translation_placeholders or {}
    assert placeholders["lan_ip"] == "127.0.0.1"  # the URL's host: the Docker host here
    assert placeholders["internal_port"] == str(network.plex.server.port)
    assert CONTAINER_IP in placeholders["container_note"]
    assert CONTAINER_IP not in placeholders["lan_ip"]
    # A static forward to the host is right; one to the container is not.
    network.manual_mode()
    network.plex_says(privateAddress=CONTAINER_IP, mappingState="mapped", mappingError="unreachable")
    network.igd.state.mappings = [Mapping(MANUAL_PORT, "127.0.0.1", network.plex.server.port)]
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "port_blocked"
    network.igd.state.mappings = [Mapping(MANUAL_PORT, CONTAINER_IP)]
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "port_forward_wrong_target"
    assert list(repairs(hass)) == ["port_forward_wrong_target"]


async def test_a_stale_upnp_lease_asks_for_a_dhcp_reservation_first(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Runbook step 4 before step 5: reserve the address, then Retry; not upnp_stale."""
    network.apply("stale_upnp_lease")
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "port_forward_wrong_target"
    assert list(repairs(hass)) == ["port_forward_wrong_target"]
    placeholders = repairs(hass)["port_forward_wrong_target"].translation_placeholders or {}
    assert placeholders["forward_target"] == f"{OLD_LAN_IP}:32400"
    assert placeholders["external_port"] == str(UPNP_PORT)
    assert "DHCP reservation" in placeholders["forward_steps"]
    assert "Retry" in placeholders["forward_steps"]
    assert "Change the forward" not in placeholders["forward_steps"]  # Plex's own lease: no manual edit


async def test_a_reverse_proxy_beside_remote_access_is_custom_and_raises_nothing(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Plex's own mapping fails, the proxy publishes the server: remote access works."""
    network.apply("reverse_proxy")
    await checks(check, setup_entry)
    assert (state(hass, STATUS), state(hass, REMOTE_ACCESS), state(hass, DIAGNOSIS)) == ("custom", "on", "ok")
    assert repairs(hass) == {}
    identity_requests = [headers for headers in network.proxy.state.requests if headers]
    assert identity_requests
    assert all("X-Plex-Token" not in headers for headers in identity_requests)


async def test_a_custom_url_that_leads_nowhere_names_the_url_and_the_reason(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("custom_url_unreachable")
    await checks(check, setup_entry)
    assert (state(hass, STATUS), state(hass, DIAGNOSIS)) == ("disabled", "custom_url_unreachable")
    placeholders = repairs(hass)["custom_url_unreachable"].translation_placeholders or {}
    assert placeholders["custom_url"] == network.proxy.url
    assert "HTTP 502" in placeholders["custom_url_problem"]
    assert list(repairs(hass)) == ["custom_url_unreachable"]
    network.proxy.state.status = None  # the proxy's upstream is back
    await checks(check, setup_entry, 1)
    assert (state(hass, STATUS), state(hass, DIAGNOSIS)) == ("custom", "ok")
    assert repairs(hass) == {}


async def test_default_port_warning_survives_a_plex_restart(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Judged from Plex's own prefs and account: the router table alone never clears it."""
    network.apply("default_port_exposed")
    await checks(check, setup_entry)
    assert list(repairs(hass)) == ["default_port_exposed"]
    network.plex.state.fail_status = 503  # Plex restarts: only the router answers
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "plex_unreachable"
    assert "default_port_exposed" in repairs(hass)
    network.plex.state.fail_status = None
    await checks(check, setup_entry)
    assert list(repairs(hass)) == ["default_port_exposed"]


@pytest.mark.parametrize(
    ("wan_ip", "proven"),
    [("169.254.3.4", False), ("203.0.113.2", True)],
)
async def test_port_blocked_claims_single_nat_only_when_proven(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
    wan_ip: str,
    proven: bool,
) -> None:
    network.apply("port_blocked")
    network.igd.state.external_ip = wan_ip
    await checks(check, setup_entry)
    nat_check = (repairs(hass)["port_blocked"].translation_placeholders or {})["nat_check"]
    assert ("Single NAT is proven" in nat_check) is proven
    assert ("could not be proven" in nat_check) is not proven


async def test_double_nat_reported_by_plex_on_a_public_wan_says_so(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("double_nat")
    network.igd.state.external_ip = "203.0.113.2"  # the router's WAN looks public
    await checks(check, setup_entry)
    evidence = (repairs(hass)["double_nat"].translation_placeholders or {})["double_nat_evidence"]
    assert "Plex itself reports double NAT" in evidence
    assert "a private address" not in evidence


async def test_plex_unknown_mapping_state_is_no_status(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.plex_says(mappingState="unknown")
    await checks(check, setup_entry)
    assert (state(hass, STATUS), state(hass, REMOTE_ACCESS)) == ("unknown", "unknown")
    assert repairs(hass) == {}


async def test_waiting_is_kept_ten_minutes_then_unknown(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
    freezer: FrozenDateTimeFactory,
) -> None:
    network.apply("cgnat")
    await checks(check, setup_entry, 2)
    network.plex_says(mappingState="waiting")
    await checks(check, setup_entry, 10)  # ten minutes of checks a minute apart
    assert (state(hass, STATUS), state(hass, DIAGNOSIS)) == ("relay", "cgnat")
    freezer.tick(timedelta(seconds=30))
    await check(setup_entry)
    assert (state(hass, STATUS), state(hass, DIAGNOSIS), state(hass, REMOTE_ACCESS)) == (
        "unknown",
        "unknown",
        "unknown",
    )
    assert list(repairs(hass)) == ["cgnat"]  # unknown neither confirms nor clears
