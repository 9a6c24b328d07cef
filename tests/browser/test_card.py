"""The layer-path card on the demo's dashboard, in a real browser.

For each scenario (healthy, cgnat, double_nat, upnp_stale, reverse_proxy, relay and
port_blocked): the layer the card lights, the states of all six layers, the texts
(diagnosis, next action, measured values, the relay / custom URL / IPv6 paths); in light
and dark theme, at phone width, in another language; the card picker and editor; taps
and buttons. Screenshots go to docs/screenshots/card-*.png (README, info.md).
Run with ``./script/test-browser``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import pairwise
import json
import re
import time
from typing import Any

import pytest

from .harness import REPO, control_state, logged_in_page, running_demo, shot, switch

pytestmark = pytest.mark.browser

# The fakes below 32768: ports in the kernel's ephemeral range (32768-60999) may be
# taken for a moment by any outgoing connection on this shared machine.
HA_PORT, CONTROL_PORT, FAKE_BASE_PORT = 18323, 18324, 28600
CARD = "plex-remote-doctor-card"
DIAGNOSIS = "sensor.living_room_plex_diagnosis"
# The card follows Home Assistant's states; a scenario switch reaches them through the
# Plex and UPnP events the demo sends (no button pressed): "within seconds".
UPDATE_TIMEOUT = 15.0

# What the card shows, read from its shadow DOM.
READ_CARD = """card => {
  const root = card.shadowRoot;
  const layers = [...root.querySelectorAll("li.layer")];
  const text = (element) => element ? element.textContent.replace(/\\s+/g, " ").trim() : null;
  return {
    failing: layers.filter((layer) => layer.classList.contains("failing")).map((layer) => layer.dataset.layer),
    states: Object.fromEntries(layers.map((layer) => [layer.dataset.layer, layer.dataset.state])),
    values: Object.fromEntries(layers.map((layer) => [layer.dataset.layer, [...layer.querySelectorAll(".value")].map(text)])),
    labels: Object.fromEntries(layers.map((layer) => [layer.dataset.layer, layer.querySelector(".tile").getAttribute("aria-label")])),
    names: layers.map((layer) => text(layer.querySelector(".name"))),
    breaks: text(root.querySelector(".breaks")),
    finding: text(root.querySelector(".finding")),
    action: text(root.querySelector(".action")),
    go: text(root.querySelector(".go")),
    chip: text(root.querySelector(".chip")),
    routes: Object.fromEntries([...root.querySelectorAll(".route")].map((route) => [route.dataset.route, text(route)])),
    live: text(root.querySelector("[aria-live]")),
    buttons: [...root.querySelectorAll("[data-press]")].map(text),
  };
}"""

GERMAN_STATES = {
    key: sensor["state"]
    for key, sensor in json.loads(
        (REPO / "custom_components" / "plex_remote_doctor" / "translations" / "de.json").read_text(
            encoding="utf-8"
        )
    )["entity"]["sensor"].items()
    if "state" in sensor
}
RELAY_ROUTE = "Plex Relay: apps stream through Plex's servers, capped at"
IPV6_ROUTE = "IPv6: apps with IPv6 can reach the server without NAT, if it has a global IPv6 address"


def everything_ok() -> dict[str, str]:
    return dict.fromkeys(("server", "router", "provider", "internet", "plextv", "apps"), "ok")


# The test's name for a scenario -> (the simulator's scenario, what the card must show).
# "relay": Plex's mapping failed and a viewer plays through Plex Relay (relay_streaming);
# port_blocked: the only break is the path from the internet, Relay carries the apps.
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "healthy": (
        "healthy",
        {
            "failing": [],
            "states": everything_ok(),
            "finding": "OK",
            "action": "Nothing to do: apps reach the server.",
            "chip": "Remote access: Fully accessible",
            "routes": set(),
            "values": {
                "server": ["192.168.1.20", "Plex 1.41.3.9314"],
                "router": ["WAN 203.0.113.2", "UPnP: port mapped"],
                "provider": ["Public IPv4", "203.0.113.2"],
                "internet": ["Port 41234", "Reachable"],
            },
            "plextv": "Signed in",
            "apps": "Direct",
        },
    ),
    "cgnat": (
        "cgnat",
        {
            "failing": ["provider"],
            "states": everything_ok() | {"provider": "problem", "internet": "problem", "apps": "warning"},
            "finding": "Carrier-grade NAT · Provider",
            "action": "Ask your provider for a public IPv4 address; meanwhile use Plex Relay or Tailscale/WireGuard.",
            "chip": "Remote access: Relay only",
            "routes": {"relay", "ipv6"},
            "values": {
                "router": ["WAN 100.64.10.2", "UPnP: port mapped"],
                "provider": ["Carrier-grade NAT", "198.51.100.77"],
                "internet": ["Port 41234", "Not reachable"],
            },
            "plextv": "Signed in",
            "apps": "Through Plex Relay",
        },
    ),
    "double_nat": (
        "double_nat",
        {
            "failing": ["provider"],
            "states": everything_ok() | {"provider": "problem", "internet": "problem", "apps": "warning"},
            "finding": "Double NAT · Provider",
            "action": "Put the provider's gateway in bridge mode, or your router in the gateway's DMZ.",
            "chip": "Remote access: Relay only",
            "routes": {"relay", "ipv6"},
            "values": {
                "router": ["WAN 192.168.100.2", "UPnP: port mapped"],
                "provider": ["Double NAT", "203.0.113.2"],
                "internet": ["Port 41234", "Not reachable"],
            },
            "plextv": "Signed in",
            "apps": "Through Plex Relay",
        },
    ),
    "upnp_stale": (
        "upnp_stale",
        {
            "failing": ["router"],
            "states": everything_ok() | {"router": "problem", "internet": "problem", "apps": "warning"},
            "finding": "UPnP mapping missing · Router",
            "action": "Turn off UPnP, set a manual public port in Plex and a static port forward on the router.",
            "chip": "Remote access: Relay only",
            "routes": {"relay"},
            "values": {
                "router": ["WAN 203.0.113.2", "UPnP: no mapping"],
                "provider": ["Public IPv4", "203.0.113.2"],
                "internet": ["Port 41234", "Not reachable"],
            },
            "plextv": "Signed in",
            "apps": "Through Plex Relay",
        },
    ),
    "reverse_proxy": (
        "reverse_proxy",
        {
            "failing": [],
            "states": everything_ok(),
            "finding": "OK",
            "action": "Nothing to do: apps reach the server.",
            "chip": "Remote access: Custom URL",
            "routes": {"custom"},
            "values": {
                "router": ["WAN 203.0.113.2", "UPnP: no mapping"],
                "provider": ["Public IPv4", "203.0.113.2"],
                "internet": ["Reachable"],
            },
            "plextv": "Signed in",
            "apps": "Through the custom URL",
        },
    ),
    "relay": (
        "relay_streaming",
        {
            "failing": ["router"],
            "states": everything_ok() | {"router": "problem", "internet": "problem", "apps": "warning"},
            "finding": "Port mapping failed · Router",
            "action": "Set a manual public port such as 32500 in Plex, forward it to the server's port 32400, then retry.",
            "chip": "Remote access: Relay only",
            "routes": {"relay"},
            "values": {
                "router": ["WAN 203.0.113.2", "UPnP: no mapping"],
                "provider": ["Public IPv4", "203.0.113.2"],
                "internet": ["Not reachable"],
                "apps": ["Through Plex Relay", "Remote streams: 1", "Relayed: 1"],
            },
            "plextv": "Signed in",
            "apps": "Through Plex Relay",
        },
    ),
    "port_blocked": (
        "port_blocked",
        {
            "failing": ["internet"],
            "states": everything_ok() | {"internet": "problem", "apps": "warning"},
            "finding": "Port blocked · Internet",
            "action": "Open the external port in the server's and the router's firewall, then test from a phone on cellular.",
            "chip": "Remote access: Relay only",
            "routes": {"relay"},
            "values": {
                "router": ["WAN 203.0.113.2", "UPnP: no mapping"],
                "provider": ["Public IPv4", "203.0.113.2"],
                "internet": ["Port 32500", "Not reachable"],
            },
            "plextv": "Signed in",
            "apps": "Through Plex Relay",
        },
    ),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_demo(
        tmp_path_factory.mktemp("card-demo"),
        port=HA_PORT,
        control_port=CONTROL_PORT,
        fake_base_port=FAKE_BASE_PORT,
    ) as urls:
        yield urls


async def open_dashboard(page: Any, demo: dict[str, Any]) -> Any:
    await page.goto(demo["dashboard"])
    card = page.locator(CARD)
    await card.locator("li.layer").first.wait_for(timeout=30_000)
    return card


async def card_shows(
    card: Any, finding: str, failing: list[str], timeout: float = UPDATE_TIMEOUT
) -> dict[str, Any]:
    """What the card shows once it names ``finding`` and lights ``failing``; seconds it took."""
    start = time.monotonic()
    while True:
        shown: dict[str, Any] = await card.evaluate(READ_CARD)
        if shown["finding"] == finding and shown["failing"] == failing:
            shown["seconds"] = time.monotonic() - start
            return shown
        if time.monotonic() - start > timeout:
            raise AssertionError(f"after {timeout} s the card shows {shown}, not {finding} at {failing}")
        await asyncio.sleep(0.25)


def assert_shows(shown: dict[str, Any], expected: dict[str, Any]) -> None:
    assert shown["states"] == expected["states"]
    assert shown["action"] == expected["action"]
    assert shown["chip"] == expected["chip"]
    assert set(shown["routes"]) == expected["routes"]
    for layer, values in expected["values"].items():
        assert shown["values"][layer] == values, layer
    # plex.tv and the apps gain values as evidence is added (published address, streams).
    assert expected["plextv"] in shown["values"]["plextv"]
    assert shown["values"]["apps"][0] == expected["apps"]
    assert shown["names"] == ["Plex server", "Router", "Provider", "Internet", "plex.tv", "Apps"]
    if "relay" in expected["routes"]:
        assert shown["routes"]["relay"].startswith(RELAY_ROUTE)
        assert "Mbps" in shown["routes"]["relay"]
    if "ipv6" in expected["routes"]:
        assert shown["routes"]["ipv6"] == IPV6_ROUTE
    if "custom" in expected["routes"]:
        assert shown["routes"]["custom"] == "Custom URL: apps reach the server through your reverse proxy"
    # Not colour alone: the state is in words, for the eye and for screen readers.
    for layer, state in expected["states"].items():
        label = shown["labels"][layer]
        word = {"ok": "OK", "problem": "Problem", "warning": "Limited", "unknown": "Unknown"}[state]
        assert label.startswith(f"{shown['names'][list(expected['states']).index(layer)]}: {word}"), label
    if expected["failing"]:
        assert shown["breaks"] == "Breaks here"
        assert "Breaks here" in shown["labels"][expected["failing"][0]]
        assert shown["go"] == "Open repair"
        assert f"Breaks here: {expected['finding'].split(' · ')[1]}" in shown["live"]
    else:
        assert shown["breaks"] is None
        assert shown["go"] == "Details"
    assert shown["live"].startswith(expected["chip"])
    assert shown["buttons"] == ["Run diagnosis", "Retry remote access"]


async def test_card_in_the_picker_with_an_editor(demo: dict[str, Any], socket_enabled: None) -> None:
    """The card picker lists it with a preview; the editor picks the Plex server's device."""
    async with logged_in_page(demo) as page:
        card = await open_dashboard(page, demo)
        picker = await page.evaluate(f"window.customCards.filter(c => c.type === '{CARD}')")
        assert picker == [
            {
                "type": CARD,
                "name": "Plex Remote Doctor",
                "description": "The layer path from the Plex server to the apps: which layer breaks remote access, and what to do.",
                "preview": True,
                "documentationURL": "https://github.com/plex-remote-doctor/plex-remote-doctor#the-layer-path-card",
            }
        ]
        stub = await page.evaluate(
            f"customElements.get('{CARD}').getStubConfig(document.querySelector('home-assistant').hass)"
        )
        device_id = demo["device"].rsplit("/", 1)[1]
        assert stub == {"device_id": device_id}

        await page.goto(f"{demo['dashboard']}?edit=1")
        await page.locator("hui-card-options").get_by_text("Edit", exact=True).first.click()
        editor = page.locator("plex-remote-doctor-card-editor")
        await editor.locator("ha-selector-device").wait_for(timeout=20_000)
        await editor.get_by_text("Living Room Plex").first.wait_for(timeout=20_000)
        await editor.get_by_text("Title (optional)").first.wait_for(timeout=10_000)
        await editor.locator("ha-selector-text input").fill("Plex, layer by layer")
        # The dialog's preview redraws the card with the new title.
        await (
            page.locator("ha-dialog, hui-dialog-edit-card")
            .locator(CARD)
            .locator("h2", has_text="Plex, layer by layer")
            .first.wait_for(timeout=10_000)
        )
        await shot(page, "card-editor")
        await page.keyboard.press("Escape")
        assert await card.count() >= 1


