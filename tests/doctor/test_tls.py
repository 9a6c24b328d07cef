"""TLS: certificates are verified unless the user turned that off for this server."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

import aiohttp
import pytest

from custom_components.plex_remote_doctor.doctor.errors import DoctorConnectionError
from custom_components.plex_remote_doctor.doctor.plex import PlexServer
from simulator.plex_server import TOKEN, FakePlexServer

from .certificates import refused_handshakes_expected, self_signed, serving


@pytest.fixture
async def https_plex(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[str]:
    fake = FakePlexServer()
    fake.server.ssl_context = serving(self_signed(tmp_path))
    with refused_handshakes_expected():
        await fake.start()
        yield fake.url
        await fake.stop()


async def test_untrusted_certificate_is_refused_by_default(https_plex: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DoctorConnectionError):
            await PlexServer(https_plex, TOKEN, session).account()


async def test_verification_off_is_the_users_choice(https_plex: str) -> None:
    async with aiohttp.ClientSession() as session:
        account = await PlexServer(https_plex, TOKEN, session, verify_ssl=False).account()
    assert account.mapping_state is not None
