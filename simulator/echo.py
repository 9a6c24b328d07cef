"""A public-IP echo (plain text) and a plex.tv stand-in (resources, user, sign-in PINs)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .loopback import LoopbackServer
from .plex_server import TOKEN


@dataclass
class EchoState:
    """What the public-IP service answers."""

    answer: str = "203.0.113.2"
    status: int = 200
    calls: int = 0


class FakePublicIpEcho:
    """Answers the caller's 'public IP' as plain text."""

    def __init__(self, state: EchoState | None = None, port: int = 0) -> None:
        self.state = state or EchoState()
        app = web.Application()
        app.router.add_get("/", self._answer)
        self.server = LoopbackServer(app, port)

    @property
    def url(self) -> str:
        return f"{self.server.url}/"

    async def start(self) -> FakePublicIpEcho:
        await self.server.start()
        return self

    async def stop(self) -> None:
        await self.server.stop()

    async def _answer(self, request: web.Request) -> web.Response:
        self.state.calls += 1
        return web.Response(text=self.state.answer + "\n", status=self.state.status)


@dataclass
class PlexTvState:
    """The account's resources as plex.tv lists them."""

    token: str = TOKEN
    resources: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    calls: int = 0
    # Sign-in: the token a PIN carries once "linked" on app.plex.tv (None = not yet).
    pin_token: str | None = None
    pin_checks: int = 0
    # Seconds plex.tv takes to create a PIN (a flow closed meanwhile).
    pin_delay: float = 0.0
    # The account's Plex Pass as /api/v2/user says it (None: no subscription object).
    plex_pass: bool | None = True
    user_calls: int = 0
    # The server's remote connections as plex.tv publishes them, asked at each request
    # (FakeNetwork derives them from the fake server's current account).
    published: Callable[[], list[dict[str, Any]]] | None = None


def server_resource(
    machine_identifier: str, *, presence: bool = True, public_address: str = "203.0.113.2"
) -> dict[str, Any]:
    return {
        "name": "Living Room Plex",
        "product": "Plex Media Server",
        "clientIdentifier": machine_identifier,
        "provides": "server",
        "owned": True,
        "presence": presence,
        "publicAddress": public_address,
        "publicAddressMatches": True,
        "relay": True,
        "connections": [
            {
                "protocol": "https",
                "address": "192.168.1.20",
                "port": 32400,
                "uri": "https://192-168-1-20.abc.plex.direct:32400",
                "local": True,
                "relay": False,
            }
        ],
    }


class FakePlexTv:
    """Serves /api/v2/resources with the owner's token."""

    def __init__(self, state: PlexTvState | None = None, port: int = 0) -> None:
        self.state = state or PlexTvState()
        app = web.Application()
        app.router.add_get("/api/v2/resources", self._resources)
        app.router.add_get("/api/v2/user", self._user)
        app.router.add_post("/api/v2/pins", self._new_pin)
        app.router.add_get("/api/v2/pins/{pin_id}", self._check_pin)
        self.server = LoopbackServer(app, port)

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> FakePlexTv:
        await self.server.start()
        return self

    async def stop(self) -> None:
        await self.server.stop()

    async def _resources(self, request: web.Request) -> web.Response:
        self.state.calls += 1
        if self.state.status != 200:
            return web.Response(status=self.state.status)
        if request.headers.get("X-Plex-Token") != self.state.token:
            return web.Response(status=401)
        resources = self.state.resources
        if self.state.published is not None:
            # As plex.tv does: IPv6 connections only for callers that ask for them.
            with_ipv6 = request.query.get("includeIPv6") == "1"
            published = [c for c in self.state.published() if with_ipv6 or not c.get("IPv6")]
            resources = [
                {**resource, "connections": [*resource.get("connections", []), *published]}
                if resource.get("provides") == "server"
                else resource
                for resource in resources
            ]
        return web.json_response(resources)

    async def _user(self, request: web.Request) -> web.Response:
        self.state.user_calls += 1
        if self.state.status != 200:
            return web.Response(status=self.state.status)
        if request.headers.get("X-Plex-Token") != self.state.token:
            return web.Response(status=401)
        subscription = (
            {}
            if self.state.plex_pass is None
            else {
                "subscription": {
                    "active": self.state.plex_pass,
                    "status": "Active" if self.state.plex_pass else "Inactive",
                }
            }
        )
        return web.json_response({"id": 1, "username": "owner", **subscription})

    async def _new_pin(self, request: web.Request) -> web.Response:
        if not request.headers.get("X-Plex-Client-Identifier"):
            return web.Response(status=400)
        await asyncio.sleep(self.state.pin_delay)
        return web.json_response({"id": 4242, "code": "TESTCODE", "authToken": None})

    async def _check_pin(self, request: web.Request) -> web.Response:
        self.state.pin_checks += 1
        if request.match_info["pin_id"] != "4242":
            return web.Response(status=404)
        return web.json_response({"id": 4242, "code": "TESTCODE", "authToken": self.state.pin_token})
