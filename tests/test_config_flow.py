"""Config flow: every branch and error, against the real loopback fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_SSDP, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.doctor.evidence import PlexTvConnection
from custom_components.plex_remote_doctor.doctor.plex_tv import PlexTvServer
from simulator.network import FakeNetwork
from simulator.plex_server import FakePlexServer, PlexState, default_prefs, healthy_account
from simulator.proxy import NXDOMAIN, FakeDns

from .doctor.harness import resolving_with

IGD2 = "urn:schemas-upnp-org:device:InternetGatewayDevice:2"


def user_input(network: FakeNetwork, **changes: Any) -> dict[str, Any]:
    return {"url": network.plex.url, "token": network.plex.state.token, "verify_ssl": True} | changes


def ssdp_info(network: FakeNetwork, location: str | None = None) -> SsdpServiceInfo:
    return SsdpServiceInfo(
        ssdp_usn=f"{network.igd.state.udn}::{IGD2}",
        ssdp_st=IGD2,
        ssdp_location=location or network.igd.description_url,
        ssdp_udn=network.igd.state.udn,
        upnp={"friendlyName": "Fake Router", "UDN": network.igd.state.udn},
    )


async def init_manual(hass: HomeAssistant) -> Any:
    """Start a user flow and choose to enter URL and token by hand."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "manual"})
    assert result["step_id"] == "manual"
    return result


async def start_user_flow(hass: HomeAssistant, network: FakeNetwork) -> Any:
    result = await init_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(network))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "router"
    return result


async def test_user_then_router_by_hand(hass: HomeAssistant, network: FakeNetwork) -> None:
    result = await start_user_flow(hass, network)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "manual"})
    assert result["step_id"] == "router_manual"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"router_url": network.igd.description_url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Living Room Plex"
    assert result["result"].unique_id == network.plex.state.machine_identifier
    assert result["data"] == {
        "url": network.plex.url,
        "token": network.plex.state.token,
        "verify_ssl": True,
        "router_url": network.igd.description_url,
        "router_udn": network.igd.state.udn,
    }


async def test_user_without_router(hass: HomeAssistant, network: FakeNetwork) -> None:
    result = await start_user_flow(hass, network)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["router_url"] is None
    await hass.async_block_till_done()


async def test_router_step_offers_gateways_found_by_ssdp(hass: HomeAssistant, network: FakeNetwork) -> None:
    """SSDP's cache is read where the ssdp integration runs (multicast cannot run in tests)."""
    hass.config.components.add("ssdp")
    with patch(
        "custom_components.plex_remote_doctor.config_flow.ssdp.async_get_discovery_info_by_st",
        side_effect=lambda hass, st: [ssdp_info(network)] if st == IGD2 else [],
    ):
        result = await start_user_flow(hass, network)
        schema = result["data_schema"].schema
        selector = next(iter(schema.values()))
        offered = [option["value"] for option in selector.config["options"]]
        assert offered == [network.igd.description_url, "manual", "none"]
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"router": network.igd.description_url}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["router_udn"] == network.igd.state.udn


@pytest.mark.parametrize(
    ("changes", "error_field", "error"),
    [
        ({"token": "wrong-token"}, "base", "invalid_auth"),
        ({"url": "http://127.0.0.1:1"}, "base", "cannot_connect"),
        ({"url": "not a url"}, "url", "invalid_url"),
    ],
)
async def test_user_errors_then_recovers(
    hass: HomeAssistant, network: FakeNetwork, changes: dict[str, Any], error_field: str, error: str
) -> None:
    result = await init_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(network, **changes))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {error_field: error}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(network))
    assert result["step_id"] == "router"


async def test_server_answering_garbage_cannot_connect(hass: HomeAssistant, network: FakeNetwork) -> None:
    """An IGD's URL is not a Plex server: a clear error, not a crash."""
    result = await init_manual(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(network, url=network.echo.url)
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_already_configured_updates_url_and_token(hass: HomeAssistant, network: FakeNetwork) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=network.plex.state.machine_identifier,
        data={"url": "http://127.0.0.1:9", "token": "old", "verify_ssl": True, "router_url": None},
    )
    entry.add_to_hass(hass)
    result = await init_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(network))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data["url"] == network.plex.url
    assert entry.data["token"] == network.plex.state.token


@pytest.mark.parametrize(
    ("router_url", "error"),
    [
        ("plex", "not_igd"),
        ("http://127.0.0.1:1/rootDesc.xml", "cannot_connect"),
        ("ftp://router", "invalid_url"),
    ],
)
async def test_router_by_hand_errors(
    hass: HomeAssistant, network: FakeNetwork, router_url: str, error: str
) -> None:
    result = await start_user_flow(hass, network)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "manual"})
    url = f"{network.plex.url}/identity" if router_url == "plex" else router_url
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router_url": url})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"router_url": error}


