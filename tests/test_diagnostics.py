"""Diagnostics download: useful, and without token, public IPs or e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from ipaddress import IPv4Address
import json

from homeassistant.components.diagnostics import REDACTED as HA_REDACTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.coordinator import DoctorData
from custom_components.plex_remote_doctor.diagnostics import async_get_config_entry_diagnostics
from custom_components.plex_remote_doctor.doctor.diagnose import diagnose
from custom_components.plex_remote_doctor.doctor.evidence import (
    Cause,
    CustomUrlCheck,
    CustomUrlResult,
    Evidence,
    MappingState,
    Missing,
    PlexAccount,
    PlexPrefs,
    PlexSession,
    PlexStreams,
    PlexTvConnection,
    PlexTvResource,
    PlexTvView,
    PortMapping,
    RouterState,
    SignInState,
)
from custom_components.plex_remote_doctor.doctor.redact import REDACTED, redact_text
from simulator.network import FakeNetwork


async def test_diagnostics_redacts_secrets(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    network.apply("cgnat")
    network.plex_tv.state.resources[0]["connections"].append(
        {
            "protocol": "https",
            "address": "198.51.100.77",
            "port": 41234,
            "local": False,
            "relay": False,
            "uri": "https://198-51-100-77.abc.plex.direct:41234",
        }
    )
    network.plex_tv.state.resources[0]["publicAddress"] = "198.51.100.77"
    await setup_entry.runtime_data.async_refresh()
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    text = json.dumps(report)
    for secret in (
        network.plex.state.token,
        "198.51.100.77",
        "198-51-100-77",
        "owner@example.com",
    ):
        assert secret not in text, secret
    # Still useful: the finding, the CGNAT WAN address (not public) and the LAN side.
    assert report["diagnosis"]["finding"] == "cgnat"
    assert report["evidence"]["router"]["wan_ip"] == "100.64.10.2"
    assert report["evidence"]["account"]["private_address"] == "192.168.1.20"
    assert report["entry"]["data"]["token"] == "**REDACTED**"
    assert report["diagnosis"]["outcomes"]["cgnat"]["verdict"] == "holds"


async def test_diagnostics_of_a_healthy_server_hides_its_public_ip(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert "203.0.113.2" not in json.dumps(report)
    assert report["diagnosis"]["finding"] == "ok"


# The home's public addresses, each in every form plex.tv and Plex write it.
PUBLIC = {
    "198.51.100.10": ("198-51-100-10",),  # Plex's public address
    "198.51.100.11": ("198-51-100-11",),  # a custom URL's plex.direct name
    "198.51.100.12": (),  # the router's WAN IP
    "198.51.100.13": (),  # in a mapping's description
    "198.51.100.14": (),  # a mapping's remote host
    "198.51.100.15": (),  # the public-IP service's answer
    "198.51.100.16": (),  # in the server's name on plex.tv
    "198.51.100.17": (),  # plex.tv's view of the public address
    "198.51.100.18": ("198-51-100-18",),  # an earlier public IPv4, still listed by plex.tv
    "198.51.100.19": (),  # in a missing probe's reason
    "2001:db8:1::18": ("2001-0db8-0001-0000-0000-0000-0000-0018", "2001-db8-1--18"),  # global IPv6
    "2001:db8:1::11": ("2001:0db8:0001:0000:0000:0000:0000:0011",),  # a custom URL
    "2001:db8:1::20": (),  # in a missing probe's reason
    "2001:db8:1::21": (),  # in Plex's own error message
    "198.51.100.21": (),  # a remote viewer's address
    "2001:db8:1::22": (),  # a remote viewer's IPv6 address
}
# LAN addresses help support: they stay.
LAN = ("192.168.1.20", "192-168-1-20", "192.168.1.1", "fd00::20")


def every_field_filled(value: object, path: str = "evidence") -> None:
    """Each field of each evidence dataclass holds something: a new field fails this until filled here."""
    if is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            child = getattr(value, item.name)
            assert child not in (None, "", (), {}), f"{path}.{item.name} is empty"
            every_field_filled(child, f"{path}.{item.name}")
    elif isinstance(value, tuple):
        for index, child in enumerate(value):
            every_field_filled(child, f"{path}[{index}]")
    elif isinstance(value, Mapping):
        for key, child in value.items():
            every_field_filled(child, f"{path}[{key}]")


def evidence_full_of_addresses(machine_identifier: str) -> Evidence:
    def connection(uri: str, address: str, *, local: bool = False, relay: bool = False) -> PlexTvConnection:
        return PlexTvConnection(uri=uri, address=address, port=32400, local=local, relay=relay)

    return Evidence(
        server_url_host="192-168-1-20.0123abcd.plex.direct",
        server_url_port=32400,
        server_url_address=IPv4Address("192.168.1.20"),
        router_address=IPv4Address("192.168.1.1"),
        server_reachable=True,
        account=PlexAccount(
            sign_in_state=SignInState.OK,
            mapping_state=MappingState.FAILED,
            mapping_error="unreachable",
            mapping_error_message="owner@example.com: 2001:db8:1::21 and 198.51.100.10:41234 unreachable",
            public_address=IPv4Address("198.51.100.10"),
            public_port=41234,
            private_address=IPv4Address("192.168.1.20"),
            private_port=32400,
            username="owner@example.com",
            subscription_active=True,
            subscription_state="Active",
        ),
        prefs=PlexPrefs(
            publish_server=True,
            manual_port_mapping=False,
            manual_port=32500,
            last_automatic_mapped_port=41234,
            relay_enabled=True,
            ipv6_enabled=True,
            custom_connections=(
                "https://198-51-100-11.0123abcd.plex.direct:443",
                "https://[2001:0db8:0001:0000:0000:0000:0000:0011]:32400",
            ),
        ),
        router=RouterState(
            wan_ip=IPv4Address("198.51.100.12"),
            connection_status="Connected",
            port_mappings=(
                PortMapping(
                    external_port=41234,
                    protocol="TCP",
                    internal_client="192.168.1.20",
                    internal_port=32400,
                    enabled=True,
                    description="Plex Media Server (198.51.100.13)",
                    lease_duration=3600,
                    remote_host="198.51.100.14",
                ),
            ),
            service="WANIPConnection:1",
            service_choice="default",
        ),
        public_ip=IPv4Address("198.51.100.15"),
        plex_tv=PlexTvView(
            resource=PlexTvResource(
                client_identifier=machine_identifier,
                name="Plex at 198.51.100.16",
                presence=True,
                public_address=IPv4Address("198.51.100.17"),
                public_address_matches=False,
                relay=True,
                connections=(
                    connection("https://192-168-1-20.0123abcd.plex.direct:32400", "192.168.1.20", local=True),
                    connection("https://198-51-100-18.0123abcd.plex.direct:32400", "198.51.100.18"),
                    connection(
                        "https://2001-0db8-0001-0000-0000-0000-0000-0018.0123abcd.plex.direct:32400",
                        "2001:db8:1::18",
                    ),
                    connection("https://2001-db8-1--18.0123abcd.plex.direct:32400", "2001:db8:1::18"),
                    connection("https://fd00--20.0123abcd.plex.direct:32400", "fd00::20", local=True),
                    connection(
                        "https://198-51-100-10.0123abcd.plex.direct:8443", "198.51.100.10", relay=True
                    ),
                ),
            )
        ),
        custom_urls=(
            CustomUrlCheck(
                url="https://198-51-100-11.0123abcd.plex.direct:443",
                result=CustomUrlResult.TLS_INVALID,
                detail="certificate is not valid for '198.51.100.11'",
            ),
            CustomUrlCheck(
                url="https://[2001:0db8:0001:0000:0000:0000:0000:0011]:32400",
                result=CustomUrlResult.TIMEOUT,
                detail="no answer from [2001:db8:1::11]:32400 within 5 s",
            ),
        ),
        plex_pass=True,
        plex_pass_source="server",
        # Remote viewers' own public addresses are theirs, not for a support forum either.
        streams=PlexStreams(
            sessions=(
                PlexSession(
                    player_address="198.51.100.21",
                    local=False,
                    relayed=False,
                    state="playing",
                    location="wan",
                ),
                PlexSession(
                    player_address="2001:db8:1::22", local=False, relayed=True, state="paused", location="wan"
                ),
            )
        ),
        shared_ages={"public_ip": 12.0, "plex_tv": 240.0},
        plex_tv_settled=False,
        missing={
            "public_ip": Missing("public IP: 198.51.100.19 answered HTTP 503", Cause.UNREACHABLE),
            "plex_tv": Missing("plex.tv: connection to 2001:db8:1::20 reset", Cause.UNREACHABLE),
        },
    )


async def test_diagnostics_redact_every_public_address_anywhere(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """Every evidence field full of public IPv4 and global IPv6 addresses, plain and dashed."""
    evidence = evidence_full_of_addresses(network.plex.state.machine_identifier)
    every_field_filled(evidence)
    coordinator = setup_entry.runtime_data
    coordinator.data = DoctorData(evidence=evidence, diagnosis=diagnose(evidence))
    text = json.dumps(await async_get_config_entry_diagnostics(hass, setup_entry))
    for address, other_forms in PUBLIC.items():
        for form in (address, *other_forms):
            assert form.lower() not in text.lower(), form
    assert "owner@example.com" not in text
    assert network.plex.state.token not in text
    for address in LAN:
        assert address in text, address


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://[2001:db8::1]:32400", "http://[**REDACTED**]:32400"),
        ("2001:db8::1:32400 answered.", "**REDACTED**:32400 answered."),
        ("::ffff:203.0.113.2 and ::ffff:192.168.1.2", "**REDACTED** and ::ffff:192.168.1.2"),
        ("https://203-0-113-2.ab12.plex.direct:8443", "https://**REDACTED**.ab12.plex.direct:8443"),
        ("https://2001-DB8--7.ab12.plex.direct", "https://**REDACTED**.ab12.plex.direct"),
        # What is not a public address stays as it is.
        ("Plex 1.41.3.9314-a0bfb8370 at 2026-12-02T21:38:43.618664+00:00", None),
        ("aa:bb:cc:dd:ee:ff uuid:fake-sid-1 550e8400-e29b-41d4-a716-446655440000", None),
        ("100.64.10.2 192.0.0.2 fe80::1 fd00::20 127.0.0.1 10-0-2-123.ab12.plex.direct", None),
    ],
)
def test_redact_text_finds_addresses_in_any_form(text: str, shown: str | None) -> None:
    assert redact_text(text) == (shown or text)


def test_the_library_redacts_with_home_assistants_marker() -> None:
    """doctor/ never imports Home Assistant, so it spells the marker itself: the same one."""
    assert REDACTED == HA_REDACTED


async def test_plex_log_in_the_download_without_token_or_public_address(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    """Plex's log full of the token and public addresses: the download has the lines, none of those."""
    token = network.plex.state.token
    log = network.plex.state.log
    log.log(f"MyPlex: Requesting reachability check. X-Plex-Token={token}")
    log.log(f"NAT: refreshing https://plex.tv/api/servers?X-Plex-Token={token}&includeLite=1")
    log.log(f"MyPlex: Sending Server Info to myPlex (name=Den, ip=198.51.100.77, port=32500, token {token})")
    log.log("PubSub: Got notified of reachability for async identifier 7: 1 for [2001:db8:1::18]:32500")
    log.log("PublicAddressManager: Got public IP from v4.plex.tv: 198.51.100.77")
    log.log(
        "MyPlex: mapping state set to 'Mapped - Publishing' (https://198-51-100-77.0123abcd.plex.direct:32500)"
    )
    log.log("NAT: UPnP mapped 32500 to 192.168.1.20:32400 for owner@example.com")
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    text = json.dumps(report)
    for secret in (
        token,
        "198.51.100.77",
        "198-51-100-77",
        "2001:db8:1::18",
        "owner@example.com",
        "203.0.113.2",
    ):
        assert secret not in text, secret
    plex_log = report["plex_log"]
    assert plex_log["reason"] is None
    assert not plex_log["truncated"]
    assert plex_log["caps"] == {"bundle_bytes": 20 * 1024 * 1024, "log_bytes": 64 * 1024 * 1024, "lines": 50}
    lines = "\n".join(plex_log["lines"])
    assert "mapping state set to 'Mapped - Publishing'" in lines
    assert "192.168.1.20:32400" in lines  # the LAN side stays
    assert "X-Plex-Token=**REDACTED**" in lines
    assert "(rotated)" not in lines  # only Plex Media Server.log is read


@pytest.mark.parametrize(
    ("knob", "reason", "truncated"),
    [
        ("malformed", "Plex's log bundle is not a zip (no end of central directory)", False),
        ("huge", "Plex's log bundle is larger than 20 MiB, the most the doctor reads", True),
    ],
)
async def test_a_log_that_cannot_be_read_is_a_reason_in_the_download(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    knob: str,
    reason: str,
    truncated: bool,
) -> None:
    network.plex.state.log.bundle = knob
    report = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert report["plex_log"]["lines"] == []
    assert (report["plex_log"]["reason"], report["plex_log"]["truncated"]) == (reason, truncated)
    assert report["diagnosis"]["finding"] == "ok"  # the rest of the report is whole


async def test_polling_never_downloads_plex_logs(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry
) -> None:
    for scenario in ("cgnat", "upnp_stale", "healthy"):
        network.apply(scenario)
        await setup_entry.runtime_data.async_refresh()
    await setup_entry.runtime_data.async_retry_remote_access()
    await hass.async_block_till_done()
    assert ("GET", "/diagnostics/logs") not in network.plex.state.requests
    await async_get_config_entry_diagnostics(hass, setup_entry)
    assert network.plex.state.requests.count(("GET", "/diagnostics/logs")) == 1
