"""Detection latency, cost of one check, router-table scale and footprint, in one run.

A real Home Assistant (as in the demo) runs against the loopback fakes; the
benchmark flips the fakes and watches Home Assistant's state machine over its
websocket API, and reads the HA process's CPU and memory with psutil.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import io
import json
from pathlib import Path
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from typing import Any

import aiohttp
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import Bench, home_assistant, machine, provenance  # noqa: E402
from bench.soak import section as soak_section, soak  # noqa: E402
from custom_components.plex_remote_doctor.const import DEFAULT_SCAN_INTERVAL  # noqa: E402
from custom_components.plex_remote_doctor.doctor import router as router_module  # noqa: E402
from custom_components.plex_remote_doctor.doctor.cadence import PUBLISH_GRACE  # noqa: E402
from custom_components.plex_remote_doctor.doctor.router import Router  # noqa: E402
from simulator.igd import FakeIgd, IgdState, Mapping  # noqa: E402
from simulator.network import LAN_IP, PUBLIC_IP, FakeNetwork  # noqa: E402
from simulator.plex_server import FakePlexServer, PlexState, default_prefs, healthy_account  # noqa: E402

REMOTE_ACCESS = "binary_sensor.living_room_plex_remote_access"
WAN_IP = "sensor.living_room_plex_router_wan_ip"
SHARED = ("public_ip", "plex_tv", "plex_tv_user")


def cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds of ``process`` so far, every thread's (also those that have ended).

    From the process's CPU clock (Linux), in nanoseconds: psutil's user and system times
    count 10 ms ticks, and one tick in a 40 s window is 0.025 % of a core, as large as the
    0.05 % target (a run read the integration at -0.008 % that way).
    """
    # clock_getcpuclockid(pid) as glibc makes it: the process-wide CPUCLOCK_SCHED clock.
    return time.clock_gettime(((~process.pid) << 3) | 2)


def distribution(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "min": round(ordered[0], 3),
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max": round(ordered[-1], 3),
    }


class StateWatcher:
    """Home Assistant's state_changed events, timestamped on arrival."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session, self.base, self.token = session, base, token
        self.changes: asyncio.Queue[tuple[float, str, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ws = await self.session.ws_connect(f"{self.base}/api/websocket")
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": self.token})
        await ws.receive_json()
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
        await ws.receive_json()

        async def pump() -> None:
            async for message in ws:
                data = message.json()
                if data.get("type") != "event":
                    continue
                event = data["event"]["data"]
                new = event.get("new_state") or {}
                self.changes.put_nowait((time.monotonic(), event["entity_id"], new.get("state", "")))

        self._task = asyncio.create_task(pump())

    async def wait_for(self, entity_id: str, state: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                when, changed, value = await asyncio.wait_for(self.changes.get(), left)
            except TimeoutError:
                break
            if changed == entity_id and value == state:
                return when
        raise TimeoutError(f"{entity_id} did not become {state} within {timeout} s")

    def drain(self) -> None:
        while not self.changes.empty():
            self.changes.get_nowait()


async def latency_trials(
    watcher: StateWatcher,
    entity_id: str,
    trials: int,
    flip: Callable[[int], Awaitable[str]],
    timeout: float,
    gap: tuple[float, float],
) -> list[float]:
    """Seconds from each flip of the fakes to Home Assistant's state change.

    Between flips, a uniformly random pause in ``gap``: flips land at random phase of the poll.
    """
    results = []
    for trial in range(trials):
        await asyncio.sleep(random.uniform(*gap))  # noqa: S311 - a random phase, no secret
        watcher.drain()
        start = time.monotonic()
        wanted = await flip(trial)
        results.append(await watcher.wait_for(entity_id, wanted, timeout) - start)
    return results


class SharedCounter:
    """When each shared service was asked: the fakes' counters, sampled every 0.2 s."""

    def __init__(self, net: FakeNetwork) -> None:
        self.net = net
        self.times: dict[str, list[float]] = {name: [] for name in SHARED}
        self._task = asyncio.create_task(self._sample())

    def _counts(self) -> dict[str, int]:
        echo, plex_tv = self.net.echo.state, self.net.plex_tv.state
        return {"public_ip": echo.calls, "plex_tv": plex_tv.calls, "plex_tv_user": plex_tv.user_calls}

    async def _sample(self) -> None:
        last = self._counts()
        while True:
            await asyncio.sleep(0.2)
            now, counts = time.monotonic(), self._counts()
            for name, count in counts.items():
                self.times[name] += [now] * (count - last[name])
            last = counts

    def stop(self) -> None:
        self._task.cancel()

    def per_day(self, start: float, end: float) -> dict[str, Any]:
        """Requests a day to each service while idle, from the asks between ``start`` and ``end``.

        Asks come every 300 s, so a count over a window of 420 s is 1 or 2 by phase alone:
        with two asks or more, the rate is the requests from the first ask up to the last,
        over the time between them (whole intervals); with fewer, the count over the window.
        """
        figures: dict[str, Any] = {}
        for name, times in self.times.items():
            inside = [t for t in times if start <= t < end]
            bursts: list[list[float]] = []
            for t in inside:
                if bursts and t - bursts[-1][-1] < 5:
                    bursts[-1].append(t)
                else:
                    bursts.append([t])
            if len(bursts) >= 2:
                # Requests per ask from the last ask: the first burst may hold the tail of the trials.
                rate = (len(bursts) - 1) * len(bursts[-1]) / (bursts[-1][0] - bursts[0][0])
                how = f"{len(bursts) - 1} whole interval(s) between asks"
            else:
                rate = len(inside) / (end - start)
                how = "count over the window"
            figures[name] = {
                "requests_in_window": len(inside),
                "asks_at_s": [round(burst[0] - start, 1) for burst in bursts],
                "per_day": round(rate * 86400),
                "how": how,
            }
        return figures


