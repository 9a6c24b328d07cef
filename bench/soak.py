"""Soak: thousands of checks with events and faults in one Home Assistant, watched for leaks.

Each check is a press of "Run diagnosis" (REST), as fast as Home Assistant answers.
Before a check, the fakes may announce an event (Plex's reachability notification on
its websocket, or a WAN renumbering evented by the router over GENA) and may break for
that one check (the reliability tests' faults, a router restart that forgets every
event subscription, subscriptions refused). The fake router grants short subscriptions,
so renewals and resubscriptions happen every few seconds, and the Plex server restarts
(its websocket drops) once the connection has lasted past the listener's backoff reset.

Home Assistant's memory (RSS, and inside it the C heap, SQLite's part of that and
Python's allocated blocks), its event loop's tasks and timers, its open sockets and file
descriptors are read after a warm-up (check 0) and at intervals to the end, then once
more after an idle pause that outlasts every keep-alive. After the warm-up they must stay
flat but for noise. ``--soak-trace`` says what grows if anything does: objects by type
(gc) and allocations (tracemalloc) from 10 % to the end.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import random
import re
import socket
import time
from typing import Any

import aiohttp

from bench.harness import REPO, Bench, home_assistant, machine, provenance
from custom_components.plex_remote_doctor.doctor.notifications import STABLE_SECONDS
from demo.run import HomeAssistantClient
from simulator.echo import server_resource
from simulator.faults import heal, network_faults
from simulator.network import PUBLIC_IP, FakeNetwork

SOAK_PROBE = REPO / "bench" / "soak_probe"
RUN_DIAGNOSIS = "button.living_room_plex_run_diagnosis"

FAULT_RATE = 0.2  # checks preceded by a fault drawn at random (never the same twice in a row)
EVENT_RATE = 0.05  # checks preceded by an event, Plex's or the router's in equal parts
# The router's calls give up after ROUTER_TIMEOUT (set through the probe, as the tests'
# quick_router does); a held-back answer comes later, so it times out.
ROUTER_TIMEOUT = 0.5
HELD_BACK = 2 * ROUTER_TIMEOUT
# Seconds the fake router grants each subscription: renewed about every 4 s.
GENA_GRANT = 10
# Faults that hit the event listeners recover on Home Assistant's clock (the next renewal
# in up to 4 s, a retry in 5 s), not per check: at 20 checks/s a draw per check would
# keep the events away for good. Each of them comes at most this often.
LISTENER_FAULTS = ("router_restart", "gena_subscriptions_refused")
LISTENER_FAULT_EVERY = 60.0
# The router refuses subscriptions for as long as a renewal takes to fall due: whether
# subscribed (renewing) or not (retrying), the integration is refused once.
REFUSAL_SECONDS = GENA_GRANT / 2
# Plex restarts once its websocket has been up this long: a connection that lasted past
# STABLE_SECONDS resets the listener's backoff, so it reconnects within a second each time.
PLEX_RESTART_AFTER = STABLE_SECONDS + 5
# The ISP's other address: a WAN renumbering moves the home between it and PUBLIC_IP.
RENUMBERED = "203.0.113.77"
# Longer than aiohttp's 15 s keep-alive: idle connections have closed by the last look.
IDLE_SECONDS = 20.0
# Where to look, as parts of the run.
MARKS = (0.0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# With --soak-trace, objects by type are counted at these marks and allocations traced
# from the first to the end. Only then: the census's list of every object grows the heap
# by a few MiB that glibc keeps, and tracing slows everything and holds memory of its own,
# so RSS no longer shows what the integration does.
TRACED = (0.1, 1.0)
# Lines of Home Assistant's log that say something leaked or failed unseen.
LOG_ERROR = re.compile(r" ERROR \([^)]*\) \[([^\]]+)\]")
LOG_ALARMS = {
    "tracebacks": re.compile(r"^Traceback", re.MULTILINE),
    "unclosed": re.compile(r"Unclosed (client session|connector|connection)"),
    "task_exception_never_retrieved": re.compile(r"Task exception was never retrieved"),
    "task_destroyed_pending": re.compile(r"Task was destroyed but it is pending"),
}


def move_public_address(net: FakeNetwork, address: str) -> None:
    """A healthy home after its ISP renumbered it: every vantage point sees ``address``."""
    net.igd.state.external_ip = address
    net.echo.state.answer = address
    net.plex_says(publicAddress=address)
    net.plex_tv.state.resources = [server_resource(net.plex.state.machine_identifier, public_address=address)]


class Soak:
    """The checks, their events and faults, and the looks at Home Assistant's process."""

    def __init__(self, bench: Bench, args: argparse.Namespace) -> None:
        self.bench = bench
        self.net = bench.net
        self.port = args.port
        self.rng = random.Random(args.soak_seed)  # noqa: S311 - a repeatable draw of faults, no secret
        self.one_check_faults = network_faults(HELD_BACK)
        self.fault_names = [*self.one_check_faults, *LISTENER_FAULTS]
        self.faults: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.press_errors = 0
        self.address = PUBLIC_IP
        self.previous_fault = ""
        self.refusing_since: float | None = None  # the router refuses subscriptions
        self.last_listener_fault = dict.fromkeys(LISTENER_FAULTS, -LISTENER_FAULT_EVERY)
        self.plex_connections = -1  # websocket connections the fake Plex accepted, when last seen
        self.plex_connected_since = 0.0
        self.started = time.monotonic()

    async def check(self) -> None:
        """Heal the network, maybe announce an event and break something, then one check."""
        self.heal()
        self._keep_refusing()
        await self._maybe_restart_plex()
        if self.rng.random() < EVENT_RATE:
            await self._event()
        if self.rng.random() < FAULT_RATE:
            await self._fault()
        else:
            self.previous_fault = ""
        try:
            await self.bench.client.press(RUN_DIAGNOSIS)
        except aiohttp.ClientResponseError:
            self.press_errors += 1

    def heal(self, *, refusal_too: bool = False) -> None:
        """The healthy home at its current public address, every fault over."""
        if refusal_too:
            self.refusing_since = None
        heal(self.net, "healthy")
        if self.address != PUBLIC_IP:
            move_public_address(self.net, self.address)

    async def _event(self) -> None:
        net = self.net
        if self.rng.random() < 0.5:
            self.events["plex_reachability"] += 1
            self.delivered["plex_reachability"] += await net.plex.notify("reachability")
            return
        self.address = RENUMBERED if self.address == PUBLIC_IP else PUBLIC_IP
        move_public_address(net, self.address)
        self.events["wan_renumbered"] += 1
        self.delivered["wan_renumbered"] += await net.igd.renumber_wan(self.address)

    async def _fault(self) -> None:
        now = time.monotonic()
        resting = {
            name for name, last in self.last_listener_fault.items() if now - last < LISTENER_FAULT_EVERY
        }
        name = self.rng.choice(
            [fault for fault in self.fault_names if fault != self.previous_fault and fault not in resting]
        )
        self.previous_fault = name
        self.faults[name] += 1
        if name in self.last_listener_fault:
            self.last_listener_fault[name] = now
        if name == "router_restart":
            await self.net.igd.restart()  # same port; every subscription is forgotten
        elif name == "gena_subscriptions_refused":
            self.refusing_since = now
            self._keep_refusing()
        else:
            self.one_check_faults[name](self.net)

    def _keep_refusing(self) -> None:
        if self.refusing_since is None:
            return
        if time.monotonic() - self.refusing_since > REFUSAL_SECONDS:
            self.refusing_since = None
        else:
            self.net.igd.state.subscribe_error = 500

    async def _maybe_restart_plex(self) -> None:
        plex = self.net.plex
        now = time.monotonic()
        if plex.websocket_connections != self.plex_connections:
            self.plex_connections, self.plex_connected_since = plex.websocket_connections, now
        if plex.websockets and now - self.plex_connected_since >= PLEX_RESTART_AFTER:
            self.faults["plex_restart"] += 1
            await plex.stop()
            await plex.start()

    async def look(self, checks: int, *, objects: bool = False) -> dict[str, Any]:
        """Home Assistant's process now: sockets, then tasks and memory; objects by type last."""
        hass, client = self.bench.hass, self.bench.client
        inet = hass.net_connections(kind="inet")
        unix = len(hass.net_connections(kind="unix"))
        fds = hass.num_fds()
        stats = await client.websocket({"type": "soak_probe/stats"})
        look = {
            "checks": checks,
            "elapsed_s": round(time.monotonic() - self.started, 1),
            "rss_mib": round(hass.memory_info().rss / 2**20, 1),
            "malloc_in_use_mib": stats["malloc_in_use_mib"],
            "sqlite_mib": stats["sqlite_mib"],
            "python_blocks": stats["python_blocks"],
            "recorder_db_mib": round(
                sum(path.stat().st_size for path in self.bench.config_dir.glob("home-assistant_v2.db*"))
                / 2**20,
                1,
            ),
            "tasks": stats["tasks"],
            "timers": stats["timers"],
            "bus_listeners": stats["bus_listeners"],
            "sockets": len(inet) + unix,
            "tcp_by_state": dict(Counter(connection.status for connection in inet)),
            "tcp_by_peer": dict(Counter(self._peer(connection) for connection in inet)),
            "unix_sockets": unix,
            "fds": fds,
            "threads": hass.num_threads(),
            "task_names": stats["task_names"],
            "router_timeouts": stats["router_timeouts"],
            "issues_created": stats["issues_created"],
        }
        if objects:
            census = await client.websocket({"type": "soak_probe/stats", "objects": True})
            look["objects"] = census["objects"]
        return look

    def _peer(self, connection: Any) -> str:
        """Whom a socket of Home Assistant's talks to, by the fakes' ports."""
        net = self.net
        ports = {
            net.plex.server.port: "plex",
            net.igd.server.port: "router",
            net.echo.server.port: "public_ip",
            net.plex_tv.server.port: "plex_tv",
            net.proxy.server.port: "proxy",
        }
        if connection.status == "LISTEN":
            return "listen: HTTP API" if connection.laddr.port == self.port else "listen: router events"
        if connection.type == socket.SOCK_DGRAM:
            return "UDP"
        if not connection.raddr:
            return "unconnected"
        if connection.raddr.port in ports:
            return f"to {ports[connection.raddr.port]}"
        if connection.laddr.port == self.port:
            return "from the bench (API)"
        return "from the router (events)"


