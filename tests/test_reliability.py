"""No false alarms: long randomized runs with transient faults of every kind.

A transient fault lasts one check, as a Plex restart, a router hiccup or a blocked
echo service does. The blueprint is set to notify at once ("off for 0 s"), the
strictest setting: any flicker of ``remote_access`` to off would notify. Fast runs in
every ``./script/test``; ``./script/test -m slow`` runs 1,000 checks each.

Every fault proves on the check it breaks that it took effect (a probe missing, a part
unknown, a renewal refused, subscriptions lost): a fault that injects nothing fails.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
import random

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.doctor.cadence import SHARED_INTERVAL
from custom_components.plex_remote_doctor.doctor.evidence import Evidence, MappingState
from simulator.igd import Mapping
from simulator.network import FakeNetwork

from .blueprint import notify_on_broken_remote_access
from .doctor.test_router import HELD_BACK
from .test_coordinator import quick_router
from .test_events import wait_until

MACHINE_ID = "0123456789abcdef0123456789abcdef"

# The clock runs on between the checks' ticks: a router call held back must time out.
pytestmark = pytest.mark.freeze_time(tick=True)


@dataclass(frozen=True, slots=True)
class Home:
    """What a fault may touch: the fakes and the Home Assistant running the integration."""

    hass: HomeAssistant
    network: FakeNetwork
    entry: MockConfigEntry
    clock: FrozenDateTimeFactory


# Whether the faulted check shows the fault took effect: its evidence, or for the router's
# events (which give no evidence) what the fake router saw.
type Proof = Callable[[Evidence], bool]


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault lasting one check: ``inject`` breaks something and returns its proof."""

    inject: Callable[[Home], Awaitable[Proof]]


def on_network(change: Callable[[FakeNetwork], None], proof: Proof) -> Fault:
    """A fault that only changes what a fake answers."""

    async def inject(home: Home) -> Proof:
        change(home.network)
        return proof

    return Fault(inject)


def missing(probe: str) -> Proof:
    return lambda evidence: probe in evidence.missing


def on_shared_service(change: Callable[[FakeNetwork], None], service: str) -> Fault:
    """A fault of a shared service, on a check when it is asked (they are asked every few minutes).

    The proof: the service is missing, or the reading before stays in use (it still fits
    the home), older than this check.
    """

    async def inject(home: Home) -> Proof:
        home.clock.tick(timedelta(seconds=SHARED_INTERVAL))
        change(home.network)
        return lambda evidence: (
            service in evidence.missing or evidence.shared_ages.get(service, 0) >= SHARED_INTERVAL
        )

    return Fault(inject)


def _table_unknown(evidence: Evidence) -> bool:
    """The router was read, its table not: unknown, not empty (an empty one proves upnp_stale)."""
    return evidence.router is not None and evidence.router.port_mappings is None


def _status_unknown(evidence: Evidence) -> bool:
    return evidence.router is not None and evidence.router.connection_status is None


def _plex_mapping(evidence: Evidence) -> bool:
    return evidence.account is not None and evidence.account.mapping_state is MappingState.WAITING


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
    net.igd.state.entry_errors = {0: 606}  # and the walk it falls back to: refused as well


def _router_walk_timeout(net: FakeNetwork) -> None:
    net.igd.state.list_error = 606  # walked, as on IGD v1
    net.igd.state.entry_delays = {0: HELD_BACK}


def _router_walk_cut_short(net: FakeNetwork) -> None:
    """A busy router answers one entry, then 501: Plex's own mapping was the next one."""
    net.igd.state.list_error = 606
    net.igd.state.mappings.insert(0, Mapping(5000, "192.168.1.50", 5000))
    net.igd.state.entry_errors = {1: 501}


def _router_status_timeout(net: FakeNetwork) -> None:
    net.igd.state.delays = {"GetStatusInfo": HELD_BACK}


def _echo_500(net: FakeNetwork) -> None:
    net.echo.state.status = 500


def _echo_garbage(net: FakeNetwork) -> None:
    net.echo.state.answer = "<html>captive portal</html>"