async def design_run(
    args: argparse.Namespace, label: str, integration: Path | None, port_offset: int
) -> dict[str, Any]:
    """One Home Assistant with one version of the integration at that version's default interval.

    The events at random phase, the no-event change (measured for the new design), then an
    idle window with nothing changing: requests to the shared services and CPU, per day.
    """
    new = integration is None
    interval = int(DEFAULT_SCAN_INTERVAL.total_seconds()) if new else args.previous_interval
    figures: dict[str, Any] = {"label": label, "scan_interval_s": interval}
    async with home_assistant(args, integration=integration, port_offset=port_offset) as bench:
        net, client, ha = bench.net, bench.client, bench.hass
        await asyncio.sleep(args.settle)  # start-up settles; then HA's own CPU, no integration
        cpu_start, baseline_start = cpu_seconds(ha), time.monotonic()
        await asyncio.sleep(args.baseline)
        baseline_rate = (cpu_seconds(ha) - cpu_start) / (time.monotonic() - baseline_start)
        rss_without = ha.memory_info().rss
        setup_start = time.monotonic()
        await client.ensure_integration(net)
        setup_seconds = time.monotonic() - setup_start
        # The version's own default interval: the demo's options set 30 s.
        await client.set_options(public_ip_url=net.echo.url, scan_interval=interval)
        counter = SharedCounter(net)
        await asyncio.sleep(5)
        rss_one = ha.memory_info().rss

        watcher = StateWatcher(client.session, client.base, client.token)
        await watcher.start()

        # 1. detection latency, event-driven, at random phase of the poll
        async def plex_flip(trial: int) -> str:
            net.apply("cgnat" if trial % 2 == 0 else "healthy")
            await net.plex.notify("reachability")
            return "off" if trial % 2 == 0 else "on"

        async def router_flip(trial: int) -> str:
            address = "100.64.10.2" if trial % 2 == 0 else PUBLIC_IP
            await net.igd.renumber_wan(address)
            return address

        net.apply("healthy")
        event_gap = (args.event_gap_min, args.event_gap_max)
        plex_event = await latency_trials(watcher, REMOTE_ACCESS, args.trials, plex_flip, 20, event_gap)
        net.apply("healthy")  # start the router trials from the healthy WAN address
        await net.plex.notify("reachability")
        router_event = await latency_trials(watcher, WAN_IP, args.trials, router_flip, 20, event_gap)
        net.apply("healthy")
        figures["plex_event_s"] = distribution(plex_event)
        figures["router_event_s"] = distribution(router_event)

        # 2. a local change nobody announces: the router's WAN address without a GENA event
        if new:

            async def silent_flip(trial: int) -> str:
                net.igd.state.external_ip = "100.64.10.2" if trial % 2 == 0 else PUBLIC_IP
                return net.igd.state.external_ip

            no_event = await latency_trials(
                watcher, WAN_IP, args.poll_trials, silent_flip, interval + 30, (0, interval)
            )
            figures["no_event_s"] = distribution(no_event) | {"measured": True}
        else:
            figures["no_event_s"] = {
                "measured": False,
                "note": "model: uniform phase within the interval",
                "median": interval / 2,
                "p95": 0.95 * interval,
            }
        if net.igd.state.external_ip != PUBLIC_IP:
            net.igd.state.external_ip = PUBLIC_IP
            await watcher.wait_for(WAN_IP, PUBLIC_IP, interval + 30)

        # 3. nothing changes: requests to the shared services and CPU, per day. The window
        # opens after plex.tv's follow-up ask (PUBLISH_GRACE after the last change).
        await asyncio.sleep(PUBLISH_GRACE + 5)
        idle_start, cpu_before = time.monotonic(), cpu_seconds(ha)
        await asyncio.sleep(args.idle)
        idle_end = time.monotonic()
        idle_rate = (cpu_seconds(ha) - cpu_before) / (idle_end - idle_start)
        counter.stop()
        figures["idle"] = {
            "window_s": round(idle_end - idle_start),
            # From 10 s before the window: the ask of the last change's check opens the first interval.
            "shared_per_day": counter.per_day(idle_start - 10, idle_end),
            "shared_per_day_cadence": 86400 // 300,
            "ha_cpu_percent_idle": round(100 * idle_rate, 4),
            "ha_cpu_percent_baseline": round(100 * baseline_rate, 4),
            "baseline_s": round(args.baseline),
            "integration_cpu_percent_of_one_core": round(100 * (idle_rate - baseline_rate), 4),
            "integration_cpu_s_per_day": round((idle_rate - baseline_rate) * 86400, 1),
        }
        if new:
            figures["cost"] = await check_cost(bench, args.cost_checks)
            figures["footprint"] = await footprint(bench, rss_without, rss_one, setup_seconds)
    return figures


