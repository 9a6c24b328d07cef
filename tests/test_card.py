"""The layer-path card: registered once per Home Assistant, served, and complete.

The browser test (tests/browser/test_card.py) draws it on the demo; here the Python side
(static path, extra module URL) and the card's tables (finding -> layer, translations).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, UrlManager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.plex_remote_doctor.card import CARD_FILE, CARD_URL
from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.doctor.diagnose import Finding
from simulator.network import FakeNetwork
from simulator.plex_server import FakePlexServer, PlexState, default_prefs, healthy_account

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "plex_remote_doctor"
VERSION = json.loads((INTEGRATION / "manifest.json").read_text())["version"]
VERSIONED_URL = f"{CARD_URL}?v={VERSION}"
LAYERS = {"server", "router", "provider", "internet", "plextv", "apps"}


@pytest.fixture
async def frontend(hass: HomeAssistant) -> list[tuple[str, str]]:
    """The web UI as far as the card reaches it: HTTP, and the frontend's extra modules.

    The frontend package (hass_frontend) is not a test requirement; the card reaches the
    frontend only through ``add_extra_js_url``, which adds to this very list. HTTP is set
    up before "frontend" counts as loaded, so that it never starts listening.
    """
    assert await async_setup_component(hass, "http", {})
    changes: list[tuple[str, str]] = []
    hass.data[DATA_EXTRA_MODULE_URL] = UrlManager(lambda change, url: changes.append((change, url)), [])
    hass.config.components.add("frontend")
    return changes


@pytest.fixture
async def second_server(network: FakeNetwork) -> AsyncGenerator[MockConfigEntry]:
    """A second Plex server (no router), as its own config entry."""
    state = PlexState(machine_identifier="another-server", account=healthy_account(), prefs=default_prefs())
    plex = await FakePlexServer(state).start()
    yield MockConfigEntry(
        domain=DOMAIN,
        title="Basement Plex",
        unique_id="another-server",
        data={"url": plex.url, "token": state.token, "verify_ssl": True, "plex_tv_url": network.plex_tv.url},
        options=network.entry_options(),
    )
    await plex.stop()


def card_routes(hass: HomeAssistant) -> list[Any]:
    return [
        route
        for route in hass.http.app.router.routes()
        if route.method == "GET" and route.resource is not None and route.resource.canonical == CARD_URL
    ]


async def test_two_servers_register_the_card_once(
    hass: HomeAssistant,
    frontend: list[tuple[str, str]],
    config_entry: MockConfigEntry,
    second_server: MockConfigEntry,
) -> None:
    for entry in (config_entry, second_server):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
    assert frontend == [("added", VERSIONED_URL)]
    assert hass.data[DATA_EXTRA_MODULE_URL].urls == {VERSIONED_URL}
    assert len(card_routes(hass)) == 1


async def test_the_script_is_served_with_the_version_query_and_survives_unloading(
    hass: HomeAssistant,
    frontend: list[tuple[str, str]],
    config_entry: MockConfigEntry,
    second_server: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    for entry in (config_entry, second_server):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    client = await hass_client_no_auth()

    async def fetch() -> str:
        response = await client.get(VERSIONED_URL)
        assert response.status == 200
        assert "javascript" in response.headers["Content-Type"]
        # Cached long: the ?v= query is what reaches browsers after an update.
        assert "max-age" in response.headers.get("Cache-Control", "")
        text: str = await response.text()
        return text

    assert await fetch() == CARD_FILE.read_text()

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert await hass.config_entries.async_reload(second_server.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(second_server.entry_id)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    # Unloading, reloading and setting up again neither removed nor added the card.
    assert frontend == [("added", VERSIONED_URL)]
    assert len(card_routes(hass)) == 1
    assert await fetch() == CARD_FILE.read_text()


async def test_without_the_web_ui_the_integration_works_without_the_card(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.state is ConfigEntryState.LOADED
    assert "frontend" not in hass.config.components
    assert DATA_EXTRA_MODULE_URL not in hass.data


def test_manifest_loads_the_frontend_first_without_requiring_it() -> None:
    """after_dependencies: set up after the web UI when it is there, and without it too."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    assert {"frontend", "http"} <= set(manifest["after_dependencies"])
    assert "frontend" not in manifest.get("dependencies", [])


def js_object(name: str) -> Any:
    """A JSON object literal assigned to ``const name`` in the card's script."""
    match = re.search(rf"^const {name} = (\{{.*?^\}});$", CARD_FILE.read_text(), re.S | re.M)
    assert match, f"const {name} not found in {CARD_FILE.name}"
    return json.loads(match[1])


def test_every_finding_has_a_layer_and_an_action() -> None:
    finding_layer: dict[str, str | None] = js_object("FINDING_LAYER")
    assert {finding.value for finding in Finding} <= set(finding_layer)
    assert finding_layer["ok"] is None
    for finding, layer in finding_layer.items():
        if finding != "ok":
            assert layer in LAYERS, finding
    english = js_object("TRANSLATIONS")["en"]
    for finding in finding_layer:
        assert f"action.{finding}" in english, finding
    for layer in LAYERS:
        assert f"layer.{layer}" in english


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_every_language_has_every_string() -> None:
    translations: dict[str, dict[str, str]] = js_object("TRANSLATIONS")
    assert {"en", "de", "nl", "fr", "es"} <= set(translations)
    english = translations["en"]
    for language, strings in translations.items():
        assert set(strings) == set(english), language
        for key, text in strings.items():
            assert text.strip(), (language, key)
            assert placeholders(text) == placeholders(english[key]), (language, key)


def test_the_card_speaks_every_language_the_integration_ships() -> None:
    shipped = {path.stem for path in (INTEGRATION / "translations").glob("*.json")}
    assert shipped <= set(js_object("TRANSLATIONS"))


def test_the_card_fetches_nothing() -> None:
    """No build step, no framework from outside, no request of its own."""
    script = CARD_FILE.read_text()
    assert not re.search(r"^\s*import\b", script, re.M)
    assert "import(" not in script
    assert "fetch(" not in script
    assert "XMLHttpRequest" not in script