async def test_card_lights_the_layer_that_breaks_in_each_scenario(
    demo: dict[str, Any], socket_enabled: None
) -> None:
    async with logged_in_page(demo) as page:
        card = await open_dashboard(page, demo)
        for name, (scenario, expected) in SCENARIOS.items():
            await switch(demo, scenario)
            shown = await card_shows(card, expected["finding"], expected["failing"])
            assert_shows(shown, expected)
            assert shown["seconds"] < UPDATE_TIMEOUT
            await shot(page, f"card-{name}", card)


async def test_card_in_the_dark_theme(demo: dict[str, Any], socket_enabled: None) -> None:
    await switch(demo, "cgnat")
    async with logged_in_page(demo, color_scheme="dark") as page:
        card = await open_dashboard(page, demo)
        shown = await card_shows(card, "Carrier-grade NAT · Provider", ["provider"])
        assert_shows(shown, SCENARIOS["cgnat"][1])
        colours = await card.evaluate(
            """card => {
              const style = getComputedStyle(card.shadowRoot.querySelector("ha-card"));
              const name = getComputedStyle(card.shadowRoot.querySelector(".name"));
              return [style.backgroundColor, name.color];
            }"""
        )
        background, text = (luminance(colour) for colour in colours)
        assert background < 0.25 < 0.6 < text, colours
        await shot(page, "card-dark", card)