def _plex_tv_down(net: FakeNetwork) -> None:
    net.plex_tv.state.status = 503


# Past any renewal (every 20 min, or half the 1800 s the fake router grants), before the
# grant lapses: a renewal, not a subscription the router has already dropped.
RENEWAL_DUE = timedelta(minutes=25)


async def _renewal_due(home: Home, until: Callable[[], bool]) -> None:
    """A renewal falls due (the loop's timers run with the clock); wait a little for ``until``."""
    home.clock.tick(RENEWAL_DUE)
    await home.hass.async_block_till_done()
    with contextlib.suppress(TimeoutError):  # the fault's proof then says what did not happen
        await wait_until(until, 5)
    # The renewal runs as a background task: what it started ends (or times out) before
    # the next tick, which would time it out at once.
    await asyncio.sleep(HELD_BACK)


async def _events_held(home: Home) -> set[str]:
    """The router's subscriptions, once it holds the integration's (its next renewal is one)."""
    events = home.entry.runtime_data.listeners.router_events
    assert events is not None

    def held() -> bool:
        return bool(events.subscribed and home.network.igd.subscribers)

    with contextlib.suppress(TimeoutError):
        await wait_until(held, 1)  # the one made at set-up may be on its way
    if not held():  # lost to an earlier fault: the next renewal brings it back
        await _renewal_due(home, held)
    return set(home.network.igd.subscribers)


async def _gena_renewal_refused(home: Home) -> Proof:
    igd = home.network.igd.state
    await _events_held(home)
    igd.subscribe_error = 500
    refused = igd.refused_renewals
    await _renewal_due(home, lambda: igd.refused_renewals > refused)
    return lambda _: igd.refused_renewals > refused


async def _router_restart(home: Home) -> Proof:
    """A reboot on the same port: the router forgets every event subscription."""
    held = await _events_held(home)
    await home.network.igd.stop()
    await home.network.igd.start()
    return lambda _: bool(held) and not held & set(home.network.igd.subscribers)


FAULTS: dict[str, Fault] = {
    "plex_503": on_network(_plex_503, missing("plex")),
    "plex_garbage": on_network(_plex_garbage, missing("plex_account")),
    "plex_waiting": on_network(_plex_waiting, _plex_mapping),
    "plex_prefs_broken": on_network(_plex_prefs_broken, missing("plex_prefs")),
    "router_soap_garbage": on_network(_router_soap_garbage, missing("router")),
    "router_refuses": on_network(_router_refuses, missing("router")),
    "router_table_refused": on_network(_router_table_refused, _table_unknown),
    "router_walk_timeout": on_network(_router_walk_timeout, _table_unknown),
    "router_walk_cut_short": on_network(_router_walk_cut_short, _table_unknown),
    "router_status_timeout": on_network(_router_status_timeout, _status_unknown),
    "gena_renewal_refused": Fault(_gena_renewal_refused),
    "router_restart": Fault(_router_restart),
    "echo_500": on_shared_service(_echo_500, "public_ip"),
    "echo_garbage": on_shared_service(_echo_garbage, "public_ip"),
    "plex_tv_down": on_shared_service(_plex_tv_down, "plex_tv"),
}

# Checks at the default interval: confirmation needs them to span 60 s of Home Assistant's clock.
CHECK_INTERVAL = timedelta(seconds=30)


async def check(home: Home) -> Evidence:
    """One check, ``CHECK_INTERVAL`` after the previous one; what it measured."""
    home.clock.tick(CHECK_INTERVAL)
    await home.entry.runtime_data.async_refresh()
    await home.hass.async_block_till_done()
    evidence: Evidence = home.entry.runtime_data.data.evidence
    return evidence


