"""No false alarms: long randomized runs with transient faults of every kind.

A transient fault lasts one check, as a Plex restart, a router hiccup or a blocked
echo service does. The blueprint is set to notify at once ("off for 0 s"), the
strictest setting: any flicker of ``remote_access`` to off would notify. Fast runs in
every ``./script/test``; ``./script/test -m slow`` runs 1,000 checks each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import random

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN
from simulator.network import FakeNetwork

from .blueprint import notify_on_broken_remote_access

MACHINE_ID = "0123456789abcdef0123456789abcdef"


def _plex_503(net: FakeNetwork) -> None:
    net.plex.state.fail_status = 503


def _plex_garbage(net: FakeNetwork) -> None:
    net.plex.state.raw_bodies["/myplex/account"] = "<MyPlex mappingState="


def _plex_waiting(net: FakeNetwork) -> None:
    net.plex_says(mappingState="waiting")


def _plex_prefs_broken(net: FakeNetwork) -> None:
    net.plex.state.raw_bodies["/:/prefs"] = "{}"


def _router_soap_garbage(net: FakeNetwork) -> None:
    net.igd.state.raw_soap = "<s:Envelope"


def _router_refuses(net: FakeNetwork) -> None:
    net.igd.state.external_ip_error = 501


def _router_table_refused(net: FakeNetwork) -> None:
    net.igd.state.list_error = 606
    net.igd.state.mappings = []  # and the walk finds nothing: the table is simply unreadable


def _echo_500(net: FakeNetwork) -> None:
    net.echo.state.status = 500


# Checks at the default interval: confirmation needs them to span 60 s of Home Assistant's clock.
CHECK_INTERVAL = timedelta(seconds=30)


def _echo_garbage(net: FakeNetwork) -> None:
    net.echo.state.answer = "<html>captive portal</html>"


def _plex_tv_down(net: FakeNetwork) -> None:
    net.plex_tv.state.status = 503


FAULTS: dict[str, Callable[[FakeNetwork], None]] = {
    "plex_503": _plex_503,
    "plex_garbage": _plex_garbage,
    "plex_waiting": _plex_waiting,
    "plex_prefs_broken": _plex_prefs_broken,
    "router_soap_garbage": _router_soap_garbage,
    "router_refuses": _router_refuses,
    "router_table_refused": _router_table_refused,
    "echo_500": _echo_500,
    "echo_garbage": _echo_garbage,
    "plex_tv_down": _plex_tv_down,
}


async def run_checks(
    hass: HomeAssistant,
    network: FakeNetwork,
    entry: MockConfigEntry,
    *,
    scenario: str,
    checks: int,
    fault_rate: float,
    seed: int,
    clock: FrozenDateTimeFactory,
) -> Counter[str]:
    """Run ``checks`` checks of ``scenario`` with one-check faults; count what happened."""
    rng = random.Random(seed)
    faults: Counter[str] = Counter()
    previous_fault = ""
    before = network.plex.state.requests.count(("GET", "/myplex/account"))
    for _ in range(checks):
        network.apply(scenario)
        network.plex.state.raw_bodies.clear()
        fault = ""
        if rng.random() < fault_rate:
            fault = rng.choice([name for name in FAULTS if name != previous_fault])
            FAULTS[fault](network)
            faults[fault] += 1
        previous_fault = fault
        clock.tick(CHECK_INTERVAL)
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done()
    assert network.plex.state.requests.count(("GET", "/myplex/account")) - before == checks
    return faults


@pytest.fixture
async def watched(
    hass: HomeAssistant, tmp_path: Path, network: FakeNetwork, setup_entry: MockConfigEntry
) -> tuple[list[Event], list[ServiceCall]]:
    """Issue registry events of this integration, and the blueprint's notifications."""
    calls = await notify_on_broken_remote_access(
        hass, tmp_path, notify_when_restored=False, broken_for={"seconds": 0}
    )
    events: list[Event] = []

    def record(event: Event[ir.EventIssueRegistryUpdatedData]) -> None:
        if event.data["domain"] == DOMAIN:
            events.append(event)  # type: ignore[arg-type]

    hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, record)
    return events, calls


def created(events: list[Event]) -> list[str]:
    return [event.data["issue_id"] for event in events if event.data["action"] == "create"]


async def healthy_run(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    watched: tuple[list[Event], list[ServiceCall]],
    checks: int,
    freezer: FrozenDateTimeFactory,
) -> None:
    events, calls = watched
    faults = await run_checks(
        hass, network, setup_entry, scenario="healthy", checks=checks, fault_rate=0.2, seed=1, clock=freezer
    )
    assert sum(faults.values()) >= checks * 0.15
    assert created(events) == []  # zero repairs
    assert calls == []  # zero notifications
    print(
        f"healthy: {checks} checks, {sum(faults.values())} faults {dict(faults)}, 0 repairs, 0 notifications"
    )


async def broken_run(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    watched: tuple[list[Event], list[ServiceCall]],
    checks: int,
    freezer: FrozenDateTimeFactory,
) -> None:
    events, calls = watched
    await run_checks(
        hass, network, setup_entry, scenario="cgnat", checks=checks, fault_rate=0.2, seed=2, clock=freezer
    )
    assert created(events) == [f"{MACHINE_ID}_cgnat"]  # exactly one repair, never re-raised
    assert len(calls) == 1  # one notification
    await run_checks(
        hass, network, setup_entry, scenario="healthy", checks=3, fault_rate=0, seed=3, clock=freezer
    )
    removed = [event.data["issue_id"] for event in events if event.data["action"] == "remove"]
    assert removed == [f"{MACHINE_ID}_cgnat"]
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"{MACHINE_ID}_cgnat") is None


async def test_healthy_with_transient_faults_raises_nothing(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    watched: tuple[list[Event], list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    await healthy_run(hass, network, setup_entry, watched, checks=150, freezer=freezer)


async def test_broken_with_transient_faults_raises_one_repair_then_clears(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    watched: tuple[list[Event], list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    await broken_run(hass, network, setup_entry, watched, checks=100, freezer=freezer)


@pytest.mark.slow
async def test_thousand_healthy_checks(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    watched: tuple[list[Event], list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    await healthy_run(hass, network, setup_entry, watched, checks=1000, freezer=freezer)


@pytest.mark.slow
async def test_thousand_broken_checks(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    watched: tuple[list[Event], list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    await broken_run(hass, network, setup_entry, watched, checks=1000, freezer=freezer)
