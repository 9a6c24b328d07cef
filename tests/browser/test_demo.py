"""The demo in a real browser: log in, read the device page and the repairs, fix one.

Runs ``./script/demo`` (a real Home Assistant) on spare ports and drives Debian's
chromium headless with Playwright (tests/browser/harness.py). Screenshots go to
docs/screenshots/, which the README shows. Run with ``./script/test-browser``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import pytest

from .harness import SCREENSHOTS, control_state, logged_in_page, running_demo, shot, switch

pytestmark = pytest.mark.browser

# Fakes below the ephemeral port range, as in test_card.py.
HA_PORT, CONTROL_PORT, FAKE_BASE_PORT = 18123, 18124, 28400


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_demo(
        tmp_path_factory.mktemp("demo"),
        port=HA_PORT,
        control_port=CONTROL_PORT,
        fake_base_port=FAKE_BASE_PORT,
    ) as urls:
        yield urls


@pytest.fixture
async def page(demo: dict[str, Any], socket_enabled: None) -> AsyncGenerator[Any]:
    async with logged_in_page(demo) as page:
        yield page


async def press_run_diagnosis(page: Any, demo: dict[str, Any]) -> None:
    await page.goto(demo["device"])
    await page.get_by_text("Run diagnosis").first.wait_for(timeout=20_000)
    buttons = page.get_by_role("button", name="Press")
    await buttons.last.click()
    await asyncio.sleep(2.5)  # checks asked for by events and buttons are 2 s apart


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
