"""Start the fakes, a real Home Assistant, onboard it, add the integration, keep running.

Everything listens on 127.0.0.1 only. Home Assistant's own ``http:`` YAML is left out
(2026.10 treats it as a 5-minute trial, then binds all interfaces); the HTTP settings
are written to ``.storage/http`` before the first start instead.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import shutil
import signal
import sys
from typing import IO, Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from simulator.network import SCENARIOS, FakeNetwork  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_CONFIG_DIR = REPO / ".demo" / "config"
USERNAME = "demo"
PASSWORD = "demo-password"  # noqa: S105 - the printed demo login
DEMO_SCAN_INTERVAL = 30
CLIENT_ID = "http://127.0.0.1:8123/"
CARD_TYPE = "custom:plex-remote-doctor-card"
DASHBOARD = "plex-remote-doctor"
DASHBOARD_VIEW = "remote-access"
# The languages the integration speaks: Home Assistant's and the demo user's language.
LANGUAGES = sorted(
    path.stem for path in (REPO / "custom_components" / "plex_remote_doctor" / "translations").glob("*.json")
)
# Only what the demo shows: default_config would pull in voice and media integrations
# whose binaries are absent here.
INTEGRATIONS = ("frontend", "config", "repairs", "blueprint", "history", "logbook", "diagnostics")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="script/demo", description=__doc__)
    parser.add_argument("--scenario", default="healthy", choices=sorted(SCENARIOS))
    parser.add_argument(
        "--switch", metavar="SCENARIO", choices=sorted(SCENARIOS), help="switch a running demo"
    )
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port (default 8123)")
    parser.add_argument("--control-port", type=int, default=8124, help="the scenario page (default 8124)")
    parser.add_argument("--fake-base-port", type=int, default=42400, help="first of 5 ports for the fakes")
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG_DIR, help="Home Assistant config folder"
    )
    parser.add_argument("--reset", action="store_true", help="start from an empty config folder")
    parser.add_argument("--ready-file", type=Path, help="write the demo's URLs as JSON here once ready")
    parser.add_argument(
        "--language",
        default="en",
        choices=LANGUAGES,
        help="Home Assistant's and the demo user's language (default en)",
    )
    return parser.parse_args(argv)


def write_config(
    config_dir: Path, port: int, integrations: tuple[str, ...] = INTEGRATIONS, *, language: str = "en"
) -> None:
    """configuration.yaml, the integration, the blueprint and .storage/http (loopback only).

    ``language`` is Home Assistant's own: entity names and the sentences repairs quote are
    written in it.
    """
    from homeassistant.components.http.config import (
        HTTP_STORAGE_SCHEMA,
        STORAGE_MINOR_VERSION,
        STORAGE_VERSION,
    )

    (config_dir / ".storage").mkdir(parents=True, exist_ok=True)
    lines = ["homeassistant:", "  name: Plex Remote Doctor demo", "  time_zone: UTC", "  country: US"]
    lines += [f"  language: {language}", ""]
    lines += [f"{name}:" for name in integrations]
    lines += ["automation: !include automations.yaml", "", "logger:", "  default: warning", "  logs:"]
    lines += ["    custom_components.plex_remote_doctor: info"]
    (config_dir / "configuration.yaml").write_text("\n".join(lines) + "\n")
    automations = config_dir / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n")
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "plex_remote_doctor"
    if not link.exists():
        link.symlink_to(REPO / "custom_components" / "plex_remote_doctor")
    blueprints = config_dir / "blueprints" / "automation" / "plex_remote_doctor"
    blueprints.mkdir(parents=True, exist_ok=True)
    shutil.copy(
        REPO / "blueprints" / "automation" / "plex_remote_doctor" / "notify_remote_access_broken.yaml",
        blueprints,
    )
    stable = dict(HTTP_STORAGE_SCHEMA({"server_host": [HOST], "server_port": port}))
    stable |= {"created_at": datetime.now(UTC).isoformat(), "error": None, "error_message": None}
    http = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    (config_dir / ".storage" / "http").write_text(json.dumps(http, indent=2, default=str))
    onboarding = config_dir / ".storage" / "onboarding"
    if not onboarding.exists():
        done = {
            "version": 4,
            "minor_version": 1,
            "key": "onboarding",
            "data": {"done": ["core_config", "analytics", "integration"]},
        }
        onboarding.write_text(json.dumps(done))


async def start_home_assistant(
    config_dir: Path, log: IO[bytes], *, skip_pip: bool = True
) -> asyncio.subprocess.Process:
    """``hass`` of this Python's venv on this config folder, its output in ``log``.

    The demo and the benchmarks skip pip (script/setup installed everything, nothing is
    fetched at run time); the smoke start lets Home Assistant install the requirements.
    """
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "hass"),
        "-c",
        str(config_dir),
        *(["--skip-pip"] if skip_pip else []),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        env=os.environ | {"PYTHONPATH": ""},
    )


async def stop_home_assistant(process: asyncio.subprocess.Process, timeout: float) -> None:
    """Stop ``hass`` as Ctrl-C would; kill it if it has not stopped after ``timeout`` s."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()


