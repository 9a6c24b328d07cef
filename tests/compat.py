"""The tests' side of every Home Assistant release difference (the integration's is compat.py).

The suite runs on the newest pinned release (./script/test) and the oldest supported one
(./script/test --ha oldest); these helpers give both the same answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)


class _ReleaseNeutralSerializer(HomeAssistantSnapshotSerializer):
    """Home Assistant's snapshot serializer, with StrEnum members written as their value.

    2026.7 made state-attribute and capability keys StrEnum members, which syrupy writes by
    their repr; before 2026.7 they are plain strings. Written as values, one snapshot holds
    for every supported release and still compares every name and value.
    """

    @classmethod
    def _serialize(cls, data: Any, **kwargs: Any) -> str:
        return str(super()._serialize(str(data) if isinstance(data, StrEnum) else data, **kwargs))


class ReleaseNeutralSnapshotExtension(HomeAssistantSnapshotExtension):
    """Snapshots in tests/snapshots/, the same on every supported release."""

    serializer_class = _ReleaseNeutralSerializer
