"""The coordinator's ears: Plex's notification websocket and the router's GENA events.

Events make detection take seconds instead of a poll interval; polling stays as the
safety net. Both listeners only ask for a check; they never diagnose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.components import ssdp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .const import CONF_ROUTER_UDN, CONF_ROUTER_URL, DOMAIN, LOGGER, ROUTER_EVENTS_RETRY
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
        self.notifications: PlexNotifications = doctor.notifications(
            partial(on_change, "Plex reachability"), partial(on_change, "Plex playback")
        )
        self.router_events: RouterEvents | None = doctor.router_events(partial(on_change, "router"))
        # Set when the router was found again at a new URL: renew there without waiting.
        self._renew_now = asyncio.Event()

    def async_start(self) -> None:
        """Listen until the entry unloads."""
        entry, title = self._entry, self._entry.title
        entry.async_create_background_task(
            self._hass, self.notifications.run(), f"{DOMAIN} notifications {title}"
        )
        if (events := self.router_events) is None:
            return
        task = entry.async_create_background_task(
            self._hass, self._keep_subscribed(events), f"{DOMAIN} router events {title}"
        )

        async def _stop() -> None:
            # The renewal task first: one finishing after the unsubscribe would subscribe again.
            task.cancel()
            await asyncio.wait([task])
            await events.stop()

        entry.async_on_unload(_stop)

    @callback
    def async_resubscribe(self) -> None:
        """The router answers at a new URL: subscribe there now, not at the next renewal."""
        self._renew_now.set()

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

    async def _keep_subscribed(self, events: RouterEvents) -> None:
        """Subscribe, then renew as the router's grant asks, until the entry unloads.

        The task nobody awaits: every error is caught, logged once per outage and retried
        with backoff; a router without events leaves polling in charge meanwhile.
        """
        failures = 0
        while True:
            self._renew_now.clear()
            try:
                delay = (await events.renew()).total_seconds()
            except Exception as err:  # every error: see the docstring
                delay = ROUTER_EVENTS_RETRY[min(failures, len(ROUTER_EVENTS_RETRY) - 1)]
                self._log_failure(err, first=failures == 0, retry=delay)
                failures += 1
            else:
                if failures:
                    LOGGER.info("%s: router events are back", self._entry.title)
                failures = 0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._renew_now.wait()

    def _log_failure(self, err: Exception, *, first: bool, retry: float) -> None:
        title = self._entry.title
        if not first:
            LOGGER.debug("%s: router events still unavailable (%s); retrying in %g s", title, err, retry)
        elif isinstance(err, DoctorError):
            LOGGER.info("%s: no router events (%s); polling covers the router, retrying", title, err)
        else:  # a bug or a failure nobody foresaw: say so, with the traceback, once
            LOGGER.warning(
                "%s: router events failed; polling covers the router, retrying", title, exc_info=err
            )


@callback
def async_router_moved(hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry, location: str) -> None:
    """The one path for a router found at a new URL: the entry and a running doctor follow."""
    LOGGER.info("%s: router %s found again at %s", entry.title, entry.data.get(CONF_ROUTER_UDN), location)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_ROUTER_URL: location})
    if hasattr(entry, "runtime_data"):
        entry.runtime_data.doctor.move_router(location)
        entry.runtime_data.listeners.async_resubscribe()
