"""The token never leaves: not in states, repairs, diagnostics, errors, nor (conftest) logs."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.diagnostics import async_get_config_entry_diagnostics
from custom_components.plex_remote_doctor.doctor.errors import DoctorError
from custom_components.plex_remote_doctor.doctor.notifications import PlexNotifications
from custom_components.plex_remote_doctor.doctor.plex import PlexServer
from custom_components.plex_remote_doctor.doctor.plex_tv import PlexTv
from simulator.network import SCENARIOS, FakeNetwork

from .conftest import SECRETS


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


async def test_token_in_no_state_repair_or_diagnostics(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    coordinator = setup_entry.runtime_data
    for scenario in SCENARIOS:
        network.apply(scenario)
        await coordinator.async_refresh()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        states = [state.as_dict() for state in hass.states.async_all()]
        assert_clean(json.dumps(states, default=str), f"entity states ({scenario})")
        issues = [issue.to_json() for issue in ir.async_get(hass).issues.values() if issue.domain == DOMAIN]
        assert_clean(json.dumps(issues, default=str), f"repairs ({scenario})")
        report = await async_get_config_entry_diagnostics(hass, setup_entry)
        assert_clean(json.dumps(report, default=str), f"diagnostics ({scenario})")
        assert_clean(repr(coordinator.data), f"coordinator data ({scenario})")


async def test_token_in_no_exception(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    session = async_get_clientsession(hass)
    token = network.plex.state.token
    for client in (
        PlexServer(network.plex.url, token, session),
        PlexTv(token, session, url=network.plex_tv.url),
        PlexNotifications(network.plex.url, token, session, lambda: None),
    ):
        assert_clean(repr(client), type(client).__name__)
    network.plex.state.token = "another"  # now every call with the old token is refused
    network.plex_tv.state.token = "another"
    errors: list[BaseException] = []
    for call in (
        PlexServer(network.plex.url, token, session).account(),
        PlexServer(network.plex.url, token, session).refresh_reachability(),
        PlexTv(token, session, url=network.plex_tv.url).resources(),
        PlexServer("http://127.0.0.1:1", token, session).prefs(),
    ):
        with pytest.raises(DoctorError) as caught:
            await call
        errors.append(caught.value)
    with pytest.raises(HomeAssistantError) as retry:
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.living_room_plex_retry_remote_access"}, blocking=True
        )
    errors.append(retry.value)
    for error in errors:
        assert_clean(f"{error!s} {error!r} {error.__cause__!r}", type(error).__name__)
