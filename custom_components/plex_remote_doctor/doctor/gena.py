"""UPnP GENA events from the router's WAN connection service.

miniupnpd events ExternalIPAddress and ConnectionStatus (a WAN renumbering arrives
as Disconnected, then Connected with the new address) and PortMappingNumberOfEntries.
Each event only asks for a check; the check reads the router as usual.

The subscription is to the service that carries traffic (see ``Router.wan_service``)
and moves when a check finds another one carrying it: events of an idle WANIPConnection
beside the PPP line would never announce the PPP line's new address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
import logging
import socket
from typing import Any

from async_upnp_client.aiohttp import AiohttpNotifyServer
from async_upnp_client.client import UpnpService, UpnpStateVariable
from async_upnp_client.exceptions import UpnpError
from yarl import URL

from .errors import DoctorConnectionError, DoctorError
from .router import Router

_LOGGER = logging.getLogger(__name__)

EVENTED_VARIABLES = frozenset({"ExternalIPAddress", "ConnectionStatus", "PortMappingNumberOfEntries"})
SUBSCRIPTION = timedelta(minutes=30)


def local_address_towards(host: str) -> str:
    """The address of this machine that the router can send events back to.

    A UDP ``connect`` picks the route without sending a packet.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((host, 1900))
        address: str = probe.getsockname()[0]
        return address


class RouterEvents:
    """A subscription to the router's WAN connection events."""

    def __init__(
        self, router: Router, on_change: Callable[[], None], *, source_ip: str | None = None
    ) -> None:
        """Nothing is subscribed until ``start``."""
        self._router = router
        self._on_change = on_change
        self._source_ip = source_ip
        self._server: AiohttpNotifyServer | None = None
        self._service: UpnpService | None = None  # the service subscribed to
        self._unlisten: Callable[[], None] | None = None
        self._moving: asyncio.Task[None] | None = None
        # Last value of each evented variable: the initial event of a subscription only
        # sets these; later events ask for a check when a value really changed.
        self._last: dict[str, object] = {}

    @property
    def subscribed(self) -> bool:
        """Whether a subscription is in place."""
        return self._server is not None

    async def start(self) -> None:
        """Subscribe to the WAN service that carries traffic; DoctorError: no events or refused."""
        service = await self._router.wan_service()
        if not service.event_sub_url:
            raise DoctorError("router: the WAN connection service has no events")
        host = URL(self._router.description_url).host or "127.0.0.1"
        source = self._source_ip or local_address_towards(host)
        server = AiohttpNotifyServer(self._router.requester, source=(source, 0))
        await server.async_start_server()
        service.on_event = self._event
        subscribed = False
        try:
            await server.event_handler.async_subscribe(service, timeout=SUBSCRIPTION)
            subscribed = True
        except UpnpError as err:
            raise DoctorConnectionError(f"router events: {type(err).__name__}") from None
        finally:
            if not subscribed:  # refused, or cancelled by an unload mid-subscribe
                await server.async_stop_server()
        if service is not self._service:
            self._last.clear()  # another service: its initial event is the new baseline
        self._server, self._service = server, service
        self._unlisten = self._router.on_switch(self._switched)
        _LOGGER.debug(
            "Subscribed to events of %s %s, callback %s",
            self._router,
            service.service_id,
            server.callback_url,
        )

    async def renew(self) -> None:
        """Renew before the subscription lapses; start over if the router forgot it."""
        if self._server is None:
            await self.start()
            return
        if await self._router.wan_service() is not self._service:
            # A switch announced while (re)subscribing, or a move that failed.
            await self._resubscribe()
            return
        try:
            await self._server.event_handler.async_resubscribe_all()
        except UpnpError as err:
            _LOGGER.debug(
                "Renewing events of %s failed (%s); subscribing anew", self._router, type(err).__name__
            )
            await self._resubscribe()

    async def stop(self) -> None:
        """Unsubscribe (best effort) and stop the callback server."""
        moving, self._moving = self._moving, None
        if moving is not None and moving is not asyncio.current_task():
            moving.cancel()
            # Let it stop the callback server it may have started.
            await asyncio.gather(moving, return_exceptions=True)
        await self._unsubscribe()

    async def _resubscribe(self) -> None:
        await self._unsubscribe()
        await self.start()

    def _switched(self) -> None:
        """Another WAN service carries traffic now: move the subscription to it."""
        if self._server is not None and self._moving is None:
            self._moving = asyncio.get_running_loop().create_task(self._move())

    async def _move(self) -> None:
        try:
            if await self._router.wan_service() is not self._service:
                await self._resubscribe()
        except DoctorError as err:
            _LOGGER.debug("Moving events of %s failed (%s); the renewal tries again", self._router, err)
        finally:
            self._moving = None

    async def _unsubscribe(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        server, self._server = self._server, None
        if server is None:
            return
        try:
            await server.event_handler.async_unsubscribe_all()
        except UpnpError as err:
            _LOGGER.debug("Unsubscribing from %s failed: %s", self._router, type(err).__name__)
        await server.async_stop_server()

    def _event(self, service: UpnpService, variables: Sequence[UpnpStateVariable[Any]]) -> None:
        changed = False
        for variable in variables:
            if variable.name not in EVENTED_VARIABLES:
                continue
            known = variable.name in self._last
            if known and self._last[variable.name] != variable.value:
                changed = True
            self._last[variable.name] = variable.value
        if changed:
            self._on_change()