async def test_card_at_phone_width_stacks_the_layers(demo: dict[str, Any], socket_enabled: None) -> None:
    await switch(demo, "cgnat")
    async with logged_in_page(demo, viewport={"width": 390, "height": 844}) as page:
        card = await open_dashboard(page, demo)
        shown = await card_shows(card, "Carrier-grade NAT · Provider", ["provider"])
        assert_shows(shown, SCENARIOS["cgnat"][1])
        boxes = [await layer.bounding_box() for layer in await card.locator("li.layer .dot").all()]
        assert len(boxes) == 6
        assert all(box["y"] < after["y"] for box, after in pairwise(boxes)), boxes
        assert max(box["x"] for box in boxes) - min(box["x"] for box in boxes) < 1, boxes
        width = (await card.bounding_box())["width"]
        assert width <= 390
        # Nothing spills out of the card sideways.
        assert await card.evaluate("card => card.shadowRoot.querySelector('.root').scrollWidth") <= width
        # The picture: the whole card on a taller phone screen, under Home Assistant's toolbar.
        await page.set_viewport_size({"width": 390, "height": 930})
        await shot(page, "card-phone")


# The user's language, as the profile page saves it (the demo sets its user's so).
SET_LANGUAGE = """language => document.querySelector("home-assistant").hass.callWS({
  type: "frontend/set_user_data",
  key: "language",
  value: { language, number_format: "language", time_format: "language", date_format: "language",
           time_zone: "local", first_weekday: "language" },
})"""


