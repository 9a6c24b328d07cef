"""Review of v16/v17 end to end: real homes in a test Home Assistant against the fakes.

Each test asserts what DESIGN.md asks for; a failing test is a problem found.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.network import SERVER_IPV6, FakeNetwork
from simulator.plex_server import remote_stream

from .conftest import Check
from .test_real_homes import DIAGNOSIS, checks, repairs, state


async def test_lan_tv_over_ipv6_deletes_a_confirmed_cgnat_repair(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """CGNAT home with IPv6 (the demo's cgnat_with_ipv6). The living-room TV plays over IPv6
    from the home's own /64; Plex's LAN networks list only the IPv4 subnet, so Plex flags it
    local=0. A LAN player proves nothing about the way in from the internet: the CGNAT
    repair must stay."""
    network.apply("cgnat_with_ipv6")
    await checks(check, setup_entry)
    assert state(hass, DIAGNOSIS) == "cgnat"
    assert "cgnat" in repairs(hass)
    lan_tv = SERVER_IPV6.replace("::20", "::55")  # same /64 as the server
    network.plex.state.sessions = [remote_stream(lan_tv)]
    await checks(check, setup_entry)
    assert "cgnat" in repairs(hass)
    assert state(hass, DIAGNOSIS) == "cgnat"


async def test_paused_remote_stream_deletes_a_confirmed_mapping_failed_repair(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """A phone on 4G paused a film; Plex keeps the session. Plex's mapping fails. Network
    findings are judged unless a direct remote stream is *playing* (DESIGN: "a stream is
    proof"); a paused session proves nothing about now."""
    network.apply("mapping_failed")
    await checks(check, setup_entry)
    assert "mapping_failed" in repairs(hass)
    network.plex.state.sessions = [{**remote_stream(), "state": "paused"}]
    await checks(check, setup_entry)
    assert "mapping_failed" in repairs(hass)
    assert state(hass, DIAGNOSIS) == "mapping_failed"


async def test_clock_set_back_after_a_renumbering_keeps_the_shared_services_polite(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The provider renumbers; a minute later NTP sets Home Assistant's clock back an hour
    (a Raspberry Pi without RTC that booted with a wrong time). Then nothing changes: checks
    every minute for 4 minutes may ask each shared service at most once."""
    await checks(check, setup_entry)
    network.igd.state.external_ip = "203.0.113.99"
    network.plex_says(publicAddress="203.0.113.99")
    network.echo.state.answer = "203.0.113.99"
    await checks(check, setup_entry, 3)  # the change and plex.tv's follow-up read
    freezer.move_to(dt_util.utcnow() - timedelta(hours=1))
    echo, plex_tv = network.echo.state.calls, network.plex_tv.state.calls
    await checks(check, setup_entry, 5)
    assert network.echo.state.calls - echo <= 1
    assert network.plex_tv.state.calls - plex_tv <= 1