async def run_checks(home: Home, *, scenario: str, checks: int, fault_rate: float, seed: int) -> Counter[str]:
    """Run ``checks`` checks of ``scenario`` with one-check faults, each proven; count them."""
    network = home.network
    rng = random.Random(seed)
    faults: Counter[str] = Counter()
    previous_fault = ""
    before = network.plex.state.requests.count(("GET", "/myplex/account"))
    for _ in range(checks):
        network.apply(scenario)
        network.plex.state.raw_bodies.clear()
        network.igd.state.clear_faults()  # knobs the scenarios leave alone
        fault, proof = "", None
        if rng.random() < fault_rate:
            fault = rng.choice([name for name in FAULTS if name != previous_fault])
            proof = await FAULTS[fault].inject(home)
            faults[fault] += 1
        previous_fault = fault
        evidence = await check(home)
        assert proof is None or proof(evidence), f"fault {fault} injected nothing"
    # Every check ran; a renewal that falls due may add one (a poll, a re-subscription's event).
    assert network.plex.state.requests.count(("GET", "/myplex/account")) - before >= checks
    return faults


@pytest.fixture
async def home(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> Home:
    """The integration set up against the fakes, checked once more; router calls time out quickly."""
    quick_router(setup_entry)
    # The run makes every check itself (this refresh drops the poll set up before): a poll
    # started by an hour passing would still be in flight when a check's tick times it out.
    setup_entry.runtime_data.update_interval = None
    await setup_entry.runtime_data.async_refresh()
    return Home(hass, network, setup_entry, freezer)


@pytest.fixture
async def watched(hass: HomeAssistant, tmp_path: Path, home: Home) -> tuple[list[Event], list[ServiceCall]]:
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


async def healthy_run(home: Home, watched: tuple[list[Event], list[ServiceCall]], checks: int) -> None:
    events, calls = watched
    faults = await run_checks(home, scenario="healthy", checks=checks, fault_rate=0.2, seed=1)
    assert sum(faults.values()) >= checks * 0.15
    assert created(events) == []  # zero repairs
    assert calls == []  # zero notifications
    # The router's events come back once its faults are over.
    assert await _events_held(home)
    print(
        f"healthy: {checks} checks, {sum(faults.values())} faults {dict(faults)}, 0 repairs, 0 notifications"
    )


async def broken_run(home: Home, watched: tuple[list[Event], list[ServiceCall]], checks: int) -> None:
    events, calls = watched
    faults = await run_checks(home, scenario="cgnat", checks=checks, fault_rate=0.2, seed=2)
    assert created(events) == [f"{MACHINE_ID}_cgnat"]  # exactly one repair, never re-raised
    assert len(calls) == 1  # one notification
    await run_checks(home, scenario="healthy", checks=3, fault_rate=0, seed=3)
    removed = [event.data["issue_id"] for event in events if event.data["action"] == "remove"]
    assert removed == [f"{MACHINE_ID}_cgnat"]
    assert ir.async_get(home.hass).async_get_issue(DOMAIN, f"{MACHINE_ID}_cgnat") is None
    print(f"broken: {checks} checks, {sum(faults.values())} faults {dict(faults)}, 1 repair, 1 notification")


@pytest.mark.parametrize("name", FAULTS)
async def test_each_fault_injects_what_it_names(home: Home, name: str) -> None:
    """Each fault once in a healthy home: the check shows it, or the fault exercises nothing."""
    healthy = home.entry.runtime_data.data.evidence
    assert healthy.missing == {}
    assert healthy.router is not None
    assert healthy.router.port_mappings
    assert healthy.router.connection_status
    proof = await FAULTS[name].inject(home)
    assert proof(await check(home)), f"fault {name} injected nothing"


async def test_healthy_with_transient_faults_raises_nothing(
    home: Home, watched: tuple[list[Event], list[ServiceCall]]
) -> None:
    await healthy_run(home, watched, checks=150)


async def test_broken_with_transient_faults_raises_one_repair_then_clears(
    home: Home, watched: tuple[list[Event], list[ServiceCall]]
) -> None:
    await broken_run(home, watched, checks=100)


@pytest.mark.slow
async def test_thousand_healthy_checks(home: Home, watched: tuple[list[Event], list[ServiceCall]]) -> None:
    await healthy_run(home, watched, checks=1000)


@pytest.mark.slow
async def test_thousand_broken_checks(home: Home, watched: tuple[list[Event], list[ServiceCall]]) -> None:
    await broken_run(home, watched, checks=1000)
