"""Fixtures for the client library: a plain aiohttp session and real loopback fakes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from simulator.network import FakeNetwork


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