async def test_card_speaks_the_users_language(demo: dict[str, Any], socket_enabled: None) -> None:
    await switch(demo, "double_nat")
    async with logged_in_page(demo) as page:
        card = await open_dashboard(page, demo)
        await page.evaluate(SET_LANGUAGE, "de")
        try:
            await card.locator("li.failing[data-layer=provider]").wait_for(timeout=UPDATE_TIMEOUT * 1000)
            await card.locator("li.layer .name", has_text="Anbieter").wait_for(timeout=10_000)
            shown = await card.evaluate(READ_CARD)
        finally:
            await page.evaluate(SET_LANGUAGE, "en")
    assert shown["names"] == ["Plex-Server", "Router", "Anbieter", "Internet", "plex.tv", "Apps"]
    assert shown["breaks"] == "Bricht hier"
    assert shown["action"] == (
        "Schalte das Gateway des Anbieters in den Bridge-Modus oder stelle deinen Router in dessen DMZ."
    )
    assert shown["buttons"] == ["Diagnose starten", "Fernzugriff erneut prüfen"]
    assert shown["labels"]["provider"].startswith("Anbieter: Problem. Bricht hier")
    # The diagnosis and the status in the integration's own German (de.json).
    assert shown["finding"] == f"{GERMAN_STATES['diagnosis']['double_nat']} · Anbieter"
    assert shown["chip"] == f"Fernzugriff: {GERMAN_STATES['remote_access_status']['relay']}"


