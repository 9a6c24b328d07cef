"""Repairs: confirmed before raised, cleared only on evidence, fixed end to end."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import json
from pathlib import Path
import re
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.plex_remote_doctor.const import DOMAIN
from custom_components.plex_remote_doctor.doctor.diagnose import ROWS, Finding, Fix
from custom_components.plex_remote_doctor.issues import Phrases, placeholders
from custom_components.plex_remote_doctor.repairs import LOG_PLACEHOLDERS
from simulator.network import LAN_IP, PUBLIC_IP, FakeNetwork
from simulator.plex_server import TOKEN

from .conftest import Check

# aiohttp before 3.14 (Home Assistant 2026.5's) can leave a closed websocket's pong timer
# scheduled when the clock jumps past a heartbeat (these tests move it a minute per
# check). Only that timer of aiohttp's is cancelled, only on a websocket that is closed
# and only before aiohttp 3.14; any other lingering timer, or a websocket the integration
# left open, still fails the test. Drop this once the oldest release ships aiohttp 3.14.
_OLD_AIOHTTP = tuple(int(part) for part in aiohttp.__version__.split(".")[:2]) < (3, 14)
_AIOHTTP_HEARTBEAT = {"_pong_not_received", "_send_heartbeat"}


@pytest.fixture(autouse=True)
async def closed_websockets_heartbeat_cancelled(hass: HomeAssistant) -> AsyncGenerator[None]:
    """After the entries unloaded (the network fixture, torn down first), before the check."""
    yield
    if not _OLD_AIOHTTP:
        return
    for handle in list(hass.loop._scheduled):  # type: ignore[attr-defined]
        callback = handle._callback
        owner = getattr(callback, "__self__", None)
        if (
            isinstance(owner, aiohttp.ClientWebSocketResponse)
            and owner.closed
            and callback.__name__ in _AIOHTTP_HEARTBEAT
        ):
            handle.cancel()


INTEGRATION = Path(__file__).parent.parent / "custom_components" / "plex_remote_doctor"
MACHINE_ID = "0123456789abcdef0123456789abcdef"


def our_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue.issue_id: issue
        for issue in ir.async_get(hass).issues.values()
        if issue.domain == DOMAIN and issue.active
    }


async def test_raised_after_confirmation_and_cleared_when_fixed(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    network.apply("cgnat")
    await check(setup_entry)
    assert our_issues(hass) == {}  # one check is not a confirmation
    await check(setup_entry)
    issue = our_issues(hass)[f"{MACHINE_ID}_cgnat"]
    assert issue.translation_key == "cgnat"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["wan_ip"] == "100.64.10.2"
    assert issue.translation_placeholders["public_ip"] == "198.51.100.77"
    assert issue.learn_more_url is not None
    assert issue.learn_more_url.endswith("#cgnat")
    for _ in range(3):
        await check(setup_entry)
    assert list(our_issues(hass)) == [f"{MACHINE_ID}_cgnat"]  # never duplicated

    network.apply("healthy")
    await check(setup_entry)
    assert our_issues(hass) == {}


async def test_missing_evidence_neither_confirms_nor_clears(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    network.apply("cgnat")
    await check(setup_entry)
    await network.igd.stop()  # the router vanishes: CGNAT is unknown, not disproved
    await check(setup_entry)
    assert our_issues(hass) == {}
    await network.igd.start()
    await check(setup_entry)
    assert f"{MACHINE_ID}_cgnat" in our_issues(hass)  # unknown did not break the streak

    await network.igd.stop()
    await check(setup_entry)
    network.plex.state.fail_status = 503  # and Plex goes away too
    await check(setup_entry)
    assert f"{MACHINE_ID}_cgnat" in our_issues(hass)  # kept: nothing disproved it


async def test_clear_resets_the_streak(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    network.apply("double_nat")
    await check(setup_entry)
    network.apply("healthy")
    await check(setup_entry)
    network.apply("double_nat")
    await check(setup_entry)
    assert our_issues(hass) == {}


async def test_confirm_checks_option(
    hass: HomeAssistant,
    network: FakeNetwork,
    config_entry: MockConfigEntry,
    check: Check,
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options=config_entry.options | {"confirm_checks": 3})
    network.apply("upnp_stale")
    assert await hass.config_entries.async_setup(config_entry.entry_id)  # check 1
    await hass.async_block_till_done()
    await check(config_entry)
    assert our_issues(hass) == {}
    await check(config_entry)
    assert f"{MACHINE_ID}_upnp_stale" in our_issues(hass)


async def test_survives_restart_without_flapping(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    network.apply("port_blocked")
    await check(setup_entry)
    await check(setup_entry)
    assert f"{MACHINE_ID}_port_blocked" in our_issues(hass)
    assert await hass.config_entries.async_reload(setup_entry.entry_id)  # first check after "restart"
    await hass.async_block_till_done()
    assert f"{MACHINE_ID}_port_blocked" in our_issues(hass)
    issue = our_issues(hass)[f"{MACHINE_ID}_port_blocked"]
    assert issue.is_persistent
    assert issue.translation_placeholders is not None
    assert "Single NAT is proven" in issue.translation_placeholders["nat_check"]
    network.apply("healthy")
    await check(setup_entry)
    assert our_issues(hass) == {}


async def test_warning_beside_the_finding(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    network.apply("default_port_exposed")
    await check(setup_entry)
    await check(setup_entry)
    assert hass.states.get("sensor.living_room_plex_diagnosis").state == "ok"  # type: ignore[union-attr]
    issue = our_issues(hass)[f"{MACHINE_ID}_default_port_exposed"]
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    network.apply("mapping_failed")
    await check(setup_entry)
    await check(setup_entry)
    assert our_issues(hass)
    await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert our_issues(hass) == {}


async def confirmed(
    hass: HomeAssistant, network: FakeNetwork, entry: MockConfigEntry, check: Check, scenario: str, key: str
) -> str:
    await async_setup_component(hass, "repairs", {})
    network.apply(scenario)
    await check(entry)
    await check(entry)
    issue_id = f"{MACHINE_ID}_{key}"
    assert issue_id in our_issues(hass)
    return issue_id


def assert_no_secret(shown: str) -> None:
    for secret in (TOKEN, PUBLIC_IP, PUBLIC_IP.replace(".", "-"), "owner@example.com"):
        assert secret not in shown, secret


async def fix(hass: HomeAssistant, issue_id: str) -> Any:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return manager, await manager.async_init(DOMAIN, data={"issue_id": issue_id})


async def test_fix_enables_remote_access(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
) -> None:
    issue_id = await confirmed(
        hass, network, setup_entry, check, "remote_access_disabled", "remote_access_disabled"
    )
    manager, result = await fix(hass, issue_id)
    assert result["step_id"] == "confirm"
    prefs = network.plex.state.prefs
    assert prefs.get("PublishServerOnPlexOnlineKey") is False  # nothing before confirmation
    result = await manager.async_configure(result["flow_id"], {})
    assert network.plex.state.prefs["PublishServerOnPlexOnlineKey"] is True
    assert network.plex.state.refresh_reachability_calls == 1
    # The last step: what Plex logged between the change and the re-check.
    assert result["step_id"] == "log"
    shown = result["description_placeholders"]["plex_log"]
    assert "NAT: Initialized UPnP, result:" in shown
    assert "MyPlex: Requesting reachability check." in shown
    assert "PubSub: Got notified of reachability" in shown
    assert "mapping state set to 'Unknown'" not in shown  # logged before the change
    assert_no_secret(shown)
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert issue_id not in our_issues(hass)
    await check(setup_entry)
    assert issue_id not in our_issues(hass)


@pytest.mark.parametrize(
    ("scenario", "key"),
    [
        ("mapping_failed", "mapping_failed"),
        ("upnp_stale", "upnp_stale"),
        ("default_port_exposed", "default_port_exposed"),
    ],
)
async def test_fix_sets_manual_port_and_shows_the_forward(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    scenario: str,
    key: str,
    check: Check,
) -> None:
    issue_id = await confirmed(hass, network, setup_entry, check, scenario, key)
    manager, result = await fix(hass, issue_id)
    assert result["step_id"] == "init"
    result = await manager.async_configure(result["flow_id"], {"external_port": 32400})
    assert result["errors"] == {"external_port": "default_port"}
    with pytest.raises(InvalidData):  # privileged ports are refused by the form itself
        await manager.async_configure(result["flow_id"], {"external_port": 80})
    result = await manager.async_configure(result["flow_id"], {"external_port": 32500})
    assert result["step_id"] == "confirm"
    assert network.plex.state.prefs["ManualPortMappingPort"] != "32500"  # not before confirmation
    result = await manager.async_configure(result["flow_id"], {})
    assert result["step_id"] == "forward"
    assert result["description_placeholders"]["port"] == "32500"
    assert result["description_placeholders"]["lan_ip"] == LAN_IP
    assert result["description_placeholders"]["internal_port"] == "32400"
    assert network.plex.state.prefs["ManualPortMappingMode"] is True
    assert network.plex.state.prefs["ManualPortMappingPort"] == "32500"
    # The user adds the forward; Plex then reports the server reachable on 32500.
    network.apply("healthy")
    network.plex_says(publicPort=32500)
    result = await manager.async_configure(result["flow_id"], {})
    assert result["step_id"] == "log"
    shown = result["description_placeholders"]["plex_log"]
    assert "NAT: Using manually specified public port 32500." in shown
    assert "port=32500)" in shown  # Sending Server Info to myPlex
    # Plex's mapping was broken in these two: it now logs the new state.
    mapped = "MyPlex: mapping state set to 'Mapped - Publishing'."
    assert (mapped in shown) is (scenario != "default_port_exposed")
    assert_no_secret(shown)
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await check(setup_entry)
    assert issue_id not in our_issues(hass)
    assert network.igd.state.writes == []


async def test_the_log_is_read_before_the_change_and_after_the_recheck(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    issue_id = await confirmed(
        hass, network, setup_entry, check, "remote_access_disabled", "remote_access_disabled"
    )
    manager, result = await fix(hass, issue_id)
    assert ("GET", "/diagnostics/logs") not in network.plex.state.requests  # not for a flow merely opened
    network.plex.state.requests.clear()
    result = await manager.async_configure(result["flow_id"], {})
    asked = network.plex.state.requests
    bundle = [n for n, request in enumerate(asked) if request == ("GET", "/diagnostics/logs")]
    assert len(bundle) == 2
    assert bundle[0] < asked.index(("PUT", "/:/prefs")) < asked.index(("PUT", "/myplex/refreshReachability"))
    # The re-check (it reads the account again) comes before the second read.
    recheck = max(n for n, request in enumerate(asked) if request == ("GET", "/myplex/account"))
    assert asked.index(("PUT", "/myplex/refreshReachability")) < recheck < bundle[1]
    assert result["step_id"] == "log"


async def test_many_new_lines_show_the_last_fifteen(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issue_id = await confirmed(
        hass, network, setup_entry, check, "remote_access_disabled", "remote_access_disabled"
    )
    log = network.plex.state.log
    chatty = log.prefs_changed

    def prefs_changed(*args: Any) -> None:
        chatty(*args)
        for n in range(30):
            log.log(f"NAT: UPnP retry {n} for {PUBLIC_IP}:32400 `code`")

    monkeypatch.setattr(log, "prefs_changed", prefs_changed)
    manager, result = await fix(hass, issue_id)
    result = await manager.async_configure(result["flow_id"], {})
    values = result["description_placeholders"]
    assert int(values["log_count"]) > 30
    assert values["log_shown"] == "15"
    shown = values["plex_log"].splitlines()
    assert shown[0] == shown[-1] == "```"
    assert len(shown) == 15 + 2
    assert "NAT: UPnP retry 29 for **REDACTED**:32400 'code'" in values["plex_log"]
    assert "retry 10 " not in values["plex_log"]  # older than the last fifteen
    assert_no_secret(values["plex_log"])


async def test_nothing_new_in_plex_s_log(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issue_id = await confirmed(
        hass, network, setup_entry, check, "remote_access_disabled", "remote_access_disabled"
    )
    log = network.plex.state.log
    monkeypatch.setattr(log, "prefs_changed", lambda *args: None)
    monkeypatch.setattr(log, "reachability_requested", lambda *args: None)
    manager, result = await fix(hass, issue_id)
    result = await manager.async_configure(result["flow_id"], {})
    assert result["step_id"] == "log_quiet"
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert network.plex.state.prefs["PublishServerOnPlexOnlineKey"] is True


@pytest.mark.parametrize(
    ("knob", "reason"),
    [
        ("malformed", "Plex's log bundle is not a zip (no end of central directory)"),
        ("huge", "Plex's log bundle is larger than 20 MiB, the most the doctor reads"),
        ("no_server_log", "Plex's log bundle has no 'Plex Media Server.log'"),
    ],
)
async def test_a_log_that_cannot_be_read_does_not_stop_the_fix(
    hass: HomeAssistant,
    network: FakeNetwork,
    setup_entry: MockConfigEntry,
    check: Check,
    knob: str,
    reason: str,
) -> None:
    issue_id = await confirmed(hass, network, setup_entry, check, "mapping_failed", "mapping_failed")
    network.plex.state.log.bundle = knob
    manager, result = await fix(hass, issue_id)
    result = await manager.async_configure(result["flow_id"], {"external_port": 32500})
    result = await manager.async_configure(result["flow_id"], {})
    assert result["step_id"] == "forward"
    assert network.plex.state.prefs["ManualPortMappingPort"] == "32500"  # the change is made
    result = await manager.async_configure(result["flow_id"], {})
    assert result["step_id"] == "log_unavailable"
    assert result["description_placeholders"]["log_reason"] == reason
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


def placeholders_in(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def test_every_repair_text_has_its_placeholders() -> None:
    """Each text quotes only what its finding's row promises (plus the port a flow asks for)."""
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    rows = {str(key): row for key, row in ROWS.items()}
    assert set(strings["issues"]) == set(rows)
    for key, texts in strings["issues"].items():
        row = rows[key]
        used = placeholders_in(texts["title"]) | placeholders_in(texts.get("description", ""))
        for step in texts.get("fix_flow", {}).get("step", {}).values():
            used |= placeholders_in(step.get("description", ""))
        flow_asks = {"port"} if row.fix is Fix.MANUAL_PORT else set()
        if row.fix is not None:
            flow_asks |= LOG_PLACEHOLDERS
        assert used - {"name", "url"} - flow_asks == row.placeholders, key
        assert ("fix_flow" in texts) is (row.fix is not None), key


