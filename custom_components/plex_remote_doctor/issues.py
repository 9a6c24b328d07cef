"""Repair issues from diagnoses: raised once confirmed, deleted once disproved or replaced.

A finding's issue is raised when it is the diagnosis on ``confirm_checks`` checks in a
row that span at least CONFIRM_SPAN of Home Assistant's clock (an event burst gives
checks seconds apart, which confirm nothing), and deleted when a check with the
evidence it needs shows it no longer holds, or when another finding has become the
confirmed diagnosis (an earlier layer now explains the failure): never two repairs
that contradict each other.
A check that lacks that evidence (a probe failed, Plex is mapping) changes nothing, so
a flaky router or a Plex restart never raises or clears a repair. Issues are persistent:
after a Home Assistant restart they stay until a check disproves them.

Severity, fixability and placeholders come from the finding's row in
``doctor.diagnose``; every sentence comes from strings.json. Facts that name a variant
(why the account is at fault, which single-NAT check is missing) are codes, turned into
the user's language from the ``selector`` section when the issue is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations

from .const import DOCUMENTATION_URL, DOMAIN
from .doctor.diagnose import ROWS, Diagnosis, Finding, Verdict, WarningKey

type IssueKey = Finding | WarningKey

# Confirmation needs checks this far apart, whatever confirm_checks says.
CONFIRM_SPAN = timedelta(seconds=60)


@dataclass(slots=True)
class _Streak:
    """Consecutive checks on which a finding was the diagnosis."""

    checks: int
    since: datetime

    def confirmed(self, checks: int, now: datetime) -> bool:
        return self.checks >= checks and now - self.since >= CONFIRM_SPAN


# Placeholders whose empty value is itself the evidence (Plex gave no message, no detail).
_MAY_BE_EMPTY = frozenset({"mapping_error_message", "custom_url_detail"})


def issue_id(unique_id: str, key: IssueKey) -> str:
    """Stable per server and finding."""
    return f"{unique_id}_{key}"


class Phrases:
    """Translated sentences for coded facts, from strings.json's ``selector`` section."""

    def __init__(self, translations: Mapping[str, str]) -> None:
        """``translations`` as Home Assistant flattens them."""
        self._translations = translations

    @classmethod
    async def async_load(cls, hass: HomeAssistant) -> Phrases:
        """The phrases in Home Assistant's language (English where one is missing)."""
        return cls(await async_get_translations(hass, hass.config.language, "selector", {DOMAIN}))

    def get(self, selector: str, option: str) -> str:
        """One option's text; the code itself if strings.json lacks it."""
        key = f"component.{DOMAIN}.selector.{selector}.options.{option}"
        return self._translations.get(key, option)


def _phrased(facts: Mapping[str, str], phrases: Phrases) -> dict[str, str]:
    """Placeholders whose text is a sentence chosen by a coded fact."""
    values: dict[str, str] = {}
    if "unverified" in facts:
        missing = [phrases.get("nat_check_missing", code) for code in facts["unverified"].split(",") if code]
        values["nat_check"] = (
            phrases.get("nat_check", "unverified").replace("{checks}", ", ".join(missing))
            if missing
            else phrases.get("nat_check", "proven")
        )
    for fact, placeholder, selector in (
        ("reason", "reason", "account_issue_reason"),
        ("custom_url_result", "custom_url_problem", "custom_url_problem"),
        ("source", "double_nat_evidence", "double_nat_evidence"),
        ("forward_kind", "forward_steps", "forward_steps"),
        ("ipv6", "ipv6_option", "ipv6_option"),
    ):
        if fact in facts:
            values[placeholder] = phrases.get(selector, facts[fact])
    # Only a container needs a note, only an IPv6 way around NAT a paragraph: else nothing.
    values["container_note"] = phrases.get("container_note", "container") if "container_ip" in facts else ""
    values.setdefault("ipv6_option", "")
    return values


def _fill(text: str, values: Mapping[str, str]) -> str:
    """Measured values inside a phrase (phrases quote them like the texts do)."""
    for name, value in values.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def placeholders(
    key: IssueKey, name: str, url: str, facts: Mapping[str, str], phrases: Phrases
) -> dict[str, str]:
    """The repair's placeholders: the measured evidence the finding rests on."""
    unknown = phrases.get("evidence", "unknown")
    values = dict.fromkeys(ROWS[key].placeholders, unknown)
    values |= {fact: value for fact, value in facts.items() if value or fact in _MAY_BE_EMPTY}
    values |= {"name": name, "url": url}
    measured = dict(values)
    values |= {placeholder: _fill(text, measured) for placeholder, text in _phrased(facts, phrases).items()}
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
        self._streaks: dict[IssueKey, _Streak] = {}
        self._placeholders: dict[IssueKey, dict[str, str]] = {}
        registry = ir.async_get(hass)
        self._raised: set[IssueKey] = {
            key for key in ROWS if registry.async_get_issue(DOMAIN, issue_id(unique_id, key)) is not None
        }

    @property
    def raised(self) -> frozenset[IssueKey]:
        """Keys whose issue is in the registry."""
        return frozenset(self._raised)

    async def async_update(self, diagnosis: Diagnosis, confirm_checks: int, now: datetime) -> None:
        """Count, raise and delete from one check's diagnosis, at ``now`` on Home Assistant's clock."""
        active: set[IssueKey] = set(diagnosis.warnings)
        if diagnosis.finding is not None and diagnosis.finding is not Finding.OK:
            active.add(diagnosis.finding)
        phrases: Phrases | None = None
        for key in ROWS:
            outcome = diagnosis.outcomes.get(key)
            verdict = outcome.verdict if outcome is not None else Verdict.UNKNOWN
            if verdict is Verdict.CLEAR:
                self._streaks.pop(key, None)
                self._delete(key)
            elif verdict is Verdict.HOLDS and key in active and outcome is not None:
                streak = self._streaks.setdefault(key, _Streak(0, now))
                streak.checks += 1
                if streak.confirmed(confirm_checks, now) or key in self._raised:
                    phrases = phrases or await Phrases.async_load(self._hass)
                    self._create(key, placeholders(key, self._name, self._url, outcome.facts, phrases))
            elif key not in active and isinstance(key, Finding) and diagnosis.finding is not None:
                # Another layer is the diagnosis on this check: "consecutive" is broken.
                self._streaks.pop(key, None)
        if diagnosis.finding in self._raised:
            # The confirmed diagnosis replaces any other finding's repair.
            for key in [key for key in self._raised if isinstance(key, Finding) and key != diagnosis.finding]:
                self._streaks.pop(key, None)
                self._delete(key)

    def fixed(self, key: IssueKey) -> None:
        """A fix flow finished: the issue is gone and must be confirmed anew."""
        self._streaks.pop(key, None)
        self._delete(key)

    def _create(self, key: IssueKey, values: dict[str, str]) -> None:
        if key in self._raised and self._placeholders.get(key) == values:
            return  # unchanged: no registry write
        row = ROWS[key]
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(self._unique_id, key),
            data={"entry_id": self._entry_id, "key": str(key)},
            is_fixable=row.fix is not None,
            is_persistent=True,
            learn_more_url=f"{DOCUMENTATION_URL}#{key}",
            severity=ir.IssueSeverity(row.severity.value),
            translation_key=str(key),
            translation_placeholders=values,
        )
        self._raised.add(key)
        self._placeholders[key] = values

    def _delete(self, key: IssueKey) -> None:
        if key in self._raised:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id(self._unique_id, key))
            self._raised.discard(key)