class HomeAssistantClient:
    """The REST calls a person makes in the UI: onboarding, login, adding the integration."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.token = ""

    async def wait_until_up(self, process: asyncio.subprocess.Process, timeout: float = 180) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"Home Assistant exited with {process.returncode}; see its log")
            try:
                async with self.session.get(f"{self.base}/manifest.json") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant did not answer in time")

    async def _token(self, code: str) -> None:
        data = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID}
        async with self.session.post(f"{self.base}/auth/token", data=data) as response:
            response.raise_for_status()
            self.token = (await response.json())["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def onboard_or_login(self, language: str = "en") -> None:
        async with self.session.get(f"{self.base}/api/onboarding") as response:
            steps = await response.json() if response.status == 200 else []
        if any(step["step"] == "user" and not step["done"] for step in steps):
            # The other onboarding steps are marked done in .storage/onboarding: core_config
            # would add weather, radio and voice integrations that have nothing to do here.
            user = {
                "client_id": CLIENT_ID,
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "language": language,
            }
            async with self.session.post(f"{self.base}/api/onboarding/users", json=user) as response:
                response.raise_for_status()
                await self._token((await response.json())["auth_code"])
            return
        flow = {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID}
        async with self.session.post(f"{self.base}/auth/login_flow", json=flow) as response:
            flow_id = (await response.json())["flow_id"]
        credentials = {"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD}
        async with self.session.post(f"{self.base}/auth/login_flow/{flow_id}", json=credentials) as response:
            await self._token((await response.json())["result"])

    async def set_user_language(self, language: str) -> None:
        """The logged-in user's language, as the profile page saves it: the frontend shows it."""
        locale = {
            "language": language,
            "number_format": "language",
            "time_format": "language",
            "date_format": "language",
            "time_zone": "local",
            "first_weekday": "language",
        }
        await self.websocket({"type": "frontend/set_user_data", "key": "language", "value": locale})

    async def _flow(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(f"{self.base}{path}", json=body, headers=self.headers) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def ensure_integration(self, net: FakeNetwork) -> None:
        """Add the integration through its real config flow, as a user would."""
        async with self.session.get(
            f"{self.base}/api/config/config_entries/entry", headers=self.headers
        ) as response:
            entries = await response.json()
        if any(entry["domain"] == "plex_remote_doctor" for entry in entries):
            return
        result = await self._flow("/api/config/config_entries/flow", {"handler": "plex_remote_doctor"})
        flow = f"/api/config/config_entries/flow/{result['flow_id']}"
        await self._flow(flow, {"next_step_id": "manual"})
        result = await self._flow(
            flow,
            {
                "url": net.plex.url,
                "token": net.plex.state.token,
                "verify_ssl": True,
                "advanced": {"plex_tv_url": net.plex_tv.url, "public_ip_url": net.echo.url},
            },
        )
        result = await self._flow(flow, {"router": "manual"})
        result = await self._flow(flow, {"router_url": net.igd.description_url})
        if result.get("type") != "create_entry":
            raise RuntimeError(f"config flow did not finish: {result}")
        # A short interval so that repairs (two agreeing checks) show within a minute.
        entry_id = result["result"]["entry_id"]
        result = await self._flow("/api/config/config_entries/options/flow", {"handler": entry_id})
        await self._flow(
            f"/api/config/config_entries/options/flow/{result['flow_id']}",
            {"public_ip_url": net.echo.url, "scan_interval": DEMO_SCAN_INTERVAL, "confirm_checks": 2},
        )

    async def set_options(self, **options: Any) -> None:
        """The options flow of the (only) Plex Remote Doctor entry."""
        async with self.session.get(
            f"{self.base}/api/config/config_entries/entry", headers=self.headers
        ) as response:
            entries = [entry for entry in await response.json() if entry["domain"] == "plex_remote_doctor"]
        result = await self._flow(
            "/api/config/config_entries/options/flow", {"handler": entries[0]["entry_id"]}
        )
        await self._flow(
            f"/api/config/config_entries/options/flow/{result['flow_id']}", {"confirm_checks": 2} | options
        )

    async def add_server(self, url: str, token: str, net: FakeNetwork) -> None:
        """One more Plex server through the config flow (no router)."""
        result = await self._flow("/api/config/config_entries/flow", {"handler": "plex_remote_doctor"})
        flow = f"/api/config/config_entries/flow/{result['flow_id']}"
        await self._flow(flow, {"next_step_id": "manual"})
        await self._flow(
            flow,
            {
                "url": url,
                "token": token,
                "verify_ssl": True,
                "advanced": {"plex_tv_url": net.plex_tv.url, "public_ip_url": net.echo.url},
            },
        )
        await self._flow(flow, {"router": "none"})

    async def press(self, entity_id: str) -> None:
        async with self.session.post(
            f"{self.base}/api/services/button/press", json={"entity_id": entity_id}, headers=self.headers
        ) as response:
            response.raise_for_status()
            await response.read()

    async def websocket(self, message: dict[str, Any]) -> Any:
        async with self.session.ws_connect(f"{self.base}/api/websocket") as websocket:
            await websocket.receive_json()
            await websocket.send_json({"type": "auth", "access_token": self.token})
            await websocket.receive_json()
            await websocket.send_json({"id": 1} | message)
            # An error answer (e.g. no dashboard saved yet) carries no result: None.
            return (await websocket.receive_json()).get("result")

    async def device_id(self) -> str | None:
        """The Plex server's device, through the websocket API."""
        devices = await self.websocket({"type": "config/device_registry/list"})
        for device in devices:
            if any(identifier[0] == "plex_remote_doctor" for identifier in device["identifiers"]):
                return str(device["id"])
        return None

    async def device_path(self) -> str:
        """The device page of the Plex server."""
        if device_id := await self.device_id():
            return f"/config/devices/device/{device_id}"
        return "/config/integrations/integration/plex_remote_doctor"

    async def ensure_dashboard(self) -> str:
        """A dashboard of its own, in the sidebar, with the layer-path card (storage mode).

        Created through the websocket API as a user would in Settings > Dashboards; its
        view is saved only when it does not show the card yet, so a demo kept with
        ``--config`` keeps what its user changed.
        """
        dashboards = await self.websocket({"type": "lovelace/dashboards/list"}) or []
        if not any(dashboard["url_path"] == DASHBOARD for dashboard in dashboards):
            await self.websocket(
                {
                    "type": "lovelace/dashboards/create",
                    "url_path": DASHBOARD,
                    "title": "Plex Remote Doctor",
                    "icon": "mdi:plex",
                    "show_in_sidebar": True,
                    "require_admin": False,
                    "mode": "storage",
                }
            )
        device_id = await self.device_id()
        current = await self.websocket({"type": "lovelace/config", "url_path": DASHBOARD, "force": True})
        if device_id and CARD_TYPE not in json.dumps(current or {}):
            view = {
                "title": "Remote access",
                "path": DASHBOARD_VIEW,
                "type": "panel",
                "cards": [{"type": CARD_TYPE, "device_id": device_id}],
            }
            await self.websocket(
                {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": {"views": [view]}}
            )
        return f"/{DASHBOARD}/{DASHBOARD_VIEW}"


def control_app(net: FakeNetwork) -> web.Application:
    """A small page (and API) to switch scenarios while the demo runs."""

    async def page(request: web.Request) -> web.Response:
        links = "".join(
            f'<li><a href="/scenario/{name}">{"<b>" + name + "</b>" if name == net.scenario else name}</a></li>'
            for name in SCENARIOS
        )
        body = (
            "<!doctype html><title>Plex Remote Doctor demo</title><h1>Simulated network</h1>"
            f"<p>Current scenario: <b id=scenario>{net.scenario}</b></p><ul>{links}</ul>"
        )
        return web.Response(text=body, content_type="text/html")

    async def switch(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in SCENARIOS:
            raise web.HTTPNotFound(text=f"no scenario {name}")
        net.apply(name)
        await net.announce()
        print(f"scenario: {name}", flush=True)
        if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
            raise web.HTTPFound("/")
        return web.json_response({"scenario": name})

    async def state(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "scenario": net.scenario,
                "prefs": net.plex.state.prefs,
                "refreshes": net.plex.state.refresh_reachability_calls,
            }
        )

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/state", state)
    app.router.add_get("/scenario/{name}", switch)
    app.router.add_post("/scenario/{name}", switch)
    return app


async def switch_running(control_port: int, name: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://{HOST}:{control_port}/scenario/{name}") as response,
    ):
        print((await response.json())["scenario"])
        return 0 if response.status == 200 else 1


async def run(args: argparse.Namespace) -> int:
    if args.switch:
        return await switch_running(args.control_port, args.switch)
    if args.reset and args.config.exists():
        shutil.rmtree(args.config)
    write_config(args.config, args.port, language=args.language)
    net = await FakeNetwork(base_port=args.fake_base_port).start()
    net.apply(args.scenario)
    runner = web.AppRunner(control_app(net), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, args.control_port).start()
    log = (args.config / "demo-hass.log").open("ab")
    process = await start_home_assistant(args.config, log)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    base = f"http://{HOST}:{args.port}"
    try:
        async with aiohttp.ClientSession() as session:
            client = HomeAssistantClient(session, base)
            await client.wait_until_up(process)
            await client.onboard_or_login(args.language)
            await client.set_user_language(args.language)
            await client.ensure_integration(net)
            device = await client.device_path()
            dashboard = await client.ensure_dashboard()
        urls = {
            "home_assistant": base,
            "control": f"http://{HOST}:{args.control_port}",
            "scenario": net.scenario,
            "device": f"{base}{device}",
            "dashboard": f"{base}{dashboard}",
            "language": args.language,
        }
        if args.ready_file:
            args.ready_file.write_text(json.dumps(urls | {"username": USERNAME, "password": PASSWORD}))
        print(
            f"\nPlex Remote Doctor demo is running.\n"
            f"  Home Assistant: {base}   login: {USERNAME} / {PASSWORD}\n"
            f"  Dashboard:      {urls['dashboard']}   (the layer-path card)\n"
            f"  Plex server:    {urls['device']}\n"
            f"  Scenario page:  {urls['control']}   (now: {net.scenario})\n"
            f"  Switch from a shell: ./script/demo --switch cgnat\n"
            f"  Log: {args.config / 'demo-hass.log'}\n"
            f"Ctrl-C stops everything.\n",
            flush=True,
        )
        waiter = asyncio.ensure_future(process.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        return 0 if stop.is_set() else 1
    finally:
        await stop_home_assistant(process, 30)
        await runner.cleanup()
        await net.stop()
        log.close()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))