def test_repair_texts_keep_the_safe_stop() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    text = json.dumps(strings["issues"])
    assert "forward port 32400" not in text.replace("Never forward port 32400", "")
    for key in (
        "cgnat",
        "double_nat",
        "mapping_failed",
        "upnp_stale",
        "port_blocked",
        "port_forward_wrong_target",
    ):
        texts = strings["issues"][key]
        shown = texts.get("description") or texts["fix_flow"]["step"]["init"]["description"]
        assert "never put the server in the router's DMZ" in shown


def english_phrases() -> Phrases:
    """strings.json's selector section, flattened as Home Assistant's translation cache does."""
    selector = json.loads((INTEGRATION / "strings.json").read_text())["selector"]
    return Phrases(
        {
            f"component.{DOMAIN}.selector.{name}.options.{option}": text
            for name, section in selector.items()
            for option, text in section.get("options", {}).items()
        }
    )


@pytest.mark.parametrize(
    ("key", "facts", "expected"),
    [
        (
            Finding.PORT_BLOCKED,
            {"unverified": "router_unanswered,public_ip"},
            {
                "nat_check": "Single NAT could not be proven (router WAN IP (no UPnP router answered), "
                "public IP missing): rule out CGNAT and double NAT on the router's status page first."
            },
        ),
        (
            Finding.PORT_BLOCKED,
            {"unverified": ""},
            {"nat_check": "Single NAT is proven: the router's WAN IP is the public IP."},
        ),
        (
            Finding.ACCOUNT_ISSUE,
            {"reason": "not_present"},
            {"reason": "The network path works, but plex.tv sees this server offline."},
        ),
        (Finding.CGNAT, {"wan_ip": "100.64.1.2"}, {"wan_ip": "100.64.1.2", "public_ip": "unknown"}),
        (
            Finding.PLEX_REPORTED_ERROR,
            {"mapping_error": "jumboframes", "mapping_error_message": ""},
            {"mapping_error": "jumboframes", "mapping_error_message": ""},
        ),
    ],
)
def test_coded_facts_become_the_users_sentences(
    key: Finding, facts: dict[str, str], expected: dict[str, str]
) -> None:
    values = placeholders(key, "Den", "http://x", facts, english_phrases())
    assert {name: values[name] for name in expected} == expected
    assert values["name"] == "Den"


async def test_an_event_burst_confirms_nothing(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Checks seconds apart (an event burst) are not confirmation: it needs 60 s of Home Assistant's clock."""
    network.apply("cgnat")
    for _ in range(5):
        freezer.tick(timedelta(seconds=2))
        await setup_entry.runtime_data.async_refresh()
        await hass.async_block_till_done()
    assert our_issues(hass) == {}
    freezer.tick(timedelta(seconds=51))  # 59 s since the first check that saw CGNAT
    await setup_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert our_issues(hass) == {}
    freezer.tick(timedelta(seconds=1))  # 60 s
    await setup_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert list(our_issues(hass)) == [f"{MACHINE_ID}_cgnat"]


async def test_a_newly_confirmed_diagnosis_replaces_the_old_repair(
    hass: HomeAssistant, network: FakeNetwork, setup_entry: MockConfigEntry, check: Check
) -> None:
    """Router silent -> port_blocked; router back with a CGNAT WAN -> cgnat alone, also after a restart."""
    network.apply("port_blocked")
    await network.igd.stop()
    await check(setup_entry)
    await check(setup_entry)
    assert list(our_issues(hass)) == [f"{MACHINE_ID}_port_blocked"]
    await network.igd.start()
    network.apply("cgnat")  # Plex still says unreachable: port_blocked still holds
    await check(setup_entry)
    assert list(our_issues(hass)) == [f"{MACHINE_ID}_port_blocked"]  # cgnat not confirmed yet
    await check(setup_entry)
    assert list(our_issues(hass)) == [f"{MACHINE_ID}_cgnat"]
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(3):
        await check(setup_entry)
        assert list(our_issues(hass)) == [f"{MACHINE_ID}_cgnat"]
