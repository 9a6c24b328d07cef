"""Detection latency, cost of one check, router-table scale and footprint, in one run.

A real Home Assistant (as in the demo) runs against the loopback fakes; the
benchmark flips the fakes and watches Home Assistant's state machine over its
websocket API, and reads the HA process's CPU and memory with psutil.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import json
from pathlib import Path
import statistics
import sys
import time
from typing import Any

import aiohttp
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import home_assistant, machine, provenance  # noqa: E402
from bench.soak import section as soak_section, soak  # noqa: E402
from custom_components.plex_remote_doctor.doctor import router as router_module  # noqa: E402
from custom_components.plex_remote_doctor.doctor.router import Router  # noqa: E402
from simulator.igd import FakeIgd, IgdState, Mapping  # noqa: E402
from simulator.network import LAN_IP  # noqa: E402
from simulator.plex_server import FakePlexServer, PlexState, default_prefs, healthy_account  # noqa: E402

REMOTE_ACCESS = "binary_sensor.living_room_plex_remote_access"
WAN_IP = "sensor.living_room_plex_router_wan_ip"


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
    gap: float,
) -> list[float]:
    """Seconds from each flip of the fakes to Home Assistant's state change."""
    results = []
    for trial in range(trials):
        watcher.drain()
        start = time.monotonic()
        wanted = await flip(trial)
        results.append(await watcher.wait_for(entity_id, wanted, timeout) - start)
        await asyncio.sleep(gap)  # events are debounced 2 s apart
    return results


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
        before = sum(process.cpu_times()[:2])
        for _ in range(rounds):
            await router.read()
        cpu = (sum(process.cpu_times()[:2]) - before) / rounds
    await igd.stop()
    return {"cpu_s_per_poll": round(cpu, 5)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = machine()
    async with home_assistant(args) as bench:
        net, client, ha = bench.net, bench.client, bench.hass
        session, base = client.session, client.base
        await asyncio.sleep(15)  # let start-up settle before measuring memory
        rss_without = ha.memory_info().rss
        setup_start = time.monotonic()
        await client.ensure_integration(net)
        setup_seconds = time.monotonic() - setup_start
        await asyncio.sleep(5)
        rss_one = ha.memory_info().rss

        watcher = StateWatcher(session, base, client.token)
        await watcher.start()

        # 1. detection latency, event-driven
        async def plex_flip(trial: int) -> str:
            net.apply("cgnat" if trial % 2 == 0 else "healthy")
            await net.plex.notify("reachability")
            return "off" if trial % 2 == 0 else "on"

        async def router_flip(trial: int) -> str:
            address = "100.64.10.2" if trial % 2 == 0 else "203.0.113.2"
            await net.igd.renumber_wan(address)
            return address

        net.apply("healthy")
        plex_event = await latency_trials(watcher, REMOTE_ACCESS, args.trials, plex_flip, 20, 2.2)
        net.apply("healthy")  # start the router trials from the healthy WAN address
        await net.plex.notify("reachability")
        await asyncio.sleep(2.5)
        router_event = await latency_trials(watcher, WAN_IP, args.trials, router_flip, 20, 2.2)
        net.apply("healthy")
        net.igd.state.external_ip = "203.0.113.2"

        # 2. the same flip with no event: only the poll notices (30 s interval)
        await client.set_options(public_ip_url=net.echo.url, scan_interval=30)
        await asyncio.sleep(5)

        async def silent_flip(trial: int) -> str:
            net.apply("cgnat" if trial % 2 == 0 else "healthy")
            return "off" if trial % 2 == 0 else "on"

        poll_30 = await latency_trials(watcher, REMOTE_ACCESS, args.poll_trials, silent_flip, 45, 0.0)
        await client.set_options(public_ip_url=net.echo.url, scan_interval=300)
        net.apply("healthy")
        await asyncio.sleep(5)

        # 3. cost of one full check
        counters = {
            "plex": net.plex.server,
            "router": net.igd.server,
            "public_ip": net.echo.server,
            "plex_tv": net.plex_tv.server,
        }
        before = {name: (server.requests, server.bytes_sent) for name, server in counters.items()}
        idle_before = sum(ha.cpu_times()[:2])
        await asyncio.sleep(args.cost_checks * 0.05)
        idle_cpu = sum(ha.cpu_times()[:2]) - idle_before
        cpu_before = sum(ha.cpu_times()[:2])
        wall = []
        for _ in range(args.cost_checks):
            start = time.perf_counter()
            await client.press("button.living_room_plex_run_diagnosis")
            wall.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)
        check_cpu = (sum(ha.cpu_times()[:2]) - cpu_before - idle_cpu) / args.cost_checks
        per_target = {
            name: {
                "requests": (server.requests - before[name][0]) / args.cost_checks,
                "bytes": round((server.bytes_sent - before[name][1]) / args.cost_checks),
            }
            for name, server in counters.items()
        }
        router_poll = await router_poll_cost(args.cost_checks)

        # 4. footprint with ten entries
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
            await client.add_server(fake.url, fake.state.token, net)
        await asyncio.sleep(10)
        rss_ten = ha.memory_info().rss

    interval_default = 300
    per_day_default = check_cpu * 86400 / interval_default
    results["latency"] = {
        "plex_event_s": distribution(plex_event),
        "router_event_s": distribution(router_event),
        "poll_30s_measured_s": distribution(poll_30),
        "poll_300s_model_s": {
            "note": "no event: uniform phase within the interval, plus one check",
            "median": round(interval_default / 2 + statistics.median(wall), 1),
            "p95": round(0.95 * interval_default + statistics.median(wall), 1),
        },
    }
    results["latency"]["ratio_event_to_poll_30s_median"] = round(
        statistics.median(plex_event) / statistics.median(poll_30), 4
    )
    results["latency"]["ratio_event_to_poll_300s_median"] = round(
        statistics.median(plex_event) / results["latency"]["poll_300s_model_s"]["median"], 5
    )
    results["cost"] = {
        "per_check_by_target": per_target,
        "requests_per_check": sum(t["requests"] for t in per_target.values()),
        "bytes_per_check": sum(t["bytes"] for t in per_target.values()),
        "wall_s": distribution(wall),
        "ha_cpu_s_per_check": round(check_cpu, 5),
        "ha_cpu_s_per_day_at_300s": round(per_day_default, 2),
        "percent_of_one_core_at_300s": round(100 * per_day_default / 86400, 5),
        "router_only_poll_cpu_s": router_poll["cpu_s_per_poll"],
        "router_only_poll_every_30s_cpu_s_per_day": round(router_poll["cpu_s_per_poll"] * 2880, 2),
    }
    results["scale"] = await measure_scale(args.scale_rounds)
    results["footprint"] = {
        "ha_rss_mib_without": round(rss_without / 2**20, 1),
        "added_rss_mib_one_entry": round((rss_one - rss_without) / 2**20, 1),
        "added_rss_mib_ten_entries": round((rss_ten - rss_without) / 2**20, 1),
        "config_flow_to_loaded_s": round(setup_seconds, 2),
    }
    return results