async def wait_until_available(client: HomeAssistantClient, entity_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with client.session.get(
            f"{client.base}/api/states/{entity_id}", headers=client.headers
        ) as answer:
            if answer.status == 200 and (await answer.json())["state"] != "unavailable":
                return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{entity_id} did not become available within {timeout} s")


def log_alarms(text: str) -> dict[str, Any]:
    """Error lines by logger, and the lines that say something leaked or failed unseen."""
    alarms: dict[str, Any] = {name: len(pattern.findall(text)) for name, pattern in LOG_ALARMS.items()}
    return alarms | {"errors_by_logger": dict(Counter(LOG_ERROR.findall(text)))}


def growth(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    """What changed between two looks: the figures, tasks by name, the objects that grew most."""
    names = first["task_names"].keys() | last["task_names"].keys()
    tasks = {
        name: [first["task_names"].get(name, 0), last["task_names"].get(name, 0)]
        for name in sorted(names)
        if first["task_names"].get(name, 0) != last["task_names"].get(name, 0)
    }
    result: dict[str, Any] = {
        "from_checks": first["checks"],
        "to_checks": last["checks"],
        "rss_mib": round(last["rss_mib"] - first["rss_mib"], 1),
        "malloc_in_use_mib": round(last["malloc_in_use_mib"] - first["malloc_in_use_mib"], 1),
        "sqlite_mib": round(last["sqlite_mib"] - first["sqlite_mib"], 1),
        "python_blocks": last["python_blocks"] - first["python_blocks"],
        "tasks": last["tasks"] - first["tasks"],
        "timers": last["timers"] - first["timers"],
        "bus_listeners": last["bus_listeners"] - first["bus_listeners"],
        "sockets": last["sockets"] - first["sockets"],
        "fds": last["fds"] - first["fds"],
        "tasks_by_name": tasks,
    }
    if "objects" in first and "objects" in last:
        before, after = first["objects"], last["objects"]
        grown = sorted(
            ((after.get(name, 0) - before.get(name, 0), name) for name in before.keys() | after.keys()),
            reverse=True,
        )
        result["objects_grown"] = [
            {"type": name, "from": before.get(name, 0), "to": after.get(name, 0)}
            for change, name in grown[:10]
            if change > 0
        ]
    return result


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    """Run the soak; its results for results.json."""
    start = time.monotonic()
    checks, warmup = args.soak_checks, args.soak_warmup
    trace: dict[str, Any] = {}
    async with home_assistant(args, {"soak_probe": SOAK_PROBE}) as bench:
        bench.net.igd.state.event_timeout = GENA_GRANT
        log_path = bench.config_dir / "hass.log"
        log_start = log_path.stat().st_size  # Home Assistant's own start-up complaints stay out
        await bench.client.ensure_integration(bench.net)
        await asyncio.sleep(2)  # the options flow's reload of the entry
        await wait_until_available(bench.client, RUN_DIAGNOSIS)
        answer = await bench.client.websocket(
            {"type": "soak_probe/router_timeout", "seconds": ROUTER_TIMEOUT}
        )
        if answer["routers"] != 1:
            raise RuntimeError(f"the router's timeout was not set: {answer}")
        run = Soak(bench, args)
        account = ("GET", "/myplex/account")
        for _ in range(warmup):
            await run.check()
        looks = [await run.look(0)]
        seen_before = bench.net.plex.state.requests.count(account)
        soak_start = time.monotonic()
        marks = {round(checks * mark): mark for mark in MARKS if mark}
        for done in range(1, checks + 1):
            await run.check()
            if done in marks:
                looks.append(await run.look(done, objects=args.soak_trace and marks[done] in TRACED))
                if args.soak_trace and marks[done] == TRACED[0]:
                    await bench.client.websocket({"type": "soak_probe/trace", "action": "start"})
        soak_seconds = time.monotonic() - soak_start
        if args.soak_trace:
            trace = await bench.client.websocket({"type": "soak_probe/trace", "action": "diff"})
        seen = bench.net.plex.state.requests.count(account) - seen_before
        run.heal(refusal_too=True)  # the last check's fault must not outlast it
        await asyncio.sleep(IDLE_SECONDS)
        idle = await run.look(checks)
        with log_path.open("rb") as log_file:
            log_file.seek(log_start)
            log = log_alarms(log_file.read().decode(errors="replace"))
        gena = Counter(request.method for request in bench.net.igd.gena_requests)
        refused_renewals = bench.net.igd.state.refused_renewals
    tenth = next(look for look in looks if look["checks"] == round(checks * 0.1))
    random_faults = sum(count for name, count in run.faults.items() if name != "plex_restart")
    return machine() | {
        "settings": {
            "checks": checks,
            "warmup_checks": warmup,
            "seed": args.soak_seed,
            "fault_rate": FAULT_RATE,
            "event_rate": EVENT_RATE,
            "fault_kinds": run.fault_names,
            "router_timeout_s": ROUTER_TIMEOUT,
            "held_back_s": HELD_BACK,
            "gena_grant_s": GENA_GRANT,
            "plex_restart_after_s": PLEX_RESTART_AFTER,
            "listener_faults_every_s": LISTENER_FAULT_EVERY,
            "idle_s": IDLE_SECONDS,
        },
        "wall_s": round(time.monotonic() - start, 1),
        "soak_s": round(soak_seconds, 1),
        "checks_per_s": round(checks / soak_seconds, 1),
        "checks_seen_by_plex": seen,
        "press_errors": run.press_errors,
        "faults": dict(run.faults),
        "fault_ratio": round(random_faults / (checks + warmup), 3),
        "events": {name: {"sent": run.events[name], "delivered": run.delivered[name]} for name in run.events},
        "gena_requests": dict(gena) | {"renewals_refused": refused_renewals},
        "repairs_created": idle["issues_created"],
        "log": log,
        "looks": [{key: value for key, value in look.items() if key != "objects"} for look in looks],
        "idle": idle,
        "growth": growth(tenth, looks[-1]),
        "growth_idle": growth(tenth, idle),
        **({"traced_growth": trace["grown"]} if args.soak_trace else {}),
    }


def _row(label: str, look: dict[str, Any]) -> str:
    states = look["tcp_by_state"]
    return (
        f"| {label} | {look['elapsed_s']} | {look['rss_mib']} | {look['malloc_in_use_mib']} | "
        f"{look['sqlite_mib']} | {look['python_blocks'] / 1000:.0f} | {look['tasks']} | {look['timers']} | "
        f"{look['bus_listeners']} | {look['sockets']} | {states.get('ESTABLISHED', 0)} | "
        f"{states.get('LISTEN', 0)} | {look['fds']} | {look['threads']} |"
    )


def _change(value: float) -> str:
    return f"{value:+g}"


def section(results: dict[str, Any]) -> list[str]:
    """The soak's part of results.md."""
    settings, looks, idle = results["settings"], results["looks"], results["idle"]
    first, last = looks[0], looks[-1]
    grown, grown_idle = results["growth"], results["growth_idle"]
    kinds = ", ".join(f"`{kind}`" for kind in settings["fault_kinds"])
    renewal = max(settings["gena_grant_s"] / 2 - 1, 1)
    tenth = next(look for look in looks if look["checks"] == grown["from_checks"])
    after = looks[looks.index(tenth) :]
    repairs = results["repairs_created"]

    outside_sqlite = round(grown["malloc_in_use_mib"] - grown["sqlite_mib"], 1)
    python_share = round(100 * grown["python_blocks"] / tenth["python_blocks"], 2)
    met = (
        idle["tasks"] <= min(look["tasks"] for look in after)
        and idle["sockets"] <= min(look["sockets"] for look in after)
        and abs(python_share) < 1
        and abs(outside_sqlite) < 1
    )
    verdict = "met" if met else "not met"

    def spread(key: str) -> str:
        low, high = min(look[key] for look in after), max(look[key] for look in after)
        return f"{low}" if low == high else f"{low} to {high}"

    lines = [
        f"## Soak: {settings['checks']:,} checks in one Home Assistant",
        "",
        *provenance(results),
        "",
        f"- RSS of Home Assistant: {first['rss_mib']} MiB at check 0 (after {settings['warmup_checks']:,} "
        f"warm-up checks), {tenth['rss_mib']} MiB at {tenth['checks']:,}, {last['rss_mib']} MiB at "
        f"{last['checks']:,}: {_change(grown['rss_mib'])} MiB from {tenth['checks']:,} on. Of that, SQLite's "
        f"page cache {_change(grown['sqlite_mib'])} MiB (the recorder's database grew from "
        f"{tenth['recorder_db_mib']} to {last['recorder_db_mib']} MiB with the states the checks changed; "
        f"Home Assistant caps that cache at 16 MiB), the rest of the C heap {_change(outside_sqlite)} MiB, "
        f"Python's allocated blocks {_change(grown['python_blocks'])} ({_change(python_share)} %); the "
        f"remaining {_change(round(grown['rss_mib'] - grown['malloc_in_use_mib'], 1))} MiB is in use by no "
        "live C or Python allocation: memory the allocators freed but keep.",
        f"- Tasks of its event loop: {tenth['tasks']} at {tenth['checks']:,}, {last['tasks']} at "
        f"{last['checks']:,}, {idle['tasks']} after {settings['idle_s']:g} s idle ({spread('tasks')} at every "
        f"look from {tenth['checks']:,} on).",
        f"- Open sockets: {tenth['sockets']} at {tenth['checks']:,}, {last['sockets']} at {last['checks']:,}, "
        f"{idle['sockets']} after the idle pause ({spread('sockets')} from {tenth['checks']:,} on: "
        "keep-alive connections come and go with the checks).",
        f"- Repairs raised: **{sum(repairs.values())}** on a healthy network with faults"
        + (f" ({', '.join(f'`{issue}` {count}' for issue, count in repairs.items())})" if repairs else "")
        + f". {results['checks_per_s']} checks/s; wall time {results['wall_s']:g} s; faults before "
        f"{results['fault_ratio']:.1%} of the checks.",
        f"- Target, no growth after warm-up beyond noise and no leaked task or socket: **{verdict}** "
        f"(tasks and sockets after the idle pause at most as many as at any look from {tenth['checks']:,} "
        "on, Python's allocated blocks within 1 %, the C heap outside SQLite within 1 MiB).",
        "",
        f"{settings['warmup_checks']:,} warm-up checks, then {settings['checks']:,} checks, each a press of "
        "*Run diagnosis* over REST, back to back. Before a check, with probability "
        f"{settings['event_rate']:.0%}, an event: Plex's reachability notification on its websocket, or "
        "a WAN renumbering between two public addresses that the router events over GENA (half each); "
        f"and with probability {settings['fault_rate']:.0%} a fault that lasts that check, drawn from "
        f"{len(settings['fault_kinds'])} kinds: {kinds}; each of the last two (they hit the event "
        f"listeners, which recover on Home Assistant's clock) at most every "
        f"{settings['listener_faults_every_s']:g} s. The Plex server also restarts (its websocket "
        f"drops) each time the websocket has been up {settings['plex_restart_after_s']:g} s. The fake "
        f"router grants {settings['gena_grant_s']} s subscriptions (renewed about every {renewal:g} s); "
        f"the router's timeout is {settings['router_timeout_s']} s in this run (set by the bench's probe "
        f"component, as the tests do), answers held back come after {settings['held_back_s']} s.",
        "",
        f"Wall time {results['wall_s']:g} s from Home Assistant's start to its stop; the "
        f"{settings['checks']:,} checks took {results['soak_s']:g} s: **{results['checks_per_s']} checks/s**. "
        f"Checks the Plex fake saw meanwhile: {results['checks_seen_by_plex']:,} (the presses, plus those "
        f"that events and the 30 s poll asked for). Fault ratio: {results['fault_ratio']:.1%} of all checks "
        f"(+{results['faults'].get('plex_restart', 0)} Plex restarts). Presses that failed: "
        f"{results['press_errors']}.",
        "",
        "Home Assistant's process after the warm-up (check 0) and on. Read inside it by the probe, "
        "after a full `gc.collect()`: malloc in use (glibc's `mallinfo2`: the C heap handed out), of it "
        "SQLite's (`sqlite3_memory_used`: the recorder's page cache, bounded at 16 MiB), Python's "
        "allocated blocks, the event loop's tasks and timers, bus listeners. From psutil: RSS, sockets "
        "(TCP and Unix; the bench's own API connections among them), file descriptors, threads.",
        "",
        "| checks | s since warm-up began | RSS MiB | malloc in use MiB | of it SQLite MiB | Python blocks (k) | tasks | timers | "
        "bus listeners | sockets | TCP established | listening | fds | threads |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(f"{look['checks']:,}", look) for look in looks),
        _row(f"{last['checks']:,} + {settings['idle_s']:g} s idle", idle),
        "",
        f"From check {grown['from_checks']:,} to {grown['to_checks']:,}: RSS "
        f"{_change(grown['rss_mib'])} MiB (malloc in use {_change(grown['malloc_in_use_mib'])}, of it SQLite "
        f"{_change(grown['sqlite_mib'])}; Python blocks {_change(grown['python_blocks'])}), tasks {_change(grown['tasks'])}, timers "
        f"{_change(grown['timers'])}, bus listeners {_change(grown['bus_listeners'])}, sockets "
        f"{_change(grown['sockets'])}, fds {_change(grown['fds'])}; after the idle pause: tasks "
        f"{_change(grown_idle['tasks'])}, sockets {_change(grown_idle['sockets'])}. RSS from check 0: "
        f"{first['rss_mib']} -> {last['rss_mib']} MiB; the recorder's database (the states the checks "
        f"changed): {first['recorder_db_mib']} -> {last['recorder_db_mib']} MiB.",
    ]
    if grown["tasks_by_name"]:
        changed = "; ".join(f"`{name}` {a} -> {b}" for name, (a, b) in grown["tasks_by_name"].items())
        lines += ["", f"Tasks whose number differs between those two looks: {changed}."]
    if grown.get("objects_grown"):
        objects = ", ".join(f"`{o['type']}` {o['from']} -> {o['to']}" for o in grown["objects_grown"])
        lines += ["", f"Objects that grew most (gc, by type): {objects}."]
    if traced := results.get("traced_growth"):
        lines += [
            "",
            "Allocations traced from the 10 % look to the end (tracemalloc; RSS includes its own):",
            "",
        ]
        lines += [
            f"- {grown_by['kib']} KiB in {grown_by['blocks']} blocks: "
            + " <- ".join(reversed(grown_by["stack"][-5:]))
            for grown_by in traced[:8]
        ]
    peers = ", ".join(f"{peer} {count}" for peer, count in sorted(idle["tcp_by_peer"].items()))
    events = "; ".join(
        f"{name}: {figures['sent']} sent, {figures['delivered']} delivered"
        for name, figures in results["events"].items()
    )
    gena = ", ".join(f"{name} {count}" for name, count in results["gena_requests"].items())
    faults = ", ".join(f"{name} {count}" for name, count in sorted(results["faults"].items()))
    errors = results["log"]["errors_by_logger"]
    alarms = ", ".join(
        f"{name.replace('_', ' ')} {count}"
        for name, count in results["log"].items()
        if name != "errors_by_logger"
    )
    error_lines = f"{sum(errors.values())} error lines" + (
        f" ({', '.join(f'`{logger}` {count}' for logger, count in errors.items())})" if errors else ""
    )
    lines += [
        "",
        f"Sockets after the idle pause, by peer: {peers}, Unix {idle['unix_sockets']}.",
        "",
        f"Faults: {faults}. Events: {events}. GENA requests the router answered: {gena}. "
        f"Home Assistant's log from the integration's set-up on: {error_lines}; {alarms}.",
        "",
    ]
    return lines