async def check_cost(bench: Bench, checks: int) -> dict[str, Any]:
    """Cost of one full check (Run diagnosis asks the shared services fresh)."""
    net, client, ha = bench.net, bench.client, bench.hass
    counters = {
        "plex": net.plex.server,
        "router": net.igd.server,
        "public_ip": net.echo.server,
        "plex_tv": net.plex_tv.server,
    }
    before = {name: (server.requests, server.bytes_sent) for name, server in counters.items()}
    idle_before = cpu_seconds(ha)
    await asyncio.sleep(checks * 0.05)
    idle_cpu = cpu_seconds(ha) - idle_before
    cpu_before = cpu_seconds(ha)
    wall = []
    for _ in range(checks):
        start = time.perf_counter()
        await client.press("button.living_room_plex_run_diagnosis")
        wall.append(time.perf_counter() - start)
        await asyncio.sleep(0.05)
    check_cpu = (cpu_seconds(ha) - cpu_before - idle_cpu) / checks
    per_target = {
        name: {
            "requests": (server.requests - before[name][0]) / checks,
            "bytes": round((server.bytes_sent - before[name][1]) / checks),
        }
        for name, server in counters.items()
    }
    router_poll = await router_poll_cost(checks)
    return {
        "per_check_by_target": per_target,
        "requests_per_check": sum(t["requests"] for t in per_target.values()),
        "bytes_per_check": sum(t["bytes"] for t in per_target.values()),
        "wall_s": distribution(wall),
        "ha_cpu_s_per_check": round(check_cpu, 5),
        # Upper bound: every one of the 2,880 local checks a day counted as a full check.
        "ha_cpu_s_per_day_model": round(check_cpu * 2880, 1),
        "percent_of_one_core_model": round(100 * check_cpu * 2880 / 86400, 4),
        "router_only_poll_cpu_s": router_poll["cpu_s_per_poll"],
        "router_only_poll_every_30s_cpu_s_per_day": round(router_poll["cpu_s_per_poll"] * 2880, 2),
    }


