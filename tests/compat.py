"""The tests' side of every Home Assistant release difference (the integration's is compat.py).

The suite runs on the newest pinned release (./script/test) and the oldest supported one
(./script/test --ha oldest); these helpers give both the same answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)


def device_by_identifier(
    hass: HomeAssistant, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """The device with this identifier that belongs to this config entry."""
    registry = dr.async_get(hass)
    if hasattr(registry, "async_get_device_by_identifier"):
        return registry.async_get_device_by_identifier(identifier, config_entry_id)
    # Before 2026.8 an identifier named one device across all entries, and the lookup
    # that 2026.8 deprecates is the only one.
    device = registry.async_get_device(identifiers={identifier})
    return device if device is not None and config_entry_id in device.config_entries else None


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
