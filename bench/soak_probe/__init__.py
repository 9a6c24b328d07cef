"""Benchmark only, never shipped: what the soak cannot see from outside Home Assistant.

``./script/bench --soak`` links this folder into its own throw-away config folder. The
task count of Home Assistant's event loop is only known inside its process; so are the
timers and bus listeners a leak would also pile up, the repairs raised and deleted again
between two looks, and Python's live objects by type, which tell what grows when
something does. It also shortens the router's timeout, as the reliability tests do, so
that an answer the fake router holds back costs half a second rather than ten.
"""

from __future__ import annotations

import _sqlite3
import asyncio
from collections import Counter
import ctypes
import gc
from pathlib import Path
import sys
import tracemalloc
from typing import Any

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.async_ import get_scheduled_timer_handles
from homeassistant.util.hass_dict import HassKey
import probatio as vol

DOMAIN = "soak_probe"
WATCHED = "plex_remote_doctor"
# Repair issues of the watched integration created since start, by issue id.
_CREATED: HassKey[dict[str, int]] = HassKey(DOMAIN)
# The memory snapshot taken when tracing started, for ``soak_probe/trace``'s diff.
_BASELINE: HassKey[tracemalloc.Snapshot] = HassKey(f"{DOMAIN}_baseline")
TRACE_FRAMES = 12


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Count the watched integration's repairs from now on; answer the two commands."""
    created: dict[str, int] = {}
    hass.data[_CREATED] = created

    @callback
    def record(event: Event[ir.EventIssueRegistryUpdatedData]) -> None:
        if event.data["domain"] == WATCHED and event.data["action"] == "create":
            issue_id = event.data["issue_id"]
            created[issue_id] = created.get(issue_id, 0) + 1

    hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, record)
    async_register_command(hass, _stats)
    async_register_command(hass, _router_timeout)
    async_register_command(hass, _trace)
    return True


def _routers(hass: HomeAssistant) -> list[Any]:
    """The running doctors' routers (an entry without a router has none)."""
    doctors = [entry.runtime_data.doctor for entry in hass.config_entries.async_loaded_entries(WATCHED)]
    return [doctor.router for doctor in doctors if doctor.router is not None]


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (field, ctypes.c_size_t)
        for field in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"
        )
    ]  # fmt: skip


def _native_memory() -> dict[str, float]:
    """What RSS holds beside Python's objects: C heap in use, and SQLite's part of it.

    RSS alone cannot tell a leak from the recorder's SQLite page cache filling up to its
    16 MiB bound as the database grows, or from freed heap that glibc keeps mapped.
    """
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    heap = libc.mallinfo2()
    sqlite = ctypes.CDLL(_sqlite3.__file__)
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    return {
        "malloc_in_use_mib": round((heap.uordblks + heap.hblkhd) / 2**20, 1),
        "sqlite_mib": round(sqlite.sqlite3_memory_used() / 2**20, 1),
    }


def _task_name(task: asyncio.Task[Any]) -> str:
    """Its name; for a task nobody named ("Task-123"), its coroutine's."""
    name = task.get_name()
    if name.startswith("Task-"):
        coroutine = task.get_coro()
        return str(getattr(coroutine, "__qualname__", type(coroutine).__name__))
    return name


@websocket_command({vol.Required("type"): "soak_probe/stats", vol.Optional("objects", default=False): bool})
@callback
def _stats(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Tasks, timers, listeners and repairs; with ``objects``, live objects by type.

    After a full collection: garbage that only waits for the cycle collector is no leak,
    and it would make the counts (and the RSS read right after) depend on its timing.
    """
    gc.collect()
    tasks = asyncio.all_tasks(hass.loop)
    created = hass.data[_CREATED]
    result: dict[str, Any] = {
        "tasks": len(tasks),
        "task_names": dict(Counter(_task_name(task) for task in tasks)),
        "timers": len(get_scheduled_timer_handles(hass.loop)),
        "bus_listeners": sum(hass.bus.async_listeners().values()),
        "issues_created": dict(created),
        "router_timeouts": [router.requester.timeout for router in _routers(hass)],
        "python_blocks": sys.getallocatedblocks(),
        **_native_memory(),
    }
    if msg["objects"]:
        # gc sees containers only (not str or int): enough, a leak holds them.
        counts = Counter(f"{type(obj).__module__}.{type(obj).__qualname__}" for obj in gc.get_objects())
        result["objects"] = {name: count for name, count in counts.items() if count >= 10}
    connection.send_result(msg["id"], result)


@websocket_command(
    {vol.Required("type"): "soak_probe/router_timeout", vol.Required("seconds"): vol.Coerce(float)}
)
@callback
def _router_timeout(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Every running doctor's router calls give up after ``seconds``."""
    routers = _routers(hass)
    for router in routers:
        router.requester.timeout = msg["seconds"]
    connection.send_result(msg["id"], {"routers": len(routers)})


@websocket_command(
    {vol.Required("type"): "soak_probe/trace", vol.Required("action"): vol.In(("start", "diff"))}
)
@callback
def _trace(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Start tracing allocations (slow: only to find what grows), or what grew since the start.

    The diff groups by where the memory was allocated, with the call stack that led there.
    """
    gc.collect()
    if msg["action"] == "start":
        tracemalloc.start(TRACE_FRAMES)
        hass.data[_BASELINE] = tracemalloc.take_snapshot()
        connection.send_result(msg["id"], {})
        return
    ignore = [tracemalloc.Filter(inclusive=False, filename_pattern=tracemalloc.__file__)]
    now = tracemalloc.take_snapshot().filter_traces(ignore)
    baseline = hass.data[_BASELINE].filter_traces(ignore)
    grown = [stat for stat in now.compare_to(baseline, "traceback") if stat.size_diff > 0][:15]
    connection.send_result(
        msg["id"],
        {
            "grown": [
                {
                    "kib": round(stat.size_diff / 1024, 1),
                    "blocks": stat.count_diff,
                    "stack": [f"{_short(frame.filename)}:{frame.lineno}" for frame in stat.traceback],
                }
                for stat in grown
            ]
        },
    )


def _short(filename: str) -> str:
    """A file's path from its package on (site-packages or the config folder)."""
    parts = Path(filename).parts
    for anchor in ("site-packages", "custom_components", "lib"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :])
    return filename