# The entities of newer evidence (Plex Pass, live streams, the published address), added
# to the real Home Assistant's states in the page: the card uses them when they exist.
ADD_ENTITIES = """([deviceId, added]) => {
  const base = document.querySelector("home-assistant").hass;
  const entities = { ...base.entities };
  const states = { ...base.states };
  for (const [key, domain, state] of added) {
    const entityId = `${domain}.probe_${key}`;
    entities[entityId] = { entity_id: entityId, device_id: deviceId, platform: "plex_remote_doctor", translation_key: key };
    states[entityId] = { entity_id: entityId, state, attributes: {}, context: {}, last_changed: "", last_updated: "" };
  }
  const card = document.createElement("plex-remote-doctor-card");
  card.id = "probe";
  card.setConfig({ device_id: deviceId });
  card.hass = { ...base, entities, states };
  document.body.replaceChildren(card);
}"""


async def test_card_uses_streams_plex_pass_and_the_published_address(
    demo: dict[str, Any], socket_enabled: None
) -> None:
    device_id = demo["device"].rsplit("/", 1)[1]
    async with logged_in_page(demo) as page:
        # Healthy but no Plex Pass: remote viewers need a pass, the apps layer says so.
        await switch(demo, "healthy")
        card = await open_dashboard(page, demo)
        await card_shows(card, "OK", [])
        added = [("plex_pass", "binary_sensor", "off"), ("remote_streams", "sensor", "0")]
        await page.evaluate(ADD_ENTITIES, [device_id, added])
        shown = await page.locator("#probe").evaluate(READ_CARD)
        assert shown["values"]["apps"] == ["Direct", "Remote streams: 0", "No Plex Pass"]
        assert shown["states"]["apps"] == "warning"

        # Relay with a Plex Pass: 2 Mbps; the streams; the address plex.tv hands out.
        await switch(demo, "cgnat")
        card = await open_dashboard(page, demo)
        await card_shows(card, "Carrier-grade NAT · Provider", ["provider"])
        added = [
            ("plex_pass", "binary_sensor", "on"),
            ("remote_streams", "sensor", "2"),
            ("relayed_streams", "sensor", "2"),
            ("published_address", "sensor", "198.51.100.77:41234"),
        ]
        await page.evaluate(ADD_ENTITIES, [device_id, added])
        shown = await page.locator("#probe").evaluate(READ_CARD)
        assert shown["values"]["apps"] == ["Through Plex Relay", "Remote streams: 2", "Relayed: 2"]
        assert shown["values"]["plextv"] == ["Signed in", "198.51.100.77:41234"]
        assert shown["routes"]["relay"] == f"{RELAY_ROUTE} 2 Mbps (Plex Pass)"


