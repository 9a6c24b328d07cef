"""A reverse proxy in front of Plex (a ``customConnections`` URL), and the ways the road to it breaks.

``FakeProxy`` forwards every request to an upstream server, as nginx or Caddy do, or
answers by itself (a 502 while the upstream is down, a login page). ``SilentServer``
accepts connections and never answers. ``FakeDns`` is a name server that knows no
name (NXDOMAIN) or cannot answer (SERVFAIL), for resolvers pointed at it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import ssl
import struct

import aiohttp
from aiohttp import web

from .loopback import LoopbackServer

# Headers a proxy sets itself rather than copying them from the client.
_HOP_BY_HOP = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


@dataclass
class ProxyState:
    """Where the proxy forwards to, or what it answers instead."""

    upstream: str | None = None
    # Answer with this status instead of forwarding (502: the upstream is down).
    status: int | None = None
    # Answer this text with 200 instead of forwarding (a login page, a parking page).
    body: str | None = None
    # The headers of every request received, for tests that check what reached the proxy.
    requests: list[dict[str, str]] = field(default_factory=list)


class FakeProxy:
    """A reverse proxy on 127.0.0.1, plain HTTP or HTTPS with the given context."""

    def __init__(
        self, state: ProxyState | None = None, *, ssl_context: ssl.SSLContext | None = None, port: int = 0
    ) -> None:
        self.state = state or ProxyState()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = LoopbackServer(app, port, ssl_context=ssl_context)
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> FakeProxy:
        self._session = aiohttp.ClientSession()
        await self.server.start()
        return self

    async def stop(self) -> None:
        await self.server.stop()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.Response:
        self.state.requests.append(dict(request.headers))
        if self.state.status is not None:
            return web.Response(status=self.state.status, text=f"proxy answered {self.state.status}")
        if self.state.body is not None:
            return web.Response(text=self.state.body, content_type="text/html")
        if self.state.upstream is None or self._session is None:
            return web.Response(status=502, text="no upstream")
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method, f"{self.state.upstream}{request.path_qs}", headers=headers
        ) as upstream:
            return web.Response(
                status=upstream.status, body=await upstream.read(), content_type=upstream.content_type
            )


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte (or hangs up at once)."""

    def __init__(self, *, hang_up: bool = False) -> None:
        self.hang_up = hang_up
        self.port = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> SilentServer:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for writer in list(self._connections):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            if not self.hang_up:
                await reader.read()  # until the client gives up
        finally:
            self._connections.discard(writer)
            writer.close()


NXDOMAIN = 3
SERVFAIL = 2


class FakeDns(asyncio.DatagramProtocol):
    """A UDP name server on 127.0.0.1 that answers every query with one error code."""

    def __init__(self, rcode: int = NXDOMAIN) -> None:
        self.rcode = rcode
        self.port = 0
        self.queries = 0
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> FakeDns:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self.port = self._transport.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if len(data) < 12 or self._transport is None:
            return
        self.queries += 1
        # The answer repeats the question (name, type, class); records after it are dropped.
        end = 12
        while end < len(data) and data[end] != 0:
            end += data[end] + 1
        end += 5
        flags = 0x8180 | self.rcode  # a response, recursion desired and available
        self._transport.sendto(data[:2] + struct.pack("!5H", flags, 1, 0, 0, 0) + data[12:end], addr)
