"""The router's own view through UPnP IGD (v1 and v2): WAN IP, status, port mappings.

Read-only by design: this module never calls AddPortMapping or DeletePortMapping.
The router is the user's; the doctor only looks.

The WAN service read is the one that carries traffic: a DSL router often lists an idle
WANIPConnection beside the WANPPPConnection that is dialled in, and reading the idle one
would report a hidden WAN IP (or double NAT) that is not there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address
import logging
from typing import Any

import aiohttp
from async_upnp_client.client import UpnpDevice, UpnpRequester, UpnpService
from async_upnp_client.client_factory import UpnpFactory
from async_upnp_client.const import HttpRequest, HttpResponse
from async_upnp_client.exceptions import (
    UpnpActionResponseError,
    UpnpCommunicationError,
    UpnpConnectionError,
    UpnpConnectionTimeoutError,
    UpnpError,
)

from .errors import DoctorConnectionError, DoctorError, DoctorGoneError, DoctorResponseError
from .evidence import CONNECTED, PortMapping, RouterState
from .http import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, read_capped
from .network import parse_ipv4
from .payload import as_text, decode_xml, local_name

_LOGGER = logging.getLogger(__name__)

IGD_DEVICE_TYPES = (
    "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
    "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
)
WAN_CONNECTION_SERVICES = frozenset(
    {
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    }
)
LAYER3_FORWARDING = "urn:schemas-upnp-org:service:Layer3Forwarding:1"
# Enough for any home router; a table longer than this is not walked to the end.
MAX_PORT_MAPPINGS = 1024

# The only UPnP errors that end a GetGenericPortMappingEntry walk: any other (606 at
# entry 0, a 501 from an overloaded router further on) leaves the table unknown.
_END_OF_TABLE = frozenset({713, 714})  # SpecifiedArrayIndexInvalid, NoSuchEntryInArray
_NO_MAPPINGS = 730  # PortMappingNotFound (GetListOfPortMappings on an empty table)
# GetGenericPortMappingEntry calls in flight at once: a 1,000-entry table in ~125 round
# trips instead of 1,000, while a small router's HTTP server sees at most this many.
WALK_WINDOW = 8


class ServiceChoice(StrEnum):
    """Why this WAN service was read (``RouterState.service_choice``)."""

    DEFAULT = "default"  # Layer3Forwarding's GetDefaultConnectionService names it
    CONNECTED = "connected"  # the first that is Connected with an external IP
    FIRST = "first"  # none is: the first found


class CappedRequester(UpnpRequester):
    """Every request with a timeout and a cap on the body, like the other probes."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        """Use the injected session."""
        self._session = session
        self.timeout = timeout  # seconds each request may take
        self._max_bytes = max_bytes

    async def async_http_request(self, http_request: HttpRequest) -> HttpResponse:
        """Send one request; SOAP faults (HTTP 500) come back as responses."""
        try:
            async with asyncio.timeout(self.timeout):
                async with self._session.request(
                    http_request.method,
                    http_request.url,
                    headers=dict(http_request.headers or {}),
                    data=http_request.body,
                    allow_redirects=False,
                ) as response:
                    raw = await read_capped(response, self._max_bytes)
                    if raw is None:
                        raise UpnpCommunicationError(f"body larger than {self._max_bytes} bytes")
                    body = raw.decode(response.charset or "utf-8", errors="replace")
                    # Case-insensitive headers: the event handler reads "sid" and "timeout".
                    return HttpResponse(response.status, response.headers.copy(), body)
        except TimeoutError as err:
            raise UpnpConnectionTimeoutError(f"no answer within {self.timeout:g} s") from err
        except aiohttp.ClientConnectionError as err:
            raise UpnpConnectionError(type(err).__name__) from err
        except (aiohttp.ClientError, LookupError) as err:
            raise UpnpCommunicationError(type(err).__name__) from err


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterInfo:
    """Who the router is: enough to name it and to find it again by SSDP."""

    udn: str
    friendly_name: str
    manufacturer: str | None
    model_name: str | None
    device_type: str
    wan_service_type: str


class _EveryServiceFactory(UpnpFactory):
    """Keeps every service it builds, in document order.

    UpnpDevice files embedded devices by device type and services by service type, so a
    second WANConnectionDevice (where DSL routers put the PPP connection) or a second
    WANIPConnection on one device is lost from its tree. A library that stops calling
    this hook leaves ``services`` empty and the caller falls back to the library's tree.
    """

    def __init__(self, requester: UpnpRequester) -> None:
        super().__init__(requester, non_strict=True)
        self.services: list[UpnpService] = []

    async def _async_create_service(self, *args: Any, **kwargs: Any) -> UpnpService | None:
        service: UpnpService | None = await super()._async_create_service(*args, **kwargs)
        if service is not None:
            self.services.append(service)
        return service


@dataclass(frozen=True, slots=True)
class _Tree:
    """What the description offers: the WAN connection services and Layer3Forwarding."""

    device: UpnpDevice
    connections: tuple[UpnpService, ...]  # document order, never empty
    layer3: UpnpService | None


@dataclass(frozen=True, slots=True)
class _Line:
    """One WAN connection service's status and external IP, as read on this check."""

    service: UpnpService
    status: str | None
    external_ip: IPv4Address | None

    @property
    def carries_traffic(self) -> bool:
        return self.status == CONNECTED and self.external_ip is not None


