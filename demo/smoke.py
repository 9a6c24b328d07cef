"""Smoke start: the newest Home Assistant installs, loads and runs the integration.

Run by ``./script/test --smoke`` with the Python of .cache/venv-ha-smoke, which holds
Home Assistant alone. Home Assistant is started without ``--skip-pip``, so it installs
the manifest's requirements itself, under its own package constraints: that is where a
pin that the newest release cannot satisfy shows (issue 12). The start-up is the demo's
(demo/run.py); the checks are what a user would notice: the integration fails to load,
an entity is missing or unavailable, a diagnosis does not follow the network.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import importlib.metadata
import json
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from typing import Any

import aiohttp
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from demo.run import (
    HOST,
    REPO,
    HomeAssistantClient,
    start_home_assistant,
    stop_home_assistant,
    write_config,
)
from simulator.network import FakeNetwork

DOMAIN = "plex_remote_doctor"
MANIFEST = REPO / "custom_components" / DOMAIN / "manifest.json"
WORK_DIR = REPO / ".cache" / "ha-smoke"
# Home Assistant sets up its default integrations (frontend included) whatever the
# configuration says; these are the ones the smoke start talks to.
INTEGRATIONS = ("onboarding", "config", "repairs", "diagnostics", "api", "websocket_api")
# Every entity of the contract (all of which the integration creates), as platform.translation_key.
ENTITY_KEYS = (
    "sensor.remote_access_status",
    "sensor.diagnosis",
    "sensor.mapping_state",
    "sensor.router_wan_ip",
    "sensor.public_ip",
    "sensor.plex_public_address",
    "sensor.server_lan_ip",
    "sensor.external_port",
    "binary_sensor.remote_access",
    "binary_sensor.wan_public_ip_match",
    "binary_sensor.cgnat",
    "binary_sensor.double_nat",
    "binary_sensor.port_mapping",
    "binary_sensor.plex_pass",
    "sensor.remote_streams",
    "sensor.relayed_streams",
    "sensor.published_address",
    "button.retry_remote_access",
    "button.run_diagnosis",
)
# Scenario switched to, and the diagnosis it must lead to.
SCENARIOS = (("cgnat", "cgnat"), ("double_nat", "double_nat"))
START_TIMEOUT = 900  # the first start installs the frontend and voice packages
ENTITY_TIMEOUT = 90
SCENARIO_TIMEOUT = 90
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (?P<level>[A-Z]+) ")


@dataclass
class Report:
    """What the summary prints; any failure makes the exit status 1."""

    version: str = "?"
    http_seconds: float | None = None
    running_seconds: float | None = None
    installed: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    entities: dict[str, str] = field(default_factory=dict)
    scenarios: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def requirement_names() -> set[str]:
    """The manifest's requirements as distribution and import spellings."""
    names = set()
    for line in json.loads(MANIFEST.read_text())["requirements"]:
        name = canonicalize_name(Requirement(line).name)
        names |= {name, name.replace("-", "_")}
    return names


def expected_warning() -> str:
    """Home Assistant logs this for every custom integration at every start.

    It says nothing about this one, so exactly this message (and no other) is let through.
    """
    from homeassistant.loader import CUSTOM_WARNING

    return f"[homeassistant.loader] {CUSTOM_WARNING % DOMAIN}"


def log_problems(text: str, names: set[str]) -> tuple[list[str], list[str]]:
    """Warning and error records naming the integration or its requirements, and all mentions.

    A record is a timestamped line with its continuation lines (a traceback, uv's output).
    """
    pattern = re.compile(
        "|".join(re.escape(word) for word in (DOMAIN, "custom_components", *names))
        + "|Requirements for|Unable to install",
        re.IGNORECASE,
    )
    records: list[list[str]] = []
    for line in text.splitlines():
        if RECORD.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    problems, mentions = [], []
    for record in records:
        head = RECORD.match(record[0])
        if head is None or not pattern.search("\n".join(record)):
            continue
        mentions.append(record[0])
        if head["level"] in {"WARNING", "ERROR", "CRITICAL"} and not record[0].endswith(expected_warning()):
            # A traceback's first and last lines say where and what.
            shown = record if len(record) <= 4 else [*record[:2], "  ...", record[-1]]
            problems.append("\n".join(shown))
    return problems, mentions


