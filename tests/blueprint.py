"""Load the notification blueprint in a test Home Assistant, notifying a recording service."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_mock_service

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "plex_remote_doctor"
    / "notify_remote_access_broken.yaml"
)


async def notify_on_broken_remote_access(
    hass: HomeAssistant, config_dir: Path, **inputs: Any
) -> list[ServiceCall]:
    """Install the blueprint for the fake server's entities; return the notifications it sends."""
    hass.config.config_dir = str(config_dir)
    folder = config_dir / "blueprints" / "automation" / "plex_remote_doctor"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINT, folder)
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "phone")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "plex_remote_doctor/notify_remote_access_broken.yaml",
                    "input": {
                        "remote_access_entity": "binary_sensor.living_room_plex_remote_access",
                        "diagnosis_entity": "sensor.living_room_plex_diagnosis",
                        "notify_service": "notify.phone",
                    }
                    | inputs,
                }
            }
        },
    )
    await hass.async_block_till_done()
    return calls
