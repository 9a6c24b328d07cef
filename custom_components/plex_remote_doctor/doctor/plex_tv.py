"""plex.tv's view of the server: listed, present, relayed. It only enriches.

plex.tv answers the account's resources in three forms that all occur in the wild:
the v2 JSON list, the v2 XML ``<resources><resource><connections><connection>``, and
the legacy ``<MediaContainer><Device><Connection>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
import logging
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import aiohttp
from yarl import URL

from .custom_urls import CUSTOM_URL_TIMEOUT, check_custom_url
from .errors import DoctorResponseError
from .evidence import CustomUrlResult, PlexTvConnection, PlexTvResource, PlexTvView
from .http import DEFAULT_TIMEOUT, request
from .network import parse_ipv4
from .payload import as_bool, as_port, as_text, decode, local_name
from .plex import CLIENT_IDENTIFIER, PRODUCT, plex_headers

DEFAULT_PLEX_TV_URL = "https://plex.tv"
RESOURCES_PATH = "/api/v2/resources"
USER_PATH = "/api/v2/user"
PINS_PATH = "/api/v2/pins"
PLEX_AUTH_URL = "https://app.plex.tv/auth#?"

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexPin:
    """A sign-in PIN: the user links it on app.plex.tv, then it carries a token."""

    id: int
    code: str
    auth_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexTvServer:
    """A server the account owns, as sign-in offers it."""

    name: str
    machine_identifier: str
    access_token: str | None = field(repr=False)
    connections: tuple[PlexTvConnection, ...]

    def candidate_urls(self) -> tuple[str, ...]:
        """Where Home Assistant may reach the server, best first; never through the relay.

        Each LAN connection as plex.tv lists it (a plex.direct https name), then the same
        connection's plain ``http://address:port``: routers and resolvers with DNS-rebind
        protection (Fritz!Box, Pi-hole, Unbound) refuse to resolve a plex.direct name to a
        LAN address. Then the direct remote connections, which work where the router
        hairpins; only https ones, since the token follows the URL chosen and must not
        cross the internet in clear.
        """
        found: list[str] = []
        for connection in self.connections:
            if connection.local and not connection.relay:
                found.append(connection.uri)
                if (plain := _plain_url(connection)) is not None:
                    found.append(plain)
        found += (
            connection.uri
            for connection in self.connections
            if not connection.local and not connection.relay and connection.uri.startswith("https://")
        )
        return tuple(dict.fromkeys(url.rstrip("/") for url in found))


def _plain_url(connection: PlexTvConnection) -> str | None:
    """``http://address:port`` of a connection whose address is an IP literal (no name to resolve)."""
    try:
        ip_address(connection.address)
    except ValueError:
        return None
    if connection.port is None:
        return None
    return str(URL.build(scheme="http", host=connection.address, port=connection.port))


async def find_server_url(
    session: aiohttp.ClientSession, server: PlexTvServer, *, timeout: float = CUSTOM_URL_TIMEOUT
) -> str | None:
    """The first of the server's candidate URLs whose ``/identity`` is this server, tried in turn.

    ``/identity`` needs no token: the token goes only to the URL that proved to be the
    server. Any failure (a name that does not resolve, a refused connection, another
    server, a certificate problem) moves on to the next URL.
    """
    for url in server.candidate_urls():
        check = await check_custom_url(session, url, server.machine_identifier, timeout=timeout)
        if check.result is CustomUrlResult.ANSWERS:
            return url
        _LOGGER.debug("Sign-in: %s does not lead to the server (%s %s)", url, check.result, check.detail)
    return None


def parse_pin(body: bytes) -> PlexPin:
    """``POST /api/v2/pins`` and ``GET /api/v2/pins/{id}`` (JSON)."""
    document = decode(body, "plex.tv pin")
    if not isinstance(document, dict):
        raise DoctorResponseError("plex.tv pin: expected an object")
    pin_id, code = document.get("id"), as_text(document.get("code"))
    if not isinstance(pin_id, int) or isinstance(pin_id, bool) or code is None:
        raise DoctorResponseError("plex.tv pin: no id or code")
    return PlexPin(id=pin_id, code=code, auth_token=as_text(document.get("authToken")))


def sign_in_url(pin: PlexPin) -> str:
    """Where the user links the PIN to their account."""
    return PLEX_AUTH_URL + urlencode(
        {"clientID": CLIENT_IDENTIFIER, "code": pin.code, "context[device][product]": PRODUCT}
    )


def _servers(document: object) -> list[PlexTvServer]:
    servers = []
    items = document if isinstance(document, list) else []
    for item in items:
        if not isinstance(item, dict) or "server" not in str(item.get("provides", "")).split(","):
            continue
        resource = _resource(item, [c for c in item.get("connections") or [] if isinstance(c, dict)])
        if resource is None or as_bool(item.get("owned")) is False:
            continue
        servers.append(
            PlexTvServer(
                name=resource.name or resource.client_identifier,
                machine_identifier=resource.client_identifier,
                access_token=as_text(item.get("accessToken")),
                connections=resource.connections,
            )
        )
    return servers


def _connection(attributes: Mapping[str, Any]) -> PlexTvConnection | None:
    uri = as_text(attributes.get("uri"))
    if uri is None:
        return None
    address = as_text(attributes.get("address")) or ""
    return PlexTvConnection(
        uri=uri,
        address=address,
        port=as_port(attributes.get("port")),
        local=as_bool(attributes.get("local")) is True,
        relay=as_bool(attributes.get("relay")) is True,
        ipv6=as_bool(attributes.get("IPv6")) is True or ":" in address,
    )