async def footprint(bench: Bench, rss_without: int, rss_one: int, setup_seconds: float) -> dict[str, Any]:
    """Memory with ten entries."""
    for index in range(9):
        fake = FakePlexServer(
            PlexState(
                machine_identifier=f"bench-server-{index}",
                friendly_name=f"Bench {index}",
                account=healthy_account(),
                prefs=default_prefs(),
            )
        )
        bench.fakes.append(await fake.start())
        await bench.client.add_server(fake.url, fake.state.token, bench.net)
    await asyncio.sleep(10)
    rss_ten = bench.hass.memory_info().rss
    return {
        "ha_rss_mib_without": round(rss_without / 2**20, 1),
        "added_rss_mib_one_entry": round((rss_one - rss_without) / 2**20, 1),
        "added_rss_mib_ten_entries": round((rss_ten - rss_without) / 2**20, 1),
        "config_flow_to_loaded_s": round(setup_seconds, 2),
    }


async def measure_scale(rounds: int) -> list[dict[str, Any]]:
    """Router.read() against tables of 10/100/1000 entries: v2 listing, v1 walk before/after."""
    rows = []
    async with aiohttp.ClientSession() as session:
        for entries in (10, 100, 1000):
            for label, version, window in (
                ("IGD v2 GetListOfPortMappings", 2, router_module.WALK_WINDOW),
                ("IGD v1 walk, one at a time (before)", 1, 1),
                (f"IGD v1 walk, {router_module.WALK_WINDOW} at a time (after)", 1, router_module.WALK_WINDOW),
            ):
                igd = await FakeIgd(IgdState(version=version)).start()
                igd.state.mappings = [Mapping(20000 + i, LAN_IP) for i in range(entries)]
                original = router_module.WALK_WINDOW
                router_module.WALK_WINDOW = window
                try:
                    router = Router(igd.description_url, session, max_mappings=2048)
                    await router.info()
                    times = []
                    for _ in range(rounds):
                        igd.state.calls.clear()
                        start = time.perf_counter()
                        state = await router.read()
                        times.append(time.perf_counter() - start)
                        assert state.port_mappings is not None
                        assert len(state.port_mappings) == entries
                    calls = len(igd.state.calls)
                finally:
                    router_module.WALK_WINDOW = original
                    await igd.stop()
                rows.append(
                    {"entries": entries, "method": label, "soap_calls": calls, "wall_s": distribution(times)}
                )
    return rows


async def router_poll_cost(rounds: int) -> dict[str, float]:
    """CPU of one router-only read (what a 30 s UPnP poll does), measured in this process."""
    igd = await FakeIgd(IgdState(version=2)).start()
    igd.state.mappings = [Mapping(41234, LAN_IP)]
    process = psutil.Process()
    async with aiohttp.ClientSession() as session:
        router = Router(igd.description_url, session)
        await router.read()
        before = cpu_seconds(process)
        for _ in range(rounds):
            await router.read()
        cpu = (cpu_seconds(process) - before) / rounds
    await igd.stop()
    return {"cpu_s_per_poll": round(cpu, 5)}


