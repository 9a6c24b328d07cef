"""Plex and plex.tv bodies, real ones from tests/fixtures/plex (see its SOURCES.md)."""

from __future__ import annotations

from ipaddress import IPv4Address
import json
from pathlib import Path

import pytest

from custom_components.plex_remote_doctor.doctor.errors import DoctorResponseError
from custom_components.plex_remote_doctor.doctor.evidence import MappingState, SignInState
from custom_components.plex_remote_doctor.doctor.notifications import notification_type
from custom_components.plex_remote_doctor.doctor.plex import parse_account, parse_identity, parse_prefs
from custom_components.plex_remote_doctor.doctor.plex_tv import find_server, parse_resources

FIXTURES = Path(__file__).parent.parent / "fixtures" / "plex"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "machine_identifier", "version", "claimed"),
    [
        (
            "identity.pms-openapi-example.json",
            "0123456789abcdef0123456789abcdef",
            "1.40.2.8395-c67dce28e",
            True,
        ),
        (
            "identity.plexdlweb-readme.xml",
            "abcdef123456abcdef123456abcdef123456abcd",
            "1.32.5.7516-8f4248874",
            True,
        ),
        (
            "root.pms-openapi-example.json",
            "c997cf82c4158cb986ccc0e8f829a6f5d5086a63",
            "1.40.2.8395-c67dce28e",
            None,
        ),
    ],
)
def test_identity(name: str, machine_identifier: str, version: str, claimed: bool | None) -> None:
    identity = parse_identity(fixture(name))
    assert (identity.machine_identifier, identity.version, identity.claimed) == (
        machine_identifier,
        version,
        claimed,
    )


def test_account_json_spec_example() -> None:
    account = parse_account(fixture("myplex_account.plex-api-spec-example.json"))
    assert account.sign_in_state is SignInState.OK
    assert account.mapping_state is MappingState.MAPPED
    assert account.mapping_error is None  # null in JSON
    assert account.public_address == IPv4Address("140.20.68.140")
    assert account.public_port == 32400
    assert account.private_address == IPv4Address("10.10.10.47")
    assert account.private_port == 32400


def test_account_xml_as_plex_sends_it() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<MyPlex authToken="secret" username="u" mappingState="failed"'
        b' mappingError="" mappingErrorMessage="" signInState="ok" publicAddress="203.0.113.2"'
        b' publicPort="0" privateAddress="192.168.1.20" privatePort="32400" subscriptionActive="1"/>'
    )
    account = parse_account(body)
    assert account.mapping_state is MappingState.FAILED
    assert account.mapping_error is None  # "" is no error
    assert account.public_port is None  # 0 is "not mapped"
    assert account.subscription_active is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [("unknown", None), ("UNKNOWN", None), ("mapped", MappingState.MAPPED), ("", None), ("new-state", None)],
)
def test_account_mapping_state_unknown_is_none(value: str, expected: MappingState | None) -> None:
    account = parse_account(json.dumps({"MyPlex": {"mappingState": value}}).encode())
    assert account.mapping_state is expected


def test_account_mapping_error_kept_lowercase() -> None:
    account = parse_account(
        b'<MyPlex mappingState="mapped" mappingError="DoubleNAT" mappingErrorMessage="Two routers"/>'
    )
    assert account.mapping_error == "doublenat"
    assert account.mapping_error_message == "Two routers"


def test_prefs_full_capture() -> None:
    prefs = parse_prefs(fixture("prefs.plex-api-rs.json"))
    assert prefs.publish_server is True
    assert prefs.manual_port_mapping is True
    assert prefs.manual_port == 443
    assert prefs.last_automatic_mapped_port is None  # 0 = never mapped
    assert prefs.relay_enabled is True
    assert prefs.custom_connections == ("https://example.com",)