def _unprefixed(udn: str) -> str:
    return udn.strip().lower().removeprefix("uuid:")


def _short_id(service_id: str) -> str:
    return service_id.strip().lower().rpartition(":serviceid:")[2]


def find_default_connection(answer: str, connections: Sequence[UpnpService]) -> UpnpService | None:
    """The WAN connection service ``NewDefaultConnectionService`` names, or None.

    The standard answer is ``<UDN of the WANConnectionDevice>:WANConnectionDevice:1,
    <serviceId>``. Real routers vary: miniupnpd says ``WANConnectionDevice:2`` on IGD v1,
    some drop the device part, the ``uuid:`` prefix or the case, or give the service type
    instead of its id. The device part only narrows; a name that fits no device is used
    when exactly one service carries that id.
    """
    device_part, _, service_part = answer.strip().rpartition(",")
    service_part = service_part.strip().lower()
    if not service_part:
        return None
    named = [
        service
        for service in connections
        if _short_id(service_part) == _short_id(service.service_id)
        or service_part == service.service_type.lower()
    ]
    device_ref = _unprefixed(device_part)
    on_device = [
        service
        for service in named
        if device_ref
        and (udn := _unprefixed(service.device.udn))
        and (device_ref == udn or device_ref.startswith(f"{udn}:"))
    ]
    if on_device:
        return on_device[0]
    return named[0] if len(named) == 1 else None


def _service_name(service: UpnpService) -> str:
    """The service type's last two parts, e.g. WANPPPConnection:1 (``RouterState.service``)."""
    return ":".join(service.service_type.split(":")[-2:])


