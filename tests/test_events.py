"""Event-driven detection: a reachability notification reaches Home Assistant in seconds.

Tests that move time (``freezer``) freeze the event loop's clock too: they wait for the
fakes with ``wait_until``, which polls in real time from a thread, never on a loop timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
import errno
import logging
import socket
import threading
import time
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN, MAX_SCAN_INTERVAL
from custom_components.plex_remote_doctor.doctor import gena
from custom_components.plex_remote_doctor.doctor.gena import RouterEvents
from custom_components.plex_remote_doctor.doctor.notifications import (
    PlexNotifications,
    notification_type,
    websocket_url,
)
from custom_components.plex_remote_doctor.doctor.router import Router
from simulator.igd import FakeIgd, GenaRequest
from simulator.network import FakeNetwork
from simulator.plex_server import TOKEN, FakePlexServer

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
    """Wait for state held by other servers (no Event to await there).

    Real time, slept in a thread: also while ``freezer`` holds the event loop's clock.
    """
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.to_thread(time.sleep, 0.02)
    assert condition(), f"not within {timeout} s"


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

    # Back to healthy at once: the first event after a check starts the next one, no cooldown.
    network.apply("healthy")
    await network.plex.notify("reachability")
    await wait_for_state(hass, REMOTE_ACCESS, "on", timeout=2)


async def test_events_during_a_check_are_one_follow_up_check(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """A burst while a slow check runs: that check, then exactly one more, which sees the change."""
    await listening(network, setup_entry)
    network.plex.state.delay = 0.3
    network.plex.state.requests.clear()
    await network.plex.notify("reachability")
    await wait_until(lambda: ("GET", "/myplex/account") in network.plex.state.requests, 2)
    network.apply("cgnat")  # changed while the first check reads
    network.plex.state.delay = 0.3
    for _ in range(5):
        await network.plex.notify("reachability")
    await wait_for_state(hass, DIAGNOSIS, "cgnat", timeout=5)
    await asyncio.sleep(1.5)  # room for any further check to start
    assert network.plex.state.requests.count(("GET", "/myplex/account")) == 2


async def test_a_poll_and_an_event_never_check_at_once(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """An event during a poll waits for it, then checks once: one check at a time."""
    await listening(network, setup_entry)
    network.plex.state.delay = 0.3
    running = 0
    most = 0
    examine = setup_entry.runtime_data.doctor.examine

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            return await examine(*args, **kwargs)
        finally:
            running -= 1

    setup_entry.runtime_data.doctor.examine = counted
    poll = hass.async_create_task(setup_entry.runtime_data.async_refresh())
    await asyncio.sleep(0.05)
    await network.plex.notify("reachability")
    await poll
    await wait_until(lambda: running == 0 and most > 0, 3)
    await asyncio.sleep(0.5)
    assert most == 1


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


# --- router events (GENA) follow the time the router grants --------------------------


@pytest.fixture
def renewals(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Loop times at which ``RouterEvents.renew`` returned or failed.

    The keep-subscribed task goes straight to sleep after each, so a test may move time
    once the count went up: no request is in flight.
    """
    done: list[float] = []
    renew = RouterEvents.renew

    async def spy(events: RouterEvents) -> Any:
        try:
            return await renew(events)
        finally:
            done.append(asyncio.get_running_loop().time())

    monkeypatch.setattr(RouterEvents, "renew", spy)
    return done


async def set_up_without_polling(hass: HomeAssistant, network: FakeNetwork) -> MockConfigEntry:
    """An entry whose only timers in a test are the listeners': no poll, a day apart."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=network.plex.state.friendly_name,
        unique_id=network.plex.state.machine_identifier,
        data=network.entry_data(),
        options=network.entry_options() | {"scan_interval": MAX_SCAN_INTERVAL},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def tick(freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move Home Assistant's and the event loop's clocks; the timers due run.

    A millisecond more: the frozen clock's float could land a hair before a timer set
    to that very second.
    """
    freezer.tick(timedelta(seconds=seconds + 0.001))
    await asyncio.to_thread(time.sleep, 0.05)


async def wan_ip_event_reaches_ha(hass: HomeAssistant, network: FakeNetwork, new_ip: str) -> None:
    """The router renumbers its WAN; no poll runs, so only a live subscription brings it."""
    assert await network.igd.renumber_wan(new_ip) == 1
    await wait_until(lambda: hass.states.get(WAN_IP).state == new_ip, 5)  # type: ignore[union-attr]


WAN_IP = "sensor.living_room_plex_router_wan_ip"