async def test_taps_and_buttons(demo: dict[str, Any], socket_enabled: None) -> None:
    """A layer opens its entity, the buttons press theirs, the diagnosis opens its repair."""
    await switch(demo, "cgnat")
    async with logged_in_page(demo) as page:
        card = await open_dashboard(page, demo)
        await card_shows(card, "Carrier-grade NAT · Provider", ["provider"])

        await card.locator("li[data-layer=provider] .tile").click()
        dialog = page.locator("ha-more-info-dialog")
        await dialog.get_by_text("Carrier-grade NAT").first.wait_for(timeout=10_000)
        await page.keyboard.press("Escape")
        await dialog.get_by_text("Carrier-grade NAT").first.wait_for(state="hidden", timeout=10_000)
        # The same from the keyboard.
        await card.locator("li[data-layer=router] .tile").focus()
        await page.keyboard.press("Enter")
        await dialog.get_by_text("Router WAN IP").first.wait_for(timeout=10_000)
        await page.keyboard.press("Escape")
        await dialog.get_by_text("Router WAN IP").first.wait_for(state="hidden", timeout=10_000)

        def button_state(entity_id: str) -> Any:
            return page.evaluate(
                "id => document.querySelector('home-assistant').hass.states[id].state", entity_id
            )

        pressed = await button_state("button.living_room_plex_run_diagnosis")
        await card.locator("[data-press]", has_text="Run diagnosis").click()
        for _ in range(50):
            if await button_state("button.living_room_plex_run_diagnosis") != pressed:
                break
            await asyncio.sleep(0.2)
        assert await button_state("button.living_room_plex_run_diagnosis") != pressed

        refreshes = (await control_state(demo))["refreshes"]
        await card.locator("[data-press]", has_text="Retry remote access").click()
        for _ in range(50):
            if (await control_state(demo))["refreshes"] > refreshes:
                break
            await asyncio.sleep(0.2)
        assert (await control_state(demo))["refreshes"] == refreshes + 1

        # Before the repair is confirmed (agreeing checks a minute apart) the diagnosis
        # opens its own entity; once raised, the repairs page.
        issues = "() => document.querySelector('home-assistant').hass.callWS({type: 'repairs/list_issues'})"
        if not any(issue["translation_key"] == "cgnat" for issue in (await page.evaluate(issues))["issues"]):
            await card.locator(".diagnosis").click()
            await dialog.get_by_text("Diagnosis").first.wait_for(timeout=10_000)
            await page.keyboard.press("Escape")
        for _ in range(120):
            if any(issue["translation_key"] == "cgnat" for issue in (await page.evaluate(issues))["issues"]):
                break
            await asyncio.sleep(1)
        await card.locator(".diagnosis").click()
        await page.wait_for_url("**/config/repairs", timeout=10_000)
        await page.get_by_text("Living Room Plex is behind carrier-grade NAT").first.wait_for(timeout=20_000)


def luminance(css_colour: str) -> float:
    """Relative luminance of ``rgb(r, g, b)`` / ``rgba(...)``."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