def markdown(results: dict[str, Any]) -> str:
    """results.md: the default run's sections, and the last soak's (each with its own command)."""
    lines = ["# Plex Remote Doctor benchmarks", ""]
    if "latency" in results:
        lines += default_sections(results)
    if "soak" in results:
        lines += soak_section(results["soak"])
    return "\n".join(lines)


def default_sections(results: dict[str, Any]) -> list[str]:
    lat, cost, foot = results["latency"], results["cost"], results["footprint"]
    lines = [
        *provenance(results),
        "",
        "## Detection latency (fake flips -> Home Assistant state change)",
        "",
        "| path | n | min s | median s | p95 s |",
        "|---|---|---|---|---|",
    ]
    for label, key in (
        ("Plex reachability event (websocket)", "plex_event_s"),
        ("Router WAN renumbering (UPnP GENA)", "router_event_s"),
        (
            "no event, poll every 30 s (measured; each flip lands just after a poll: the worst phase)",
            "poll_30s_measured_s",
        ),
    ):
        d = lat[key]
        lines.append(f"| {label} | {d['n']} | {d['min']} | {d['median']} | {d['p95']} |")
    model = lat["poll_300s_model_s"]
    lines.append(
        f"| no event, poll every 300 s (default; model) | - | - | {model['median']} | {model['p95']} |"
    )
    lines += [
        "",
        f"Median event / poll: {lat['ratio_event_to_poll_30s_median']} against a 30 s poll, "
        f"{lat['ratio_event_to_poll_300s_median']} against the 300 s default.",
        "",
        "## Cost of one full check",
        "",
        "| target | requests | bytes |",
        "|---|---|---|",
    ]
    for name, figures in cost["per_check_by_target"].items():
        lines.append(f"| {name} | {figures['requests']:g} | {figures['bytes']} |")
    lines += [
        f"| **total** | {cost['requests_per_check']:g} | {cost['bytes_per_check']} |",
        "",
        f"Wall time per check: median {cost['wall_s']['median']} s (p95 {cost['wall_s']['p95']} s). "
        f"CPU of the Home Assistant process per check: {cost['ha_cpu_s_per_check']} s; per day at the "
        f"300 s default: {cost['ha_cpu_s_per_day_at_300s']} s = **{cost['percent_of_one_core_at_300s']} % "
        f"of one core**. For comparison, a router-only read every 30 s (what HA's UPnP integration does): "
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
        "## Footprint",
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
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--poll-trials", type=int, default=6)
    parser.add_argument("--cost-checks", type=int, default=60)
    parser.add_argument("--scale-rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=28123)
    parser.add_argument("--fake-base-port", type=int, default=44400)
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
    stored = args.out / "results.json"
    previous = json.loads(stored.read_text()) if stored.exists() else {}
    if args.render:
        (args.out / "results.md").write_text(markdown(previous))
        return 0
    if args.soak:
        results = previous | {"soak": asyncio.run(soak(args))}
    else:
        # The soak runs on its own (--soak): a default run keeps the last one's section.
        results = asyncio.run(run(args)) | {key: previous[key] for key in ("soak",) if key in previous}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(results))
    print(markdown(results))
    return 0
