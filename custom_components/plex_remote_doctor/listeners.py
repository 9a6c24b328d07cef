"""The coordinator's ears: Plex's notification websocket and the router's GENA events.

Events make detection take seconds instead of a poll interval; polling stays as the
safety net. Both listeners only ask for a check; they never diagnose.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.components import ssdp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .const import CONF_ROUTER_UDN, CONF_ROUTER_URL, DOMAIN, LOGGER, ROUTER_EVENTS_RENEWAL
from .doctor.doctor import Doctor
from .doctor.errors import DoctorError
from .doctor.gena import RouterEvents
from .doctor.notifications import PlexNotifications

if TYPE_CHECKING:
    from .coordinator import PlexRemoteDoctorConfigEntry


class Listeners:
    """Starts, renews and stops the event listeners of one config entry."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, doctor: Doctor, on_change: Callable[[str], None]
    ) -> None:
        """Build both listeners; nothing listens until ``async_start``."""
        self._hass = hass
        self._entry = entry
        self.notifications: PlexNotifications = doctor.notifications(partial(on_change, "Plex reachability"))
        self.router_events: RouterEvents | None = doctor.router_events(partial(on_change, "router"))

    def async_start(self) -> None:
        """Listen until the entry unloads."""
        entry, title = self._entry, self._entry.title
        entry.async_create_background_task(
            self._hass, self.notifications.run(), f"{DOMAIN} notifications {title}"
        )
        if self.router_events is None:
            return
        entry.async_create_background_task(
            self._hass, self._keep_subscribed(), f"{DOMAIN} router events {title}"
        )

        async def _renew(_now: datetime) -> None:
            await self._keep_subscribed()

        entry.async_on_unload(async_track_time_interval(self._hass, _renew, ROUTER_EVENTS_RENEWAL))
        entry.async_on_unload(self.router_events.stop)

    async def async_resubscribe(self) -> None:
        """The router answers at a new URL: subscribe there."""
        if self.router_events is not None:
            await self.router_events.stop()
            await self._keep_subscribed()

    @callback
    def async_router_unreachable(self) -> None:
        """The router's URL stopped answering: look it up by its UDN (SSDP) in the background."""
        self._entry.async_create_task(self._hass, self._async_find_router_again())

    async def _async_find_router_again(self) -> None:
        # miniupnpd takes a new HTTP port on every restart unless configured otherwise.
        udn = self._entry.data.get(CONF_ROUTER_UDN)
        if not udn or "ssdp" not in self._hass.config.components:
            return
        for discovery in await ssdp.async_get_discovery_info_by_udn(self._hass, udn):
            location = discovery.ssdp_location
            if location and location != self._entry.data.get(CONF_ROUTER_URL):
                async_router_moved(self._hass, self._entry, location)
                return

    async def _keep_subscribed(self) -> None:
        """Subscribe or renew; a router without events leaves polling in charge."""
        if self.router_events is None:
            return
        try:
            await self.router_events.renew()
        except DoctorError as err:
            LOGGER.debug("%s: no router events (%s); polling covers the router", self._entry.title, err)


@callback
def async_router_moved(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry, location: str) -> None:
    """The one path for a router found at a new URL: the entry and a running doctor follow."""
    LOGGER.info("%s: router %s found again at %s", entry.title, entry.data.get(CONF_ROUTER_UDN), location)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_ROUTER_URL: location})
    if hasattr(entry, "runtime_data"):
        entry.runtime_data.doctor.move_router(location)
        entry.async_create_task(hass, entry.runtime_data.listeners.async_resubscribe())
