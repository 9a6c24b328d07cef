"""Fix flows: change only Plex settings, only after the user confirms.

The router is never written to; 32400 is never offered as an external port; no flow
suggests a DMZ for the server or turning a firewall off.

As the runbook asks, each flow reads Plex's own log lines about remote access just
before it changes anything and again after the re-check, and its last step shows what
Plex logged in between (the log bundle is read only here and for a diagnostics download).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode

from .compat import RepairsFlowResult, vol
from .const import DOMAIN, LOGGER, PLEX_LOG_TIMEOUT
from .coordinator import PlexRemoteDoctorConfigEntry, PlexRemoteDoctorCoordinator
from .doctor.diagnose import ROWS, Finding, Fix, WarningKey
from .doctor.errors import DoctorError
from .doctor.evidence import PLEX_DEFAULT_PORT
from .doctor.plex_logs import LogExcerpt, logged_between

CONF_EXTERNAL_PORT = "external_port"
SUGGESTED_EXTERNAL_PORT = 32500
LOWEST_EXTERNAL_PORT = 1024
# Plex's new log lines the last step shows (the newest); the diagnostics download has 50.
LOG_LINES_SHOWN = 15
# A line longer than this is cut for the form (a line with a long URL).
LOG_LINE_CHARS = 300
# What a log step may quote beside the issue's own placeholders.
LOG_PLACEHOLDERS = frozenset({"log_count", "log_shown", "plex_log", "log_reason"})


def external_port_error(port: int) -> str | None:
    """Why a port cannot be the public port: 32400 invites scans, <1024 is privileged."""
    if port == PLEX_DEFAULT_PORT:
        return "default_port"
    if not LOWEST_EXTERNAL_PORT <= port <= 65535:
        return "port_range"
    return None


class _PlexSettingsFlow(RepairsFlow):
    """Shared by the fix flows: find the entry, apply settings, retry, re-check."""

    def __init__(
        self, entry: PlexRemoteDoctorConfigEntry, key: Finding | WarningKey, values: dict[str, str]
    ) -> None:
        self.entry = entry
        self.key = key
        self.placeholders = values
        # Plex's log just before the change and after the re-check.
        self.log_before: LogExcerpt | None = None
        self.log_after: LogExcerpt | None = None

    @property
    def coordinator(self) -> PlexRemoteDoctorCoordinator:
        return self.entry.runtime_data

    async def _apply(self, change: Awaitable[None]) -> str | None:
        """Change Plex's settings, then ask for a retry; return an error key or None."""
        self.log_before = await self.coordinator.doctor.plex_log(timeout=PLEX_LOG_TIMEOUT)
        try:
            await change
        except DoctorError as err:
            LOGGER.warning("%s: could not change Plex settings: %s", self.entry.title, err)
            return "cannot_change"
        try:
            await self.coordinator.async_retry_remote_access()
        except HomeAssistantError as err:
            # The settings are in; the retry may wait for its cooldown or the next check.
            LOGGER.info("%s: retry after fix not sent: %s", self.entry.title, err)
        self.coordinator.issues.fixed(self.key)
        return None

    async def async_step_log(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Read Plex's log again (the re-check is done) and show what it logged since the change."""
        if user_input is not None:
            return self.async_create_entry(data={})
        self.log_after = await self.coordinator.doctor.plex_log(timeout=PLEX_LOG_TIMEOUT)
        step_id, values = self._logged_in_between()
        return self.async_show_form(
            step_id=step_id, data_schema=vol.Schema({}), description_placeholders=self.placeholders | values
        )

    async def async_step_log_quiet(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The log step when Plex logged nothing new: submitting finishes."""
        return self.async_create_entry(data={})

    async def async_step_log_unavailable(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The log step when a log could not be read: submitting finishes."""
        return self.async_create_entry(data={})

    def _logged_in_between(self) -> tuple[str, dict[str, str]]:
        """Which log step to show, with its placeholders: new lines, none, or why not."""
        before, after = self.log_before, self.log_after
        if before is None or after is None or not before.complete or not after.complete:
            reasons = [
                excerpt.reason for excerpt in (before, after) if excerpt is not None and excerpt.reason
            ]
            return "log_unavailable", {"log_reason": reasons[0] if reasons else "not read"}
        new = logged_between(before, after)
        if not new:
            return "log_quiet", {}
        shown = new[-LOG_LINES_SHOWN:]
        lines = [_for_markdown(line) for line in shown]
        return "log", {
            "log_count": str(len(new)),
            "log_shown": str(len(shown)),
            "plex_log": "```\n" + "\n".join(lines) + "\n```",
        }


def _for_markdown(line: str) -> str:
    """One log line inside a code block: no backtick can close it, no line runs for pages."""
    line = line.replace("`", "'")
    return line if len(line) <= LOG_LINE_CHARS else line[: LOG_LINE_CHARS - 1] + "…"


class EnableRemoteAccessFlow(_PlexSettingsFlow):
    """remote_access_disabled: turn Plex's remote access on."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Nothing to choose: go to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Turn remote access on once the user confirms."""
        errors: dict[str, str] = {}
        if user_input is not None:
            error = await self._apply(self.coordinator.doctor.enable_remote_access())
            if error is None:
                return await self.async_step_log()
            errors["base"] = error
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=self.placeholders,
        )


class ManualPortFlow(_PlexSettingsFlow):
    """mapping_failed, upnp_stale, default_port_exposed: manual mode on a non-default port."""

    port = SUGGESTED_EXTERNAL_PORT

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Choose the external port (never 32400)."""
        errors: dict[str, str] = {}
        # The flow manager starts this step with {"issue_id": ...}: not the user's answer.
        if user_input is not None and CONF_EXTERNAL_PORT in user_input:
            port = int(user_input[CONF_EXTERNAL_PORT])
            if (error := external_port_error(port)) is not None:
                errors[CONF_EXTERNAL_PORT] = error
            else:
                self.port = port
                return await self.async_step_confirm()
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_EXTERNAL_PORT, default=self.port): NumberSelector(
                        NumberSelectorConfig(
                            min=LOWEST_EXTERNAL_PORT, max=65535, step=1, mode=NumberSelectorMode.BOX
                        )
                    )
                }
            ),
            errors=errors,
            description_placeholders=self.placeholders,
        )

    def _forward(self) -> dict[str, str]:
        return self.placeholders | {"port": str(self.port)}

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Set manual mode on the chosen port once the user confirms."""
        errors: dict[str, str] = {}
        if user_input is not None:
            error = await self._apply(self.coordinator.doctor.use_manual_port(self.port))
            if error is None:
                return await self.async_step_forward()
            errors["base"] = error
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=self._forward(),
        )

    async def async_step_forward(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Show the router forward to add; the doctor never adds it itself."""
        if user_input is not None:
            await self.coordinator.async_request_refresh()
            return await self.async_step_log()
        return self.async_show_form(
            step_id="forward", data_schema=vol.Schema({}), description_placeholders=self._forward()
        )


FLOWS: dict[Fix, type[_PlexSettingsFlow]] = {
    Fix.ENABLE_REMOTE_ACCESS: EnableRemoteAccessFlow,
    Fix.MANUAL_PORT: ManualPortFlow,
}


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow for an issue raised by this integration."""
    entry_id = str((data or {}).get("entry_id"))
    key = str((data or {}).get("key"))
    entry = hass.config_entries.async_get_entry(entry_id)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    row = {str(row.key): row for row in ROWS.values()}.get(key)
    if entry is None or row is None or row.fix is None or not hasattr(entry, "runtime_data"):
        return ConfirmRepairFlow()
    values = dict(issue.translation_placeholders or {}) if issue is not None else {}
    return FLOWS[row.fix](entry, row.key, values)