def test_prefs_short_example_has_no_remote_access_settings() -> None:
    prefs = parse_prefs(fixture("prefs.pms-openapi-example.json"))
    assert (prefs.publish_server, prefs.manual_port_mapping, prefs.relay_enabled) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("True", True),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("yes", None),
        ("", None),
        (None, None),
    ],
)
def test_prefs_booleans_in_every_spelling(raw: object, expected: bool | None) -> None:
    """Plex writes booleans as 1/0 or true/false, in JSON and in XML."""
    body = json.dumps({"MediaContainer": {"Setting": [{"id": "PublishServerOnPlexOnlineKey", "value": raw}]}})
    assert parse_prefs(body.encode()).publish_server is expected
    if isinstance(raw, str):
        xml = f'<MediaContainer><Setting id="RelayEnabled" value="{raw}"/></MediaContainer>'
        assert parse_prefs(xml.encode()).relay_enabled is expected


def test_prefs_xml() -> None:
    body = (
        b'<MediaContainer size="3"><Setting id="ManualPortMappingMode" value="1" type="bool"/>'
        b'<Setting id="ManualPortMappingPort" value="32500" type="int"/>'
        b'<Setting id="customConnections" value=" https://a.example:443 , https://b.example " type="text"/></MediaContainer>'
    )
    prefs = parse_prefs(body)
    assert prefs.manual_port_mapping is True
    assert prefs.manual_port == 32500
    assert prefs.custom_connections == ("https://a.example:443", "https://b.example")


@pytest.mark.parametrize(
    ("name", "machine_identifier", "presence", "relay", "matches", "relay_connections"),
    [
        ("plextv_api_v2_resources.plex-api-rs.json", "client_id2", True, True, False, 1),
        ("plextv_api_resources.plex-api-rs.xml", "3", True, True, False, 0),
        ("plextv_api_v2_resources.ha-core.one_server.v2format.xml", "unique_id_123", True, False, True, 0),
        ("plextv_api_v2_resources.ha-core.one_server.xml", "unique_id_123", True, False, True, 0),
        (
            "plextv_api_resources.ha-core-issue-38247.relay.xml",
            "xxxxxxxxxxxxxxxxxxxxxxxx",
            True,
            True,
            True,
            1,
        ),
    ],
)
def test_plex_tv_resources_in_all_three_forms(
    name: str, machine_identifier: str, presence: bool, relay: bool, matches: bool, relay_connections: int
) -> None:
    view = find_server(parse_resources(fixture(name)), machine_identifier)
    assert view.resource is not None
    assert (view.resource.presence, view.resource.relay, view.resource.public_address_matches) == (
        presence,
        relay,
        matches,
    )
    assert sum(connection.relay for connection in view.resource.connections) == relay_connections


def test_plex_tv_two_servers_and_unlisted() -> None:
    resources = parse_resources(fixture("plextv_api_v2_resources.ha-core.two_servers.xml"))
    servers = [resource.client_identifier for resource in resources]
    assert len(set(servers)) >= 2
    assert find_server(resources, "not-a-server").resource is None


def test_real_reachability_notification() -> None:
    """The message Tautulli logged from a real server."""
    message = fixture("websocket_notification.reachability.tautulli-issue-1221.json").decode()
    assert notification_type(message) == "reachability"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml nor json",
        b"<MyPlex",
        b'{"MyPlex": ',
        b"[1, 2]",
        b'{"Other": {}}',
        b"<Other/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><MyPlex mappingState="&b;"/>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><MyPlex username="&e;"/>',
    ],
)
def test_malformed_or_malicious_account_is_a_typed_error(body: bytes) -> None:
    with pytest.raises(DoctorResponseError):
        parse_account(body)


@pytest.mark.parametrize(
    "body", [b"<MediaContainer/>", b'{"MediaContainer": {"Setting": []}}', b'{"MediaContainer": {}}']
)
def test_prefs_without_settings_is_a_typed_error(body: bytes) -> None:
    with pytest.raises(DoctorResponseError):
        parse_prefs(body)


def test_identity_without_machine_identifier_is_a_typed_error() -> None:
    with pytest.raises(DoctorResponseError):
        parse_identity(b'<MediaContainer version="1.0"/>')
