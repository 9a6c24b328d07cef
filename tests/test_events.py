"""Event-driven detection: a reachability notification reaches Home Assistant in seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.doctor.notifications import notification_type, websocket_url
from simulator.network import FakeNetwork

REMOTE_ACCESS = "binary_sensor.living_room_plex_remote_access"
DIAGNOSIS = "sensor.living_room_plex_diagnosis"


async def wait_for_state(hass: HomeAssistant, entity_id: str, wanted: str, timeout: float) -> float:
    """Seconds until the state is ``wanted``; fails after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        current = hass.states.get(entity_id)
        if current is not None and current.state == wanted:
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    current = hass.states.get(entity_id)
    raise AssertionError(
        f"{entity_id} is {current.state if current else None}, not {wanted}, after {timeout} s"
    )


async def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    """Wait for state held by other servers (no Event to await there)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def listening(network: FakeNetwork, entry: MockConfigEntry) -> None:
    async with asyncio.timeout(5):
        await entry.runtime_data.listeners.notifications.connected.wait()
    assert network.plex.websockets


async def test_reachability_notification_reaches_ha_within_2_s(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """No poll happens in this test (the interval is 300 s): only the event can explain a change."""
    await listening(network, setup_entry)
    assert hass.states.get(REMOTE_ACCESS).state == "on"  # type: ignore[union-attr]
    network.apply("cgnat")
    assert await network.plex.notify("reachability") == 1
    await wait_for_state(hass, REMOTE_ACCESS, "off", timeout=2)
    await wait_for_state(hass, DIAGNOSIS, "cgnat", timeout=2)

    # Back to healthy: the debouncer lets the next event through after its cooldown at
    # the latest, never dropping it.
    network.apply("healthy")
    await network.plex.notify("reachability")
    await wait_for_state(hass, REMOTE_ACCESS, "on", timeout=4)


async def test_other_notifications_do_not_trigger_a_check(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    await listening(network, setup_entry)
    network.plex.state.requests.clear()
    network.apply("cgnat")
    await network.plex.notify("playing")
    await asyncio.sleep(0.3)
    assert ("GET", "/myplex/account") not in network.plex.state.requests
    assert hass.states.get(DIAGNOSIS).state == "ok"  # type: ignore[union-attr]


async def test_listener_reconnects_after_a_plex_restart(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    await listening(network, setup_entry)
    before_restart = set(network.plex.websockets)
    await network.plex.stop()
    await network.plex.start()  # same port, as a restarted server
    await wait_until(lambda: bool(network.plex.websockets - before_restart), 5)
    network.apply("mapping_failed")
    await network.plex.notify("reachability")
    await wait_for_state(hass, DIAGNOSIS, "mapping_failed", timeout=2)


async def test_unload_stops_listening(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    await listening(network, setup_entry)
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: not network.plex.websockets, 2)


def test_notification_parsing() -> None:
    assert notification_type('{"NotificationContainer":{"type":"reachability","size":1}}') == "reachability"
    for junk in (
        "",
        "not json",
        "[]",
        '{"NotificationContainer": 3}',
        '{"NotificationContainer": {"type": 5}}',
    ):
        assert notification_type(junk) is None
    assert str(websocket_url("https://10.0.0.2:32400/")) == "wss://10.0.0.2:32400/:/websockets/notifications"
    assert str(websocket_url("http://10.0.0.2:32400")) == "ws://10.0.0.2:32400/:/websockets/notifications"


async def test_wan_renumbering_reaches_ha_through_gena_within_2_s(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """The router events Disconnected, then Connected with a CGNAT address: no poll needed."""
    router_events = setup_entry.runtime_data.listeners.router_events
    assert router_events is not None
    await wait_until(lambda: bool(network.igd.subscribers), 5)
    assert router_events.subscribed
    await asyncio.sleep(0.1)  # the initial event's check
    network.apply("cgnat")
    network.igd.state.external_ip = "203.0.113.2"  # only the event brings the new address
    start = time.monotonic()
    network.apply("cgnat")
    assert await network.igd.renumber_wan("100.64.10.2") == 1
    await wait_for_state(hass, "sensor.living_room_plex_router_wan_ip", "100.64.10.2", timeout=2)
    await wait_for_state(hass, "binary_sensor.living_room_plex_carrier_grade_nat", "on", timeout=2)
    assert time.monotonic() - start < 2


async def test_unload_with_the_router_gone(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    router_events = setup_entry.runtime_data.listeners.router_events
    assert router_events is not None
    await wait_until(lambda: router_events.subscribed, 5)
    await network.igd.stop()  # the router vanishes: unsubscribing fails quietly
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert not router_events.subscribed
