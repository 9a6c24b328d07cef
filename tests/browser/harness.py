"""What every browser test needs: a demo of its own, a logged-in page, screenshots.

Each test module starts its own demo (``python -m demo``, a real Home Assistant) on
ports no other module uses, and drives Debian's chromium headless with Playwright.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
import json
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, Literal

import aiohttp

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@contextmanager
def running_demo(
    folder: Path, *, port: int, control_port: int, fake_base_port: int, extra: tuple[str, ...] = ()
) -> Iterator[dict[str, Any]]:
    """``./script/demo`` in ``folder`` on these ports; yields its URLs and login once ready.

    The demo's own output goes to ``folder/demo.out``: a demo that does not come up
    (a port taken) says why there.
    """
    ready = folder / "ready.json"
    output = (folder / "demo.out").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo",
            "--reset",
            "--config",
            str(folder / "config"),
            "--port",
            str(port),
            "--control-port",
            str(control_port),
            "--fake-base-port",
            str(fake_base_port),
            "--ready-file",
            str(ready),
            *extra,
        ],
        cwd=REPO,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(360):
            if ready.exists() or process.poll() is not None:
                break
            time.sleep(0.5)
        assert ready.exists(), f"the demo did not come up; see {folder / 'demo.out'} and config/demo-hass.log"
        yield json.loads(ready.read_text())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        output.close()


@asynccontextmanager
async def logged_in_page(
    demo: dict[str, Any],
    *,
    viewport: ViewportSize | None = None,
    color_scheme: Literal["light", "dark"] = "light",
) -> AsyncIterator[Any]:
    """A chromium page logged in to the demo as its user (the browser's own language: en-US).

    Home Assistant's default theme follows the browser's ``color_scheme``.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        context = await browser.new_context(viewport=viewport or DESKTOP, color_scheme=color_scheme)
        page = await context.new_page()
        await page.goto(demo["home_assistant"])
        await page.get_by_label("Username").fill(demo["username"])
        await page.get_by_label("Password", exact=True).fill(demo["password"])
        await page.keyboard.press("Enter")
        await page.wait_for_url(lambda url: "auth" not in url, timeout=30_000)
        await page.wait_for_load_state("networkidle")
        try:
            yield page
        finally:
            await browser.close()


async def switch(demo: dict[str, Any], scenario: str) -> None:
    """Put the simulated network in ``scenario``, as the demo's control page does."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{demo['control']}/scenario/{scenario}") as response,
    ):
        assert response.status == 200


async def control_state(demo: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{demo['control']}/state") as response:
        result: dict[str, Any] = await response.json()
        return result


async def shot(page: Any, name: str, element: Any = None) -> None:
    """docs/screenshots/<name>.png of the page (the viewport), or of one element of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_load_state("networkidle")
    await asyncio.sleep(1)  # icons are fetched after the text renders
    await (element or page).screenshot(path=str(SCREENSHOTS / f"{name}.png"))
