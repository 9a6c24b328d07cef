"""UPnP GENA events from the router's WAN connection service.

miniupnpd events ExternalIPAddress and ConnectionStatus (a WAN renumbering arrives
as Disconnected, then Connected with the new address) and PortMappingNumberOfEntries.
Each event only asks for a check; the check reads the router as usual.

The subscription is to the service that carries traffic (see ``Router.wan_service``)
and moves when a check finds another one carrying it: events of an idle WANIPConnection
beside the PPP line would never announce the PPP line's new address.

Routers grant their own subscription time (many 30 s to 1800 s, whatever was asked):
``renew`` returns when the next renewal is due, half the granted time later, and
subscribes anew when a renewal fails (a rebooted router forgot the SID).
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

from .errors import DoctorConnectionError, DoctorError, DoctorResponseError
from .router import Router

_LOGGER = logging.getLogger(__name__)

EVENTED_VARIABLES = frozenset({"ExternalIPAddress", "ConnectionStatus", "PortMappingNumberOfEntries"})
# What we ask for; the router grants what it likes (many grant 30 s to 1800 s).
SUBSCRIPTION = timedelta(minutes=30)
# Renewing at half the granted time leaves the other half for a renewal that fails or
# is slow. The router's clock started before its answer reached us: renew a little
# earlier still. The floor keeps a router that grants (almost) nothing from a busy loop.
RENEWAL_MARGIN = timedelta(seconds=1)
MIN_RENEWAL = timedelta(seconds=1)
# A name lookup that hangs must not hold the subscription (polling covers meanwhile).
LOCAL_ADDRESS_TIMEOUT = 10.0
_SSDP_PORT = 1900


def renewal_due(granted: timedelta) -> timedelta:
    """When to renew a subscription the router granted for ``granted``."""
    return max(granted / 2 - RENEWAL_MARGIN, MIN_RENEWAL)


async def local_address_towards(host: str) -> str:
    """The address of this machine that the router at ``host`` can send events back to.

    A name is resolved in the executor (``loop.getaddrinfo``), never in the loop. A UDP
    ``connect`` to the address found picks the route without sending a packet and
    returns at once (as in asyncio's own datagram endpoint), so it runs in the loop's
    thread: one that entered another network namespace, as the router lab's does, gets
    its own route. Any family: an IPv6 router address, link-local too (scope kept).
    OSError when the name does not resolve, there is no route, or the lookup hangs.
    """
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(LOCAL_ADDRESS_TIMEOUT):
        answers = await loop.getaddrinfo(host, _SSDP_PORT, type=socket.SOCK_DGRAM)
    family, kind, protocol, _, address = answers[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setblocking(False)
        probe.connect(address)
        local, _ = socket.getnameinfo(probe.getsockname(), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
    return local


class RouterEvents:
    """A subscription to the router's WAN connection events, renewed per the router's grant."""

    def __init__(
        self, router: Router, on_change: Callable[[], None], *, source_ip: str | None = None
    ) -> None:
        """Nothing is subscribed until ``start`` (or ``renew``)."""
        self._router = router
        self._on_change = on_change
        self._source_ip = source_ip
        self._server: AiohttpNotifyServer | None = None
        self._service: UpnpService | None = None  # the service subscribed to
        self._granted = SUBSCRIPTION  # what the router granted the subscription in place
        self._unlisten: Callable[[], None] | None = None
        self._moving: asyncio.Task[None] | None = None
        # The renewal task and a move to another service must not subscribe twice.
        self._lock = asyncio.Lock()
        # Last value of each evented variable: the initial event of a subscription only
        # sets these; later events ask for a check when a value really changed.
        self._last: dict[str, object] = {}

    @property
    def subscribed(self) -> bool:
        """Whether a subscription is in place."""
        return self._server is not None

    async def start(self) -> None:
        """Subscribe to the WAN service that carries traffic; DoctorError: no events or refused."""
        async with self._lock:
            await self._start()

    async def renew(self) -> timedelta:
        """Keep the subscription up; return how soon to renew it next.

        Subscribes when nothing is in place, moves to the service that carries traffic,
        and subscribes anew (new SID, and the new URL of a router found again) when the
        renewal fails. DoctorError: no events now.
        """
        async with self._lock:
            if self._server is None or self._service is None:
                await self._start()
            elif await self._router.wan_service() is not self._service:
                # A switch announced while (re)subscribing, a move that failed, or the
                # router found again at another URL (its description was read anew).
                await self._resubscribe()
            else:
                try:
                    # A refused renewal (412: a router that restarted forgot the SID) is
                    # followed by a new SUBSCRIBE inside async_upnp_client already.
                    _, self._granted = await self._server.event_handler.async_resubscribe(
                        self._service, timeout=SUBSCRIPTION
                    )
                # KeyError: the library dropped the SID; ValueError: a malformed TIMEOUT.
                except (UpnpError, KeyError, ValueError) as err:
                    _LOGGER.debug(
                        "Renewing events of %s failed (%s); subscribing anew",
                        self._router,
                        type(err).__name__,
                    )
                    await self._resubscribe()
            return renewal_due(self._granted)

    async def stop(self) -> None:
        """Unsubscribe (best effort) and stop the callback server."""
        moving, self._moving = self._moving, None
        if moving is not None and moving is not asyncio.current_task():
            moving.cancel()
            # Let it stop the callback server it may have started.
            await asyncio.gather(moving, return_exceptions=True)
        async with self._lock:
            await self._unsubscribe()

    async def _start(self) -> None:
        service = await self._router.wan_service()
        if not service.event_sub_url:
            raise DoctorError("router: the WAN connection service has no events")
        host = URL(self._router.description_url).host or "127.0.0.1"
        try:
            source = self._source_ip or await local_address_towards(host)
        except (OSError, ValueError) as err:  # gaierror, no route, a hung lookup; IDNA refusing a name
            raise DoctorConnectionError(f"router events: no local address towards {host}: {err}") from None
        server = AiohttpNotifyServer(self._router.requester, source=(source, 0))
        try:
            await server.async_start_server()
        except UpnpError as err:  # UpnpServerOSError: the address cannot be listened on
            raise DoctorConnectionError(f"router events: callback server: {err}") from None
        service.on_event = self._event
        subscribed = False
        try:
            _, granted = await server.event_handler.async_subscribe(service, timeout=SUBSCRIPTION)
            subscribed = True
        except UpnpError as err:
            raise DoctorConnectionError(f"router events: {type(err).__name__}") from None
        except ValueError:  # a TIMEOUT header that is not "Second-<n>"
            raise DoctorResponseError("router events: malformed SUBSCRIBE answer") from None
        finally:
            if not subscribed:  # refused, or cancelled by an unload mid-subscribe
                await server.async_stop_server()
        if service is not self._service:
            self._last.clear()  # another service: its initial event is the new baseline
        self._server, self._service, self._granted = server, service, granted
        self._unlisten = self._router.on_switch(self._switched)
        _LOGGER.debug(
            "Subscribed to events of %s %s for %s, callback %s",
            self._router,
            service.service_id,
            granted,
            server.callback_url,
        )

    async def _resubscribe(self) -> None:
        await self._unsubscribe()
        await self._start()

    def _switched(self) -> None:
        """Another WAN service carries traffic now: move the subscription to it."""
        if self._server is not None and self._moving is None:
            self._moving = asyncio.get_running_loop().create_task(self._move())

    async def _move(self) -> None:
        try:
            async with self._lock:
                if await self._router.wan_service() is not self._service:
                    await self._resubscribe()
        except Exception as err:  # a task nobody awaits: no error may escape it
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
