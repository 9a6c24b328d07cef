"""The demo in German: a repair as a German-speaking user reads it.

Its own demo (``./script/demo --language de --scenario cgnat``) on ports no other
browser test uses. The browser itself stays en-US (the login page is English), so the
German comes from what the demo set: Home Assistant's language and the user's profile,
as for a user who chose Deutsch. Writes docs/screenshots/repair-de.png.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from typing import Any

import pytest

from .harness import REPO, SCREENSHOTS, logged_in_page, running_demo, shot

pytestmark = pytest.mark.browser

# Fakes below the ephemeral port range, as in test_card.py.
HA_PORT, CONTROL_PORT, FAKE_BASE_PORT = 18223, 18224, 28500
GERMAN = json.loads(
    (REPO / "custom_components" / "plex_remote_doctor" / "translations" / "de.json").read_text(
        encoding="utf-8"
    )
)
SERVER = "Living Room Plex"
# The demo checks every 30 s and a repair needs checks spanning 60 s: about a minute
# after the integration is added, which is before the demo says it is ready.
REPAIR_CONFIRMED_MS = 120_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_demo(
        tmp_path_factory.mktemp("demo-de"),
        port=HA_PORT,
        control_port=CONTROL_PORT,
        fake_base_port=FAKE_BASE_PORT,
        extra=("--language", "de", "--scenario", "cgnat"),
    ) as urls:
        yield urls


async def test_a_repair_reads_in_german(demo: dict[str, Any], socket_enabled: None) -> None:
    cgnat = GERMAN["issues"]["cgnat"]
    title = cgnat["title"].format(name=SERVER)
    # The first option the repair gives, as de.json words it (up to its parenthesis).
    first_option = cgnat["description"].split("\n1. ", 1)[1].split(" (", 1)[0]
    assert first_option == "Bitte deinen Internetanbieter um eine öffentliche IPv4-Adresse"
    async with logged_in_page(demo) as page:
        await page.goto(f"{demo['home_assistant']}/config/repairs")
        await page.get_by_text(title).first.wait_for(timeout=REPAIR_CONFIRMED_MS)
        # Home Assistant's own words follow the user's language too, not only ours.
        assert await page.locator("html").get_attribute("lang") == "de"
        await page.get_by_text(title).first.click()
        await page.get_by_text(first_option).first.wait_for(timeout=20_000)
        await shot(page, "repair-de")
    assert (SCREENSHOTS / "repair-de.png").stat().st_size > 0
