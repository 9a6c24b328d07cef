"""The demo in a real browser: log in, read the device page and the repairs, fix one.

Runs ``./script/demo`` (a real Home Assistant) on spare ports and drives Debian's
chromium headless with Playwright. Screenshots go to docs/screenshots/, which the
README shows. Run with ``./script/test-browser``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HA_PORT, CONTROL_PORT, FAKE_BASE_PORT = 18123, 18124, 43400
# Without the background-networking flags chromium reaches out to Google at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("demo")
    ready = folder / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo",
            "--reset",
            "--config",
            str(folder / "config"),
            "--port",
            str(HA_PORT),
            "--control-port",
            str(CONTROL_PORT),
            "--fake-base-port",
            str(FAKE_BASE_PORT),
            "--ready-file",
            str(ready),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(360):
            if ready.exists() or process.poll() is not None:
                break
            time.sleep(0.5)
        assert ready.exists(), f"the demo did not come up; see {folder / 'config' / 'demo-hass.log'}"
        yield json.loads(ready.read_text())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


async def switch(demo: dict[str, Any], scenario: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{demo['control']}/scenario/{scenario}") as response,
    ):
        assert response.status == 200


async def control_state(demo: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{demo['control']}/state") as response:
        result: dict[str, Any] = await response.json()
        return result


@pytest.fixture
async def page(demo: dict[str, Any], socket_enabled: None) -> AsyncGenerator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(demo["home_assistant"])
        await page.get_by_label("Username").fill(demo["username"])
        await page.get_by_label("Password", exact=True).fill(demo["password"])
        await page.keyboard.press("Enter")
        await page.wait_for_url(lambda url: "auth" not in url, timeout=30_000)
        await page.wait_for_load_state("networkidle")
        yield page
        await browser.close()


async def press_run_diagnosis(page: Any, demo: dict[str, Any]) -> None:
    await page.goto(demo["device"])
    await page.get_by_text("Run diagnosis").first.wait_for(timeout=20_000)
    buttons = page.get_by_role("button", name="Press")
    await buttons.last.click()
    await asyncio.sleep(2.5)  # checks asked for by events and buttons are 2 s apart


async def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_load_state("networkidle")
    await asyncio.sleep(1)  # icons are fetched after the text renders
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


async def test_device_page_shows_each_scenario(page: Any, demo: dict[str, Any]) -> None:
    expected = {
        "healthy": ("Fully accessible", "OK"),
        "cgnat": ("Relay only", "Carrier-grade NAT"),
        "double_nat": ("Relay only", "Double NAT"),
    }
    for scenario, (status, diagnosis) in expected.items():
        await switch(demo, scenario)
        await page.goto(demo["device"])
        await page.get_by_text(diagnosis, exact=True).first.wait_for(timeout=20_000)
        await page.get_by_text(status, exact=True).first.wait_for(timeout=20_000)
        await shot(page, f"device-{scenario}")


# A repair needs checks spanning 60 s of Home Assistant's clock; the demo checks every 30 s.
REPAIR_CONFIRMED_MS = 100_000


async def test_repairs_carry_the_runbook_action(page: Any, demo: dict[str, Any]) -> None:
    for scenario, title, action in (
        (
            "cgnat",
            "Living Room Plex is behind carrier-grade NAT",
            "Ask your provider for a public IPv4 address",
        ),
        ("double_nat", "Living Room Plex is behind two routers (double NAT)", "bridge mode"),
    ):
        await switch(demo, scenario)
        await press_run_diagnosis(page, demo)
        await page.goto(f"{demo['home_assistant']}/config/repairs")
        await page.get_by_text(title).first.wait_for(timeout=REPAIR_CONFIRMED_MS)
        await shot(page, f"repairs-{scenario}")
        await page.get_by_text(title).first.click()
        await page.get_by_text(action).first.wait_for(timeout=20_000)
        await shot(page, f"repair-{scenario}")
        await page.keyboard.press("Escape")


async def test_fix_flow_turns_remote_access_on(page: Any, demo: dict[str, Any]) -> None:
    await switch(demo, "remote_access_disabled")
    await press_run_diagnosis(page, demo)
    title = "Remote access is turned off on Living Room Plex"
    await page.goto(f"{demo['home_assistant']}/config/repairs")
    await page.get_by_text(title).first.wait_for(timeout=REPAIR_CONFIRMED_MS)
    await page.get_by_text(title).first.click()
    await page.get_by_text("Only this Plex setting changes").first.wait_for(timeout=20_000)
    await shot(page, "fix-flow-confirm")
    assert (await control_state(demo))["prefs"]["PublishServerOnPlexOnlineKey"] is False
    await page.get_by_role("button", name="Submit").click()
    for _ in range(50):
        if (await control_state(demo))["prefs"]["PublishServerOnPlexOnlineKey"] is True:
            break
        await asyncio.sleep(0.2)
    state = await control_state(demo)
    assert state["prefs"]["PublishServerOnPlexOnlineKey"] is True
    assert state["refreshes"] >= 1
    await page.keyboard.press("Escape")
    await page.goto(f"{demo['home_assistant']}/config/repairs")
    await page.get_by_text(title).first.wait_for(state="detached", timeout=20_000)
    assert (SCREENSHOTS / "fix-flow-confirm.png").stat().st_size > 0