@pytest.mark.parametrize("granted", [30, 1800])
async def test_renewal_follows_the_granted_time(
    hass: HomeAssistant,
    network: FakeNetwork,
    freezer: FrozenDateTimeFactory,
    renewals: list[float],
    granted: int,
) -> None:
    """Renewed each time half the granted time has passed, on the same SID; events still
    arrive after 1.5 times the grant (the fake router drops a subscription that lapsed)."""
    network.igd.state.event_timeout = granted
    await set_up_without_polling(hass, network)
    await wait_until(lambda: len(renewals) == 1, 5)
    [subscribe] = network.igd.gena_requests
    assert (subscribe.method, subscribe.timeout) == ("SUBSCRIBE", "Second-1800")  # asked for 30 minutes
    for count in (2, 3, 4):
        await network.igd.events_delivered()  # the initial event, before half an hour passes
        await tick(freezer, granted / 2)
        await wait_until(lambda: len(renewals) == count, 5)  # noqa: B023 - awaited here
    assert [(r.method, r.sid, r.status) for r in network.igd.gena_requests[1:]] == [
        ("RENEW", subscribe.sid, 200)
    ] * 3
    await wan_ip_event_reaches_ha(hass, network, "100.64.10.2")


async def test_events_come_back_after_a_router_restart_that_forgot_them(
    hass: HomeAssistant, network: FakeNetwork, freezer: FrozenDateTimeFactory, renewals: list[float]
) -> None:
    """No Home Assistant restart: the next renewal (412) subscribes anew, with a new SID."""
    network.igd.state.event_timeout = 30
    await set_up_without_polling(hass, network)
    await wait_until(lambda: len(renewals) == 1, 5)
    [first] = network.igd.gena_requests
    await network.igd.restart()
    assert not network.igd.subscribers
    await tick(freezer, 15)
    await wait_until(lambda: len(renewals) == 2, 5)
    refused, again = network.igd.gena_requests[1:]
    assert (refused.method, refused.sid, refused.status) == ("RENEW", first.sid, 412)
    assert again.method == "SUBSCRIBE"
    assert again.sid != first.sid
    assert list(network.igd.subscribers) == [again.sid]
    await wan_ip_event_reaches_ha(hass, network, "100.64.10.3")


async def test_events_come_back_after_the_router_was_down(
    hass: HomeAssistant, network: FakeNetwork, freezer: FrozenDateTimeFactory, renewals: list[float]
) -> None:
    """A renewal that fails (no answer) is retried with backoff until the router is back."""
    network.igd.state.event_timeout = 30
    await set_up_without_polling(hass, network)
    await wait_until(lambda: len(renewals) == 1, 5)
    await network.igd.stop()
    await tick(freezer, 15)
    await wait_until(lambda: len(renewals) == 2, 5)  # failed: retried 5 s later
    await network.igd.start()  # same port, nothing remembered
    await tick(freezer, 5)
    await wait_until(lambda: len(renewals) == 3, 5)
    assert network.igd.subscribed_to == ["IPConn"]
    await wan_ip_event_reaches_ha(hass, network, "100.64.10.4")


async def test_events_follow_the_router_to_a_new_port(
    hass: HomeAssistant, network: FakeNetwork, renewals: list[float]
) -> None:
    """miniupnpd restarted on another port: found again by SSDP, subscribed there at once."""
    hass.config.components.add("ssdp")
    entry = await set_up_without_polling(hass, network)
    await wait_until(lambda: len(renewals) == 1, 5)
    old_url = network.igd.description_url
    await network.igd.restart(new_port=True)
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
    ):
        await entry.runtime_data.async_refresh()  # the check finds the old URL dead
        await hass.async_block_till_done()
        await wait_until(lambda: network.igd.subscribed_to == ["IPConn"], 5)
    assert entry.data["router_url"] == network.igd.description_url != old_url
    await wan_ip_event_reaches_ha(hass, network, "100.64.10.5")


@pytest.mark.parametrize(
    ("error", "level"),
    [
        (OSError(errno.EHOSTUNREACH, "No route to host"), logging.INFO),  # e.g. an IPv6 link-local URL
        (RuntimeError("nobody foresaw this"), logging.WARNING),
    ],
)
async def test_router_event_errors_are_logged_once_and_retried_with_backoff(
    hass: HomeAssistant,
    network: FakeNetwork,
    freezer: FrozenDateTimeFactory,
    renewals: list[float],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    level: int,
) -> None:
    failures = 2
    find_local_address = gena.local_address_towards

    def failing(host: str) -> Awaitable[str]:
        nonlocal failures
        if failures:
            failures -= 1
            raise error
        return find_local_address(host)

    monkeypatch.setattr(gena, "local_address_towards", failing)
    await set_up_without_polling(hass, network)
    await wait_until(lambda: len(renewals) == 1, 5)
    await tick(freezer, 5)
    await wait_until(lambda: len(renewals) == 2, 5)
    await tick(freezer, 14)  # the backoff grew: 15 s this time
    assert len(renewals) == 2
    await tick(freezer, 1)
    await wait_until(lambda: len(renewals) == 3, 5)
    assert network.igd.subscribed_to == ["IPConn"]
    told = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if "router events" in record.getMessage() and record.levelno >= logging.INFO
    ]
    assert [lvl for lvl, _ in told] == [level, logging.INFO], told  # the failure once, then "back"
    assert "are back" in told[1][1]
    # No unhandled task exception ("Task exception was never retrieved"), no error of ours.
    ours = ("asyncio", "homeassistant", "custom_components")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(ours)]


