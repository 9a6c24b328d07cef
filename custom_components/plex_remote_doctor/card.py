"""The layer-path card: served from the integration's folder, loaded on every dashboard.

Registered once per Home Assistant instance (from ``async_setup``), so a second Plex
server, a reload or an unload neither registers it twice nor takes it away: an aiohttp
route cannot be removed, and a dashboard that shows the card for another server still
needs the script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from .compat import StaticPathConfig
from .const import DOMAIN, LOGGER

CARD_FILENAME: Final = "plex-remote-doctor-card.js"
CARD_FILE: Final = Path(__file__).parent / "frontend" / CARD_FILENAME
CARD_URL: Final = f"/{DOMAIN}/{CARD_FILENAME}"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card's script and have the frontend load it as a module.

    The query carries the integration's version: the file is served with long cache
    headers, and an update must reach browsers that cached the old script.
    """
    if "frontend" not in hass.config.components:
        # A Home Assistant without its web UI (frontend is an after_dependency): the
        # sensors and repairs work without the card.
        LOGGER.debug("The frontend is not loaded: the layer-path card is not registered")
        return
    integration = await async_get_integration(hass, DOMAIN)
    await hass.http.async_register_static_paths([StaticPathConfig(CARD_URL, str(CARD_FILE), True)])
    add_extra_js_url(hass, f"{CARD_URL}?v={integration.version}")
