"""Fuzzing the router probe over real sockets: SOAP answers and device descriptions."""

from __future__ import annotations

import contextlib

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.plex_remote_doctor.doctor.errors import DoctorError
from custom_components.plex_remote_doctor.doctor.router import Router, describe
from simulator.network import FakeNetwork

from .test_fuzz import plexish_xml

SOAP = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    '<u:{action}Response xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2">{args}</u:{action}Response>'
    "</s:Body></s:Envelope>"
)
soap_bodies = (
    st.text(max_size=300)
    | st.builds(
        lambda action, args: SOAP.format(action=action, args=args),
        st.sampled_from(["GetExternalIPAddress", "GetStatusInfo", "GetListOfPortMappings", "Other"]),
        st.text(max_size=120),
    )
    | plexish_xml().map(bytes.decode)
)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=soap_bodies)
async def test_soap_answers(session: aiohttp.ClientSession, net: FakeNetwork, body: str) -> None:
    router = Router(net.igd.description_url, session, timeout=2)
    net.igd.state.raw_soap = None
    await router.info()
    net.igd.state.raw_soap = body
    try:
        state = await router.read()
    except DoctorError:
        return
    assert state.port_mappings is None or isinstance(state.port_mappings, tuple)


@FUZZ
@given(body=st.text(max_size=400) | plexish_xml().map(bytes.decode))
async def test_device_descriptions(session: aiohttp.ClientSession, net: FakeNetwork, body: str) -> None:
    net.igd.state.raw_description = body
    with contextlib.suppress(DoctorError):
        await describe(net.igd.description_url, session, timeout=2)