def _resource(
    attributes: Mapping[str, Any], connections: Iterable[Mapping[str, Any]]
) -> PlexTvResource | None:
    client_identifier = as_text(attributes.get("clientIdentifier"))
    if client_identifier is None:
        return None
    parsed = (_connection(connection) for connection in connections)
    return PlexTvResource(
        client_identifier=client_identifier,
        name=as_text(attributes.get("name")),
        presence=as_bool(attributes.get("presence")),
        public_address=parse_ipv4(attributes.get("publicAddress")),
        public_address_matches=as_bool(attributes.get("publicAddressMatches")),
        relay=as_bool(attributes.get("relay")),
        connections=tuple(connection for connection in parsed if connection is not None),
    )


def _xml_connections(element: Element) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for child in element:
        name = local_name(child)
        if name in {"Connection", "connection"}:
            found.append(child.attrib)
        elif name == "connections":
            found.extend(c.attrib for c in child if local_name(c) == "connection")
    return found


def parse_resources(body: bytes) -> tuple[PlexTvResource, ...]:
    """Every resource of the account, in any of plex.tv's three forms."""
    document = decode(body, "plex.tv resources")
    resources: list[PlexTvResource | None] = []
    if isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                connections = item.get("connections")
                resources.append(
                    _resource(
                        item,
                        [c for c in connections if isinstance(c, dict)]
                        if isinstance(connections, list)
                        else [],
                    )
                )
    elif isinstance(document, Element) and local_name(document) in ("resources", "MediaContainer"):
        for child in document:
            if local_name(child) in ("resource", "Device"):
                resources.append(_resource(child.attrib, _xml_connections(child)))
    else:
        raise DoctorResponseError("plex.tv resources: expected a list of resources")
    return tuple(resource for resource in resources if resource is not None)


def parse_user_plex_pass(body: bytes) -> bool | None:
    """``GET /api/v2/user``: whether the account's subscription (Plex Pass) is active."""
    document = decode(body, "plex.tv user")
    if not isinstance(document, dict):
        raise DoctorResponseError("plex.tv user: expected an object")
    subscription = document.get("subscription")
    if not isinstance(subscription, dict):
        return None
    active = as_bool(subscription.get("active"))
    if active is not None:
        return active
    status = as_text(subscription.get("status"))
    return None if status is None else status.lower() == "active"


def find_server(resources: Iterable[PlexTvResource], machine_identifier: str) -> PlexTvView:
    """plex.tv's view of one server: its resource, or None when it is not listed."""
    for resource in resources:
        if resource.client_identifier == machine_identifier:
            return PlexTvView(resource=resource)
    return PlexTvView(resource=None)


class PlexTv:
    """plex.tv, read with the server owner's token."""

    def __init__(
        self,
        token: str,
        session: aiohttp.ClientSession,
        *,
        url: str = DEFAULT_PLEX_TV_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Remember the account; nothing is sent yet."""
        self.url = url.rstrip("/")
        self._token = token
        self._session = session
        self._timeout = timeout

    def __repr__(self) -> str:
        """Show the URL, never the token."""
        return f"PlexTv({self.url!r})"

    async def _resources_body(self) -> bytes:
        return await request(
            self._session,
            "GET",
            f"{self.url}{RESOURCES_PATH}",
            what="plex.tv resources",
            headers=plex_headers(self._token),
            # includeIPv6: the server's IPv6 connections, the way in around CGNAT.
            params={"includeHttps": "1", "includeRelay": "1", "includeIPv6": "1"},
            timeout=self._timeout,
        )

    async def resources(self) -> tuple[PlexTvResource, ...]:
        """The account's resources (servers and players)."""
        return parse_resources(await self._resources_body())

    async def servers(self) -> tuple[PlexTvServer, ...]:
        """Servers the account owns (for sign-in), from the v2 JSON resources."""
        return tuple(_servers(decode(await self._resources_body(), "plex.tv resources")))

    async def plex_pass(self) -> bool | None:
        """Whether the account has an active Plex Pass (None when plex.tv does not say)."""
        body = await request(
            self._session,
            "GET",
            f"{self.url}{USER_PATH}",
            what="plex.tv user",
            headers=plex_headers(self._token),
            timeout=self._timeout,
        )
        return parse_user_plex_pass(body)

    async def server_view(self, machine_identifier: str) -> PlexTvView:
        """plex.tv's view of the server with this ``machineIdentifier``."""
        return find_server(await self.resources(), machine_identifier)


class PlexTvSignIn:
    """The PIN sign-in, before there is any token."""

    def __init__(self, session: aiohttp.ClientSession, *, url: str = DEFAULT_PLEX_TV_URL) -> None:
        """Use this plex.tv."""
        self.url = url.rstrip("/")
        self._session = session
        self._headers = {
            "Accept": "application/json",
            "X-Plex-Client-Identifier": CLIENT_IDENTIFIER,
            "X-Plex-Product": PRODUCT,
        }

    async def create_pin(self) -> PlexPin:
        """A new strong PIN to link on app.plex.tv."""
        body = await request(
            self._session,
            "POST",
            f"{self.url}{PINS_PATH}",
            what="plex.tv pin",
            headers=self._headers,
            params={"strong": "true"},
        )
        return parse_pin(body)

    async def check_pin(self, pin: PlexPin) -> PlexPin:
        """The PIN as it is now; ``auth_token`` is set once the user linked it."""
        body = await request(
            self._session, "GET", f"{self.url}{PINS_PATH}/{pin.id}", what="plex.tv pin", headers=self._headers
        )
        return parse_pin(body)