async def test_ssdp_discovery_leads_to_setup(hass: HomeAssistant, network: FakeNetwork) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(network)
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "manual"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(network))
    assert result["step_id"] == "router"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"router": network.igd.description_url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == network.plex.state.machine_identifier
    assert result["data"]["router_url"] == network.igd.description_url


async def test_ssdp_finds_a_moved_router_again(hass: HomeAssistant, network: FakeNetwork) -> None:
    """miniupnpd takes a new port on restart: the entry follows its UDN."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=network.plex.state.machine_identifier,
        data=network.entry_data() | {"router_url": "http://127.0.0.1:1/rootDesc.xml"},
        options=network.entry_options(),
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(network)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data["router_url"] == network.igd.description_url
    await hass.async_block_till_done()


async def test_ssdp_without_location_aborts(hass: HomeAssistant, network: FakeNetwork) -> None:
    info = ssdp_info(network)
    info.ssdp_location = None
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_SSDP}, data=info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "incomplete_discovery"


async def test_revoked_token_starts_reauth_and_keeps_the_entry(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    network.plex.state.token = "new-token-after-revocation"
    await setup_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert hass.config_entries.async_get_entry(setup_entry.entry_id) is not None

    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {"token": "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"token": "new-token-after-revocation"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert setup_entry.data["token"] == "new-token-after-revocation"
    await hass.async_block_till_done()
    assert hass.states.get("sensor.living_room_plex_diagnosis").state == "ok"  # type: ignore[union-attr]


async def another_server(network: FakeNetwork) -> FakePlexServer:
    state = PlexState(machine_identifier="another-server", account=healthy_account(), prefs=default_prefs())
    return await FakePlexServer(state).start()


async def test_reauth_with_another_servers_token_aborts(
    hass: HomeAssistant, network: FakeNetwork, config_entry: MockConfigEntry
) -> None:
    other = await another_server(network)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, data=config_entry.data | {"url": other.url})
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": network.plex.state.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
    await other.stop()


async def test_reconfigure_drops_the_router(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    result = await setup_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"url": network.plex.url, "verify_ssl": True, "router_url": ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert setup_entry.data["router_url"] is None
    assert setup_entry.data["token"] == network.plex.state.token  # empty token keeps the current one
    await hass.async_block_till_done()
    assert hass.states.get("sensor.living_room_plex_router_wan_ip").state == "unknown"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"router_url": "http://127.0.0.1:1/rootDesc.xml"}, {"router_url": "cannot_connect"}),
        ({"router_url": "nonsense"}, {"router_url": "invalid_url"}),
        ({"token": "wrong"}, {"base": "invalid_auth"}),
    ],
)
async def test_reconfigure_errors(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await setup_entry.start_reconfigure_flow(hass)
    data = {"url": network.plex.url, "verify_ssl": True, "router_url": network.igd.description_url} | changes
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


async def test_reconfigure_to_another_server_aborts(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    other = await another_server(network)
    result = await setup_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"url": other.url, "verify_ssl": True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
    await other.stop()


async def test_options_flow(hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"public_ip_url": "gopher://x", "scan_interval": 60, "confirm_checks": 3}
    )
    assert result["errors"] == {"public_ip_url": "invalid_url"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"public_ip_url": network.echo.url, "scan_interval": 60, "confirm_checks": 3}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_entry.options == {
        "public_ip_url": network.echo.url,
        "scan_interval": 60,
        "confirm_checks": 3,
    }
    await hass.async_block_till_done()
    coordinator = setup_entry.runtime_data
    assert coordinator.update_interval.total_seconds() == 60


async def test_advanced_section_sets_another_plex_tv(hass: HomeAssistant, network: FakeNetwork) -> None:
    result = await init_manual(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(network, advanced={"plex_tv_url": "ftp://nope"})
    )
    assert result["errors"] == {"advanced": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(
            network, advanced={"plex_tv_url": f"{network.plex_tv.url}/", "public_ip_url": network.echo.url}
        ),
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["plex_tv_url"] == network.plex_tv.url
    assert result["options"] == {"public_ip_url": network.echo.url}
    await hass.async_block_till_done()
    assert network.plex_tv.state.calls >= 1


# plex.tv's name for a LAN connection: the address with dashes, under the server's hash.
PLEX_DIRECT_HASH = "0123456789abcdef0123456789abcdef"


def local_connection(uri: str, port: int, address: str = "127.0.0.1") -> dict[str, Any]:
    return {"protocol": "https", "address": address, "port": port, "uri": uri, "local": True}


def plex_direct(port: int) -> str:
    return f"https://127-0-0-1.{PLEX_DIRECT_HASH}.plex.direct:{port}"


@pytest.fixture
def plex_tv_sign_in(network: FakeNetwork, monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    """plex.tv is the stand-in; the account owns the fake server, reachable on loopback."""
    monkeypatch.setattr(
        "custom_components.plex_remote_doctor.config_flow.DEFAULT_PLEX_TV_URL", network.plex_tv.url
    )
    monkeypatch.setattr("custom_components.plex_remote_doctor.config_flow.PIN_POLL_SECONDS", 0.05)
    resource = network.plex_tv.state.resources[0]
    resource["accessToken"] = network.plex.state.token
    resource["connections"] = [
        {
            "protocol": "http",
            "address": "203.0.113.2",
            "port": 41234,
            "uri": "http://203.0.113.2:41234",
            "local": False,
        },
        {
            "protocol": "https",
            "address": "8.8.8.8",
            "port": 8443,
            "uri": "https://relay.invalid:8443",
            "local": False,
            "relay": True,
        },
        {
            "protocol": "http",
            "address": "127.0.0.1",
            "port": network.plex.server.port,
            "uri": network.plex.url,
            "local": True,
        },
    ]
    network.plex_tv.state.resources.append(
        {"name": "A phone", "clientIdentifier": "phone", "provides": "player", "connections": []}
    )
    return network


@pytest.fixture(params=[NXDOMAIN, 0], ids=["nxdomain", "no_address"])
async def rebind_protection(
    request: pytest.FixtureRequest, plex_tv_sign_in: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[FakeDns]:
    """Home Assistant's name server refuses plex.direct names that lead into the LAN.

    Fritz!Box and dnsmasq (Pi-hole) answer "no such name", Unbound's ``private-address``
    answers without the address. The flow's session asks this loopback name server with
    aiohttp's real resolver (c-ares), as Home Assistant's does: the test harness's own
    resolver fails every lookup with a RuntimeError no real resolver raises.
    """
    dns = await FakeDns(request.param).start()
    session = resolving_with(dns)
    monkeypatch.setattr(
        "custom_components.plex_remote_doctor.config_flow.async_get_clientsession", lambda hass: session
    )
    yield dns
    await session.close()
    await dns.stop()


async def signed_in(hass: HomeAssistant, network: FakeNetwork) -> Any:
    """Start "Sign in with Plex", link the PIN on (fake) app.plex.tv; the server list."""
    result: Any = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["menu_options"] == ["plex_sign_in", "manual"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_sign_in"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert "code=TESTCODE" in result["description_placeholders"]["url"]
    assert result["description_placeholders"]["url"].startswith("https://app.plex.tv/auth#?")
    network.plex_tv.state.pin_token = "account-token-from-plex"  # the user signs in on app.plex.tv
    network.plex_tv.state.token = "account-token-from-plex"
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "pick_server"
    return result


async def test_sign_in_with_plex_fills_url_and_token(
    hass: HomeAssistant, plex_tv_sign_in: FakeNetwork
) -> None:
    network = plex_tv_sign_in
    result: Any = await signed_in(hass, network)
    selector = next(iter(result["data_schema"].schema.values()))
    assert [option["value"] for option in selector.config["options"]] == [
        network.plex.state.machine_identifier
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": network.plex.state.machine_identifier}
    )
    assert result["step_id"] == "router"
    assert result["description_placeholders"]["url"] == network.plex.url  # the form says which URL
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["url"] == network.plex.url  # the LAN connection, not the public or relay one
    assert result["data"]["token"] == network.plex.state.token  # the server's own access token
    await hass.async_block_till_done()


async def test_sign_in_falls_back_to_the_address_when_plex_direct_does_not_resolve(
    hass: HomeAssistant, plex_tv_sign_in: FakeNetwork, rebind_protection: FakeDns
) -> None:
    """DNS-rebind protection: the plex.direct name fails, ``http://address:port`` answers."""
    network = plex_tv_sign_in
    port = network.plex.server.port
    network.plex_tv.state.resources[0]["connections"][2] = local_connection(plex_direct(port), port)
    result: Any = await signed_in(hass, network)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": network.plex.state.machine_identifier}
    )
    assert result["step_id"] == "router"
    assert result["description_placeholders"]["url"] == f"http://127.0.0.1:{port}"
    assert rebind_protection.queries >= 1  # the plex.direct name was asked for, and refused
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["url"] == f"http://127.0.0.1:{port}"
    await hass.async_block_till_done()


