"""The Plex Media Server's own view: identity, remote-access account state, settings.

The token travels only in the ``X-Plex-Token`` header, never in a URL, so that no
log line, exception or proxy log can carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

import aiohttp

from .errors import DoctorResponseError
from .evidence import (
    MappingState,
    PlexAccount,
    PlexIdentity,
    PlexPrefs,
    PlexSession,
    PlexStreams,
    SignInState,
)
from .http import DEFAULT_TIMEOUT, request
from .network import parse_ipv4
from .payload import Document, as_bool, as_port, as_text, decode, local_name

CLIENT_IDENTIFIER = "plex-remote-doctor"
PRODUCT = "Plex Remote Doctor"

# Settings (ids of /:/prefs) that the diagnosis reads and the fix flows may write.
PREF_PUBLISH_SERVER = "PublishServerOnPlexOnlineKey"
PREF_MANUAL_PORT_MAPPING_MODE = "ManualPortMappingMode"
PREF_MANUAL_PORT_MAPPING_PORT = "ManualPortMappingPort"
PREF_LAST_AUTOMATIC_MAPPED_PORT = "LastAutomaticMappedPort"
PREF_RELAY_ENABLED = "RelayEnabled"
PREF_CUSTOM_CONNECTIONS = "customConnections"
PREF_ENABLE_IPV6 = "EnableIPv6"


def client_headers() -> dict[str, str]:
    """Who is asking, without a token: for URLs the token must never reach."""
    return {
        "Accept": "application/json",
        "X-Plex-Client-Identifier": CLIENT_IDENTIFIER,
        "X-Plex-Product": PRODUCT,
    }


def plex_headers(token: str) -> dict[str, str]:
    """Headers Plex expects from a client; JSON is asked for, XML still accepted."""
    return {**client_headers(), "X-Plex-Token": token}


def _attributes(document: Document, json_key: str, xml_tag: str, what: str) -> Mapping[str, Any]:
    """The attribute map of a Plex element in either of its two spellings."""
    if isinstance(document, Element):
        if local_name(document) != xml_tag:
            raise DoctorResponseError(f"{what}: expected <{xml_tag}>")
        return document.attrib
    if isinstance(document, dict):
        attributes = document.get(json_key)
        if isinstance(attributes, dict):
            return attributes
    raise DoctorResponseError(f"{what}: expected a {json_key} object")


def parse_identity(body: bytes) -> PlexIdentity:
    """``GET /identity`` (also accepts the root ``/`` document)."""
    attributes = _attributes(decode(body, "identity"), "MediaContainer", "MediaContainer", "identity")
    machine_identifier = as_text(attributes.get("machineIdentifier"))
    if machine_identifier is None:
        raise DoctorResponseError("identity: no machineIdentifier")
    return PlexIdentity(
        machine_identifier=machine_identifier,
        version=as_text(attributes.get("version")),
        claimed=as_bool(attributes.get("claimed")),
        friendly_name=as_text(attributes.get("friendlyName")),
        plex_pass=as_bool(attributes.get("myPlexSubscription")),
    )


def _enum_or_none[E: (MappingState, SignInState)](kind: type[E], value: object) -> E | None:
    text = as_text(value)
    if text is None:
        return None
    try:
        return kind(text.lower())
    except ValueError:
        return None


def parse_account(body: bytes) -> PlexAccount:
    """``GET /myplex/account``: Plex's remote-access state."""
    attributes = _attributes(decode(body, "account"), "MyPlex", "MyPlex", "account")
    sign_in_state = _enum_or_none(SignInState, attributes.get("signInState"))
    return PlexAccount(
        sign_in_state=sign_in_state,
        # Plex's own "unknown" (and anything new) is not a state we can act on.
        mapping_state=_enum_or_none(MappingState, attributes.get("mappingState")),
        mapping_error=_lower_text(attributes.get("mappingError")),
        mapping_error_message=as_text(attributes.get("mappingErrorMessage")),
        public_address=parse_ipv4(attributes.get("publicAddress")),
        public_port=as_port(attributes.get("publicPort")),
        private_address=parse_ipv4(attributes.get("privateAddress")),
        private_port=as_port(attributes.get("privatePort")),
        username=as_text(attributes.get("username")),
        subscription_active=as_bool(attributes.get("subscriptionActive")),
        subscription_state=as_text(attributes.get("subscriptionState")),
    )


def _lower_text(value: object) -> str | None:
    text = as_text(value)
    return text.lower() if text is not None else None


def _settings(document: Document) -> dict[str, object]:
    if isinstance(document, Element):
        if local_name(document) != "MediaContainer":
            raise DoctorResponseError("prefs: expected <MediaContainer>")
        return {
            setting.attrib["id"]: setting.attrib.get("value")
            for setting in document
            if local_name(setting) == "Setting" and "id" in setting.attrib
        }
    container = document.get("MediaContainer") if isinstance(document, dict) else None
    settings = container.get("Setting") if isinstance(container, dict) else None
    if not isinstance(settings, list):
        raise DoctorResponseError("prefs: expected MediaContainer.Setting")
    return {
        setting["id"]: setting.get("value")
        for setting in settings
        if isinstance(setting, dict) and isinstance(setting.get("id"), str)
    }