async def test_a_router_named_by_a_host_name(socket_enabled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The callback address is found without a name lookup in the event loop."""
    loop_thread = threading.get_ident()
    looked_up_in_the_loop: list[str] = []
    harness = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == loop_thread:
            looked_up_in_the_loop.append(host)
        return harness(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    igd = await FakeIgd().start()
    try:
        # IPv4 only: the harness allows no connection to ::1, which localhost may also name.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(family=socket.AF_INET)) as session:
            router = Router(igd.description_url.replace("127.0.0.1", "localhost"), session)
            changes: list[None] = []
            events = RouterEvents(router, lambda: changes.append(None))
            assert await events.renew() == timedelta(seconds=899)  # half the 1800 s granted, and a margin
            assert igd.subscribed_to == ["IPConn"]
            assert await igd.renumber_wan("198.51.100.7") == 1
            await wait_until(lambda: bool(changes), 5)
            await events.stop()
        assert igd.subscribers == {}
        assert [r.method for r in igd.gena_requests] == ["SUBSCRIBE", "UNSUBSCRIBE"]
    finally:
        await igd.stop()
    assert looked_up_in_the_loop == []


async def test_unload_unsubscribes(hass: HomeAssistant, network: FakeNetwork, renewals: list[float]) -> None:
    entry = await set_up_without_polling(hass, network)
    await wait_until(lambda: len(renewals) == 1, 5)
    [subscribe] = network.igd.gena_requests
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert network.igd.gena_requests[1:] == [GenaRequest("UNSUBSCRIBE", subscribe.sid, None)]
    assert not network.igd.subscribers


# --- the notification websocket backs off from a server that closes at once ---------


@pytest.fixture
async def closing_plex(socket_enabled: None) -> AsyncGenerator[FakePlexServer]:
    """A Plex server (or a proxy in front) that accepts the websocket and closes it at once."""
    plex = await FakePlexServer().start()
    plex.state.websocket_close_after = 0
    yield plex
    await plex.stop()


@pytest.fixture
async def listening_to(closing_plex: FakePlexServer) -> AsyncGenerator[PlexNotifications]:
    async with aiohttp.ClientSession() as session:
        notifications = PlexNotifications(closing_plex.url, TOKEN, session, lambda: None)
        task = asyncio.get_running_loop().create_task(notifications.run())
        yield notifications
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_server_that_closes_at_once_gets_a_handful_of_connections_a_minute(
    freezer: FrozenDateTimeFactory, closing_plex: FakePlexServer, listening_to: PlexNotifications
) -> None:
    per_second = []
    for _ in range(60):
        await tick(freezer, 1)
        per_second.append(closing_plex.websocket_connections)
    # The default backoff 1, 2, 5, 10, 30 s: connections at 0, 1, 3, 8, 18 and 48 s.
    assert 2 <= per_second[-1] <= 6, per_second
    for _ in range(6):
        await tick(freezer, 10)
    assert closing_plex.websocket_connections - per_second[-1] <= 1  # then once a minute


async def test_only_a_connection_that_lasted_a_minute_resets_the_backoff(
    freezer: FrozenDateTimeFactory, closing_plex: FakePlexServer, listening_to: PlexNotifications
) -> None:
    plex = closing_plex

    async def closed_by_the_server() -> None:
        await plex.close_websockets()
        await wait_until(lambda: not listening_to.connected.is_set(), 5)  # before time moves on

    async def after(seconds: float, connections: int) -> None:
        await tick(freezer, seconds)
        await wait_until(lambda: plex.websocket_connections >= connections, 5)
        assert plex.websocket_connections == connections

    await wait_until(lambda: plex.websocket_connections == 1, 5)
    await after(1, 2)  # waited 1 s...
    await after(1, 2)  # ...then 2 s
    await after(1, 3)
    plex.state.websocket_close_after = None  # the next connection stays open...
    await after(5, 4)
    await wait_until(listening_to.connected.is_set, 5)
    await tick(freezer, 59)
    await closed_by_the_server()  # ...for 59 s: still backing off (10 s)
    await after(1, 4)
    await after(9, 5)
    await wait_until(listening_to.connected.is_set, 5)
    await tick(freezer, 61)
    await closed_by_the_server()  # it lasted over a minute: 1 s again
    await after(1, 6)
