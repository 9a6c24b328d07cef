"""Fixtures for the client library: a plain aiohttp session and real loopback fakes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import socket
from typing import Any

import aiohttp
import pytest

from simulator.network import FakeNetwork
from simulator.proxy import FakeDns

from .certificates import refused_handshakes_expected
from .harness import Fakes


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def net(socket_enabled: None) -> AsyncGenerator[FakeNetwork]:
    network = await FakeNetwork().start()
    yield network
    await network.stop()
    assert network.igd.state.writes == []


@pytest.fixture
async def fakes(socket_enabled: None) -> AsyncGenerator[Fakes]:
    """Start fakes for one test; they stop after it. A refused TLS handshake is expected."""
    started = Fakes()
    with refused_handshakes_expected():
        yield started
        for fake in reversed(started.running):
            await fake.stop()


@pytest.fixture
async def dns(socket_enabled: None) -> AsyncGenerator[FakeDns]:
    """A name server on loopback that knows no name (NXDOMAIN) until told otherwise."""
    server = await FakeDns().start()
    yield server
    await server.stop()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names the system resolver (``getaddrinfo``) is asked for, in order.

    The test harness refuses every lookup but ``localhost`` with a RuntimeError, which
    no resolver raises; here a ``.invalid`` name fails with the error a resolver gives
    (RFC 6761: it never resolves), without a query leaving the machine.
    """
    harness = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        if host.rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return harness(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked
