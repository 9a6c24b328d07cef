"""Fuzzing every parser: whatever arrives, a typed error or a value, never a crash.

Fast profile in every run; ``HYPOTHESIS_PROFILE=long ./script/test -k fuzz`` runs
20 times more examples.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.plex_remote_doctor.doctor.errors import DoctorResponseError
from custom_components.plex_remote_doctor.doctor.notifications import notification_type
from custom_components.plex_remote_doctor.doctor.payload import as_bool, as_port, decode
from custom_components.plex_remote_doctor.doctor.plex import parse_account, parse_identity, parse_prefs
from custom_components.plex_remote_doctor.doctor.plex_tv import parse_resources
from custom_components.plex_remote_doctor.doctor.public_ip import parse_public_ip
from custom_components.plex_remote_doctor.doctor.router import parse_port_listing

settings.register_profile(
    "fast", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=6000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

PARSERS = (parse_account, parse_prefs, parse_identity, parse_resources)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
plex_keys = st.sampled_from(
    [
        "MyPlex",
        "MediaContainer",
        "Setting",
        "mappingState",
        "mappingError",
        "signInState",
        "publicAddress",
        "publicPort",
        "privateAddress",
        "machineIdentifier",
        "id",
        "value",
        "clientIdentifier",
        "connections",
        "presence",
    ]
)
plexish_json = st.recursive(
    json_values,
    lambda children: st.dictionaries(plex_keys, children, max_size=5) | st.lists(children, max_size=4),
    max_leaves=25,
)
xml_names = st.sampled_from(
    ["MyPlex", "MediaContainer", "Setting", "Device", "Connection", "resources", "resource", "x"]
)
attribute_values = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=15)


@st.composite
def plexish_xml(draw: st.DrawFn) -> bytes:
    def element(depth: int) -> str:
        name = draw(xml_names)
        attributes = draw(st.dictionaries(plex_keys, attribute_values, max_size=4))
        rendered = " ".join(
            f'{key}="{json.dumps(value)[1:-1].replace(chr(34), "&quot;")}"'
            for key, value in attributes.items()
        )
        children = "" if depth > 2 else "".join(element(depth + 1) for _ in range(draw(st.integers(0, 2))))
        return f"<{name} {rendered}>{children}</{name}>"

    text = element(0)
    if draw(st.booleans()):  # sometimes cut it short
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode()


def parse_all(body: bytes) -> None:
    for parser in PARSERS:
        with contextlib.suppress(DoctorResponseError):
            parser(body)


@given(st.binary(max_size=400))
def test_plex_parsers_on_arbitrary_bytes(body: bytes) -> None:
    parse_all(body)


@given(plexish_json)
def test_plex_parsers_on_plexish_json(document: Any) -> None:
    parse_all(json.dumps(document).encode())


@given(plexish_xml())
def test_plex_parsers_on_plexish_xml(body: bytes) -> None:
    parse_all(body)


@given(st.text(max_size=300))
def test_port_listing(text: str) -> None:
    try:
        for mapping in parse_port_listing(text):
            assert mapping.external_port >= 0
    except DoctorResponseError:
        pass


@given(st.binary(max_size=64))
def test_public_ip_answers(body: bytes) -> None:
    try:
        address = parse_public_ip(body, "echo")
    except DoctorResponseError:
        return
    assert str(address) in body.decode("ascii")


@given(st.text(max_size=200) | plexish_json.map(json.dumps))
def test_websocket_messages(message: str) -> None:
    kind = notification_type(message)
    assert kind is None or isinstance(kind, str)


@given(json_values)
def test_scalar_coercions(value: Any) -> None:
    assert as_bool(value) in (True, False, None)
    port = as_port(value)
    assert port is None or 0 < port < 65536


@given(st.integers(min_value=1, max_value=60).flatmap(lambda depth: st.just(b"[" * depth * 100)))
def test_deep_nesting_is_refused_not_a_recursion_crash(body: bytes) -> None:
    with contextlib.suppress(DoctorResponseError):
        decode(body, "deep")
