"""Repair issues from diagnoses: raised once confirmed, deleted once disproved.

A finding's issue is raised when it is the diagnosis on ``confirm_checks`` checks in a
row, and deleted only when a check with the evidence it needs shows it no longer holds.
A check that lacks that evidence (a probe failed, Plex is mapping) changes nothing, so
a flaky router or a Plex restart never raises or clears a repair. Issues are persistent:
after a Home Assistant restart they stay until a check disproves them.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOCUMENTATION_URL, DOMAIN
from .doctor.diagnose import Diagnosis, Finding, Verdict, WarningKey

type IssueKey = Finding | WarningKey

SEVERITY: dict[IssueKey, ir.IssueSeverity] = {
    Finding.PLEX_UNREACHABLE: ir.IssueSeverity.ERROR,
    Finding.NOT_SIGNED_IN: ir.IssueSeverity.ERROR,
    Finding.REMOTE_ACCESS_DISABLED: ir.IssueSeverity.WARNING,
    Finding.CGNAT: ir.IssueSeverity.ERROR,
    Finding.DOUBLE_NAT: ir.IssueSeverity.ERROR,
    Finding.WAN_IP_NOT_PUBLIC: ir.IssueSeverity.WARNING,
    Finding.PLEX_PUBLIC_IP_MISMATCH: ir.IssueSeverity.ERROR,
    Finding.MAPPING_FAILED: ir.IssueSeverity.ERROR,
    Finding.UPNP_STALE: ir.IssueSeverity.ERROR,
    Finding.PORT_FORWARD_WRONG_TARGET: ir.IssueSeverity.ERROR,
    Finding.PORT_BLOCKED: ir.IssueSeverity.ERROR,
    Finding.PLEX_REPORTED_ERROR: ir.IssueSeverity.WARNING,
    Finding.ACCOUNT_ISSUE: ir.IssueSeverity.WARNING,
    WarningKey.DEFAULT_PORT_EXPOSED: ir.IssueSeverity.WARNING,
}

# Findings whose Plex side a fix flow can change (after the user confirms).
FIXABLE: frozenset[IssueKey] = frozenset(
    {
        Finding.REMOTE_ACCESS_DISABLED,
        Finding.MAPPING_FAILED,
        Finding.UPNP_STALE,
        WarningKey.DEFAULT_PORT_EXPOSED,
    }
)

# Every placeholder any repair text uses, so that none is ever shown raw.
_PLACEHOLDER_DEFAULTS = {
    "wan_ip": "unknown",
    "public_ip": "unknown",
    "plex_public_address": "unknown",
    "lan_ip": "unknown",
    "internal_port": "32400",
    "external_port": "unknown",
    "forward_target": "unknown",
    "mapping_error": "",
    "mapping_error_message": "",
    "sign_in_state": "unknown",
    "reason": "",
    "nat_check": "",
}

_ACCOUNT_REASONS = {
    "myplexgone": "Plex reports that the server's plex.tv account is gone (myplexgone).",
    "publisherror": "Plex could not publish the server to plex.tv (publisherror).",
    "not_listed": "plex.tv does not list this server among the account's resources.",
    "not_present": "plex.tv lists this server but sees it offline.",
}


def issue_id(unique_id: str, key: IssueKey) -> str:
    """Stable per server and finding."""
    return f"{unique_id}_{key}"


def placeholders(name: str, url: str, facts: dict[str, str]) -> dict[str, str]:
    """The repair's placeholders: the measured evidence the finding rests on."""
    values = (
        _PLACEHOLDER_DEFAULTS
        | {key: value for key, value in facts.items() if value}
        | {"name": name, "url": url}
    )
    if "unverified" in facts:
        values["nat_check"] = (
            f"Single NAT could not be proven ({facts['unverified']} missing): rule out CGNAT and double NAT on "
            "the router's status page first."
            if facts["unverified"]
            else "Single NAT is proven: the router's WAN IP is the public IP."
        )
    if "reason" in facts:
        values["reason"] = _ACCOUNT_REASONS.get(facts["reason"], facts["reason"])
    return values


class IssueTracker:
    """Confirmation counters and the issue registry for one config entry."""

    def __init__(self, hass: HomeAssistant, *, entry_id: str, unique_id: str, name: str, url: str) -> None:
        """Pick up issues raised before a restart as already confirmed."""
        self._hass = hass
        self._entry_id = entry_id
        self._unique_id = unique_id
        self._name = name
        self._url = url
        self._streaks: dict[IssueKey, int] = {}
        self._placeholders: dict[IssueKey, dict[str, str]] = {}
        registry = ir.async_get(hass)
        self._raised: set[IssueKey] = {
            key for key in SEVERITY if registry.async_get_issue(DOMAIN, issue_id(unique_id, key)) is not None
        }

    @property
    def raised(self) -> frozenset[IssueKey]:
        """Keys whose issue is in the registry."""
        return frozenset(self._raised)

    def update(self, diagnosis: Diagnosis, confirm_checks: int) -> None:
        """Count, raise and delete from one check's diagnosis."""
        active: set[IssueKey] = set(diagnosis.warnings)
        if diagnosis.finding is not None and diagnosis.finding is not Finding.OK:
            active.add(diagnosis.finding)
        for key in SEVERITY:
            outcome = diagnosis.outcomes.get(key)
            verdict = outcome.verdict if outcome is not None else Verdict.UNKNOWN
            if verdict is Verdict.CLEAR:
                self._streaks.pop(key, None)
                self._delete(key)
            elif verdict is Verdict.HOLDS and key in active and outcome is not None:
                self._streaks[key] = self._streaks.get(key, 0) + 1
                if self._streaks[key] >= confirm_checks or key in self._raised:
                    self._create(key, placeholders(self._name, self._url, dict(outcome.facts)))
            elif key not in active and isinstance(key, Finding) and diagnosis.finding is not None:
                # Another layer is the diagnosis on this check: "consecutive" is broken.
                self._streaks.pop(key, None)

    def fixed(self, key: IssueKey) -> None:
        """A fix flow finished: the issue is gone and must be confirmed anew."""
        self._streaks.pop(key, None)
        self._delete(key)

    def _create(self, key: IssueKey, values: dict[str, str]) -> None:
        if key in self._raised and self._placeholders.get(key) == values:
            return  # unchanged: no registry write
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(self._unique_id, key),
            data={"entry_id": self._entry_id, "key": str(key)},
            is_fixable=key in FIXABLE,
            is_persistent=True,
            learn_more_url=f"{DOCUMENTATION_URL}#{key}",
            severity=SEVERITY[key],
            translation_key=str(key),
            translation_placeholders=values,
        )
        self._raised.add(key)
        self._placeholders[key] = values

    def _delete(self, key: IssueKey) -> None:
        if key in self._raised:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id(self._unique_id, key))
            self._raised.discard(key)
