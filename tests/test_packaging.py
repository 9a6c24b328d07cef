"""What HACS and hassfest look at: one integration, its manifest, brand images, metadata."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from PIL import Image
import yaml

REPO = Path(__file__).parent.parent
INTEGRATION = REPO / "custom_components" / "plex_remote_doctor"


def test_one_integration_under_custom_components() -> None:
    packages = [
        path.name
        for path in (REPO / "custom_components").iterdir()
        if path.is_dir() and not path.name.startswith("__")
    ]
    assert packages == ["plex_remote_doctor"]


def test_manifest_keys_and_order() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])  # hassfest: domain, name, then alphabetical
    assert manifest["domain"] == "plex_remote_doctor"
    assert manifest["config_flow"] is True
    assert manifest["version"]
    # Changes arrive as events (Plex's notification websocket, the router's UPnP GENA);
    # polling is only the safety net.
    assert manifest["iot_class"] == "local_push"
    assert manifest["documentation"].startswith("https://")
    assert {matcher["st"] for matcher in manifest["ssdp"]} == {
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
    }


def test_hacs_metadata() -> None:
    hacs = json.loads((REPO / "hacs.json").read_text())
    assert hacs["name"] == "Plex Remote Doctor"
    # The minimum is the oldest release the tests run on (./script/test --ha oldest).
    oldest = re.search(
        r"^homeassistant==(\d+\.\d+)\.", (REPO / "requirements_test_oldest.txt").read_text(), re.M
    )
    assert oldest is not None
    minimum = f"{oldest[1]}.0"
    assert hacs["homeassistant"] == minimum
    assert f"Home Assistant {minimum} or newer" in (REPO / "README.md").read_text()
    assert (REPO / "info.md").read_text().startswith("# Plex Remote Doctor")
    assert (REPO / "README.md").exists()


def test_brand_images() -> None:
    for name, size in (("icon.png", 256), ("icon@2x.png", 512), ("logo.png", 256), ("logo@2x.png", 512)):
        with Image.open(INTEGRATION / "brand" / name) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)


# The rules of Home Assistant's integration quality scale (script/hassfest/quality_scale.py).
QUALITY_SCALE_RULES = {
    "bronze": """action-setup appropriate-polling brands common-modules config-flow
        config-flow-test-coverage dependency-transparency docs-actions docs-conditions
        docs-high-level-description docs-installation-instructions docs-removal-instructions
        docs-triggers entity-event-setup entity-unique-id has-entity-name runtime-data
        test-before-configure test-before-setup unique-config-entry""",
    "silver": """action-exceptions config-entry-unloading docs-configuration-parameters
        docs-installation-parameters entity-unavailable integration-owner log-when-unavailable
        parallel-updates reauthentication-flow test-coverage""",
    "gold": """devices diagnostics discovery discovery-update-info docs-data-update docs-examples
        docs-known-limitations docs-supported-devices docs-supported-functions docs-troubleshooting
        docs-use-cases dynamic-devices entity-category entity-device-class
        entity-disabled-by-default entity-translations exception-translations icon-translations
        reconfiguration-flow repair-issues stale-devices""",
    "platinum": "async-dependency inject-websession strict-typing",
}


def test_quality_scale_lists_every_rule_with_a_status() -> None:
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == {rule for tier in QUALITY_SCALE_RULES.values() for rule in tier.split()}
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in ("done", "todo", "exempt"), rule
            if status["status"] == "exempt":
                assert status.get("comment"), rule
        else:
            assert status in ("done", "todo"), rule


class _BlueprintLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML with Home Assistant's ``!input`` tag."""


_BlueprintLoader.add_constructor("!input", lambda loader, node: {"input": loader.construct_scalar(node)})


def load_blueprint() -> dict[str, Any]:
    path = REPO / "blueprints" / "automation" / "plex_remote_doctor" / "notify_remote_access_broken.yaml"
    blueprint: dict[str, Any] = yaml.load(path.read_text(), Loader=_BlueprintLoader)
    return blueprint


def test_blueprint_is_valid_yaml_for_home_assistant() -> None:
    blueprint = load_blueprint()
    assert blueprint["blueprint"]["domain"] == "automation"
    assert set(blueprint["blueprint"]["input"]) >= {
        "remote_access_entity",
        "diagnosis_entity",
        "notify_service",
    }


def test_blueprint_has_a_next_action_for_every_finding() -> None:
    """The notification names the next action of whatever the diagnosis is."""
    from custom_components.plex_remote_doctor.doctor.diagnose import Finding

    actions = load_blueprint()["variables"]["actions_by_diagnosis"]
    assert set(actions) == {finding.value for finding in Finding} - {"ok"}
