"""Plex and plex.tv bodies, real ones from tests/fixtures/plex (see its SOURCES.md)."""

from __future__ import annotations

from ipaddress import IPv4Address
import json
from pathlib import Path

import pytest

from custom_components.plex_remote_doctor.doctor.errors import DoctorResponseError
from custom_components.plex_remote_doctor.doctor.evidence import MappingState, SignInState
from custom_components.plex_remote_doctor.doctor.notifications import notification_type, play_states
from custom_components.plex_remote_doctor.doctor.plex import (
    parse_account,
    parse_identity,
    parse_prefs,
    parse_sessions,
)
from custom_components.plex_remote_doctor.doctor.plex_tv import (
    find_server,
    parse_resources,
    parse_user_plex_pass,
)

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


# --- issue 16: Plex Pass, streams, published and IPv6 connections -------------------------


def test_plex_pass_from_the_spec_example_that_leaves_subscription_active_empty() -> None:
    """subscriptionActive null, subscriptionState "Active": the state decides."""
    account = parse_account(fixture("myplex_account.plex-api-spec-example.json"))
    assert account.subscription_active is None
    assert account.plex_pass is True


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('subscriptionActive="1" subscriptionState="Active"', True),
        ('subscriptionActive="0" subscriptionState="Inactive"', False),
        ('subscriptionActive="" subscriptionState="Lapsed"', False),
        ('subscriptionState="Active"', True),
        ("", None),
    ],
)
def test_plex_pass_from_the_account(attributes: str, expected: bool | None) -> None:
    account = parse_account(f'<MyPlex signInState="ok" {attributes} />'.encode())
    assert account.plex_pass is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("root.ha-core.xml", True),
        ("root.pms-openapi-example.json", True),
        ("media_providers.plex-api-rs.free.json", False),
        ("media_providers.plex-api-rs.plexpass.json", True),
    ],
)
def test_plex_pass_from_the_root_document(name: str, expected: bool) -> None:
    body = fixture(name).replace(b"{machine_identifier}", b"abc").replace(b"{name}", b"Plex")
    assert parse_identity(body).plex_pass is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"id": 1, "subscription": {"active": true, "status": "Active", "plan": "lifetime"}}', True),
        (b'{"id": 1, "subscription": {"active": false, "status": "Inactive"}}', False),
        (b'{"id": 1, "subscription": {"status": "Active"}}', True),
        (b'{"id": 1}', None),
    ],
)
def test_plex_pass_from_plex_tv_user(body: bytes, expected: bool | None) -> None:
    assert parse_user_plex_pass(body) is expected


# /status/sessions as Plex sends it (attribute names and nesting from PMS 1.32 captures):
# a phone on 4G through the relay, a TV on the LAN, a browser abroad playing directly.
SESSIONS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="3">
<Video sessionKey="12" type="movie" title="One"><User id="1" title="owner"/>
<Player address="198.51.100.23" local="0" relayed="1" secure="1" state="playing" product="Plex for Android"/>
<Session id="a" bandwidth="2000" location="wan"/></Video>
<Track sessionKey="13" type="track" title="Two">
<Player address="192.168.1.50" local="1" relayed="0" state="paused"/><Session id="b" location="lan"/></Track>
<Video sessionKey="14" type="episode" title="Three">
<Player address="203.0.113.77" local="0" relayed="0" state="buffering"/><Session id="c" location="wan"/></Video>
</MediaContainer>"""


def test_sessions_xml() -> None:
    streams = parse_sessions(SESSIONS_XML)
    assert (len(streams.sessions), streams.remote, streams.relayed) == (3, 2, 1)
    assert streams.sessions[1].state == "paused"


def test_sessions_json_and_empty() -> None:
    body = {
        "MediaContainer": {
            "size": 1,
            "Metadata": [
                {
                    "type": "movie",
                    "Player": {
                        "address": "198.51.100.23",
                        "local": False,
                        "relayed": False,
                        "state": "playing",
                    },
                    "Session": {"id": "a", "location": "wan"},
                }
            ],
        }
    }
    streams = parse_sessions(json.dumps(body).encode())
    assert (streams.remote, streams.relayed) == (1, 0)
    empty = parse_sessions(b'{"MediaContainer": {"size": 0}}')
    assert (empty.sessions, empty.remote) == ((), 0)


def test_session_without_player_local_falls_back_to_the_session_location() -> None:
    streams = parse_sessions(
        b'<MediaContainer size="1"><Video><Player address="198.51.100.2"/><Session location="wan"/></Video></MediaContainer>'
    )
    assert streams.remote == 1


@pytest.mark.parametrize("body", [b"<html>busy</html>", b'{"MediaContainer": {"Metadata": 3}}', b"[]"])
def test_malformed_sessions_are_a_typed_error(body: bytes) -> None:
    with pytest.raises(DoctorResponseError):
        parse_sessions(body)


def test_plex_tv_ipv6_connections_are_marked() -> None:
    body = json.dumps(
        [
            {
                "clientIdentifier": "abc",
                "provides": "server",
                "connections": [
                    {
                        "uri": "https://2001-db8--20.abc.plex.direct:32400",
                        "address": "2001:db8::20",
                        "port": 32400,
                        "local": False,
                        "relay": False,
                        "IPv6": True,
                    },
                    {
                        "uri": "https://203-0-113-2.abc.plex.direct:41234",
                        "address": "203.0.113.2",
                        "port": 41234,
                        "local": False,
                        "relay": False,
                        "IPv6": False,
                    },
                ],
            }
        ]
    ).encode()
    [resource] = parse_resources(body)
    assert [(c.ipv6, c.direct_remote) for c in resource.connections] == [(True, True), (False, True)]


def test_playing_notifications_give_session_states() -> None:
    message = json.dumps(
        {
            "NotificationContainer": {
                "type": "playing",
                "size": 1,
                "PlaySessionStateNotification": [
                    {"sessionKey": "12", "state": "playing", "viewOffset": 1000},
                    {"sessionKey": "13", "state": "stopped"},
                    {"state": "playing"},
                ],
            }
        }
    )
    assert notification_type(message) == "playing"
    assert play_states(message) == {"12": "playing", "13": "stopped"}
