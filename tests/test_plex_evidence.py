"""Evidence beyond the network, end to end: Plex Pass, live streams, the published address, IPv6.

Fakes on sockets -> states, diagnosis and repairs, with Home Assistant's clock moved as
checks go by (the ``check`` fixture: one a minute). Also the politeness budget: what the
shared services (the public-IP service and plex.tv) are asked while nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.diagnostics import async_get_config_entry_diagnostics
from custom_components.plex_remote_doctor.doctor.cadence import PUBLISH_GRACE, SHARED_INTERVAL
from simulator.network import OLD_PUBLIC_IP, SERVER_IPV6, UPNP_PORT, FakeNetwork
from simulator.plex_server import remote_stream

from .conftest import Check
from .test_events import wait_until
from .test_real_homes import DIAGNOSIS, checks, repairs, state

PLEX_PASS = "binary_sensor.living_room_plex_plex_pass"
REMOTE_STREAMS = "sensor.living_room_plex_remote_streams"
RELAYED_STREAMS = "sensor.living_room_plex_relayed_streams"
PUBLISHED = "sensor.living_room_plex_published_address"


async def user_check(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The user presses Run diagnosis."""
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.living_room_plex_run_diagnosis"}, blocking=True
    )
    await hass.async_block_till_done()


# --- Plex Pass ------------------------------------------------------------------------------


