"""plex.tv's view of the server: listed, present, relayed. It only enriches.

plex.tv answers the account's resources in three forms that all occur in the wild:
the v2 JSON list, the v2 XML ``<resources><resource><connections><connection>``, and
the legacy ``<MediaContainer><Device><Connection>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree.ElementTree import Element

import aiohttp

from .errors import DoctorResponseError
from .evidence import PlexTvConnection, PlexTvResource, PlexTvView
from .http import DEFAULT_TIMEOUT, request
from .network import parse_ipv4
from .payload import as_bool, as_port, as_text, decode, local_name
from .plex import plex_headers

DEFAULT_PLEX_TV_URL = "https://plex.tv"
RESOURCES_PATH = "/api/v2/resources"


def _connection(attributes: Mapping[str, Any]) -> PlexTvConnection | None:
    uri = as_text(attributes.get("uri"))
    if uri is None:
        return None
    return PlexTvConnection(
        uri=uri,
        address=as_text(attributes.get("address")) or "",
        port=as_port(attributes.get("port")),
        local=as_bool(attributes.get("local")) is True,
        relay=as_bool(attributes.get("relay")) is True,
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

    async def resources(self) -> tuple[PlexTvResource, ...]:
        """The account's resources (servers and players)."""
        reply = await request(
            self._session,
            "GET",
            f"{self.url}{RESOURCES_PATH}",
            what="plex.tv resources",
            headers=plex_headers(self._token),
            params={"includeHttps": "1", "includeRelay": "1"},
            timeout=self._timeout,
        )
        return parse_resources(reply.body)

    async def server_view(self, machine_identifier: str) -> PlexTvView:
        """plex.tv's view of the server with this ``machineIdentifier``."""
        return find_server(await self.resources(), machine_identifier)
