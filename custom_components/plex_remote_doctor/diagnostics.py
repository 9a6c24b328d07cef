"""Diagnostics download: what the doctor measured and concluded, Plex's own log lines, secrets removed.

The token, every public IPv4 and global IPv6 address and the account's e-mail never
leave Home Assistant in this file. Addresses are found by scanning every string of the
report, not by field: plex.tv lists the home's global IPv6 and earlier IPv4 addresses
among its connections, and addresses turn up in URLs, error reasons and router tables.
Plex's plex.direct names carry the address with dashes, so dashed forms count too
(``doctor.redact``, shared with Plex's log lines). LAN, CGNAT and other non-public
addresses stay: they are what support needs to read the report.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .const import PLEX_LOG_TIMEOUT
from .coordinator import PlexRemoteDoctorConfigEntry
from .doctor.plex_logs import KEEP_LINES, MAX_BUNDLE_BYTES, MAX_LOG_BYTES, SERVER_LOG, LogExcerpt
from .doctor.redact import redact_text

TO_REDACT = {CONF_TOKEN, "username", "authToken", "accessToken", "email"}


def _plain(value: Any) -> Any:
    """Dataclasses, enums and addresses as JSON-friendly values."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (IPv4Address, IPv6Address)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _scrub(value: Any, token: str) -> Any:
    """Every string of the report, keys included, without the token or what ``redact_text`` removes."""
    if isinstance(value, dict):
        return {_scrub(key, token): _scrub(item, token) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, token) for item in value]
    if isinstance(value, str):
        return redact_text(value.replace(token, REDACTED))
    return value


def _plex_log(excerpt: LogExcerpt) -> dict[str, Any]:
    """Plex's own remote-access lines (already redacted by the doctor), or why there are none."""
    return {
        "source": f"{SERVER_LOG} in GET /diagnostics/logs, read when this file was made",
        "lines": list(excerpt.lines),
        "truncated": excerpt.truncated,
        "reason": excerpt.reason,
        "caps": {"bundle_bytes": MAX_BUNDLE_BYTES, "log_bytes": MAX_LOG_BYTES, "lines": KEEP_LINES},
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry
) -> dict[str, Any]:
    """Entry, evidence, diagnosis and issue state of one server."""
    coordinator = entry.runtime_data
    data = coordinator.data
    if not data.checked:  # Home Assistant is still starting: no check yet
        entry_only: dict[str, Any] = _scrub(
            {
                "entry": async_redact_data(
                    {"data": dict(entry.data), "options": dict(entry.options)}, TO_REDACT
                )
            },
            entry.data[CONF_TOKEN],
        )
        return entry_only
    report = {
        "entry": {"data": dict(entry.data), "options": dict(entry.options), "title": entry.title},
        "last_check_succeeded": coordinator.last_update_success,
        "notifications_connected": coordinator.listeners.notifications.connected.is_set(),
        "evidence": _plain(data.evidence),
        "diagnosis": {
            "status": _plain(data.diagnosis.status),
            "finding": _plain(data.diagnosis.finding),
            "facts": dict(data.diagnosis.facts),
            "warnings": _plain(data.diagnosis.warnings),
            "outcomes": {
                str(key): {"verdict": outcome.verdict.value, "facts": dict(outcome.facts)}
                for key, outcome in data.diagnosis.outcomes.items()
            },
            "cgnat": data.diagnosis.cgnat,
            "double_nat": data.diagnosis.double_nat,
            "wan_public_ip_match": data.diagnosis.wan_public_ip_match,
            "port_mapping": data.diagnosis.port_mapping,
            # Whose traffic leaves another way than the router's WAN (a VPN, a second WAN).
            "egress_differs": _plain(data.diagnosis.egress_differs),
            "waiting_since": _plain(data.diagnosis.waiting_since),
            # A direct stream to a player on the internet proves remote access works now.
            "remote_stream_proof": data.diagnosis.remote_stream_proof,
        },
        "issues_raised": sorted(str(key) for key in coordinator.issues.raised),
    }
    # Fetched now, on the user's request: the log bundle is never read while polling.
    report["plex_log"] = _plex_log(await coordinator.doctor.plex_log(timeout=PLEX_LOG_TIMEOUT))
    redacted: dict[str, Any] = _scrub(async_redact_data(report, TO_REDACT), entry.data[CONF_TOKEN])
    return redacted