def _info(device: UpnpDevice, service: UpnpService) -> RouterInfo:
    return RouterInfo(
        udn=device.udn,
        friendly_name=device.friendly_name,
        manufacturer=device.manufacturer or None,
        model_name=device.model_name or None,
        device_type=device.device_type,
        wan_service_type=service.service_type,
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _mapping(fields: Mapping[str, Any]) -> PortMapping | None:
    """A table entry from GetGenericPortMappingEntry's or GetListOfPortMappings' fields."""
    external_port = _int(fields.get("NewExternalPort"))
    internal_port = _int(fields.get("NewInternalPort"))
    if external_port is None or internal_port is None:
        return None
    enabled = fields.get("NewEnabled")
    return PortMapping(
        external_port=external_port,
        protocol=(as_text(fields.get("NewProtocol")) or "").upper(),
        internal_client=(as_text(fields.get("NewInternalClient")) or ""),
        internal_port=internal_port,
        enabled=enabled is True or (as_text(enabled) or "").lower() in ("1", "true"),
        description=(as_text(fields.get("NewPortMappingDescription") or fields.get("NewDescription")) or ""),
        lease_duration=_int(fields.get("NewLeaseDuration") or fields.get("NewLeaseTime")) or 0,
        remote_host=(as_text(fields.get("NewRemoteHost")) or ""),
    )


def parse_port_listing(listing: str) -> tuple[PortMapping, ...]:
    """GetListOfPortMappings' ``NewPortListing``: an XML document in a SOAP string."""
    root = decode_xml(listing.encode(), "router port listing")
    mappings = []
    for entry in root:
        if local_name(entry) != "PortMappingEntry":
            continue
        fields = {local_name(child): (child.text or "") for child in entry}
        if (mapping := _mapping(fields)) is not None:
            mappings.append(mapping)
    return tuple(mappings)


class Router:
    """A UPnP Internet Gateway Device, read but never written."""

    def __init__(
        self,
        description_url: str,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_mappings: int = MAX_PORT_MAPPINGS,
    ) -> None:
        """Remember where the router describes itself; nothing is sent yet."""
        self.description_url = description_url
        self._requester = CappedRequester(session, timeout=timeout)
        self._max_mappings = max_mappings
        self._tree: _Tree | None = None
        # The service read, and why; kept until it no longer carries traffic.
        self._choice: tuple[UpnpService, ServiceChoice] | None = None
        # The last service seen carrying traffic: events follow it, not an idle "first".
        self._carrier: UpnpService | None = None
        self._switch_listeners: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        """Show where the router is."""
        return f"Router({self.description_url!r})"

    def move(self, description_url: str) -> None:
        """The router answers at another URL now (found again by its UDN)."""
        self.description_url = description_url
        self.forget()

    def forget(self) -> None:
        """Drop the cached description, e.g. after the router moved to another port."""
        self._tree = None
        self._choice = None
        self._carrier = None

    async def _description(self) -> _Tree:
        if self._tree is None:
            factory = _EveryServiceFactory(self._requester)
            try:
                device = await factory.async_create_device(self.description_url)
            except UpnpConnectionError as err:
                # Refused or timed out: the only failure that sends the router to be looked for.
                raise DoctorGoneError(f"router description: {err}") from None
            except (UpnpError, ValueError, KeyError) as err:
                raise DoctorResponseError(f"router description: {type(err).__name__}") from None
            services = factory.services or device.all_services
            connections = tuple(s for s in services if s.service_type in WAN_CONNECTION_SERVICES)
            if not connections:
                raise DoctorResponseError("router: no WANIPConnection or WANPPPConnection service")
            layer3 = next(
                (
                    s
                    for s in services
                    if s.service_type == LAYER3_FORWARDING and "GetDefaultConnectionService" in s.actions
                ),
                None,
            )
            self._tree = _Tree(device, connections, layer3)
        return self._tree

    async def wan_service(self) -> UpnpService:
        """The WAN connection service to take events from: the one that carries traffic.

        While none does, the one read; a line that drops keeps its events (its coming
        back is what they announce).
        """
        if self._choice is None:
            service, _, how = await self._choose()
            self._chose(service, how)
        assert self._choice is not None  # set by _chose
        return self._carrier or self._choice[0]

    def on_switch(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` when another service starts carrying traffic; return the undo."""
        self._switch_listeners.append(listener)
        return lambda: self._switch_listeners.remove(listener)

    def _chose(self, service: UpnpService, how: ServiceChoice) -> None:
        self._choice = (service, how)
        if how is ServiceChoice.FIRST or service is self._carrier:
            return
        self._carrier = service
        for listener in list(self._switch_listeners):
            listener()

    @property
    def requester(self) -> CappedRequester:
        """The capped requester every call to this router goes through."""
        return self._requester

    async def info(self) -> RouterInfo:
        """Read the description and choose the WAN service; DoctorResponseError: no IGD."""
        service = await self.wan_service()
        assert self._tree is not None  # read on the way to the service
        return _info(self._tree.device, service)

    async def _call(self, service: UpnpService, action: str, **arguments: Any) -> Mapping[str, Any]:
        try:
            return await service.action(action).async_call(**arguments)
        except UpnpActionResponseError:
            raise
        except UpnpConnectionError as err:
            if not isinstance(err, UpnpConnectionTimeoutError):
                # Refused or reset: the router may have restarted, on another port too; the
                # next check reads its description again (and only that failing relocates).
                # A timeout keeps it: a slow router has not moved, and a description read
                # anew would also subscribe to its events anew.
                self.forget()
            raise DoctorConnectionError(f"router {action}: {type(err).__name__}") from None
        except (UpnpError, ValueError, KeyError) as err:
            raise DoctorResponseError(f"router {action}: {type(err).__name__}") from None

    async def read(self) -> RouterState:
        """WAN IP, connection status and the port-mapping table, in one check.

        The chosen service and its table are read at once (3 calls on IGD v2); only when
        it no longer carries traffic is the choice made again, reusing what was just read.
        A line that is down is evidence (``connection_status``), not a failed probe. A
        status or table that cannot be read is unknown for this check (None) beside the
        WAN IP; only the WAN IP not answering fails the read, and only the description
        not answering raises DoctorGoneError.
        """
        try:
            return await self._read()
        except DoctorGoneError:
            raise
        except DoctorConnectionError:
            if self._tree is not None:  # timed out: slow, not gone
                raise
            # A call was refused: restarted, perhaps on another port (miniupnpd). Ask the
            # description now, so that a router that moved is looked for on this check.
            await self._description()
            raise

    async def _read(self) -> RouterState:
        if self._choice is None:
            service, reading, how = await self._choose()
            line = _line_or_raise(reading)
            mappings = await self._port_mappings(service)
        else:
            service, how = self._choice
            line, mappings = await asyncio.gather(self._line(service), self._port_mappings(service))
            if not _still_chosen(line, how):
                chosen, reading, how = await self._choose(line)
                line = _line_or_raise(reading)
                if chosen is not service:
                    service, mappings = chosen, await self._port_mappings(chosen)
        if self._tree is not None:  # else a call was refused: the next check starts afresh
            self._chose(service, how)
        return RouterState(
            wan_ip=line.external_ip,
            connection_status=line.status,
            port_mappings=mappings,
            service=_service_name(service),
            service_choice=how.value,
        )

    async def _choose(
        self, known: _Line | None = None
    ) -> tuple[UpnpService, _Line | DoctorResponseError, ServiceChoice]:
        """Layer3Forwarding's default, else the first that carries traffic, else the first.

        ``known`` was read on this check already and is not asked again.
        """
        tree = await self._description()
        if (default := await self._default_connection(tree)) is not None:
            return default, await self._reading(default, known), ServiceChoice.DEFAULT
        first: tuple[UpnpService, _Line | DoctorResponseError] | None = None
        for service in tree.connections:
            reading = await self._reading(service, known)
            if isinstance(reading, _Line) and reading.carries_traffic:
                return service, reading, ServiceChoice.CONNECTED
            first = first or (service, reading)
        assert first is not None  # connections is never empty
        return *first, ServiceChoice.FIRST

    async def _default_connection(self, tree: _Tree) -> UpnpService | None:
        if tree.layer3 is None:
            return None
        try:
            result = await self._call(tree.layer3, "GetDefaultConnectionService")
        except (UpnpActionResponseError, DoctorResponseError) as err:
            _LOGGER.debug("Router %s: GetDefaultConnectionService failed: %s", self.description_url, err)
            return None
        answer = as_text(result.get("NewDefaultConnectionService")) or ""
        service = find_default_connection(answer, tree.connections)
        if service is None:
            _LOGGER.debug(
                "Router %s: the default connection %r is no WAN service it describes",
                self.description_url,
                answer,
            )
        return service

    async def _reading(self, service: UpnpService, known: _Line | None) -> _Line | DoctorResponseError:
        if known is not None and known.service is service:
            return known
        try:
            return await self._line(service)
        except DoctorResponseError as err:
            _LOGGER.debug("Router %s: %s unreadable: %s", self.description_url, _service_name(service), err)
            return err

    async def _line(self, service: UpnpService) -> _Line:
        """Status and external IP together; an address on a line that is down is no evidence."""
        status, address = await asyncio.gather(
            self._connection_status(service), self._external_ip(service), return_exceptions=True
        )
        if isinstance(status, BaseException):
            raise status
        down = status is not None and status != CONNECTED
        if isinstance(address, BaseException):
            # Some routers refuse GetExternalIPAddress while the line is down: the status says why.
            if not (down and isinstance(address, DoctorResponseError)):
                raise address
            address = None
        # miniupnpd keeps answering the address it had before its WAN link went down.
        return _Line(service, status, None if down else address)

    async def external_ip_text(self) -> str:
        """The raw ``NewExternalIPAddress`` of the chosen service (for logs and diagnostics)."""
        return await self._external_ip_text(await self.wan_service())

    async def _external_ip_text(self, service: UpnpService) -> str:
        try:
            result = await self._call(service, "GetExternalIPAddress")
        except UpnpActionResponseError as err:
            raise DoctorResponseError(f"router GetExternalIPAddress: UPnP error {err.error_code}") from None
        return as_text(result.get("NewExternalIPAddress")) or ""

    async def _external_ip(self, service: UpnpService) -> IPv4Address | None:
        text = await self._external_ip_text(service)
        # Stock miniupnpd answers "" (and events 0.0.0.0) for a reserved WAN address.
        if text in ("", "0.0.0.0"):  # noqa: S104 - an answer, not a bind address
            return None
        address = parse_ipv4(text)
        if address is None:
            raise DoctorResponseError("router GetExternalIPAddress: not an IPv4 address")
        return address

    async def _connection_status(self, service: UpnpService) -> str | None:
        """The line's status; None when the service has no GetStatusInfo or it failed."""
        if "GetStatusInfo" not in service.actions:
            return None
        try:
            result = await self._call(service, "GetStatusInfo")
        except (UpnpActionResponseError, DoctorError) as err:
            _LOGGER.debug("Router %s: GetStatusInfo failed: %s", self.description_url, err)
            return None
        return (as_text(result.get("NewConnectionStatus")) or "") or None

    async def _port_mappings(self, service: UpnpService) -> tuple[PortMapping, ...] | None:
        """The table, or None when it cannot be read whole (a partial table proves nothing)."""
        try:
            if "GetListOfPortMappings" in service.actions:
                listed = await self._list_port_mappings(service)
                if listed is not None:
                    return listed
            if "GetGenericPortMappingEntry" in service.actions:
                return await self._walk_port_mappings(service)
        except DoctorError as err:  # malformed, timed out or refused part-way: unknown
            _LOGGER.debug("Router %s: port-mapping table unreadable: %s", self.description_url, err)
        return None

    async def _list_port_mappings(self, service: UpnpService) -> tuple[PortMapping, ...] | None:
        try:
            result = await self._call(
                service,
                "GetListOfPortMappings",
                NewStartPort=1,
                NewEndPort=65535,
                NewProtocol="TCP",
                NewManage=True,
                NewNumberOfPorts=0,
            )
        except UpnpActionResponseError as err:
            if err.error_code == _NO_MAPPINGS:
                return ()
            # 606 and friends: fall back to walking the table entry by entry.
            _LOGGER.debug(
                "Router %s: GetListOfPortMappings refused (%s)", self.description_url, err.error_code
            )
            return None
        return parse_port_listing(as_text(result.get("NewPortListing")) or "")

    async def _walk_port_mappings(self, service: UpnpService) -> tuple[PortMapping, ...] | None:
        """IGD v1: one call per entry, WALK_WINDOW at a time, until the router says "no more"."""
        mappings: list[PortMapping] = []
        for start in range(0, self._max_mappings, WALK_WINDOW):
            indices = range(start, min(start + WALK_WINDOW, self._max_mappings))
            answers = await asyncio.gather(
                *(
                    self._call(service, "GetGenericPortMappingEntry", NewPortMappingIndex=index)
                    for index in indices
                ),
                return_exceptions=True,
            )
            for index, answer in zip(indices, answers, strict=True):
                if isinstance(answer, UpnpActionResponseError):
                    if answer.error_code in _END_OF_TABLE:
                        return tuple(mappings)
                    # Refused (606), or cut short by a router too busy to answer: the
                    # entries not read may hold the very mapping a finding looks for.
                    _LOGGER.debug(
                        "Router %s: table unknown, entry %s refused (UPnP error %s)",
                        self.description_url,
                        index,
                        answer.error_code,
                    )
                    return None
                if isinstance(answer, BaseException):
                    raise answer
                if (mapping := _mapping(answer)) is not None:
                    mappings.append(mapping)
        # Longer than the cap: an incomplete table proves nothing about what is missing.
        _LOGGER.debug(
            "Router %s: more than %s mappings; table not used", self.description_url, self._max_mappings
        )
        return None


def _line_or_raise(reading: _Line | DoctorResponseError) -> _Line:
    if isinstance(reading, DoctorResponseError):
        raise reading
    return reading


def _still_chosen(line: _Line, how: ServiceChoice) -> bool:
    """Whether the cached choice stands, judged from this check's reading alone."""
    if line.status is None and how is not ServiceChoice.FIRST:
        # Unknown is not down: a status not read (no GetStatusInfo, or it failed on this
        # check) keeps the router's default, or the line last seen carrying traffic.
        return True
    if how is ServiceChoice.DEFAULT:
        # The router's own default stands while its line is up; a line that went down may
        # come back as another default after a reboot: one call to ask.
        return line.status == CONNECTED
    # "first" is a stopgap, looked at again on every check: on a router with one WAN
    # service that costs nothing (its reading is reused), on a DSL router 2 calls per
    # other service while no line is up.
    return how is ServiceChoice.CONNECTED and line.carries_traffic


async def describe(
    description_url: str, session: aiohttp.ClientSession, *, timeout: float = DEFAULT_TIMEOUT
) -> RouterInfo:
    """Who is at this description URL; DoctorResponseError when it is no IGD."""
    return await Router(description_url, session, timeout=timeout).info()
