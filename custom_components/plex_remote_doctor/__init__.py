"""Plex Remote Doctor: which layer breaks Plex remote access, and what to do about it."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from homeassistant.const import Platform
from homeassistant.core import CoreState, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started

from .const import (
    CONF_PLEX_TV_URL,
    CONF_PUBLIC_IP_URL,
    CONF_ROUTER_URL,
    CONF_TOKEN,
    CONF_URL,
    CONF_VERIFY_SSL,
    DEFAULT_PLEX_TV_URL,
    DOMAIN,
    LOGGER,
    ROUTER_EVENTS_RENEWAL,
)
from .coordinator import PlexRemoteDoctorConfigEntry, PlexRemoteDoctorCoordinator, PlexRemoteDoctorData
from .doctor.errors import DoctorError
from .doctor.gena import RouterEvents
from .doctor.notifications import PlexNotifications
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
    if hass.state is CoreState.running:
        # Added or reloaded by the user: check now, so a refused token shows at once. The
        # server being down is a finding, not a setup failure.
        await coordinator.async_config_entry_first_refresh()
    else:
        # Home Assistant is starting: a slow router or server must not hold it up. The
        # first check runs once it has started; a refused token then starts reauth.
        @callback
        def _first_check(_hass: HomeAssistant) -> None:
            entry.async_create_background_task(hass, coordinator.async_refresh(), f"{DOMAIN} first check")

        entry.async_on_unload(async_at_started(hass, _first_check))
    notifications = PlexNotifications(
        entry.data[CONF_URL],
        token,
        session,
        partial(coordinator.async_evidence_changed, "Plex reachability"),
        verify_ssl=entry.data.get(CONF_VERIFY_SSL, True),
    )
    router_events = (
        RouterEvents(coordinator.router, partial(coordinator.async_evidence_changed, "router"))
        if coordinator.router is not None
        else None
    )
    entry.runtime_data = PlexRemoteDoctorData(
        coordinator=coordinator, notifications=notifications, router_events=router_events
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Events make detection take seconds instead of a poll interval; polling stays.
    entry.async_create_background_task(hass, notifications.run(), f"{DOMAIN} notifications {entry.title}")
    if router_events is not None:
        entry.async_create_background_task(
            hass, _keep_subscribed(router_events, entry.title), f"{DOMAIN} router events {entry.title}"
        )

        async def _renew(_now: datetime) -> None:
            await _keep_subscribed(router_events, entry.title)

        entry.async_on_unload(async_track_time_interval(hass, _renew, ROUTER_EVENTS_RENEWAL))
        entry.async_on_unload(router_events.stop)
    return True


async def _keep_subscribed(router_events: RouterEvents, title: str) -> None:
    """Subscribe or renew; a router without events leaves polling in charge."""
    try:
        await router_events.renew()
    except DoctorError as err:
        LOGGER.debug("%s: no router events (%s); polling covers the router", title, err)


async def async_remove_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> None:
    """Repairs of a removed server would never be cleared: delete them."""
    registry = ir.async_get(hass)
    for issue in list(registry.issues.values()):
        if issue.domain == DOMAIN and issue.data is not None and issue.data.get("entry_id") == entry.entry_id:
            ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


async def async_unload_entry(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
