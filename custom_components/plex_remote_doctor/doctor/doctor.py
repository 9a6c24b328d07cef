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
from collections.abc import Awaitable, Callable, Hashable
from ipaddress import IPv4Address
import logging
from time import monotonic
from typing import Any

import aiohttp
from yarl import URL

from .addresses import HostAddresses
from .cadence import LocalChanges, SharedReading
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
    PlexStreams,
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


def _local_facts(
    account: PlexAccount | None, prefs: PlexPrefs | None, router: RouterState | None
) -> dict[str, Hashable | None]:
    """The home's own evidence whose change makes the shared services worth asking again."""
    facts: dict[str, Hashable | None] = {
        "wan_ip": router.wan_ip if router else None,
        # An outage or its end: the public IP read before it no longer says anything.
        "connection_status": router.connection_status if router else None,
    }
    if account is not None:
        facts |= {
            "public_address": account.public_address,
            "public_port": account.public_port,
            "mapping_state": account.mapping_state,
            # Empty is "no error": a value, so an error that clears is a change too.
            "mapping_error": account.mapping_error or "",
        }
    if prefs is not None:
        facts |= {
            "publish_server": prefs.publish_server,
            "manual_port_mapping": prefs.manual_port_mapping,
            "manual_port": prefs.manual_port,
            "relay_enabled": prefs.relay_enabled,
            "custom_connections": prefs.custom_connections,
        }
    return facts


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
        # The shared services' latest answers, asked only when due (see cadence).
        self._local = LocalChanges()
        self._public_ip: SharedReading[IPv4Address] = SharedReading()
        self._plex_tv: SharedReading[PlexTvView] = SharedReading()
        self._plex_pass: SharedReading[bool | None] = SharedReading()
        # Probes whose failure was already logged; logged again only once they recover.
        self._missing_logged: set[str] = set()

    def __repr__(self) -> str:
        """Show the server, never the token."""
        return f"Doctor({self._server_url!r})"

    async def examine(self, now: float | None = None, *, fresh: bool = False) -> Evidence:
        """Read every layer; a failed probe is missing evidence.

        The Plex server and the router are read on every call; the shared services only
        when due (see ``cadence``) or when ``fresh`` (the user asked). ``now`` is seconds
        on the caller's clock (default: monotonic).

        Raises DoctorAuthenticationError when the Plex server refuses the token: that
        needs the user (a new token), not a diagnosis.
        """
        now = monotonic() if now is None else now
        # Shared services already due start beside the home's own probes; one that only
        # the local evidence of this check makes due is asked once that is read.
        asked: set[str] = set()
        early = asyncio.gather(*self._shared_reads(now, asked, fresh=fresh))
        (
            (reachable, account, prefs, custom_urls, streams, root_plex_pass),
            router,
            (server_url_address, router_address),
        ) = await asyncio.gather(
            self._read_server_and_custom_urls(),
            self._read_router(),
            self._addresses(),
        )
        await early
        account_read = account if isinstance(account, PlexAccount) else None
        prefs_read = prefs if isinstance(prefs, PlexPrefs) else None
        router_read = router if isinstance(router, RouterState) else None
        if self._local.observe(_local_facts(account_read, prefs_read, router_read), now):
            _LOGGER.debug("%s: the home's own evidence changed: asking the shared services", self.name)
        server_plex_pass = account_read.plex_pass if account_read else None
        if server_plex_pass is None:
            server_plex_pass = root_plex_pass
        need_plex_pass = server_plex_pass is None and account_read is not None
        await asyncio.gather(*self._shared_reads(now, asked, fresh=fresh, need_plex_pass=need_plex_pass))
        plex_pass, plex_pass_source = (
            (server_plex_pass, "server")
            if server_plex_pass is not None
            else (self._plex_pass.value, "plex_tv")
        )
        missing = {
            probe: reading
            for probe, reading in (
                ("plex", reachable),
                ("plex_account", account),
                ("plex_prefs", prefs),
                ("plex_sessions", streams),
                ("router", router),
                ("public_ip", self._public_ip.failure),
                ("plex_tv", self._plex_tv.failure),
            )
            if isinstance(reading, Missing)
        }
        self._log_missing(missing)
        ages = {
            service: age
            for service, reading in (("public_ip", self._public_ip), ("plex_tv", self._plex_tv))
            if (age := reading.age(now)) is not None
        }
        return Evidence(
            server_url_host=self._url_host,
            server_url_port=self._url_port,
            server_url_address=server_url_address,
            router_address=router_address,
            server_reachable=reachable if isinstance(reachable, bool) else False,
            account=account_read,
            prefs=prefs_read,
            router=router_read,
            public_ip=self._public_ip.value,
            plex_tv=self._plex_tv.value,
            custom_urls=custom_urls,
            plex_pass=plex_pass,
            plex_pass_source=plex_pass_source if plex_pass is not None else None,
            streams=streams if isinstance(streams, PlexStreams) else None,
            shared_ages=ages,
            plex_tv_settled=self._plex_tv.settled(self._local.changed_at),
            missing=missing,
        )

    def _shared_reads(
        self, now: float, asked: set[str], *, fresh: bool, need_plex_pass: bool = False
    ) -> list[Awaitable[None]]:
        """Asks of the shared services that are due and not in ``asked`` (this check's): at most one each."""
        changed_at = self._local.changed_at
        due: list[tuple[str, SharedReading[Any], Callable[[], Awaitable[Any]]]] = []
        if self._public_ip.due(now, changed_at, forced=fresh):
            due.append(
                ("public_ip", self._public_ip, lambda: public_ipv4(self._session, self._public_ip_urls))
            )
        machine_identifier = self._machine_identifier
        if machine_identifier is not None and self._plex_tv.due(
            now, changed_at, forced=fresh, follow_up=True
        ):
            # plex.tv only enriches: a token it refuses is missing evidence, not a reauth.
            due.append(("plex_tv", self._plex_tv, lambda: self.plex_tv.server_view(machine_identifier)))
        if need_plex_pass and self._plex_pass.due(now, None, forced=fresh):
            due.append(("plex_pass", self._plex_pass, self.plex_tv.plex_pass))
        reads: list[Awaitable[None]] = [
            self._ask(reading, probe(), now) for name, reading, probe in due if name not in asked
        ]
        asked.update(name for name, _, _ in due)
        return reads

    async def _ask[T](self, reading: SharedReading[T], probe: Awaitable[T], now: float) -> None:
        reading.record(await _read(probe), now, self._local.changed_at)

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
    ) -> tuple[
        Reading[bool],
        Reading[PlexAccount] | None,
        Reading[PlexPrefs] | None,
        Reading[PlexStreams] | None,
    ]:
        """Account, prefs and sessions; the server is down only when it answered neither of the first two."""
        account, prefs, streams = await asyncio.gather(
            _read(self.plex.account()), _read(self.plex.prefs()), _read(self.plex.sessions())
        )
        for reading in (account, prefs):
            if isinstance(reading, Missing) and reading.cause is Cause.REFUSED:
                raise DoctorAuthenticationError(reading.reason)
        if (
            isinstance(account, Missing)
            and isinstance(prefs, Missing)
            and account.cause is prefs.cause is Cause.UNREACHABLE
        ):
            # One reason is enough: the server did not answer at all.
            return account, None, None, None
        if self.identity is None:
            identity = await _read(self.plex.identity())
            if isinstance(identity, Missing):
                _LOGGER.debug("%s: identity: %s", self.name, identity.reason)
            else:
                self.identity = identity
        return True, account, prefs, streams

    async def _read_server_and_custom_urls(
        self,
    ) -> tuple[
        Reading[bool],
        Reading[PlexAccount] | None,
        Reading[PlexPrefs] | None,
        tuple[CustomUrlCheck, ...] | None,
        Reading[PlexStreams] | None,
        bool | None,
    ]:
        """The server, then what only its answers say to read: custom URLs, the root's Plex Pass."""
        reachable, account, prefs, streams = await self._read_server()
        custom_urls, root_plex_pass = await asyncio.gather(
            self._check_custom_urls(prefs), self._root_plex_pass(account)
        )
        return reachable, account, prefs, custom_urls, streams, root_plex_pass

    async def _root_plex_pass(self, account: Reading[PlexAccount] | None) -> bool | None:
        """The root document's myPlexSubscription, read only when the account does not say."""
        if not isinstance(account, PlexAccount) or account.plex_pass is not None:
            return None
        root = await _read(self.plex.server_info())
        return None if isinstance(root, Missing) else root.plex_pass

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

    def notifications(
        self, on_reachability: Callable[[], None], on_streams: Callable[[], None] | None = None
    ) -> PlexNotifications:
        """The server's notification websocket, calling back on reachability changes and streams that start or end."""
        return PlexNotifications(
            self._server_url,
            self._token,
            self._session,
            on_reachability,
            on_streams,
            verify_ssl=self._verify_ssl,
        )

    def router_events(self, on_change: Callable[[], None]) -> RouterEvents | None:
        """GENA events of the router's WAN connection; None without a router."""
        return None if self.router is None else RouterEvents(self.router, on_change)
