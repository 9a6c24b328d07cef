"""The doctor: one entry point that owns every probe and examines all layers at once.

As python-elgato has ``Elgato``, this library has ``Doctor``: the integration builds
one per Plex server with an injected aiohttp session, calls ``examine()`` for the
evidence, acts on the user's behalf through intent methods (``enable_remote_access``,
``use_manual_port``, ``retry_remote_access``) and asks it for the event listeners.
The rules of combining probes live here: the server counts as down only when both of
its calls failed, and a refused token is an authentication error, never evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address
import logging
from time import monotonic

import aiohttp
from yarl import URL

from .addresses import HostAddresses
from .custom_urls import check_custom_urls
from .errors import DoctorAuthenticationError, DoctorError
from .evidence import (
    Cause,
    CustomUrlCheck,
    Evidence,
    Missing,
    PlexAccount,
    PlexIdentity,
    PlexPrefs,
    PlexTvView,
    RouterState,
)
from .gena import RouterEvents
from .notifications import PlexNotifications
from .plex import (
    PREF_MANUAL_PORT_MAPPING_MODE,
    PREF_MANUAL_PORT_MAPPING_PORT,
    PREF_PUBLISH_SERVER,
    PlexServer,
)
from .plex_logs import LOG_TIMEOUT, LogExcerpt, log_excerpt
from .plex_tv import DEFAULT_PLEX_TV_URL, PlexTv
from .public_ip import DEFAULT_PUBLIC_IP_URLS, public_ipv4
from .router import Router

_LOGGER = logging.getLogger(__name__)

# plex.tv runs an expensive, rate-limited test on every refreshReachability.
RETRY_COOLDOWN_SECONDS = 60.0


type Reading[T] = T | Missing


async def _read[T](probe: Awaitable[T]) -> Reading[T]:
    try:
        return await probe
    except DoctorError as err:
        return Missing.of(err)


class RetryTooSoonError(DoctorError):
    """A reachability retry was asked for within the cooldown."""

    def __init__(self, seconds: float) -> None:
        """Say how long to wait."""
        super().__init__(f"retry possible in {seconds:.0f} s")
        self.seconds = seconds


class Doctor:
    """Every layer between one Plex server and the internet, read-only but for Plex's own settings."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        server_url: str,
        token: str,
        machine_identifier: str | None,
        verify_ssl: bool = True,
        router_url: str | None = None,
        plex_tv_url: str = DEFAULT_PLEX_TV_URL,
        public_ip_urls: tuple[str, ...] = DEFAULT_PUBLIC_IP_URLS,
        name: str = "Plex server",
    ) -> None:
        """Build the probes; nothing is sent yet."""
        self._session = session
        self._server_url = server_url
        self._token = token
        self._verify_ssl = verify_ssl
        self._machine_identifier = machine_identifier
        self._public_ip_urls = public_ip_urls
        self.plex = PlexServer(server_url, token, session, verify_ssl=verify_ssl)
        self.router = Router(router_url, session) if router_url else None
        self.plex_tv = PlexTv(token, session, url=plex_tv_url)
        url = URL(server_url)
        self._url_host = url.host
        self._url_port = url.port
        # Who the server is (its version): read once, when the server first answers.
        self.identity: PlexIdentity | None = None
        self.addresses = HostAddresses()
        self._last_retry: float | None = None
        self.name = name
        # Probes whose failure was already logged; logged again only once they recover.
        self._missing_logged: set[str] = set()

    def __repr__(self) -> str:
        """Show the server, never the token."""
        return f"Doctor({self._server_url!r})"

    async def examine(self) -> Evidence:
        """Read every layer concurrently; a failed probe is missing evidence.

        Raises DoctorAuthenticationError when the Plex server refuses the token: that
        needs the user (a new token), not a diagnosis.
        """
        (
            (reachable, account, prefs, custom_urls),
            router,
            public_ip,
            plex_tv,
            (server_url_address, router_address),
        ) = await asyncio.gather(
            self._read_server_and_custom_urls(),
            self._read_router(),
            _read(public_ipv4(self._session, self._public_ip_urls)),
            self._read_plex_tv(),
            self._addresses(),
        )
        missing = {
            probe: reading
            for probe, reading in (
                ("plex", reachable),
                ("plex_account", account),
                ("plex_prefs", prefs),
                ("router", router),
                ("public_ip", public_ip),
                ("plex_tv", plex_tv),
            )
            if isinstance(reading, Missing)
        }
        self._log_missing(missing)
        return Evidence(
            server_url_host=self._url_host,
            server_url_port=self._url_port,
            server_url_address=server_url_address,
            router_address=router_address,
            server_reachable=reachable if isinstance(reachable, bool) else False,
            account=account if isinstance(account, PlexAccount) else None,
            prefs=prefs if isinstance(prefs, PlexPrefs) else None,
            router=router if isinstance(router, RouterState) else None,
            public_ip=public_ip if isinstance(public_ip, IPv4Address) else None,
            plex_tv=plex_tv if isinstance(plex_tv, PlexTvView) else None,
            custom_urls=custom_urls,
            missing=missing,
        )

    def _log_missing(self, missing: dict[str, Missing]) -> None:
        """A probe's failure once when it starts, and once when it is over: no log spam."""
        for probe, reading in missing.items():
            if probe not in self._missing_logged:
                _LOGGER.warning("%s: no %s evidence this check: %s", self.name, probe, reading.reason)
        for probe in self._missing_logged - missing.keys():
            _LOGGER.info("%s: %s evidence is back", self.name, probe)
        self._missing_logged = set(missing)

    async def _read_server(
        self,
    ) -> tuple[Reading[bool], Reading[PlexAccount] | None, Reading[PlexPrefs] | None]:
        """Account and prefs; the server is down only when it answered neither."""
        account, prefs = await asyncio.gather(_read(self.plex.account()), _read(self.plex.prefs()))
        for reading in (account, prefs):
            if isinstance(reading, Missing) and reading.cause is Cause.REFUSED:
                raise DoctorAuthenticationError(reading.reason)
        if (
            isinstance(account, Missing)
            and isinstance(prefs, Missing)
            and account.cause is prefs.cause is Cause.UNREACHABLE
        ):
            # One reason is enough: the server did not answer at all.
            return account, None, None
        if self.identity is None:
            identity = await _read(self.plex.identity())
            if isinstance(identity, Missing):
                _LOGGER.debug("%s: identity: %s", self.name, identity.reason)
            else:
                self.identity = identity
        return True, account, prefs

    async def _read_server_and_custom_urls(
        self,
    ) -> tuple[
        Reading[bool],
        Reading[PlexAccount] | None,
        Reading[PlexPrefs] | None,
        tuple[CustomUrlCheck, ...] | None,
    ]:
        """The server, then its custom URLs: only the prefs say which there are."""
        reachable, account, prefs = await self._read_server()
        return reachable, account, prefs, await self._check_custom_urls(prefs)

    async def _check_custom_urls(self, prefs: Reading[PlexPrefs] | None) -> tuple[CustomUrlCheck, ...] | None:
        if not isinstance(prefs, PlexPrefs) or not prefs.custom_connections:
            return None
        # The entry's unique id; before there is one, the identity the server gave.
        expected = self._machine_identifier or (self.identity.machine_identifier if self.identity else None)
        if expected is None:
            return None
        return await check_custom_urls(self._session, prefs.custom_connections, expected)

    async def _addresses(self) -> tuple[IPv4Address | None, IPv4Address | None]:
        """The server URL's and the router's hosts as IPv4 addresses."""
        router_host = URL(self.router.description_url).host if self.router is not None else None
        server, router = await asyncio.gather(
            self.addresses.ipv4(self._url_host), self.addresses.ipv4(router_host)
        )
        return server, router

    async def _read_router(self) -> Reading[RouterState] | None:
        return None if self.router is None else await _read(self.router.read())

    async def _read_plex_tv(self) -> Reading[PlexTvView] | None:
        if self._machine_identifier is None:
            return None
        # plex.tv only enriches: a token it refuses is missing evidence, not a reauth.
        return await _read(self.plex_tv.server_view(self._machine_identifier))

    # --- what the user may ask for (never from polling) --------------------------------

    async def retry_remote_access(self) -> None:
        """Ask Plex to re-test reachability through plex.tv, at most once a minute."""
        now = monotonic()
        if self._last_retry is not None and now - self._last_retry < RETRY_COOLDOWN_SECONDS:
            raise RetryTooSoonError(RETRY_COOLDOWN_SECONDS - (now - self._last_retry))
        self._last_retry = now
        await self.plex.refresh_reachability()

    async def enable_remote_access(self) -> None:
        """Turn Plex's remote access setting on; nothing else changes."""
        await self.plex.set_prefs({PREF_PUBLISH_SERVER: True})

    async def use_manual_port(self, port: int) -> None:
        """Switch Plex to manual port mapping on ``port`` (the caller never offers 32400)."""
        await self.plex.set_prefs({PREF_MANUAL_PORT_MAPPING_MODE: True, PREF_MANUAL_PORT_MAPPING_PORT: port})

    async def plex_log(self, *, timeout: float = LOG_TIMEOUT) -> LogExcerpt:
        """Plex's own remote-access log lines, read now: only on a user's action (a big download)."""
        excerpt = await log_excerpt(
            self._session, self._server_url, self._token, verify_ssl=self._verify_ssl, timeout=timeout
        )
        if excerpt.reason is not None:
            _LOGGER.info("%s: Plex's log: %s", self.name, excerpt.reason)
        return excerpt

    # --- where changes are announced ------------------------------------------------------

    def move_router(self, description_url: str) -> None:
        """The router answers at a new URL (miniupnpd's port changes on restart)."""
        if self.router is not None:
            self.router.move(description_url)

    def notifications(self, on_reachability: Callable[[], None]) -> PlexNotifications:
        """The server's notification websocket, calling back on reachability changes."""
        return PlexNotifications(
            self._server_url, self._token, self._session, on_reachability, verify_ssl=self._verify_ssl
        )

    def router_events(self, on_change: Callable[[], None]) -> RouterEvents | None:
        """GENA events of the router's WAN connection; None without a router."""
        return None if self.router is None else RouterEvents(self.router, on_change)