async def test_sign_in_skips_an_address_where_another_server_answers(
    hass: HomeAssistant, plex_tv_sign_in: FakeNetwork, rebind_protection: FakeDns
) -> None:
    """Only the server with the chosen machineIdentifier gets the token."""
    network = plex_tv_sign_in
    other = await another_server(network)
    try:
        network.plex_tv.state.resources[0]["connections"][2:] = [
            local_connection(plex_direct(other.server.port), other.server.port),
            local_connection(network.plex.url, network.plex.server.port),
        ]
        result: Any = await signed_in(hass, network)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"server": network.plex.state.machine_identifier}
        )
        assert result["description_placeholders"]["url"] == network.plex.url
        assert other.state.requests == [("GET", "/identity")]  # asked who it is, never sent the token
    finally:
        await other.stop()
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_sign_in_when_no_address_answers(
    hass: HomeAssistant, plex_tv_sign_in: FakeNetwork, rebind_protection: FakeDns
) -> None:
    network = plex_tv_sign_in
    closed = 9  # discard: nothing listens on loopback
    network.plex_tv.state.resources[0]["connections"][2] = local_connection(plex_direct(closed), closed)
    result: Any = await signed_in(hass, network)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": network.plex.state.machine_identifier}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "server_unreachable"}
    hass.config_entries.flow.async_abort(result["flow_id"])


