"""Diagnostics download: useful, and without token, public IPs or e-mail."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.diagnostics import async_get_config_entry_diagnostics
from simulator.network import FakeNetwork


async def test_diagnostics_redacts_secrets(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    network.apply("cgnat")
    network.plex_tv.state.resources[0]["connections"].append(
        {
            "protocol": "https",
            "address": "198.51.100.77",
            "port": 41234,
            "local": False,
            "relay": False,
            "uri": "https://198-51-100-77.abc.plex.direct:41234",
        }
    )
    network.plex_tv.state.resources[0]["publicAddress"] = "198.51.100.77"
    await setup_entry.runtime_data.async_refresh()
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    text = json.dumps(report)
    for secret in (
        network.plex.state.token,
        "198.51.100.77",
        "198-51-100-77",
        "owner@example.com",
    ):
        assert secret not in text, secret
    # Still useful: the finding, the CGNAT WAN address (not public) and the LAN side.
    assert report["diagnosis"]["finding"] == "cgnat"
    assert report["evidence"]["router"]["wan_ip"] == "100.64.10.2"
    assert report["evidence"]["account"]["private_address"] == "192.168.1.20"
    assert report["entry"]["data"]["token"] == "**REDACTED**"
    assert report["diagnosis"]["outcomes"]["cgnat"]["verdict"] == "holds"


async def test_diagnostics_of_a_healthy_server_hides_its_public_ip(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert "203.0.113.2" not in json.dumps(report)
    assert report["diagnosis"]["finding"] == "ok"