async def test_no_plex_pass_is_a_warning_beside_a_working_network(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    assert state(hass, PLEX_PASS) == "on"
    network.apply("no_plex_pass")
    await checks(check, setup_entry)
    assert state(hass, PLEX_PASS) == "off"
    assert state(hass, DIAGNOSIS) == "ok"  # the network is fine
    issue = repairs(hass)["remote_streaming_needs_pass"]
    assert issue.severity is ir.IssueSeverity.WARNING
    assert list(repairs(hass)) == ["remote_streaming_needs_pass"]
    # Remote access off: nobody streams remotely, nothing to warn about.
    network.plex.state.prefs["PublishServerOnPlexOnlineKey"] = False
    await checks(check, setup_entry)
    assert "remote_streaming_needs_pass" not in repairs(hass)


async def test_a_plex_pass_that_shows_up_clears_the_warning(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("no_plex_pass")
    await checks(check, setup_entry)
    assert "remote_streaming_needs_pass" in repairs(hass)
    network.plex_says(subscriptionActive="1", subscriptionState="Active")
    await check(setup_entry)
    assert state(hass, PLEX_PASS) == "on"
    assert repairs(hass) == {}


async def test_plex_pass_from_the_root_then_plex_tv_when_the_account_says_nothing(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """A server whose account omits the subscription: its root document, else plex.tv's user."""
    for field in ("subscriptionActive", "subscriptionState"):
        network.plex.state.account.pop(field)
    network.plex.state.requests.clear()
    await check(setup_entry)
    assert ("GET", "/") in network.plex.state.requests
    assert state(hass, PLEX_PASS) == "on"  # myPlexSubscription="1" in the root
    assert network.plex_tv.state.user_calls == 0
    # The root says nothing either (older servers): plex.tv is asked, politely.
    network.plex.state.root_plex_pass = None
    network.plex_tv.state.plex_pass = False
    await check(setup_entry)
    assert state(hass, PLEX_PASS) == "off"
    assert network.plex_tv.state.user_calls == 1
    await checks(check, setup_entry, 3)  # within five minutes: not asked again
    assert network.plex_tv.state.user_calls == 1
    diagnostics = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert diagnostics["evidence"]["plex_pass_source"] == "plex_tv"


# --- live streams ---------------------------------------------------------------------------


async def test_relayed_streams_are_counted_and_prove_nothing(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("relay_streaming")
    await checks(check, setup_entry)
    assert (state(hass, REMOTE_STREAMS), state(hass, RELAYED_STREAMS)) == ("1", "1")
    assert state(hass, DIAGNOSIS) == "mapping_failed"
    assert list(repairs(hass)) == ["mapping_failed"]


async def test_a_direct_remote_stream_is_proof_no_network_repair_while_it_plays(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Plex's own test fails (upnp_stale), but a phone on 4G plays directly: nothing is broken."""
    network.apply("upnp_stale")
    network.plex.state.sessions = [remote_stream(), remote_stream("192.168.1.50", local=True)]
    await checks(check, setup_entry)
    assert (state(hass, REMOTE_STREAMS), state(hass, RELAYED_STREAMS)) == ("1", "0")
    assert state(hass, DIAGNOSIS) == "ok"
    assert repairs(hass) == {}
    diagnostics = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert diagnostics["diagnosis"]["remote_stream_proof"] is True
    # The viewer's own address is theirs: not in the download.
    assert "198.51.100.23" not in str(diagnostics)
    # The stream ends: Plex's failure counts again.
    network.plex.state.sessions = []
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "upnp_stale"
    assert list(repairs(hass)) == ["upnp_stale"]


async def test_a_stream_that_starts_is_counted_within_seconds_of_plex_saying_so(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """A ``playing`` notification asks for a check; progress of a known stream does not."""
    listener = setup_entry.runtime_data.listeners.notifications
    await wait_until(listener.connected.is_set, 5)
    network.plex.state.sessions = [remote_stream()]
    await network.plex.notify(
        "playing", PlaySessionStateNotification=[{"sessionKey": "1", "state": "playing"}]
    )
    await wait_until(lambda: state(hass, REMOTE_STREAMS) == "1", 5)
    reads = network.plex.state.requests.count(("GET", "/status/sessions"))
    # Every few seconds Plex reports the same stream's progress: no check for that.
    for _ in range(3):
        await network.plex.notify(
            "playing", PlaySessionStateNotification=[{"sessionKey": "1", "state": "playing", "viewOffset": 5}]
        )
    await hass.async_block_till_done()
    assert network.plex.state.requests.count(("GET", "/status/sessions")) == reads
    network.plex.state.sessions = []
    await network.plex.notify(
        "playing", PlaySessionStateNotification=[{"sessionKey": "1", "state": "stopped"}]
    )
    await wait_until(lambda: state(hass, REMOTE_STREAMS) == "0", 5)


# --- the published address ------------------------------------------------------------------


async def test_plex_tv_listing_an_old_address_is_found_and_cleared_by_a_retry(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("stale_published_address")
    # Nothing changed in the home itself: plex.tv is read again within five minutes.
    await checks(check, setup_entry, 7)
    assert state(hass, PUBLISHED) == f"{OLD_PUBLIC_IP}:{UPNP_PORT}"
    assert state(hass, DIAGNOSIS) == "published_address_stale"
    issue = repairs(hass)["published_address_stale"]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["published_address"] == f"{OLD_PUBLIC_IP}:{UPNP_PORT}"
    assert issue.translation_placeholders["public_ip"] == "203.0.113.2"
    # Retry makes the server publish again; the retry's own check reads plex.tv at once.
    network.stale_published = None
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.living_room_plex_retry_remote_access"}, blocking=True
    )
    await hass.async_block_till_done()
    assert state(hass, DIAGNOSIS) == "ok"
    assert repairs(hass) == {}


async def test_a_renumbering_gives_plex_time_to_publish_before_blaming_plex_tv(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The provider renumbers; plex.tv takes a minute to list the new address: no repair."""
    new_ip = "203.0.113.50"
    network.stale_published = ("203.0.113.2", UPNP_PORT)  # what plex.tv listed before
    network.igd.state.external_ip = new_ip
    network.echo.state.answer = new_ip
    network.plex_says(publicAddress=new_ip)
    calls = network.plex_tv.state.calls
    for seconds in (0, 30, 30):  # checks through the first minute: plex.tv asked at once
        freezer.tick(timedelta(seconds=seconds))
        await setup_entry.runtime_data.async_refresh()
    assert network.plex_tv.state.calls == calls + 1
    assert state(hass, DIAGNOSIS) == "ok"  # plex.tv's view may predate Plex publishing
    network.stale_published = None  # published within the grace time
    freezer.tick(timedelta(seconds=PUBLISH_GRACE))
    await setup_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert network.plex_tv.state.calls == calls + 2  # the one look after the grace time
    assert state(hass, PUBLISHED) == f"{new_ip}:{UPNP_PORT}"
    assert state(hass, DIAGNOSIS) == "ok"
    assert repairs(hass) == {}


async def test_a_renumbering_that_plex_tv_never_takes_is_a_repair(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    new_ip = "203.0.113.50"
    network.stale_published = ("203.0.113.2", UPNP_PORT)
    network.igd.state.external_ip = new_ip
    network.echo.state.answer = new_ip
    network.plex_says(publicAddress=new_ip)
    await checks(check, setup_entry, 2)
    assert "published_address_stale" not in repairs(hass)  # within the grace time
    await checks(check, setup_entry, 3)
    assert list(repairs(hass)) == ["published_address_stale"]


# --- IPv6 around CGNAT ----------------------------------------------------------------------


async def test_cgnat_with_a_global_ipv6_address_offers_ipv6(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("cgnat_with_ipv6")
    await user_check(hass, setup_entry)
    await checks(check, setup_entry)
    placeholders = repairs(hass)["cgnat"].translation_placeholders or {}
    assert SERVER_IPV6 in placeholders["ipv6_option"]
    assert "IPv6 firewall" in placeholders["ipv6_option"]


async def test_cgnat_with_ipv6_off_in_plex_says_where_to_turn_it_on(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("cgnat")  # EnableIPv6 off, as Plex ships
    await checks(check, setup_entry)
    placeholders = repairs(hass)["cgnat"].translation_placeholders or {}
    assert "Enable IPv6 support" in placeholders["ipv6_option"]


async def test_cgnat_without_ipv6_evidence_adds_nothing(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    network.apply("cgnat")
    network.plex.state.prefs.pop("EnableIPv6")  # a server that does not say
    await checks(check, setup_entry)
    placeholders = repairs(hass)["cgnat"].translation_placeholders or {}
    assert placeholders["ipv6_option"] == ""


# --- politeness -----------------------------------------------------------------------------


async def test_shared_services_are_asked_once_per_five_minutes_while_nothing_changes(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Local checks every 30 s; plex.tv and the public-IP service at most every 5 minutes."""
    coordinator = setup_entry.runtime_data
    network.echo.state.calls = network.plex_tv.state.calls = 0
    network.plex.state.requests.clear()
    for _ in range(10):  # 10 checks, 300 s: the tenth is five minutes after set-up's ask
        freezer.tick(timedelta(seconds=30))
        await coordinator.async_refresh()
    assert network.plex.state.requests.count(("GET", "/myplex/account")) == 10
    assert (network.echo.state.calls, network.plex_tv.state.calls) == (1, 1)
    # A new WAN IP is news: both are asked at once, and only once for it.
    network.igd.state.external_ip = network.echo.state.answer = "203.0.113.60"
    network.plex_says(publicAddress="203.0.113.60")
    for _ in range(3):
        freezer.tick(timedelta(seconds=30))
        await coordinator.async_refresh()
    assert (network.echo.state.calls, network.plex_tv.state.calls) == (2, 2)
    assert state(hass, "sensor.living_room_plex_public_ip") == "203.0.113.60"
    # The user asks: fresh answers, whatever the time.
    await user_check(hass, setup_entry)
    assert (network.echo.state.calls, network.plex_tv.state.calls) == (3, 3)
    assert SHARED_INTERVAL == 300  # the figure the README and the contract state
