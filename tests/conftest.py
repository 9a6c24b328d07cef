"""Shared fixtures: real loopback fakes and a config entry pointing at them.

The project's integration must be imported before the ``hass`` fixture runs, or the
test plugin's own ``testing_config/custom_components`` shadows it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.plex_remote_doctor  # noqa: F401
from custom_components.plex_remote_doctor.const import DOMAIN

from .fakes.network import FakeNetwork


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""


@pytest.fixture
async def network(
    hass: HomeAssistant, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[FakeNetwork]:
    """A healthy home network of real servers on 127.0.0.1 (IGD v2).

    Entries made by the config flow use the built-in public-IP services and plex.tv;
    here "the internet" is the fake echo and a closed port, so no test leaves loopback.
    """
    net = await FakeNetwork().start()
    monkeypatch.setattr("custom_components.plex_remote_doctor.DEFAULT_PUBLIC_IP_URLS", (net.echo.url,))
    monkeypatch.setattr("custom_components.plex_remote_doctor.DEFAULT_PLEX_TV_URL", "http://127.0.0.1:9")
    yield net
    # Stop the integration's listeners before the servers they talk to.
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await net.stop()
    assert net.igd.state.writes == [], "the router must never be written to"


@pytest.fixture
def config_entry(network: FakeNetwork) -> MockConfigEntry:
    """A config entry for the fake network's Plex server."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=network.plex.state.friendly_name,
        unique_id=network.plex.state.machine_identifier,
        data=network.entry_data(),
        options=network.entry_options(),
    )


@pytest.fixture
async def setup_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The integration set up against the fake network."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry
