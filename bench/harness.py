"""What every benchmark stands on: a real Home Assistant beside the loopback fakes.

As in the demo, ``hass`` runs in its own process on 127.0.0.1 and is driven through its
REST and websocket APIs; psutil reads that process's memory, CPU and sockets.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import platform
import shutil
import sys
import tempfile
from typing import Any

import aiohttp
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from demo.run import (  # noqa: E402
    INTEGRATIONS,
    HomeAssistantClient,
    start_home_assistant,
    stop_home_assistant,
    write_config,
)
from simulator.network import FakeNetwork  # noqa: E402
from simulator.plex_server import FakePlexServer  # noqa: E402

HOST = "127.0.0.1"


def machine() -> dict[str, Any]:
    """The command and the machine, for the report: this one is shared and noisy."""
    return {
        "command": "./script/bench " + " ".join(sys.argv[1:]),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average": [round(value, 2) for value in os.getloadavg()],
        },
    }


def provenance(results: dict[str, Any]) -> list[str]:
    """Markdown lines for what ``machine()`` recorded."""
    host = results["machine"]
    return [
        f"Command: `{results['command'].strip()}`  ",
        f"Machine: {host['platform']}, Python {host['python']}, {host['cpus']} CPUs, "
        f"{host['memory_gib']} GiB, load {host['load_average']}. Shared and noisy: read distributions and ratios.",
    ]


def hass_process(pid: int) -> psutil.Process:
    return psutil.Process(pid)


@dataclass
class Bench:
    """Home Assistant (onboarded, logged in, the integration not added yet) and the fakes."""

    net: FakeNetwork
    client: HomeAssistantClient
    hass: psutil.Process
    config_dir: Path
    # More fakes a benchmark started: stopped after Home Assistant, as the network is.
    fakes: list[FakePlexServer] = field(default_factory=list)


@contextlib.asynccontextmanager
async def home_assistant(
    args: argparse.Namespace,
    custom_components: dict[str, Path] | None = None,
    *,
    integration: Path | None = None,
    port_offset: int = 0,
) -> AsyncIterator[Bench]:
    """Start the fakes and ``hass`` in a fresh config folder; stop and remove both afterwards.

    ``custom_components``: more integrations by domain and folder, linked in and set up.
    ``integration``: another version's plex_remote_doctor folder instead of this checkout's.
    ``port_offset``: added to Home Assistant's port and the fakes' (a second one alongside).
    """
    extra = custom_components or {}
    config_dir = Path(tempfile.mkdtemp(prefix="prd-bench-"))
    net = await FakeNetwork(base_port=args.fake_base_port + 10 * port_offset).start()
    if integration is not None:  # write_config keeps a plex_remote_doctor already there
        (config_dir / "custom_components").mkdir()
        (config_dir / "custom_components" / "plex_remote_doctor").symlink_to(integration)
    port = args.port + port_offset
    write_config(config_dir, port, INTEGRATIONS + tuple(extra))
    for domain, folder in extra.items():
        (config_dir / "custom_components" / domain).symlink_to(folder)
    log = (config_dir / "hass.log").open("ab")
    process = await start_home_assistant(config_dir, log)
    bench: Bench | None = None
    try:
        async with aiohttp.ClientSession() as session:
            client = HomeAssistantClient(session, f"http://{HOST}:{port}")
            await client.wait_until_up(process)
            await client.onboard_or_login()
            bench = Bench(net, client, hass_process(process.pid), config_dir)
            yield bench
    finally:
        await stop_home_assistant(process, 60)
        await net.stop()
        for fake in bench.fakes if bench is not None else ():
            await fake.stop()
        log.close()
        if not args.keep:
            shutil.rmtree(config_dir, ignore_errors=True)
