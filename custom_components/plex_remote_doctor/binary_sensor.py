"""Binary sensors: the facts of each layer, reported whatever the diagnosis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import BinarySensorDeviceClass
from .coordinator import DoctorData, PlexRemoteDoctorConfigEntry
from .entity import DoctorEntityDescription, PlexRemoteDoctorEntity, server_answers

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DoctorBinarySensorEntityDescription(DoctorEntityDescription, BinarySensorEntityDescription):
    """A fact of the check: on, off, or None when not measured."""

    is_on_fn: Callable[[DoctorData], bool | None]


BINARY_SENSORS: tuple[DoctorBinarySensorEntityDescription, ...] = (
    DoctorBinarySensorEntityDescription(
        key="remote_access",
        translation_key="remote_access",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        available_fn=server_answers,
        is_on_fn=lambda data: data.diagnosis.remote_access,
    ),
    DoctorBinarySensorEntityDescription(
        key="wan_public_ip_match",
        translation_key="wan_public_ip_match",
        is_on_fn=lambda data: data.diagnosis.wan_public_ip_match,
    ),
    DoctorBinarySensorEntityDescription(
        key="cgnat",
        translation_key="cgnat",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.diagnosis.cgnat,
    ),
    DoctorBinarySensorEntityDescription(
        key="double_nat",
        translation_key="double_nat",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.diagnosis.double_nat,
    ),
    DoctorBinarySensorEntityDescription(
        key="port_mapping",
        translation_key="port_mapping",
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda data: data.diagnosis.port_mapping,
    ),
    DoctorBinarySensorEntityDescription(
        key="plex_pass",
        translation_key="plex_pass",
        is_on_fn=lambda data: data.evidence.plex_pass,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PlexRemoteDoctorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the doctor's binary sensors."""
    async_add_entities(DoctorBinarySensor(entry, description) for description in BINARY_SENSORS)


class DoctorBinarySensor(PlexRemoteDoctorEntity, BinarySensorEntity):
    """One fact of the latest check."""

    entity_description: DoctorBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """The fact, or None when it was not measured."""
        return self.entity_description.is_on_fn(self.coordinator.data)
