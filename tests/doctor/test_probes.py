"""Plex, plex.tv and public-IP probes over real sockets: formats, faults, caps, secrets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address

import aiohttp
from aiohttp import web
import pytest

from custom_components.plex_remote_doctor.doctor.errors import (
    DoctorAuthenticationError,
    DoctorConnectionError,
    DoctorError,
    DoctorResponseError,
)
from custom_components.plex_remote_doctor.doctor.evidence import MappingState
from custom_components.plex_remote_doctor.doctor.plex import PlexServer
from custom_components.plex_remote_doctor.doctor.plex_tv import PlexTv
from custom_components.plex_remote_doctor.doctor.public_ip import public_ipv4
from simulator.loopback import LoopbackServer
from simulator.network import FakeNetwork


def plex(net: FakeNetwork, session: aiohttp.ClientSession, timeout: float = 10.0) -> PlexServer:
    return PlexServer(net.plex.url, net.plex.state.token, session, timeout=timeout)


@pytest.mark.parametrize("body_format", ["json", "xml"])
async def test_plex_reads_account_prefs_identity(
    session: aiohttp.ClientSession, net: FakeNetwork, body_format: str
) -> None:
    net.plex.state.body_format = body_format
    server = plex(net, session)
    account = await server.account()
    prefs = await server.prefs()
    identity = await server.identity()
    info = await server.server_info()
    assert account.mapping_state is MappingState.MAPPED
    assert account.public_address == IPv4Address("203.0.113.2")
    assert (prefs.publish_server, prefs.manual_port_mapping, prefs.relay_enabled) == (True, False, True)
    assert identity.machine_identifier == net.plex.state.machine_identifier
    assert info.friendly_name == "Living Room Plex"


async def test_plex_set_prefs_and_refresh(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    server = plex(net, session)
    await server.set_prefs({"ManualPortMappingMode": True, "ManualPortMappingPort": 32500})
    await server.refresh_reachability()
    prefs = await server.prefs()
    assert (prefs.manual_port_mapping, prefs.manual_port) == (True, 32500)
    assert net.plex.state.refresh_reachability_calls == 1


async def test_plex_refused_token_is_auth_error_without_the_token(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    server = PlexServer(net.plex.url, "revoked-token-123", session)
    with pytest.raises(DoctorAuthenticationError) as caught:
        await server.account()
    assert "revoked-token-123" not in str(caught.value)
    assert "revoked-token-123" not in repr(server)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, DoctorConnectionError), (503, DoctorConnectionError), (404, DoctorConnectionError)],
)
async def test_plex_http_errors(
    session: aiohttp.ClientSession, net: FakeNetwork, status: int, error: type[DoctorError]
) -> None:
    net.plex.state.fail_status = status
    with pytest.raises(error):
        await plex(net, session).account()


async def test_plex_timeout(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    net.plex.state.delay = 1.0
    with pytest.raises(DoctorConnectionError, match=r"no answer within 0\.2 s"):
        await plex(net, session, timeout=0.2).account()


async def test_plex_refused_connection(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    await net.plex.stop()
    with pytest.raises(DoctorConnectionError):
        await plex(net, session).account()


async def serve(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> LoopbackServer:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await LoopbackServer(app).start()


async def test_huge_body_stops_at_the_cap(session: aiohttp.ClientSession) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b"<" + b"a" * 65535
        for _ in range(64):  # 4 MiB, never all read
            await response.write(chunk)
        return response

    server = await serve(huge)
    with pytest.raises(DoctorResponseError, match="larger than"):
        await PlexServer(server.url, "t", session).account()
    await server.stop()


async def test_plex_tv_view(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    tv = PlexTv(net.plex.state.token, session, url=net.plex_tv.url)
    view = await tv.server_view(net.plex.state.machine_identifier)
    assert view.resource is not None
    assert view.resource.presence is True
    assert (await tv.server_view("someone-else")).resource is None
    net.plex_tv.state.status = 503
    with pytest.raises(DoctorConnectionError):
        await tv.server_view(net.plex.state.machine_identifier)


async def test_public_ip_tries_services_in_turn(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    async def captive(request: web.Request) -> web.Response:
        return web.Response(text="<html>captive portal</html>")

    async def lan(request: web.Request) -> web.Response:
        return web.Response(text="192.168.1.1")

    broken = await serve(captive)
    private = await serve(lan)
    urls = ("http://127.0.0.1:1/", f"{broken.url}/", f"{private.url}/", net.echo.url)
    assert await public_ipv4(session, urls) == IPv4Address("203.0.113.2")
    with pytest.raises(DoctorResponseError, match="private address"):
        await public_ipv4(session, urls[:3])
    await broken.stop()
    await private.stop()


@pytest.mark.parametrize("answer", ["", "2001:db8::1", "100.64.1.1", "203.0.113.2 extra", "x" * 100])
async def test_public_ip_rejects_non_answers(
    session: aiohttp.ClientSession, net: FakeNetwork, answer: str
) -> None:
    net.echo.state.answer = answer
    with pytest.raises(DoctorResponseError):
        await public_ipv4(session, (net.echo.url,))
