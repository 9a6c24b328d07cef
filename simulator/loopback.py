"""Run an aiohttp app on 127.0.0.1, stop it, and bring it back on the same port."""

from __future__ import annotations

import ssl
from typing import Any

from aiohttp import web


class LoopbackServer:
    """An aiohttp application served on 127.0.0.1."""

    def __init__(
        self,
        app: web.Application,
        port: int = 0,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self._runner: web.AppRunner | None = None
        # What the server answered, for benchmarks: requests and body bytes.
        self.requests = 0
        self.bytes_sent = 0
        app.middlewares.insert(0, self._count)

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        self.requests += 1
        if isinstance(response, web.Response) and response.body is not None:
            self.bytes_sent += len(response.body)  # type: ignore[arg-type]
        return response

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> LoopbackServer:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True, ssl_context=self.ssl_context)
        await site.start()
        if self.port == 0:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._runner = runner
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
