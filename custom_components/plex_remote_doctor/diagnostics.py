"""Diagnostics download: what the doctor measured and concluded, secrets removed.

The token, every public IP (also inside plex.direct host names, where it is written
with dashes) and the account's e-mail never leave Home Assistant in this file.
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

from .coordinator import PlexRemoteDoctorConfigEntry
from .doctor.evidence import Evidence
from .doctor.network import is_public

TO_REDACT = {CONF_TOKEN, "username", "authToken", "accessToken", "email"}


def _public_addresses(evidence: Evidence) -> set[str]:
    found: set[IPv4Address] = set()
    if evidence.public_ip is not None:
        found.add(evidence.public_ip)
    if evidence.account is not None and evidence.account.public_address is not None:
        found.add(evidence.account.public_address)
    if evidence.router is not None and evidence.router.wan_ip is not None:
        found.add(evidence.router.wan_ip)
    resource = evidence.plex_tv.resource if evidence.plex_tv is not None else None
    if resource is not None and resource.public_address is not None:
        found.add(resource.public_address)
    return {str(address) for address in found if is_public(address)}


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


def _scrub(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED).replace(secret.replace(".", "-"), REDACTED)
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PlexRemoteDoctorConfigEntry
) -> dict[str, Any]:
    """Entry, evidence, diagnosis and issue state of one server."""
    coordinator = entry.runtime_data
    data = coordinator.data
    if not data.checked:  # Home Assistant is still starting: no check yet
        return {
            "entry": async_redact_data({"data": dict(entry.data), "options": dict(entry.options)}, TO_REDACT)
        }
    secrets = _public_addresses(data.evidence) | {entry.data[CONF_TOKEN]}
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
        },
        "issues_raised": sorted(str(key) for key in coordinator.issues.raised),
    }
    redacted: dict[str, Any] = _scrub(async_redact_data(report, TO_REDACT), secrets)
    return redacted
