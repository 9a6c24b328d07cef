"""TLS: certificates are verified unless the user turned that off for this server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import datetime
import ipaddress
from pathlib import Path
import ssl

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.plex_remote_doctor.doctor.errors import DoctorConnectionError
from custom_components.plex_remote_doctor.doctor.plex import PlexServer
from simulator.plex_server import TOKEN, FakePlexServer


def self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.fixture
async def https_plex(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[str]:
    # The server's side of a refused handshake ends in a reset: expected here, not a bug.
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def ignore_refused_handshake(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        if not isinstance(context.get("exception"), (ConnectionResetError, ssl.SSLError)):
            loop.default_exception_handler(context)

    loop.set_exception_handler(ignore_refused_handshake)
    fake = FakePlexServer()
    runner = web.AppRunner(fake.server.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self_signed(tmp_path))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()
    loop.set_exception_handler(previous)


async def test_untrusted_certificate_is_refused_by_default(https_plex: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DoctorConnectionError):
            await PlexServer(https_plex, TOKEN, session).account()


async def test_verification_off_is_the_users_choice(https_plex: str) -> None:
    async with aiohttp.ClientSession() as session:
        account = await PlexServer(https_plex, TOKEN, session, verify_ssl=False).account()
    assert account.mapping_state is not None
