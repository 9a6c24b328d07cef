"""Plex's notification websocket: hear about reachability and playback as they happen.

Plex sends ``{"NotificationContainer": {"type": "reachability", ...}}`` on
``/:/websockets/notifications`` when its view of remote access changes, and ``playing``
notifications (``PlaySessionStateNotification``) every few seconds for every stream. Only
a stream that starts or ends calls back: the streams counted are what changed, not the
progress of each. The listener reconnects with backoff forever; polling stays the safety
net while it is down.

Only a connection that lasted (``STABLE_SECONDS``) resets the backoff: a server or a
proxy that accepts and closes at once ends every connection cleanly, and counting only
errors would reconnect every second forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import json
import logging
from typing import Any

import aiohttp
from yarl import URL

from .plex import plex_headers

_LOGGER = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/:/websockets/notifications"
REACHABILITY = "reachability"
PLAYING = "playing"
# Play states that end a stream; any other (playing, paused, buffering) keeps it alive.
_ENDED = "stopped"
BACKOFF_SECONDS: Sequence[float] = (1, 2, 5, 10, 30, 60)
STABLE_SECONDS = 60.0
_MAX_MESSAGE_BYTES = 256 * 1024
_HEARTBEAT_SECONDS = 30


def _container(message: str) -> dict[str, Any] | None:
    try:
        document = json.loads(message)
    except ValueError, RecursionError:
        return None
    container = document.get("NotificationContainer") if isinstance(document, dict) else None
    return container if isinstance(container, dict) else None


def notification_type(message: str) -> str | None:
    """The ``type`` of one notification, or None for anything else."""
    container = _container(message)
    kind = container.get("type") if container is not None else None
    return kind if isinstance(kind, str) else None


def play_states(message: str) -> dict[str, str]:
    """``sessionKey`` to ``state`` of each stream in a ``playing`` notification."""
    container = _container(message)
    items = container.get("PlaySessionStateNotification") if container is not None else None
    if not isinstance(items, list):
        return {}
    return {
        str(item["sessionKey"]): item["state"]
        for item in items
        if isinstance(item, dict) and "sessionKey" in item and isinstance(item.get("state"), str)
    }


def websocket_url(server_url: str) -> URL:
    """The notification endpoint on the server's own scheme (ws or wss)."""
    url = URL(server_url)
    return url.with_scheme("wss" if url.scheme == "https" else "ws").with_path(NOTIFICATIONS_PATH)


class PlexNotifications:
    """Listens for reachability notifications and calls back on each."""

    def __init__(
        self,
        server_url: str,
        token: str,
        session: aiohttp.ClientSession,
        on_reachability: Callable[[], None],
        on_streams: Callable[[], None] | None = None,
        *,
        verify_ssl: bool = True,
        backoff: Sequence[float] = BACKOFF_SECONDS,
    ) -> None:
        """Remember where to listen; ``run`` does the listening."""
        self._url = websocket_url(server_url)
        self._token = token
        self._session = session
        self._on_reachability = on_reachability
        self._on_streams = on_streams
        # Streams known to play, by sessionKey: a callback only when one starts or ends.
        self._streams: set[str] = set()
        self._verify_ssl = verify_ssl
        self._backoff = backoff
        self.connected = asyncio.Event()

    def __repr__(self) -> str:
        """Show the endpoint, never the token."""
        return f"PlexNotifications({str(self._url)!r})"

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with backoff."""
        failures = 0
        while True:
            if await self._connection() >= STABLE_SECONDS:
                failures = 0  # it worked for a while: whatever ended it, start over quickly
            delay = self._backoff[min(failures, len(self._backoff) - 1)]
            failures += 1
            await asyncio.sleep(delay)

    async def _connection(self) -> float:
        """Connect and listen until the connection ends; return how long it was open."""
        loop = asyncio.get_running_loop()
        opened: float | None = None
        try:
            async with self._session.ws_connect(
                self._url,
                headers=plex_headers(self._token),
                heartbeat=_HEARTBEAT_SECONDS,
                max_msg_size=_MAX_MESSAGE_BYTES,
                ssl=self._verify_ssl,
            ) as websocket:
                opened = loop.time()
                self.connected.set()
                _LOGGER.debug("Listening to Plex notifications at %s", self._url)
                async for message in websocket:
                    if message.type is aiohttp.WSMsgType.TEXT:
                        self._heard(message.data)
                    elif message.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                        break
        except aiohttp.WSServerHandshakeError as err:
            _LOGGER.debug("Plex notifications at %s refused: HTTP %s", self._url, err.status)
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            _LOGGER.debug("Plex notifications at %s lost: %s", self._url, type(err).__name__)
        finally:
            self.connected.clear()
        return 0.0 if opened is None else loop.time() - opened

    def _heard(self, message: str) -> None:
        kind = notification_type(message)
        if kind == REACHABILITY:
            self._on_reachability()
        elif kind == PLAYING and self._on_streams is not None:
            streams = set(self._streams)
            for key, state in play_states(message).items():
                if state == _ENDED:
                    streams.discard(key)
                else:
                    streams.add(key)
            if streams != self._streams:
                self._streams = streams
                self._on_streams()