def distributions() -> dict[str, str]:
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()
    }


def baseline() -> dict[str, str]:
    """The venv as script/setup left it: Home Assistant and its own dependencies only."""
    pins = (Path(sys.prefix) / ".baseline.txt").read_text().split()
    return {canonicalize_name(name): version for name, _, version in (pin.partition("==") for pin in pins)}


def installed_since(base: dict[str, str]) -> list[str]:
    return sorted(
        f"{name}=={version}" for name, version in distributions().items() if base.get(name) != version
    )


def reset_venv(base: dict[str, str]) -> None:
    """Undo what the last smoke start's Home Assistant installed, so this one installs it again."""
    now = distributions()
    extra = [name for name in now if name not in base]
    changed = [f"{name}=={version}" for name, version in base.items() if now.get(name) != version]
    # uv: Home Assistant's own installer, already in the venv and much faster than pip.
    uv = [sys.executable, "-m", "uv", "pip"]
    if extra:
        subprocess.run([*uv, "uninstall", "--quiet", "--python", sys.executable, *extra], check=True)  # noqa: S603 - names read from this venv
    if changed:
        subprocess.run(  # noqa: S603 - pins from script/setup's baseline
            [*uv, "install", "--quiet", "--no-deps", "--python", sys.executable, *changed], check=True
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_running(client: HomeAssistantClient, timeout: float) -> dict[str, Any]:
    """/api/config once Home Assistant has finished starting (all stages, pip included)."""
    deadline = time.monotonic() + timeout
    while True:
        async with client.session.get(f"{client.base}/api/config", headers=client.headers) as response:
            config: dict[str, Any] = await response.json()
        if config["state"] == "RUNNING":
            return config
        if time.monotonic() > deadline:
            raise RuntimeError(f"Home Assistant still {config['state']} after {timeout} s")
        await asyncio.sleep(1)


async def entity_states(client: HomeAssistantClient) -> dict[str, tuple[str, str]]:
    """Contract key -> (entity_id, state) for the integration's entities that exist."""
    registry = await client.websocket({"type": "config/entity_registry/list"})
    ids = {
        f"{entry['entity_id'].partition('.')[0]}.{entry['translation_key']}": entry["entity_id"]
        for entry in registry
        if entry["platform"] == DOMAIN
    }
    async with client.session.get(f"{client.base}/api/states", headers=client.headers) as response:
        states = {state["entity_id"]: state["state"] for state in await response.json()}
    return {key: (entity_id, states.get(entity_id, "missing")) for key, entity_id in ids.items()}


async def wait_for_entities(client: HomeAssistantClient, report: Report) -> dict[str, str]:
    deadline = time.monotonic() + ENTITY_TIMEOUT
    while True:
        seen = await entity_states(client)
        report.entities = dict(seen.values())
        bad = [key for key in ENTITY_KEYS if seen.get(key, ("", "missing"))[1] in {"missing", "unavailable"}]
        if not bad:
            return {key: entity_id for key, (entity_id, _) in seen.items()}
        if time.monotonic() > deadline:
            report.failures += [
                f"entity {key}: {seen[key][1] + ' ' + seen[key][0] if key in seen else 'not created'}"
                for key in bad
            ]
            return {}
        await asyncio.sleep(1)


async def follow_scenarios(
    client: HomeAssistantClient, net: FakeNetwork, entity_ids: dict[str, str], report: Report
) -> None:
    """Switch the network as the demo's control page does; the diagnosis must follow."""
    diagnosis = entity_ids["sensor.diagnosis"]
    for scenario, expected in SCENARIOS:
        net.apply(scenario)
        await net.announce()
        started = time.monotonic()
        state = ""
        while time.monotonic() - started < SCENARIO_TIMEOUT:
            async with client.session.get(
                f"{client.base}/api/states/{diagnosis}", headers=client.headers
            ) as response:
                state = (await response.json())["state"]
            if state == expected:
                break
            await asyncio.sleep(0.5)
        took = time.monotonic() - started
        line = f"{scenario}: {diagnosis} = {state} after {took:.1f} s"
        report.scenarios.append(line)
        if state != expected:
            report.failures.append(f"scenario {line}, expected {expected}")


async def smoke(report: Report) -> None:
    """One start; raises on what stops it early, records every other failure in ``report``."""
    config_dir = WORK_DIR / "config"
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    port = free_port()
    write_config(config_dir, port, INTEGRATIONS)
    # Home Assistant builds a few voice packages from source (no wheels for this Python);
    # a private interpreter keeps its headers where the compiler does not look.
    include = Path(sysconfig.get_paths()["include"])
    os.environ["CPATH"] = os.pathsep.join(
        filter(None, [str(include), str(include.parent), os.environ.get("CPATH")])
    )
    net = await FakeNetwork().start()
    log_path = WORK_DIR / "hass.log"
    with log_path.open("ab") as log:
        started = time.monotonic()
        process = await start_home_assistant(config_dir, log, skip_pip=False)
        try:
            async with aiohttp.ClientSession() as session:
                client = HomeAssistantClient(session, f"http://{HOST}:{port}")
                await client.wait_until_up(process, START_TIMEOUT)
                report.http_seconds = time.monotonic() - started
                await client.onboard_or_login()
                config = await wait_until_running(client, START_TIMEOUT)
                report.running_seconds = time.monotonic() - started
                report.version = config["version"]
                try:
                    await client.ensure_integration(net)
                except aiohttp.ClientResponseError as error:
                    report.failures.append(f"adding the integration through its config flow: {error}")
                    return
                entity_ids = await wait_for_entities(client, report)
                if entity_ids:
                    await follow_scenarios(client, net, entity_ids, report)
        finally:
            await stop_home_assistant(process, 60)
            await net.stop()


def summary(report: Report) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    lines = [
        "== smoke start summary",
        f"Home Assistant {report.version}: HTTP after {seconds(report.http_seconds)},"
        f" running after {seconds(report.running_seconds)}",
        f"installed by Home Assistant ({len(report.installed)}): {' '.join(report.installed) or '-'}",
        f"  of which the manifest's: {' '.join(report.requirements) or '-'}",
        f"entities ({len(report.entities)}):",
        *(f"  {entity_id} = {state}" for entity_id, state in sorted(report.entities.items())),
        "scenarios:",
        *(f"  {line}" for line in report.scenarios or ["-"]),
        f"log records naming the integration or its requirements ({len(report.mentions)}, first 8):",
        *(
            f"  {line}{'  [ignored: said of every custom integration]' if line.endswith(expected_warning()) else ''}"
            for line in report.mentions[:8]
        ),
        f"log: {WORK_DIR / 'hass.log'}",
    ]
    if report.failures:
        lines += ["SMOKE START FAILED:", *(f"  - {failure}" for failure in report.failures)]
    else:
        lines.append("smoke start passed")
    return "\n".join(lines)


def main() -> int:
    report = Report()
    base = baseline()
    reset_venv(base)
    try:
        asyncio.run(smoke(report))
    except (RuntimeError, TimeoutError, aiohttp.ClientError) as error:
        report.failures.insert(0, f"Home Assistant did not start or answer: {error!r}")
    names = requirement_names()
    log = WORK_DIR / "hass.log"
    problems, report.mentions = log_problems(log.read_text(errors="replace") if log.exists() else "", names)
    report.failures += [f"log: {problem}" for problem in problems]
    report.installed = installed_since(base)
    report.requirements = [pin for pin in report.installed if pin.partition("==")[0] in names]
    print(summary(report), flush=True)
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