def test_candidate_urls_lan_first_name_then_address_never_relay() -> None:
    def connection(uri: str, address: str, *, local: bool, relay: bool = False) -> PlexTvConnection:
        return PlexTvConnection(uri=uri, address=address, port=32400, local=local, relay=relay)

    server = PlexTvServer(
        name="Plex",
        machine_identifier="abc",
        access_token=None,
        connections=(
            connection("https://203-0-113-2.h.plex.direct:32400", "203.0.113.2", local=False),
            connection("http://203.0.113.2:32400", "203.0.113.2", local=False),
            connection("https://192-168-1-20.h.plex.direct:32400", "192.168.1.20", local=True),
            connection("https://203-0-113-9.h.plex.direct:8443", "203.0.113.9", local=False, relay=True),
            connection("https://fd00--20.h.plex.direct:32400", "fd00::20", local=True),
            connection("http://192.168.1.20:32400/", "192.168.1.20", local=True),
        ),
    )
    assert server.candidate_urls() == (
        "https://192-168-1-20.h.plex.direct:32400",
        "http://192.168.1.20:32400",
        "https://fd00--20.h.plex.direct:32400",
        "http://[fd00::20]:32400",
        # Remote last, where the router hairpins; plain http never (the token follows the URL).
        "https://203-0-113-2.h.plex.direct:32400",
    )


def pin_polls() -> list[asyncio.Task[Any]]:
    """The flow's PIN polls still running on the loop."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__name__", "") == "_wait_for_pin"
    ]


@pytest.mark.parametrize("pin_delay", [0.0, 0.5], ids=["while_polling", "while_plex_tv_creates_the_pin"])
async def test_a_closed_sign_in_stops_polling_plex_tv(
    hass: HomeAssistant, plex_tv_sign_in: FakeNetwork, pin_delay: float
) -> None:
    """The user closes the form: no task keeps asking plex.tv for a PIN nobody waits for."""
    state = plex_tv_sign_in.plex_tv.state
    state.pin_delay = pin_delay
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    configuring = hass.async_create_task(
        hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "plex_sign_in"})
    )
    await asyncio.sleep(0.2)  # polling (every 0.05 s), or plex.tv still creating the PIN
    hass.config_entries.flow.async_abort(result["flow_id"])  # the user closes the form
    if pin_delay:  # the step still waiting for plex.tv ends the flow it belonged to
        assert (await configuring)["reason"] == "sign_in_cancelled"
    else:
        await configuring
    await asyncio.sleep(0)  # let the cancellation land
    checks = state.pin_checks
    assert pin_polls() == []
    await asyncio.sleep(0.3)
    assert state.pin_checks == checks


async def test_sign_in_not_finished_in_time(
    hass: HomeAssistant, plex_tv_sign_in: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.plex_remote_doctor.config_flow.PIN_TIMEOUT_SECONDS", 0.3)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_sign_in"}
    )
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "sign_in_timeout"
    assert plex_tv_sign_in.plex_tv.state.pin_checks >= 2


async def test_sign_in_with_plex_tv_down_aborts_clearly(
    hass: HomeAssistant, network: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "custom_components.plex_remote_doctor.config_flow.DEFAULT_PLEX_TV_URL", "http://127.0.0.1:9"
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_sign_in"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plex_tv_unreachable"


async def test_offers_the_server_of_home_assistants_plex_integration(
    hass: HomeAssistant, network: FakeNetwork
) -> None:
    plex_entry = MockConfigEntry(
        domain="plex",
        title=network.plex.url,
        unique_id=network.plex.state.machine_identifier,
        data={
            "server": "Living Room Plex",
            "server_id": network.plex.state.machine_identifier,
            "server_config": {"url": network.plex.url, "token": network.plex.state.token, "verify_ssl": True},
        },
    )
    plex_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["menu_options"] == ["plex_integration", "plex_sign_in", "manual"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_integration"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": plex_entry.entry_id}
    )
    assert result["step_id"] == "router"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"router": "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["token"] == network.plex.state.token
    await hass.async_block_till_done()
