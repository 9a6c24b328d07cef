"""One coordinator per server: schedules the doctor's checks, hears its events, keeps repairs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .compat import device_by_identifier
from .const import (
    CONF_CONFIRM_CHECKS,
    DEFAULT_CONFIRM_CHECKS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    EVENT_FOLLOW_UP_SECONDS,
    LOGGER,
)
from .doctor.diagnose import Diagnosis, diagnose
from .doctor.doctor import Doctor, RetryTooSoonError
from .doctor.errors import DoctorAuthenticationError, DoctorError
from .doctor.evidence import Cause, Evidence
from .issues import IssueTracker
from .listeners import Listeners

type PlexRemoteDoctorConfigEntry = ConfigEntry[PlexRemoteDoctorCoordinator]


@dataclass(frozen=True, slots=True)
class DoctorData:
    """What one check measured and what it means."""

    evidence: Evidence
    diagnosis: Diagnosis
    # False only for the starting point, before the first check: entities unavailable.
    checked: bool = True


class PlexRemoteDoctorCoordinator(DataUpdateCoordinator[DoctorData]):
    """Runs ``Doctor.examine`` on a schedule and on events; a failed probe is missing evidence."""

    config_entry: PlexRemoteDoctorConfigEntry

    def __init__(self, hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry, doctor: Doctor) -> None:
        """Start from the diagnosis of no evidence: every state unknown until the first check."""
        interval = entry.options.get(CONF_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=DEFAULT_SCAN_INTERVAL if interval is None else timedelta(seconds=interval),
        )
        self.doctor = doctor
        self.data = DoctorData(evidence=Evidence(), diagnosis=diagnose(Evidence()), checked=False)
        self.issues = IssueTracker(
            hass,
            entry_id=entry.entry_id,
            unique_id=str(entry.unique_id),
            name=entry.title,
            url=entry.data[CONF_URL],
        )
        self.listeners = Listeners(hass, entry, doctor, self.async_evidence_changed)
        self._confirm_checks = int(entry.options.get(CONF_CONFIRM_CHECKS, DEFAULT_CONFIRM_CHECKS))
        # Set by a user's action: the next check asks the shared services too.
        self._fresh = False
        # The event path: a running event check, and whether an event came during a check.
        self._event_task: asyncio.Task[None] | None = None
        self._event_pending = False

    async def async_check_now(self) -> None:
        """A check the user asked for: every layer, the shared services included."""
        self._fresh = True
        await self.async_refresh()

    @callback
    def async_evidence_changed(self, source: str) -> None:
        """Plex or the router announced a change: check at once, or once more after the running check."""
        LOGGER.debug("%s: %s event", self.config_entry.title, source)
        self._event_pending = True
        if self._event_task is None or self._event_task.done():
            self._event_task = self.config_entry.async_create_background_task(
                self.hass, self._async_event_checks(), f"{DOMAIN} event check {self.config_entry.title}"
            )

    async def _async_event_checks(self) -> None:
        """Leading edge: no debounce delay for the first event; a burst costs one follow-up."""
        loop = asyncio.get_running_loop()
        started: float | None = None
        while self._event_pending:
            # async_refresh waits for a running poll (the coordinator's lock): one check at a time.
            if started is not None and (wait := started + EVENT_FOLLOW_UP_SECONDS - loop.time()) > 0:
                await asyncio.sleep(wait)
            self._event_pending = False
            started = loop.time()
            await self.async_refresh()

    async def async_retry_remote_access(self) -> None:
        """Ask Plex to re-test reachability (a user's action only), then check again."""
        try:
            await self.doctor.retry_remote_access()
        except RetryTooSoonError as err:
            placeholders = {"seconds": str(int(err.seconds) + 1)}
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="retry_cooldown",
                translation_placeholders=placeholders,
            ) from err
        except DoctorAuthenticationError as err:
            self.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="invalid_auth") from err
        except DoctorError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="retry_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        await self.async_check_now()

    async def _async_update_data(self) -> DoctorData:
        fresh, self._fresh = self._fresh, False
        now = dt_util.utcnow()
        try:
            evidence = await self.doctor.examine(now.timestamp(), fresh=fresh)
        except DoctorAuthenticationError as err:
            raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="invalid_auth") from err
        if (router := evidence.missing.get("router")) is not None and router.cause is Cause.GONE:
            self.listeners.async_router_unreachable()
        previous = self.data.diagnosis
        diagnosis = diagnose(evidence, previous, now)
        if (status := diagnosis.status, finding := diagnosis.finding) != (previous.status, previous.finding):
            LOGGER.info("%s: remote access %s, diagnosis %s", self.config_entry.title, status, finding)
        await self.issues.async_update(diagnosis, self._confirm_checks, now)
        self._async_update_device_version()
        return DoctorData(evidence=evidence, diagnosis=diagnosis)

    @callback
    def _async_update_device_version(self) -> None:
        """Plex's version on the device, once a check has read it.

        While Home Assistant starts, the entities (and their device) are added before the
        first check asks the server who it is.
        """
        identity = self.doctor.identity
        if identity is None or not identity.version:
            return
        device = device_by_identifier(
            self.hass, (DOMAIN, str(self.config_entry.unique_id)), self.config_entry.entry_id
        )
        if device is not None and device.sw_version != identity.version:
            dr.async_get(self.hass).async_update_device(device.id, sw_version=identity.version)
