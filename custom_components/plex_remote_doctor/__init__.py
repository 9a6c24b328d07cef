"""Plex Remote Doctor: which layer breaks Plex remote access, and what to do about it."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import (
    CONF_PLEX_TV_URL,
    CONF_PUBLIC_IP_URL,
    CONF_ROUTER_URL,
    CONF_TOKEN,
    CONF_URL,
    CONF_VERIFY_SSL,
    DEFAULT_PLEX_TV_URL,
    DOMAIN,
)
from .coordinator import PlexRemoteDoctorConfigEntry, PlexRemoteDoctorCoordinator, PlexRemoteDoctorData
from .doctor.plex import PlexServer
from .doctor.plex_tv import PlexTv
from .doctor.public_ip import DEFAULT_PUBLIC_IP_URLS
from .doctor.router import Router

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> bool:
    """Set up the doctor for one Plex server."""
    session = async_get_clientsession(hass)
    token = entry.data[CONF_TOKEN]
    router_url = entry.data.get(CONF_ROUTER_URL)
    public_ip_url = entry.options.get(CONF_PUBLIC_IP_URL)
    coordinator = PlexRemoteDoctorCoordinator(
        hass,
        entry,
        session=session,
        plex=PlexServer(
            entry.data[CONF_URL], token, session, verify_ssl=entry.data.get(CONF_VERIFY_SSL, True)
        ),
        router=Router(router_url, session) if router_url else None,
        plex_tv=PlexTv(token, session, url=entry.data.get(CONF_PLEX_TV_URL) or DEFAULT_PLEX_TV_URL),
        public_ip_urls=(public_ip_url,) if public_ip_url else DEFAULT_PUBLIC_IP_URLS,
    )
    # The server being down is a finding, not a setup failure: only a refused token
    # (reauth) stops the first refresh.
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = PlexRemoteDoctorData(coordinator=coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> None:
    """Repairs of a removed server would never be cleared: delete them."""
    registry = ir.async_get(hass)
    for issue in list(registry.issues.values()):
        if issue.domain == DOMAIN and issue.data is not None and issue.data.get("entry_id") == entry.entry_id:
            ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


async def async_unload_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
