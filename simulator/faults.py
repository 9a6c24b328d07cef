"""Faults that last one check: a Plex restart, a router hiccup, a captive portal.

The reliability tests and the soak benchmark break a working network with one of these
before a check and ``heal`` it before the next. Each only changes what a fake answers;
the tests prove, on the check a fault breaks, that it took effect.
"""

from __future__ import annotations

from collections.abc import Callable

from .igd import Mapping
from .network import FakeNetwork

type NetworkFault = Callable[[FakeNetwork], None]


def heal(network: FakeNetwork, scenario: str) -> None:
    """Back to ``scenario``, with the fault knobs that scenarios leave alone off as well."""
    network.apply(scenario)
    network.plex.state.raw_bodies.clear()
    network.igd.state.clear_faults()


def network_faults(held_back: float) -> dict[str, NetworkFault]:
    """Every fault by name; a slow router holds its answer back ``held_back`` seconds.

    ``held_back`` must be longer than the caller's router timeout, so that it times out.
    """

    def plex_503(net: FakeNetwork) -> None:
        net.plex.state.fail_status = 503

    def plex_garbage(net: FakeNetwork) -> None:
        net.plex.state.raw_bodies["/myplex/account"] = "<MyPlex mappingState="

    def plex_waiting(net: FakeNetwork) -> None:
        net.plex_says(mappingState="waiting")

    def plex_prefs_broken(net: FakeNetwork) -> None:
        net.plex.state.raw_bodies["/:/prefs"] = "{}"

    def router_soap_garbage(net: FakeNetwork) -> None:
        net.igd.state.raw_soap = "<s:Envelope"

    def router_refuses(net: FakeNetwork) -> None:
        net.igd.state.external_ip_error = 501

    def router_table_refused(net: FakeNetwork) -> None:
        net.igd.state.list_error = 606
        net.igd.state.entry_errors = {0: 606}  # and the walk it falls back to: refused as well

    def router_walk_timeout(net: FakeNetwork) -> None:
        net.igd.state.list_error = 606  # walked, as on IGD v1
        net.igd.state.entry_delays = {0: held_back}

    def router_walk_cut_short(net: FakeNetwork) -> None:
        """A busy router answers one entry, then 501: Plex's own mapping was the next one."""
        net.igd.state.list_error = 606
        net.igd.state.mappings.insert(0, Mapping(5000, "192.168.1.50", 5000))
        net.igd.state.entry_errors = {1: 501}

    def router_status_timeout(net: FakeNetwork) -> None:
        net.igd.state.delays = {"GetStatusInfo": held_back}

    def echo_500(net: FakeNetwork) -> None:
        net.echo.state.status = 500

    def echo_garbage(net: FakeNetwork) -> None:
        net.echo.state.answer = "<html>captive portal</html>"

    def plex_tv_down(net: FakeNetwork) -> None:
        net.plex_tv.state.status = 503

    faults = (
        plex_503,
        plex_garbage,
        plex_waiting,
        plex_prefs_broken,
        router_soap_garbage,
        router_refuses,
        router_table_refused,
        router_walk_timeout,
        router_walk_cut_short,
        router_status_timeout,
        echo_500,
        echo_garbage,
        plex_tv_down,
    )
    return {fault.__name__: fault for fault in faults}