def previous_integration(ref: str, into: Path) -> tuple[str, Path]:
    """The short commit of ``ref`` and its plex_remote_doctor folder, extracted under ``into``."""
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run(  # noqa: S603 - git on this checkout, ref from the command line
        [*git, "rev-parse", "--short", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = subprocess.run(  # noqa: S603 - as above
        [*git, "archive", commit, "custom_components/plex_remote_doctor"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit, into / "custom_components" / "plex_remote_doctor"


async def run(args: argparse.Namespace, previous: tuple[str, Path] | None) -> dict[str, Any]:
    """The new design and (alongside, to fit the time) the previous one, each in its own HA."""
    results = machine()
    runs = [design_run(args, "new design", None, 0)]
    if previous is not None:
        runs.append(design_run(args, f"previous design ({previous[0]})", previous[1], 1))
    designs = await asyncio.gather(*runs)
    results["designs"] = {"new": designs[0]} | ({"previous": designs[1]} if previous else {})
    results["event_gap"] = f"{args.event_gap_min:g}-{args.event_gap_max:g}"
    results["cost"] = results["designs"]["new"].pop("cost")
    results["footprint"] = results["designs"]["new"].pop("footprint")
    results["scale"] = await measure_scale(args.scale_rounds)
    results["targets"] = targets(results["designs"])
    return results


def targets(designs: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 17's figures: new design, previous design, target and whether it is met."""

    def figure(design: dict[str, Any] | None, path: list[str]) -> Any:
        value: Any = design
        for key in path:
            if value is None:
                return None
            value = value.get(key)
        return value

    rows = []
    for name, path, target in (
        ("Plex reachability event, median s", ["plex_event_s", "median"], None),
        ("Plex reachability event, p95 s", ["plex_event_s", "p95"], None),
        ("router GENA renumbering, median s", ["router_event_s", "median"], 0.1),
        ("router GENA renumbering, p95 s", ["router_event_s", "p95"], 0.5),
        ("no event (silent WAN change), median s", ["no_event_s", "median"], 20),
        ("no event (silent WAN change), p95 s", ["no_event_s", "p95"], 35),
        ("public-IP service, requests/day idle", ["idle", "shared_per_day", "public_ip", "per_day"], 300),
        ("plex.tv, requests/day idle", ["idle", "shared_per_day", "plex_tv", "per_day"], 300),
        (
            "plex.tv /api/v2/user, requests/day idle",
            ["idle", "shared_per_day", "plex_tv_user", "per_day"],
            None,
        ),
        (
            "integration CPU, % of one core (idle HA minus HA alone)",
            ["idle", "integration_cpu_percent_of_one_core"],
            0.05,
        ),
    ):
        new, previous = figure(designs["new"], path), figure(designs.get("previous"), path)
        met: bool | str | None = None if target is None or new is None or new < 0 else new <= target
        if path[-1] == "per_day" and target is not None:
            # One ask in the window is a count, not a rate: any interval over ~235 s fits it.
            how = figure(designs["new"], [*path[:-1], "how"]) or ""
            met = met if "whole interval" in how else "not shown"
        rows.append(
            {
                "figure": name,
                "new": new,
                "previous": previous,
                "previous_modelled": name.startswith("no event") and previous is not None,
                "target": target,
                # A negative CPU difference is noise larger than the figure: not a measurement.
                "met": met,
            }
        )
    return rows


def markdown(results: dict[str, Any]) -> str:
    """results.md: the default run's sections, and the last soak's (each with its own command)."""
    lines = ["# Plex Remote Doctor benchmarks", ""]
    if "designs" in results:
        lines += default_sections(results)
    if "soak" in results:
        lines += soak_section(results["soak"])
    return "\n".join(lines)


def default_sections(results: dict[str, Any]) -> list[str]:
    designs, cost, foot = results["designs"], results["cost"], results["footprint"]
    new, previous = designs["new"], designs.get("previous")
    lines = [
        *provenance(results),
        "",
        "## Issue 17: new design against the previous one, same run",
        "",
        f"New design: local checks every {new['scan_interval_s']} s (the default), shared services "
        "at most every 300 s. "
        + (
            f"{previous['label'].capitalize()}: every check every {previous['scan_interval_s']} s asks "
            "both shared services, events debounced 2 s. Both Home Assistants ran at the same time "
            "(each in its own process, on its own fakes), at their defaults."
            if previous
            else "The previous design was not run (--no-previous)."
        ),
        "",
        "| figure | new design | previous design | target | met? |",
        "|---|---|---|---|---|",
    ]
    for row in results["targets"]:
        old = "-" if row["previous"] is None else f"{row['previous']:g}"
        old += " (model)" if row["previous_modelled"] else ""
        target = "-" if row["target"] is None else f"≤ {row['target']:g}"
        met = {None: "-", True: "yes", False: "**no**", "not shown": "not shown (one ask)"}[row["met"]]
        lines.append(f"| {row['figure']} | {row['new']:g} | {old} | {target} | {met} |")
    lines += ["", *[f"- Note: {note}" for note in results.get("notes", [])]]
    lines += [
        "",
        "Latency: from each flip of the fakes to Home Assistant's state change over its websocket, "
        "flips at random phase of the poll (a uniformly random pause between flips: "
        f"events {results.get('event_gap', '0.5-4')} s; the no-event change 0-{new['scan_interval_s']} s). "
        "The no-event change is the router's WAN address set in the IGD fake without a GENA event, so "
        "only the local poll sees it. The previous design's no-event latency at 300 s is modelled "
        "(uniform phase), not measured: 20 flips would take 100 minutes.",
        "",
        "| design | path | n | min s | median s | p95 s | max s |",
        "|---|---|---|---|---|---|---|",
    ]
    for design in (new, previous):
        if design is None:
            continue
        for path, key in (
            ("Plex reachability event (websocket)", "plex_event_s"),
            ("router WAN renumbering (UPnP GENA)", "router_event_s"),
            ("no event (WAN address, no GENA)", "no_event_s"),
        ):
            d = design[key]
            if d.get("measured", True):
                lines.append(
                    f"| {design['label']} | {path} | {d['n']} | {d['min']} | {d['median']} | {d['p95']} | {d['max']} |"
                )
            else:
                lines.append(
                    f"| {design['label']} | {path} (model) | - | - | {d['median']} | {d['p95']} | - |"
                )
    lines += [
        "",
        "Idle window (nothing changes, no button, no event): requests counted by the fakes, CPU of "
        "the Home Assistant process (its CPU clock, in nanoseconds, all threads) minus the same "
        "process's rate over a baseline before the integration was added (measured: an idle rate "
        "minus a baseline rate, not modelled).",
        "",
        "| design | window s | service | requests (from 10 s before the window) | asks at s (from window start) | per day | how |",
        "|---|---|---|---|---|---|---|",
    ]
    for design in (new, previous):
        if design is None:
            continue
        idle = design["idle"]
        for service, f in idle["shared_per_day"].items():
            lines.append(
                f"| {design['label']} | {idle['window_s']} | {service} | {f['requests_in_window']} | "
                f"{f['asks_at_s']} | {f['per_day']} | {f['how']} |"
            )
    lines += [""]
    for design in (new, previous):
        if design is None:
            continue
        idle = design["idle"]
        over = f" (over {idle['baseline_s']} s)" if "baseline_s" in idle else ""
        lines.append(
            f"- {design['label']}: Home Assistant {idle['ha_cpu_percent_idle']} % of one core idle with the "
            f"integration, {idle['ha_cpu_percent_baseline']} % before it was added{over}: the integration "
            f"{idle['integration_cpu_percent_of_one_core']} % = {idle['integration_cpu_s_per_day']} s per day."
        )
    lines += [
        f"- Shared-service cadence: at most one ask every 300 s = {new['idle']['shared_per_day_cadence']} a day "
        "when nothing changes (theory).",
        "",
        "## Cost of one full check (new design)",
        "",
        "| target | requests | bytes |",
        "|---|---|---|",
    ]
    for name, figures in cost["per_check_by_target"].items():
        lines.append(f"| {name} | {figures['requests']:g} | {figures['bytes']} |")
    lines += [
        f"| **total** | {cost['requests_per_check']:g} | {cost['bytes_per_check']} |",
        "",
        f"Run diagnosis pressed {cost['wall_s']['n']} times (a user's check asks the shared services "
        f"fresh). Wall time per check: median {cost['wall_s']['median']} s (p95 {cost['wall_s']['p95']} s). "
        f"CPU of the Home Assistant process per check: {cost['ha_cpu_s_per_check']} s; as a model, every "
        f"one of 2,880 local checks a day counted as a full check: {cost['ha_cpu_s_per_day_model']} s = "
        f"{cost['percent_of_one_core_model']} % of one core (an upper bound; the measured idle figure is "
        f"above). A router-only read every 30 s (what HA's UPnP integration does): "
        f"{cost['router_only_poll_cpu_s']} s each, {cost['router_only_poll_every_30s_cpu_s_per_day']} s per day.",
        "",
        "## Router mapping table",
        "",
        "| entries | method | SOAP calls | median s | p95 s |",
        "|---|---|---|---|---|",
    ]
    for row in results["scale"]:
        lines.append(
            f"| {row['entries']} | {row['method']} | {row['soap_calls']} | {row['wall_s']['median']} | {row['wall_s']['p95']} |"
        )
    lines += [
        "",
        "## Footprint (new design)",
        "",
        f"- Home Assistant without the integration: {foot['ha_rss_mib_without']} MiB RSS.",
        f"- Added by one config entry: {foot['added_rss_mib_one_entry']} MiB; by ten: {foot['added_rss_mib_ten_entries']} MiB.",
        f"- Config flow submitted to entry loaded (setup includes the first check): "
        f"{foot['config_flow_to_loaded_s']} s.",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="script/bench", description=__doc__)
    parser.add_argument("--trials", type=int, default=30, help="flips per event path")
    parser.add_argument("--poll-trials", type=int, default=20, help="no-event flips (new design)")
    parser.add_argument("--event-gap-min", type=float, default=0.5)
    parser.add_argument("--event-gap-max", type=float, default=4.0)
    # Two asks of each shared service at least (asks every 300 s): one whole interval each.
    parser.add_argument(
        "--idle", type=float, default=660, help="idle window, s (two 300 s intervals and a margin)"
    )
    parser.add_argument("--settle", type=float, default=40, help="HA's start-up settling, s")
    # Two minutes: what Home Assistant alone does each minute counts in the baseline as in
    # the idle window.
    parser.add_argument("--baseline", type=float, default=120, help="HA alone before the integration, s")
    parser.add_argument("--cost-checks", type=int, default=60)
    parser.add_argument("--scale-rounds", type=int, default=5)
    parser.add_argument(
        "--previous", default="b22a3eb", help="the previous design's commit, run alongside (default b22a3eb)"
    )
    parser.add_argument("--no-previous", dest="previous", action="store_const", const="")
    parser.add_argument("--previous-interval", type=int, default=300, help="its default scan_interval")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="development: few flips, a short idle window (figures not meaningful)",
    )
    parser.add_argument("--port", type=int, default=28123)
    # Below Linux's ephemeral range (32768-60999), where any outgoing connection may hold a port.
    parser.add_argument("--fake-base-port", type=int, default=28700)
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    parser.add_argument("--keep", action="store_true", help="keep Home Assistant's config folder and log")
    parser.add_argument("--render", action="store_true", help="only rewrite results.md from results.json")
    parser.add_argument(
        "--soak",
        action="store_true",
        help="run only the soak (10,000 checks: about 10 minutes) and merge it into the results",
    )
    parser.add_argument("--soak-checks", type=int, default=10_000)
    parser.add_argument("--soak-warmup", type=int, default=500, help="checks before the soak's first look")
    parser.add_argument("--soak-seed", type=int, default=1)
    parser.add_argument(
        "--soak-trace",
        action="store_true",
        help="find what grows: objects by type and traced allocations from 10 %% on (slow; inflates RSS)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.trials, args.poll_trials, args.idle, args.baseline, args.settle = 3, 2, 20, 3, 3
        args.cost_checks, args.scale_rounds = 3, 1
    stored = args.out / "results.json"
    previous = json.loads(stored.read_text()) if stored.exists() else {}
    if args.render:
        previous["targets"] = targets(previous["designs"])
        (args.out / "results.md").write_text(markdown(previous))
        return 0
    if args.soak:
        results = previous | {"soak": asyncio.run(soak(args))}
    else:
        # The soak runs on its own (--soak): a default run keeps the last one's section.
        with tempfile.TemporaryDirectory(prefix="prd-previous-") as folder:
            old = previous_integration(args.previous, Path(folder)) if args.previous else None
            results = asyncio.run(run(args, old)) | {
                key: previous[key] for key in ("soak",) if key in previous
            }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(results))
    print(markdown(results))
    return 0
