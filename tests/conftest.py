"""Shared fixtures: real loopback fakes and a config entry pointing at them.

The project's integration must be imported before the ``hass`` fixture runs, or the
test plugin's own ``testing_config/custom_components`` shadows it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from datetime import timedelta
import logging
import traceback

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

import custom_components.plex_remote_doctor  # noqa: F401
from custom_components.plex_remote_doctor.const import DOMAIN
from simulator.network import FakeNetwork
from simulator.plex_server import TOKEN

from .compat import ReleaseNeutralSnapshotExtension

# Checks a minute apart: repairs confirm only over checks spanning 60 s of Home Assistant's clock.
CHECK_SPACING = timedelta(seconds=60)

type Check = Callable[[MockConfigEntry], Awaitable[None]]


@pytest.fixture
def check(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> Check:
    """Run one check of an entry, ``CHECK_SPACING`` after the previous one on Home Assistant's clock."""

    async def run(entry: MockConfigEntry) -> None:
        freezer.tick(CHECK_SPACING)
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done()

    return run


# Every token the tests use, the fakes' and the wrong ones tried in flows.
SECRETS = (TOKEN, "revoked-token-123", "new-token-after-revocation", "wrong-token", "still-wrong")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer, which masks ids and timestamps.

    The test plugin defines this fixture too, but syrupy registers after it and its plain
    ``snapshot`` wins; a conftest fixture outranks both.
    """
    return snapshot.use_extension(ReleaseNeutralSnapshotExtension)


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Whole suite: no log record, at any level, carries a token (nor its traceback)."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in [*caplog.get_records("setup"), *caplog.get_records("call")]:
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} logged by {record.name}: {text[:200]}"


@pytest.fixture(autouse=True)
def no_deprecated_call(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Whole suite: the integration makes no call Home Assistant reports as deprecated.

    Home Assistant logs such calls (helpers/frame.py: "Detected that ...";
    helpers/deprecation.py: "The deprecated ... was used from ...") and the smoke start
    fails on them; caught here, they show on the pinned release before a user's log does.
    The teardown's records hold the entries' unload (the network fixture ends first).
    Deprecated names met while the integration is imported, outside any test, are the
    smoke start's to catch.
    """
    caplog.set_level(logging.DEBUG)
    yield
    for when in ("setup", "call", "teardown"):
        for record in caplog.get_records(when):
            text = record.getMessage()
            reported = text.startswith("Detected that") and f"'{DOMAIN}'" in text
            reported |= text.startswith("The deprecated") and f" from {DOMAIN}." in text
            assert not reported, text


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
