"""Plex Remote Doctor: which layer breaks Plex remote access, and what to do about it."""

from __future__ import annotations

from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import CoreState, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .card import async_register_card
from .const import CONF_PLEX_TV_URL, CONF_PUBLIC_IP_URL, CONF_ROUTER_URL, DOMAIN
from .coordinator import PlexRemoteDoctorConfigEntry, PlexRemoteDoctorCoordinator
from .doctor.doctor import Doctor
from .doctor.plex_tv import DEFAULT_PLEX_TV_URL
from .doctor.public_ip import DEFAULT_PUBLIC_IP_URLS

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Once per Home Assistant start, whatever the number of Plex servers: the card."""
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> bool:
    """Set up the doctor for one Plex server."""
    public_ip_url = entry.options.get(CONF_PUBLIC_IP_URL)
    doctor = Doctor(
        async_get_clientsession(hass),
        server_url=entry.data[CONF_URL],
        token=entry.data[CONF_TOKEN],
        machine_identifier=entry.unique_id,
        verify_ssl=entry.data.get(CONF_VERIFY_SSL, True),
        router_url=entry.data.get(CONF_ROUTER_URL),
        plex_tv_url=entry.data.get(CONF_PLEX_TV_URL) or DEFAULT_PLEX_TV_URL,
        public_ip_urls=(public_ip_url,) if public_ip_url else DEFAULT_PUBLIC_IP_URLS,
        name=entry.title,
    )
    entry.runtime_data = coordinator = PlexRemoteDoctorCoordinator(hass, entry, doctor)
    if hass.state is CoreState.running:
        # Added or reloaded by the user: check now, so a refused token shows at once.
        await coordinator.async_config_entry_first_refresh()
    else:
        # Home Assistant is starting: a slow router or server must not hold it up.
        entry.async_on_unload(async_at_started(hass, callback(lambda _: _first_check(hass, entry))))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.listeners.async_start()
    return True


def _first_check(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> None:
    """The first check once Home Assistant has started; a refused token then starts reauth."""
    entry.async_create_background_task(hass, entry.runtime_data.async_refresh(), f"{DOMAIN} first check")


async def async_remove_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> None:
    """Repairs of a removed server would never be cleared: delete them."""
    registry = ir.async_get(hass)
    for issue in list(registry.issues.values()):
        if issue.domain == DOMAIN and issue.data is not None and issue.data.get("entry_id") == entry.entry_id:
            ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


async def async_unload_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
