"""A Plex Media Server as far as the doctor can see it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

from aiohttp import web

from .loopback import LoopbackServer
from .plex_logs import PlexLog

TOKEN = "fake-plex-token-9f8e7d6c"  # noqa: S105 - the fakes' token, asserted absent from logs


@dataclass
class PlexState:
    """What the fake server answers; a test or the demo edits it."""

    machine_identifier: str = "0123456789abcdef0123456789abcdef"
    friendly_name: str = "Living Room Plex"
    version: str = "1.41.3.9314-a0bfb8370"
    token: str = TOKEN
    account: dict[str, Any] = field(default_factory=dict)
    prefs: dict[str, Any] = field(default_factory=dict)
    # "json" answers JSON when asked (as Plex does), "xml" always XML.
    body_format: str = "json"
    # An HTTP status to answer every request with instead (e.g. 500, 503).
    fail_status: int | None = None
    # Seconds to wait before answering (timeouts).
    delay: float = 0.0
    # Answer these paths with this text verbatim (malformed bodies).
    raw_bodies: dict[str, str] = field(default_factory=dict)
    # Plex Media Server.log and what GET /diagnostics/logs serves (a real, huge or malformed zip).
    log: PlexLog = field(default_factory=PlexLog)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refresh_reachability_calls: int = 0
    # Close each notification websocket this many seconds after accepting it (0: at
    # once, as a proxy without websocket support or a server shutting down does).
    websocket_close_after: float | None = None
    # Streams playing now: dicts of remote_stream()'s shape.
    sessions: list[dict[str, Any]] = field(default_factory=list)
    # The root document's myPlexSubscription (None: an older server that leaves it out).
    root_plex_pass: bool | None = True
    # The server's global IPv6 address, when it has one (plex.tv then lists it).
    ipv6_address: str | None = None


def remote_stream(
    address: str = "198.51.100.23", *, relayed: bool = False, local: bool = False
) -> dict[str, Any]:
    """One stream as /status/sessions shows its player: a phone on 4G by default."""
    return {"address": address, "local": local, "relayed": relayed, "state": "playing"}


def healthy_account(
    lan_ip: str = "192.168.1.20", public_ip: str = "203.0.113.2", port: int = 41234
) -> dict[str, Any]:
    return {
        "authToken": TOKEN,
        "username": "owner@example.com",
        "mappingState": "mapped",
        "mappingError": "",
        "mappingErrorMessage": "",
        "signInState": "ok",
        "publicAddress": public_ip,
        "publicPort": port,
        "privateAddress": lan_ip,
        "privatePort": 32400,
        "subscriptionActive": "1",
        "subscriptionState": "Active",
    }


def default_prefs() -> dict[str, Any]:
    return {
        "PublishServerOnPlexOnlineKey": True,
        "ManualPortMappingMode": False,
        "ManualPortMappingPort": 32400,
        "LastAutomaticMappedPort": 41234,
        "RelayEnabled": True,
        "EnableIPv6": False,
        "customConnections": "",
        "FriendlyName": "Living Room Plex",
    }


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class FakePlexServer:
    """Serves /identity, /, /myplex/account, /:/prefs, the two PUTs and the log bundle."""

    def __init__(self, state: PlexState | None = None, port: int = 0) -> None:
        self.state = state or PlexState(account=healthy_account(), prefs=default_prefs())
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/identity", self._identity)
        app.router.add_get("/", self._root)
        app.router.add_get("/myplex/account", self._account)
        app.router.add_get("/:/prefs", self._prefs)
        app.router.add_put("/:/prefs", self._set_prefs)
        app.router.add_put("/myplex/refreshReachability", self._refresh)
        app.router.add_get("/diagnostics/logs", self._log_bundle)
        app.router.add_get("/:/websockets/notifications", self._notifications)
        app.router.add_get("/status/sessions", self._sessions)
        self.websockets: set[web.WebSocketResponse] = set()
        self.websocket_connections = 0  # accepted, ever
        self.server = LoopbackServer(app, port)

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> FakePlexServer:
        await self.server.start()
        return self

    async def stop(self) -> None:
        await self.close_websockets()
        await self.server.stop()

    async def close_websockets(self) -> None:
        """End every notification connection cleanly, as a restarting server does."""
        for websocket in list(self.websockets):
            await websocket.close()

    async def notify(self, kind: str = "reachability", **payload: Any) -> int:
        """Send one notification to every listener; return how many got it."""
        body = {"NotificationContainer": {"type": kind, "size": 1, **payload}}
        if kind == "reachability" and not payload:
            body["NotificationContainer"]["ReachabilityNotification"] = [{"reachability": True}]
        for websocket in list(self.websockets):
            await websocket.send_json(body)
        return len(self.websockets)

    async def _notifications(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        self.websocket_connections += 1
        self.websockets.add(websocket)
        try:
            if (close_after := self.state.websocket_close_after) is not None:
                if close_after:
                    await asyncio.sleep(close_after)
                await websocket.close()
            async for _message in websocket:
                pass
        finally:
            self.websockets.discard(websocket)
        return websocket

    async def _log_bundle(self, request: web.Request) -> web.StreamResponse:
        return await self.state.log.serve(request, self.state.account)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.state.requests.append((request.method, request.path))
        if self.state.delay:
            await asyncio.sleep(self.state.delay)
        if self.state.fail_status is not None:
            return web.Response(status=self.state.fail_status, text="failure")
        if request.path != "/identity" and request.headers.get("X-Plex-Token") != self.state.token:
            return web.Response(status=401, text="<html><head><title>Unauthorized</title></head></html>")
        if request.path in self.state.raw_bodies:
            return web.Response(text=self.state.raw_bodies[request.path], content_type="text/xml")
        response: web.StreamResponse = await handler(request)
        return response

    def _wants_json(self, request: web.Request) -> bool:
        return self.state.body_format == "json" and "json" in request.headers.get("Accept", "")

    def _container(self, request: web.Request, root: str, attributes: dict[str, Any]) -> web.Response:
        if self._wants_json(request):
            return web.json_response({root: attributes})
        attrs = " ".join(f"{name}={quoteattr(_xml_value(value))}" for name, value in attributes.items())
        return web.Response(
            text=f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} {attrs}>\n</{root}>\n',
            content_type="text/xml",
        )

    async def _identity(self, request: web.Request) -> web.Response:
        s = self.state
        return self._container(
            request,
            "MediaContainer",
            {"size": 0, "claimed": True, "machineIdentifier": s.machine_identifier, "version": s.version},
        )

    async def _root(self, request: web.Request) -> web.Response:
        s = self.state
        return self._container(
            request,
            "MediaContainer",
            {
                "size": 0,
                "friendlyName": s.friendly_name,
                "machineIdentifier": s.machine_identifier,
                "version": s.version,
                "myPlexMappingState": s.account.get("mappingState", "unknown"),
            }
            | ({} if s.root_plex_pass is None else {"myPlexSubscription": s.root_plex_pass}),
        )

    async def _account(self, request: web.Request) -> web.Response:
        return self._container(request, "MyPlex", self.state.account)

    async def _prefs(self, request: web.Request) -> web.Response:
        settings = [{"id": name, "value": value} for name, value in self.state.prefs.items()]
        if self._wants_json(request):
            return web.json_response({"MediaContainer": {"size": len(settings), "Setting": settings}})
        rows = "".join(
            f"<Setting id={quoteattr(s['id'])} value={quoteattr(_xml_value(s['value']))}/>" for s in settings
        )
        return web.Response(
            text=f'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="{len(settings)}">{rows}</MediaContainer>',
            content_type="text/xml",
        )

    async def _sessions(self, request: web.Request) -> web.Response:
        streams = self.state.sessions
        items: list[dict[str, Any]] = [
            {
                "type": "movie",
                "title": f"Movie {number}",
                "Player": {
                    "address": stream["address"],
                    "local": stream["local"],
                    "relayed": stream["relayed"],
                    "state": stream["state"],
                },
                "Session": {"id": f"session-{number}", "location": "lan" if stream["local"] else "wan"},
            }
            for number, stream in enumerate(streams)
        ]
        if self._wants_json(request):
            return web.json_response({"MediaContainer": {"size": len(items), "Metadata": items}})
        videos = "".join(
            f'<Video type="movie" title={quoteattr(item["title"])}>'
            + "<Player "
            + " ".join(f"{name}={quoteattr(_xml_value(value))}" for name, value in item["Player"].items())
            + "/>"
            + "<Session "
            + " ".join(f"{name}={quoteattr(str(value))}" for name, value in item["Session"].items())
            + "/></Video>"
            for item in items
        )
        return web.Response(
            text=f'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="{len(items)}">{videos}</MediaContainer>',
            content_type="text/xml",
        )

    async def _set_prefs(self, request: web.Request) -> web.Response:
        before = dict(self.state.prefs)
        for name, value in request.query.items():
            current = self.state.prefs.get(name)
            self.state.prefs[name] = value in ("1", "true") if isinstance(current, bool) else value
        self.state.log.prefs_changed(before, self.state.prefs, self.state.account)
        return web.Response(status=200)

    async def _refresh(self, request: web.Request) -> web.Response:
        self.state.refresh_reachability_calls += 1
        self.state.log.reachability_requested(self.state.account, self.state.refresh_reachability_calls)
        return web.Response(status=200)
