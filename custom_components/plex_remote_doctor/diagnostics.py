"""Diagnostics download: what the doctor measured and concluded, secrets removed.

The token, every public IPv4 and global IPv6 address and the account's e-mail never
leave Home Assistant in this file. Addresses are found by scanning every string of the
report, not by field: plex.tv lists the home's global IPv6 and earlier IPv4 addresses
among its connections, and addresses turn up in URLs, error reasons and router tables.
Plex's plex.direct names carry the address with dashes (``203-0-113-2.<hash>.plex.direct``,
each IPv6 colon a dash), so dashed forms count too. LAN, CGNAT and other non-public
addresses stay: they are what support needs to read the report.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from ipaddress import IPv4Address, IPv6Address, ip_address
import re
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .coordinator import PlexRemoteDoctorConfigEntry
from .doctor.network import is_public

TO_REDACT = {CONF_TOKEN, "username", "authToken", "accessToken", "email"}

# Candidates only: each match is parsed by ipaddress and redacted only when public.
# IPv4 in dots, not inside a longer dotted number (a version such as 1.41.3.9314).
_IPV4 = re.compile(r"(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9]|\.\d)")
# IPv6 with colons (at least two), possibly with an IPv4 tail or a ":port" after it.
_IPV6 = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*")
# A whole run of hex digits and dashes: a dashed IPv4 or IPv6 ("--" for "::").
_DASHED = re.compile(r"(?<![0-9A-Za-z-])[0-9A-Fa-f]+(?:-[0-9A-Fa-f]*)+(?![0-9A-Za-z-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _public(text: str) -> bool:
    try:
        return is_public(ip_address(text))
    except ValueError:
        return False


def _redact_ipv6(match: re.Match[str]) -> str:
    token = match.group()
    # The literal itself, or without a trailing full stop, or without a ":port" after it
    # (only digits: "::ffff:192.168.1.2" is one address, not "::ffff" and a port).
    head, _, port = token.rpartition(":")
    candidates = (token, token.rstrip("."), head if port.isdigit() else "")
    for address in candidates:
        if _public(address):
            return REDACTED + token[len(address) :]
    return token


def _redact_dashed(match: re.Match[str]) -> str:
    token = match.group()
    return REDACTED if _public(token.replace("-", ".")) or _public(token.replace("-", ":")) else token


def redact_text(text: str) -> str:
    """``text`` with every public IPv4, global IPv6 (also dashed) and e-mail address redacted."""
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV6.sub(_redact_ipv6, text)
    text = _DASHED.sub(_redact_dashed, text)
    return _IPV4.sub(lambda match: REDACTED if _public(match.group()) else match.group(), text)


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
    redacted: dict[str, Any] = _scrub(async_redact_data(report, TO_REDACT), entry.data[CONF_TOKEN])
    return redacted
