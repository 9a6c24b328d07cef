"""Fakes that one test starts and stops, and sessions that resolve names on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp.resolver import AsyncResolver

from simulator.proxy import FakeDns, FakeProxy, ProxyState

from .certificates import serving


class Fake(Protocol):
    async def start(self) -> Any: ...
    async def stop(self) -> None: ...


class Fakes:
    """Fakes started by one test, stopped after it in reverse order (the ``fakes`` fixture)."""

    def __init__(self) -> None:
        self.running: list[Fake] = []

    async def start[T: Fake](self, fake: T) -> T:
        await fake.start()
        self.running.append(fake)
        return fake

    async def proxy(self, upstream: str | None = None, **state: Any) -> FakeProxy:
        return await self.start(FakeProxy(ProxyState(upstream=upstream, **state)))

    async def https_proxy(self, upstream: str, certificate: Path) -> FakeProxy:
        return await self.start(FakeProxy(ProxyState(upstream=upstream), ssl_context=serving(certificate)))


def resolving_with(dns: FakeDns, **options: Any) -> aiohttp.ClientSession:
    """A session with aiohttp's own resolver (c-ares) asking only ``dns``: no lookup leaves loopback."""
    resolver = AsyncResolver(nameservers=[dns.nameserver], **options)
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
