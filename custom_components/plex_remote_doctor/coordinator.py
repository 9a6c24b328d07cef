"""One coordinator per server: gather every layer's evidence at once, then diagnose."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address
from time import monotonic

from aiohttp import ClientSession
from homeassistant.components import ssdp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from yarl import URL

from .const import (
    CONF_CONFIRM_CHECKS,
    CONF_ROUTER_UDN,
    CONF_ROUTER_URL,
    CONF_SCAN_INTERVAL,
    CONF_URL,
    DEFAULT_CONFIRM_CHECKS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    EVENT_DEBOUNCE_SECONDS,
    LOGGER,
    RETRY_COOLDOWN,
)
from .doctor.diagnose import Diagnosis, diagnose
from .doctor.errors import DoctorAuthenticationError, DoctorConnectionError, DoctorError
from .doctor.evidence import Evidence, PlexAccount, PlexIdentity, PlexPrefs, PlexTvView, RouterState
from .doctor.gena import RouterEvents
from .doctor.notifications import PlexNotifications
from .doctor.plex import PlexServer
from .doctor.plex_tv import PlexTv
from .doctor.public_ip import public_ipv4
from .doctor.router import Router
from .issues import IssueTracker

type PlexRemoteDoctorConfigEntry = ConfigEntry[PlexRemoteDoctorData]


@dataclass(frozen=True, slots=True)
class DoctorData:
    """What one check measured and what it means."""

    evidence: Evidence
    diagnosis: Diagnosis


@dataclass(frozen=True, slots=True)
class PlexRemoteDoctorData:
    """Runtime data of a config entry."""

    coordinator: PlexRemoteDoctorCoordinator
    notifications: PlexNotifications
    router_events: RouterEvents | None


class PlexRemoteDoctorCoordinator(DataUpdateCoordinator[DoctorData]):
    """Checks every layer concurrently; a failed probe is missing evidence, not a failure."""

    config_entry: PlexRemoteDoctorConfigEntry
    # None until the first check; at start-up that check waits for Home Assistant to start.
    data: DoctorData | None  # type: ignore[assignment]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PlexRemoteDoctorConfigEntry,
        *,
        session: ClientSession,
        plex: PlexServer,
        router: Router | None,
        plex_tv: PlexTv,
        public_ip_urls: tuple[str, ...],
    ) -> None:
        """Keep the probes of one server."""
        interval = entry.options.get(CONF_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=DEFAULT_SCAN_INTERVAL if interval is None else timedelta(seconds=interval),
            # Events ask for checks; a burst of them costs one check now and one after.
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=EVENT_DEBOUNCE_SECONDS, immediate=True
            ),
        )
        self.session = session
        self.plex = plex
        self.router = router
        self.plex_tv = plex_tv
        self.public_ip_urls = public_ip_urls
        self.identity: PlexIdentity | None = None
        url = URL(entry.data[CONF_URL])
        self._url_host = url.host
        self._url_port = url.port
        self._last_retry: float | None = None
        self.issues = IssueTracker(
            hass,
            entry_id=entry.entry_id,
            unique_id=str(entry.unique_id),
            name=entry.title,
            url=entry.data[CONF_URL],
        )
        self._confirm_checks = int(entry.options.get(CONF_CONFIRM_CHECKS, DEFAULT_CONFIRM_CHECKS))
        # Probes whose failure was already logged; logged again only once they recover.
        self._missing_logged: set[str] = set()

    @callback
    def async_evidence_changed(self, source: str) -> None:
        """Plex or the router announced a change: check now (debounced)."""
        LOGGER.debug("%s: %s event, checking now", self.config_entry.title, source)
        self.config_entry.async_create_task(self.hass, self.async_request_refresh())

    async def async_retry_remote_access(self) -> None:
        """Ask Plex to re-test reachability (a user's action only), then check again."""
        now = monotonic()
        if self._last_retry is not None and now - self._last_retry < RETRY_COOLDOWN.total_seconds():
            wait = RETRY_COOLDOWN.total_seconds() - (now - self._last_retry)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="retry_cooldown",
                translation_placeholders={"seconds": str(int(wait) + 1)},
            )
        self._last_retry = now
        try:
            await self.plex.refresh_reachability()
        except DoctorAuthenticationError as err:
            self.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="invalid_auth") from err
        except DoctorError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="retry_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        await self.async_refresh()

    async def _async_update_data(self) -> DoctorData:
        missing: dict[str, str] = {}
        (reachable, account, prefs), router, public_ip, plex_tv = await asyncio.gather(
            self._read_plex(missing),
            self._read_router(missing),
            self._read_public_ip(missing),
            self._read_plex_tv(missing),
        )
        evidence = Evidence(
            server_url_host=self._url_host,
            server_url_port=self._url_port,
            server_reachable=reachable,
            account=account,
            prefs=prefs,
            router=router,
            public_ip=public_ip,
            plex_tv=plex_tv,
            missing=missing,
        )
        self._log_missing(missing)
        previous = self.data.diagnosis if self.data is not None else None
        diagnosis = diagnose(evidence, previous)
        if previous is None or (previous.finding, previous.status) != (diagnosis.finding, diagnosis.status):
            LOGGER.info(
                "%s: remote access %s, diagnosis %s",
                self.config_entry.title,
                diagnosis.status or "unknown",
                diagnosis.finding or "unknown",
            )
        self.issues.update(diagnosis, self._confirm_checks)
        return DoctorData(evidence=evidence, diagnosis=diagnosis)

    def _log_missing(self, missing: dict[str, str]) -> None:
        for probe, reason in missing.items():
            if probe not in self._missing_logged:
                LOGGER.warning("%s: no %s evidence this check: %s", self.config_entry.title, probe, reason)
        for probe in self._missing_logged - missing.keys():
            LOGGER.info("%s: %s evidence is back", self.config_entry.title, probe)
        self._missing_logged = set(missing)

    async def _read_plex(self, missing: dict[str, str]) -> tuple[bool, PlexAccount | None, PlexPrefs | None]:
        """Account and prefs; the server counts as down only if it answered neither."""
        account_result, prefs_result = await asyncio.gather(
            self.plex.account(), self.plex.prefs(), return_exceptions=True
        )
        for result in (account_result, prefs_result):
            if isinstance(result, DoctorAuthenticationError):
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="invalid_auth"
                ) from result
            if isinstance(result, BaseException) and not isinstance(result, DoctorError):
                raise result
        if isinstance(account_result, DoctorConnectionError) and isinstance(
            prefs_result, DoctorConnectionError
        ):
            missing["plex"] = str(account_result)
            return False, None, None
        account = account_result if isinstance(account_result, PlexAccount) else None
        prefs = prefs_result if isinstance(prefs_result, PlexPrefs) else None
        if account is None:
            missing["plex_account"] = str(account_result)
        if prefs is None:
            missing["plex_prefs"] = str(prefs_result)
        if self.identity is None:
            try:
                self.identity = await self.plex.identity()
            except DoctorError as err:
                LOGGER.debug("%s: identity: %s", self.config_entry.title, err)
        return True, account, prefs

    async def _read_router(self, missing: dict[str, str]) -> RouterState | None:
        if self.router is None:
            return None
        try:
            return await self.router.read()
        except DoctorConnectionError as err:
            missing["router"] = str(err)
            self._find_router_again()
        except DoctorError as err:
            missing["router"] = str(err)
        return None

    def _find_router_again(self) -> None:
        """Miniupnpd takes a new HTTP port on every restart: look the router up by its UDN."""
        udn = self.config_entry.data.get(CONF_ROUTER_UDN)
        if self.router is None or not udn or "ssdp" not in self.hass.config.components:
            return
        self.config_entry.async_create_task(self.hass, self._relocate_router(self.router, udn))

    async def _relocate_router(self, router: Router, udn: str) -> None:
        for discovery in await ssdp.async_get_discovery_info_by_udn(self.hass, udn):
            location = discovery.ssdp_location
            if location and location != router.description_url:
                LOGGER.info("%s: router %s found again at %s", self.config_entry.title, udn, location)
                router.move(location)
                self.hass.config_entries.async_update_entry(
                    self.config_entry, data={**self.config_entry.data, CONF_ROUTER_URL: location}
                )
                return

    async def _read_public_ip(self, missing: dict[str, str]) -> IPv4Address | None:
        try:
            return await public_ipv4(self.session, self.public_ip_urls)
        except DoctorError as err:
            missing["public_ip"] = str(err)
            return None

    async def _read_plex_tv(self, missing: dict[str, str]) -> PlexTvView | None:
        machine_identifier = self.config_entry.unique_id
        if machine_identifier is None:
            return None
        try:
            return await self.plex_tv.server_view(machine_identifier)
        except DoctorAuthenticationError as err:
            # plex.tv only enriches: a token it refuses is not a reason for reauth.
            missing["plex_tv"] = str(err)
        except DoctorError as err:
            missing["plex_tv"] = str(err)
        return None
