"""Doctor.examine over the fake home network: custom URLs, and the addresses behind the URLs."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address
import socket
import time
from typing import Any

import aiohttp
import pytest

from custom_components.plex_remote_doctor.doctor.addresses import HostAddresses, plex_direct_ipv4
from custom_components.plex_remote_doctor.doctor.doctor import Doctor
from custom_components.plex_remote_doctor.doctor.evidence import CustomUrlCheck, CustomUrlResult
from simulator.network import FakeNetwork
from simulator.plex_server import TOKEN
from simulator.proxy import FakeDns

from .harness import Fakes, resolving_with


def doctor(net: FakeNetwork, session: aiohttp.ClientSession, **overrides: Any) -> Doctor:
    options: dict[str, Any] = {
        "server_url": net.plex.url,
        "token": TOKEN,
        "machine_identifier": net.plex.state.machine_identifier,
        "router_url": net.igd.description_url,
        "plex_tv_url": net.plex_tv.url,
        "public_ip_urls": (net.echo.url,),
    }
    return Doctor(session, **(options | overrides))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# --- custom URLs --------------------------------------------------------------------------


async def test_no_custom_connections_no_checks(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    evidence = await doctor(net, session).examine()
    assert evidence.prefs is not None
    assert evidence.custom_urls is None


async def test_custom_connections_are_checked_without_the_token(
    session: aiohttp.ClientSession, net: FakeNetwork, fakes: Fakes
) -> None:
    proxy = await fakes.proxy(net.plex.url)
    refused = closed_port_url()
    net.plex.state.prefs["customConnections"] = f"{proxy.url}, {refused}"
    evidence = await doctor(net, session).examine()
    assert evidence.account is not None  # the token did reach the server itself
    assert evidence.custom_urls == (
        CustomUrlCheck(url=proxy.url, result=CustomUrlResult.ANSWERS),
        CustomUrlCheck(url=refused, result=CustomUrlResult.UNREACHABLE, detail="connection refused"),
    )
    assert proxy.state.requests, "the proxy was asked"
    for headers in proxy.state.requests:
        assert "x-plex-token" not in {name.lower() for name in headers}
        assert not any(TOKEN in value for value in headers.values())


async def test_another_server_behind_the_proxy(
    session: aiohttp.ClientSession, net: FakeNetwork, fakes: Fakes
) -> None:
    proxy = await fakes.proxy(net.plex.url)
    net.plex.state.prefs["customConnections"] = proxy.url
    evidence = await doctor(net, session, machine_identifier="another-servers-identifier").examine()
    assert evidence.custom_urls is not None
    assert [check.result for check in evidence.custom_urls] == [CustomUrlResult.OTHER_SERVER]


async def test_without_a_unique_id_the_servers_own_identity_is_compared(
    session: aiohttp.ClientSession, net: FakeNetwork, fakes: Fakes
) -> None:
    proxy = await fakes.proxy(net.plex.url)
    net.plex.state.prefs["customConnections"] = proxy.url
    evidence = await doctor(net, session, machine_identifier=None).examine()
    assert evidence.custom_urls == (CustomUrlCheck(url=proxy.url, result=CustomUrlResult.ANSWERS),)


async def test_prefs_unread_no_checks(session: aiohttp.ClientSession, net: FakeNetwork, fakes: Fakes) -> None:
    proxy = await fakes.proxy(net.plex.url)
    net.plex.state.prefs["customConnections"] = proxy.url
    net.plex.state.fail_status = 500
    evidence = await doctor(net, session).examine()
    assert evidence.prefs is None
    assert evidence.custom_urls is None
    assert proxy.state.requests == []


async def test_other_probes_do_not_wait_for_the_server(
    session: aiohttp.ClientSession, net: FakeNetwork, fakes: Fakes
) -> None:
    """Custom URLs need the prefs first; the router, public IP and plex.tv do not wait."""
    proxy = await fakes.proxy(net.plex.url)
    net.plex.state.prefs["customConnections"] = proxy.url
    net.plex.state.delay = 0.5
    examining = asyncio.create_task(doctor(net, session).examine())
    await asyncio.sleep(0.3)
    assert (net.echo.state.calls, net.plex_tv.state.calls) == (1, 1)
    assert net.igd.server.requests > 0
    assert proxy.state.requests == []  # still waiting for the prefs
    evidence = await examining
    assert evidence.custom_urls is not None
    assert evidence.custom_urls[0].result is CustomUrlResult.ANSWERS


# --- addresses ----------------------------------------------------------------------------


async def test_ip_hosts_are_their_own_addresses(
    session: aiohttp.ClientSession, net: FakeNetwork, lookups: list[str]
) -> None:
    evidence = await doctor(net, session).examine()
    assert evidence.server_url_address == IPv4Address("127.0.0.1")
    assert evidence.router_address == IPv4Address("127.0.0.1")
    assert "127.0.0.1" not in lookups


async def test_a_plex_direct_name_carries_its_address(
    net: FakeNetwork, dns: FakeDns, lookups: list[str]
) -> None:
    """No lookup: many routers refuse to resolve plex.direct names (rebinding protection)."""
    host = "192-168-1-20.0123456789abcdef.plex.direct"
    async with resolving_with(dns) as offline:  # the server itself then stays unreached
        evidence = await doctor(net, offline, server_url=f"https://{host}:32400").examine()
    assert evidence.server_url_address == IPv4Address("192.168.1.20")
    assert evidence.server_reachable is False
    assert host not in lookups


async def test_a_name_is_resolved_once_in_a_while(
    socket_enabled: None, net: FakeNetwork, lookups: list[str]
) -> None:
    # IPv4 only: the harness allows no connection to ::1, which localhost also names.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(family=socket.AF_INET)) as session:
        examiner = doctor(net, session, server_url=net.plex.url.replace("127.0.0.1", "localhost"))
        first = await examiner.examine()
        second = await examiner.examine()
    assert first.server_reachable is True
    assert first.server_url_address == second.server_url_address == IPv4Address("127.0.0.1")
    assert lookups.count("localhost") == 1


async def test_a_name_that_does_not_resolve_is_no_address(
    net: FakeNetwork, dns: FakeDns, lookups: list[str]
) -> None:
    async with resolving_with(dns) as offline:
        evidence = await doctor(
            net,
            offline,
            server_url="http://plex-server.invalid:32400",
            router_url="http://router.invalid/igd.xml",
        ).examine()
    assert (evidence.server_url_address, evidence.router_address) == (None, None)
    assert {"plex-server.invalid", "router.invalid"} <= set(lookups)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("192-168-1-20.0123456789abcdef.plex.direct", "192.168.1.20"),
        ("10-0-0-5.ABCDEF.Plex.Direct.", "10.0.0.5"),
        ("2a02-1210-0-0-0-0-0-1.0123456789abcdef.plex.direct", None),  # IPv6 inside
        ("192-168-1-20.plex.direct", None),  # no hash label: not a name Plex hands out
        ("192-168-1-20.abc.plex.direct.example.com", None),
        ("plex.example.com", None),
    ],
)
def test_plex_direct_names(host: str, address: str | None) -> None:
    assert plex_direct_ipv4(host) == (IPv4Address(address) if address else None)


async def test_the_cached_address_expires(lookups: list[str]) -> None:
    addresses = HostAddresses(ttl=0.1)
    assert await addresses.ipv4("localhost") == IPv4Address("127.0.0.1")
    assert await addresses.ipv4("localhost") == IPv4Address("127.0.0.1")
    assert lookups == ["localhost"]
    await asyncio.sleep(0.15)
    assert await addresses.ipv4("localhost") == IPv4Address("127.0.0.1")
    assert lookups == ["localhost", "localhost"]


async def test_a_failed_lookup_is_not_cached(lookups: list[str]) -> None:
    addresses = HostAddresses()
    assert await addresses.ipv4("nas.invalid") is None
    assert await addresses.ipv4("nas.invalid") is None
    assert lookups == ["nas.invalid", "nas.invalid"]


async def test_a_slow_resolver_gives_up_without_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)
    began = time.monotonic()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    assert await HostAddresses(timeout=0.1).ipv4("slow.example") is None
    ticker.cancel()
    assert time.monotonic() - began < 0.25
    assert ticks >= 5  # the loop kept running while the resolver thread waited


@pytest.mark.parametrize("host", [None, "", "::1", "fe80::1"])
async def test_no_ipv4_for_these_hosts(host: str | None, lookups: list[str]) -> None:
    assert await HostAddresses().ipv4(host) is None
    assert lookups == []
