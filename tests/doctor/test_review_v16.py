"""Review of v16/v17: real homes against the shared-service cadence and the new evidence.

Each test asserts what DESIGN.md asks for; a failing test is a problem found.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from custom_components.plex_remote_doctor.doctor.diagnose import Finding, diagnose
from custom_components.plex_remote_doctor.doctor.evidence import MappingState, PlexSession
from simulator.network import FakeNetwork

from .scenarios import build, remote_stream
from .test_doctor import doctor

T0 = 1_800_000_000.0  # Home Assistant's clock (utcnow().timestamp()), as the coordinator passes it


# --- cadence ------------------------------------------------------------------------------


async def test_clock_moved_back_does_not_make_every_check_ask_the_shared_services(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """NTP corrects Home Assistant's clock back by an hour shortly after a renumbering.

    Nothing changes afterwards; checks every 30 s. The contract allows at most one ask of
    each shared service per 5 minutes when nothing changed (one ask at the jump is fine).
    """
    examiner = doctor(net, session)
    await examiner.examine(T0)
    net.igd.state.external_ip = "203.0.113.99"  # the provider renumbers, Plex follows
    net.plex_says(publicAddress="203.0.113.99")
    net.echo.state.answer = "203.0.113.99"
    await examiner.examine(T0 + 30)
    await examiner.examine(T0 + 150)  # plex.tv's follow-up read
    echo_before, plex_tv_before = net.echo.state.calls, net.plex_tv.state.calls
    back = T0 + 180 - 3600  # the clock is corrected back by an hour
    for step in range(9):  # 9 checks over 240 s, nothing changes
        await examiner.examine(back + 30 * step)
    assert net.echo.state.calls - echo_before <= 1
    assert net.plex_tv.state.calls - plex_tv_before <= 1


async def test_renumbering_while_public_ip_service_fails_on_its_routine_ask(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """The provider renumbers the home on the very check whose routine ask of the public-IP
    service fails (the service is down). Plex has not noticed yet and says unreachable.

    cadence: a failed ask keeps the last reading "unless local evidence changed since it
    was read" (never after a local change). Keeping the old public IP beside the new WAN
    IP makes the two vantage points (HA and Plex, both still on the old address) agree
    against the router: a carrier-grade NAT that does not exist.
    """
    examiner = doctor(net, session)
    await examiner.examine(T0)  # public IP 203.0.113.2 read
    await examiner.examine(T0 + 150)
    net.echo.state.status = 503  # the public-IP service is down
    net.igd.state.external_ip = "203.0.113.99"  # renumbered: the router says so at once
    net.plex_says(mappingError="unreachable")  # plex.tv's test of the old address fails
    evidence = await examiner.examine(T0 + 300)  # the routine ask is due on this check
    assert evidence.router is not None
    assert str(evidence.router.wan_ip) == "203.0.113.99"
    assert evidence.public_ip is None, "a reading from before the renumbering is kept"
    diagnosis = diagnose(evidence)
    assert diagnosis.cgnat is not True
    assert diagnosis.finding is not Finding.CGNAT
    # The next check (30 s later) still carries it: the wrong fact lasts until the next ask.
    evidence = await examiner.examine(T0 + 330)
    assert evidence.public_ip is None


async def test_renumbering_while_public_ip_service_fails_off_the_routine_ask(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    """Control: the same home, the renumbering seen on a check where no routine ask is due."""
    examiner = doctor(net, session)
    await examiner.examine(T0)
    net.echo.state.status = 503
    net.igd.state.external_ip = "203.0.113.99"
    net.plex_says(mappingError="unreachable")
    evidence = await examiner.examine(T0 + 120)
    assert evidence.public_ip is None
    assert diagnose(evidence).cgnat is not True


async def test_flapping_nothing_changes_polite(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """Checks every 30 s for an hour, the router's status call failing on every fifth check.

    A probe part that fails is no change: at most one ask per 5 minutes (13 in an hour,
    the first included), plus plex.tv's nothing else.
    """
    examiner = doctor(net, session)
    for step in range(120):
        net.igd.state.connection_status = "Connected"
        net.plex.state.fail_status = 500 if step % 5 == 3 else None
        await examiner.examine(T0 + 30 * step)
    assert net.echo.state.calls <= 13
    assert net.plex_tv.state.calls <= 13


# --- published address --------------------------------------------------------------------


def test_plex_behind_vpn_with_a_forwarded_port_is_not_a_stale_listing() -> None:
    """Plex runs behind a VPN that forwards a port (manual mode, 47123): Plex says fully
    accessible at the VPN's address, and plex.tv lists exactly that address and port.
    The router and Home Assistant agree on the home's WAN IP, which plex.tv does not list.

    Apps are sent to where Plex is reachable: nothing is stale, and "Retry / sign out and
    in" changes nothing. (plex_public_ip_mismatch is a network finding, judged only on a
    failure: here nothing fails.)
    """
    evidence = build(
        plex_public="198.51.100.50",
        public_port=47123,
        manual=True,
        manual_port=47123,
        table=(),
    )
    diagnosis = diagnose(evidence)
    assert diagnosis.status is not None
    assert diagnosis.status.value == "reachable"
    assert diagnosis.finding is not Finding.PUBLISHED_ADDRESS_STALE


def test_dual_wan_plex_leaves_through_the_second_line_is_not_a_stale_listing() -> None:
    """Dual-WAN: policy routing sends Plex out of WAN2 (198.51.100.9), where the router also
    forwards its port; Plex is mapped and reachable and plex.tv lists WAN2. The router's
    default WAN service and Home Assistant both see WAN1."""
    evidence = build(plex_public="198.51.100.9", published=(("198.51.100.9", 41234),))
    assert diagnose(evidence).finding is not Finding.PUBLISHED_ADDRESS_STALE


def test_stale_listing_still_found_when_ha_vpn_differs() -> None:
    """Control: HA behind a VPN, plex.tv still lists the pre-renumbering address."""
    evidence = build(public_ip="198.51.100.200", published=(("203.0.113.250", 41234),))
    assert diagnose(evidence).finding is Finding.PUBLISHED_ADDRESS_STALE


# --- streams as proof ---------------------------------------------------------------------

CGNAT_HOME: dict[str, Any] = {
    "wan": "100.64.10.2",
    "public_ip": "198.51.100.77",
    "plex_public": "198.51.100.77",
    "mapping_error": "unreachable",
    "table": (),
}


def test_cgnat_control_without_streams() -> None:
    assert diagnose(build(**CGNAT_HOME)).finding is Finding.CGNAT


def test_lan_player_over_ipv6_that_plex_calls_remote_is_no_proof() -> None:
    """A TV on the LAN reaches the server over IPv6 (both in the home's 2001:db8:1:2::/64);
    Plex's "LAN networks" list only the IPv4 subnet, so Plex flags the player local=0.

    The player is in the server's own IPv6 prefix: it proves nothing about the way in from
    the internet, so the CGNAT finding stands.
    """
    lan_tv = PlexSession(
        player_address="2001:db8:1:2::55", local=False, relayed=False, state="playing", location="wan"
    )
    evidence = build(**CGNAT_HOME, ipv6_enabled=True, ipv6_address="2001:db8:1:2::20", streams=(lan_tv,))
    diagnosis = diagnose(evidence)
    assert diagnosis.remote_stream_proof is False
    assert diagnosis.finding is Finding.CGNAT


def test_hairpin_player_at_the_homes_own_address_in_ipv4_mapped_form_is_no_proof() -> None:
    """A LAN player using the public address (router hairpin), reported by a dual-stack
    Plex as ``::ffff:<home's public IP>``: the home's own address is no proof."""
    hairpin = PlexSession(
        player_address="::ffff:198.51.100.77", local=False, relayed=False, state="playing", location="wan"
    )
    diagnosis = diagnose(build(**CGNAT_HOME, streams=(hairpin,)))
    assert diagnosis.remote_stream_proof is False
    assert diagnosis.finding is Finding.CGNAT


def test_paused_stream_is_no_proof_that_remote_access_works_now() -> None:
    """A phone paused a film hours ago; the UPnP lease has since lapsed and Plex's mapping
    failed. The contract: network findings hold unless a direct remote stream is playing."""
    paused = PlexSession(
        player_address="198.51.100.23", local=False, relayed=False, state="paused", location="wan"
    )
    evidence = build(mapping_state=MappingState.FAILED, table=(), streams=(paused,))
    diagnosis = diagnose(evidence)
    assert diagnosis.remote_stream_proof is False
    assert diagnosis.finding is Finding.MAPPING_FAILED


def test_cgnat_viewer_and_private_viewer_are_no_proof() -> None:
    """Controls: viewers at a CGNAT address (Tailscale) or a private one prove nothing."""
    for address in ("100.101.102.103", "10.8.0.6"):
        evidence = build(**CGNAT_HOME, streams=(remote_stream(address),))
        assert diagnose(evidence).finding is Finding.CGNAT, address


def test_home_public_ip_viewer_is_no_proof() -> None:
    evidence = build(**CGNAT_HOME, streams=(remote_stream("198.51.100.77"),))
    assert diagnose(evidence).finding is Finding.CGNAT
