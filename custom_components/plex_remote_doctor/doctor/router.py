"""The router's own view through UPnP IGD (v1 and v2): WAN IP, status, port mappings.

Read-only by design: this module never calls AddPortMapping or DeletePortMapping.
The router is the user's; the doctor only looks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
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

from .errors import DoctorConnectionError, DoctorResponseError
from .evidence import PortMapping, RouterState
from .http import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, read_capped
from .network import parse_ipv4
from .payload import decode_xml, local_name

_LOGGER = logging.getLogger(__name__)

IGD_DEVICE_TYPES = (
    "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
    "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
)
# In order of preference: IGD v2 offers GetListOfPortMappings (one call for the table).
WAN_CONNECTION_SERVICES = (
    "urn:schemas-upnp-org:service:WANIPConnection:2",
    "urn:schemas-upnp-org:service:WANIPConnection:1",
    "urn:schemas-upnp-org:service:WANPPPConnection:1",
)
# Enough for any home router; a table longer than this is not walked to the end.
MAX_PORT_MAPPINGS = 1024

# UPnP error codes that end a GetGenericPortMappingEntry walk.
_END_OF_TABLE = frozenset({713, 714})  # SpecifiedArrayIndexInvalid, NoSuchEntryInArray
_NO_MAPPINGS = 730  # PortMappingNotFound (GetListOfPortMappings on an empty table)
_NOT_AUTHORIZED = 606
# GetGenericPortMappingEntry calls in flight at once: a 1,000-entry table in ~125 round
# trips instead of 1,000, while a small router's HTTP server sees at most this many.
WALK_WINDOW = 8


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
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def async_http_request(self, http_request: HttpRequest) -> HttpResponse:
        """Send one request; SOAP faults (HTTP 500) come back as responses."""
        try:
            async with asyncio.timeout(self._timeout):
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
            raise UpnpConnectionTimeoutError(f"no answer within {self._timeout:g} s") from err
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


def _wan_service(device: UpnpDevice) -> UpnpService | None:
    for service_type in WAN_CONNECTION_SERVICES:
        if (service := device.find_service(service_type)) is not None:
            return service
    return None


def _info(device: UpnpDevice, service: UpnpService) -> RouterInfo:
    return RouterInfo(
        udn=device.udn,
        friendly_name=device.friendly_name,
        manufacturer=device.manufacturer or None,
        model_name=device.model_name or None,
        device_type=device.device_type,
        wan_service_type=service.service_type,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


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
        protocol=_text(fields.get("NewProtocol")).upper(),
        internal_client=_text(fields.get("NewInternalClient")),
        internal_port=internal_port,
        enabled=enabled is True or _text(enabled).lower() in ("1", "true"),
        description=_text(fields.get("NewPortMappingDescription") or fields.get("NewDescription")),
        lease_duration=_int(fields.get("NewLeaseDuration") or fields.get("NewLeaseTime")) or 0,
        remote_host=_text(fields.get("NewRemoteHost")),
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
        self._device: UpnpDevice | None = None
        self._service: UpnpService | None = None

    def __repr__(self) -> str:
        """Show where the router is."""
        return f"Router({self.description_url!r})"

    def move(self, description_url: str) -> None:
        """The router answers at another URL now (found again by its UDN)."""
        self.description_url = description_url
        self.forget()

    def forget(self) -> None:
        """Drop the cached description, e.g. after the router moved to another port."""
        self._device = None
        self._service = None

    async def _wan(self) -> UpnpService:
        if self._service is None:
            factory = UpnpFactory(self._requester, non_strict=True)
            try:
                device = await factory.async_create_device(self.description_url)
            except UpnpConnectionError as err:
                raise DoctorConnectionError(f"router description: {err}") from None
            except (UpnpError, ValueError, KeyError) as err:
                raise DoctorResponseError(f"router description: {type(err).__name__}") from None
            service = _wan_service(device)
            if service is None:
                raise DoctorResponseError("router: no WANIPConnection or WANPPPConnection service")
            self._device, self._service = device, service
        return self._service

    async def wan_service(self) -> UpnpService:
        """The WANIPConnection/WANPPPConnection service (for event subscriptions)."""
        return await self._wan()

    @property
    def requester(self) -> UpnpRequester:
        """The capped requester every call to this router goes through."""
        return self._requester

    async def info(self) -> RouterInfo:
        """Read the description; raise DoctorResponseError when it is not an IGD."""
        service = await self._wan()
        assert self._device is not None  # set together with the service
        return _info(self._device, service)

    async def _call(self, service: UpnpService, action: str, **arguments: Any) -> Mapping[str, Any]:
        try:
            return await service.action(action).async_call(**arguments)
        except UpnpActionResponseError:
            raise
        except UpnpConnectionError as err:
            self.forget()
            raise DoctorConnectionError(f"router {action}: {type(err).__name__}") from None
        except (UpnpError, ValueError, KeyError) as err:
            raise DoctorResponseError(f"router {action}: {type(err).__name__}") from None

    async def read(self) -> RouterState:
        """WAN IP, connection status and the port-mapping table, in one check."""
        service = await self._wan()
        wan_ip, status, mappings = await asyncio.gather(
            self._external_ip(),
            self._connection_status(service),
            self._port_mappings(service),
        )
        return RouterState(wan_ip=wan_ip, connection_status=status, port_mappings=mappings)

    async def external_ip_text(self) -> str:
        """The raw ``NewExternalIPAddress`` (for logs and diagnostics)."""
        service = await self._wan()
        try:
            result = await self._call(service, "GetExternalIPAddress")
        except UpnpActionResponseError as err:
            raise DoctorResponseError(f"router GetExternalIPAddress: UPnP error {err.error_code}") from None
        return _text(result.get("NewExternalIPAddress"))

    async def _external_ip(self) -> IPv4Address | None:
        text = await self.external_ip_text()
        # Stock miniupnpd answers "" (and events 0.0.0.0) for a reserved WAN address.
        if text in ("", "0.0.0.0"):  # noqa: S104 - an answer, not a bind address
            return None
        address = parse_ipv4(text)
        if address is None:
            raise DoctorResponseError("router GetExternalIPAddress: not an IPv4 address")
        return address

    async def _connection_status(self, service: UpnpService) -> str | None:
        if "GetStatusInfo" not in service.actions:
            return None
        try:
            result = await self._call(service, "GetStatusInfo")
        except (UpnpActionResponseError, DoctorResponseError) as err:
            _LOGGER.debug("Router %s: GetStatusInfo failed: %s", self.description_url, err)
            return None
        return _text(result.get("NewConnectionStatus")) or None

    async def _port_mappings(self, service: UpnpService) -> tuple[PortMapping, ...] | None:
        """The table, or None when it cannot be read whole (a partial table proves nothing)."""
        try:
            if "GetListOfPortMappings" in service.actions:
                listed = await self._list_port_mappings(service)
                if listed is not None:
                    return listed
            if "GetGenericPortMappingEntry" in service.actions:
                return await self._walk_port_mappings(service)
        except DoctorResponseError as err:
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
        return parse_port_listing(_text(result.get("NewPortListing")))

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
                    if answer.error_code in _END_OF_TABLE or (
                        index > 0 and answer.error_code != _NOT_AUTHORIZED
                    ):
                        return tuple(mappings)
                    _LOGGER.debug(
                        "Router %s: table refused (UPnP error %s)", self.description_url, answer.error_code
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


async def describe(
    description_url: str, session: aiohttp.ClientSession, *, timeout: float = DEFAULT_TIMEOUT
) -> RouterInfo:
    """Who is at this description URL; DoctorResponseError when it is no IGD."""
    return await Router(description_url, session, timeout=timeout).info()