def parse_prefs(body: bytes) -> PlexPrefs:
    """``GET /:/prefs``: the remote-access settings."""
    settings = _settings(decode(body, "prefs"))
    if not settings:
        raise DoctorResponseError("prefs: no settings")
    custom = as_text(settings.get(PREF_CUSTOM_CONNECTIONS)) or ""
    return PlexPrefs(
        publish_server=as_bool(settings.get(PREF_PUBLISH_SERVER)),
        manual_port_mapping=as_bool(settings.get(PREF_MANUAL_PORT_MAPPING_MODE)),
        manual_port=as_port(settings.get(PREF_MANUAL_PORT_MAPPING_PORT)),
        last_automatic_mapped_port=as_port(settings.get(PREF_LAST_AUTOMATIC_MAPPED_PORT)),
        relay_enabled=as_bool(settings.get(PREF_RELAY_ENABLED)),
        ipv6_enabled=as_bool(settings.get(PREF_ENABLE_IPV6)),
        custom_connections=tuple(url.strip() for url in custom.split(",") if url.strip()),
    )


def _session(player: Mapping[str, Any], session: Mapping[str, Any]) -> PlexSession:
    location = as_text(session.get("location"))
    return PlexSession(
        player_address=as_text(player.get("address")),
        local=as_bool(player.get("local")),
        relayed=as_bool(player.get("relayed")),
        state=as_text(player.get("state")),
        location=location.lower() if location else None,
    )


def _xml_sessions(container: Element) -> list[PlexSession]:
    """``<MediaContainer><Video|Track|Photo><Player/><Session/>``: one item per stream."""
    sessions = []
    for item in container:
        children = {local_name(child): child.attrib for child in item}
        if "Player" in children:
            sessions.append(_session(children["Player"], children.get("Session", {})))
    return sessions


def parse_sessions(body: bytes) -> PlexStreams:
    """``GET /status/sessions``: what plays now, and to which players."""
    document = decode(body, "sessions")
    if isinstance(document, Element):
        if local_name(document) != "MediaContainer":
            raise DoctorResponseError("sessions: expected <MediaContainer>")
        return PlexStreams(sessions=tuple(_xml_sessions(document)))
    container = document.get("MediaContainer") if isinstance(document, dict) else None
    if not isinstance(container, dict):
        raise DoctorResponseError("sessions: expected a MediaContainer object")
    items = container.get("Metadata") or []
    if not isinstance(items, list):
        raise DoctorResponseError("sessions: Metadata is not a list")
    sessions = []
    for item in items:
        player = item.get("Player") if isinstance(item, dict) else None
        if isinstance(player, dict):
            session = item.get("Session")
            sessions.append(_session(player, session if isinstance(session, dict) else {}))
    return PlexStreams(sessions=tuple(sessions))


class PlexServer:
    """A Plex Media Server on the LAN, read with its owner's token."""

    def __init__(
        self,
        url: str,
        token: str,
        session: aiohttp.ClientSession,
        *,
        verify_ssl: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Remember where the server is; nothing is sent yet."""
        self.url = url.rstrip("/")
        self._token = token
        self._session = session
        self._verify_ssl = verify_ssl
        self._timeout = timeout

    def __repr__(self) -> str:
        """Show the URL, never the token."""
        return f"PlexServer({self.url!r})"

    async def _request(
        self, method: str, path: str, what: str, params: Mapping[str, str] | None = None
    ) -> bytes:
        return await request(
            self._session,
            method,
            f"{self.url}{path}",
            what=f"Plex server {what}",
            headers=plex_headers(self._token),
            params=params,
            verify_ssl=self._verify_ssl,
            timeout=self._timeout,
        )

    async def identity(self) -> PlexIdentity:
        """Who the server is; needs no token but proves the URL."""
        return parse_identity(await self._request("GET", "/identity", "identity"))

    async def server_info(self) -> PlexIdentity:
        """Identity and friendly name from the root document; proves the token."""
        return parse_identity(await self._request("GET", "/", "root"))

    async def account(self) -> PlexAccount:
        """Remote-access state; a refused token raises DoctorAuthenticationError."""
        return parse_account(await self._request("GET", "/myplex/account", "account"))

    async def prefs(self) -> PlexPrefs:
        """The remote-access settings."""
        return parse_prefs(await self._request("GET", "/:/prefs", "prefs"))

    async def sessions(self) -> PlexStreams:
        """The streams playing now."""
        return parse_sessions(await self._request("GET", "/status/sessions", "sessions"))

    async def refresh_reachability(self) -> None:
        """Ask plex.tv to test reachability again (expensive: only on a user's action)."""
        await self._request("PUT", "/myplex/refreshReachability", "refreshReachability")

    async def set_prefs(self, values: Mapping[str, str | int | bool]) -> None:
        """Change settings (``PUT /:/prefs?Name=value``); booleans as Plex writes them."""
        params = {
            name: ("1" if value else "0") if isinstance(value, bool) else str(value)
            for name, value in values.items()
        }
        await self._request("PUT", "/:/prefs", "prefs update", params)
