"""Sensors: the status, the diagnosis, and the evidence it rests on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import DoctorData, PlexRemoteDoctorConfigEntry
from .doctor.diagnose import Finding, RemoteAccessStatus, published_address
from .doctor.evidence import MappingState
from .entity import DoctorEntityDescription, PlexRemoteDoctorEntity, server_answers

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DoctorSensorEntityDescription(DoctorEntityDescription, SensorEntityDescription):
    """A sensor reading one value of the check."""

    value_fn: Callable[[DoctorData], StateType]


def _address(address: IPv4Address | None) -> str | None:
    """An address as the sensor's text state."""
    return None if address is None else str(address)


SENSORS: tuple[DoctorSensorEntityDescription, ...] = (
    DoctorSensorEntityDescription(
        key="remote_access_status",
        translation_key="remote_access_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in RemoteAccessStatus],
        available_fn=server_answers,
        value_fn=lambda data: data.diagnosis.status,
    ),
    DoctorSensorEntityDescription(
        key="diagnosis",
        translation_key="diagnosis",
        device_class=SensorDeviceClass.ENUM,
        options=[finding.value for finding in Finding],
        value_fn=lambda data: data.diagnosis.finding,
    ),
    DoctorSensorEntityDescription(
        key="mapping_state",
        translation_key="mapping_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in MappingState],
        entity_category=EntityCategory.DIAGNOSTIC,
        available_fn=server_answers,
        value_fn=lambda data: data.evidence.account.mapping_state if data.evidence.account else None,
    ),
    DoctorSensorEntityDescription(
        key="router_wan_ip",
        translation_key="router_wan_ip",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: _address(data.evidence.router.wan_ip if data.evidence.router else None),
    ),
    DoctorSensorEntityDescription(
        key="public_ip",
        translation_key="public_ip",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: _address(data.evidence.public_ip),
    ),
    DoctorSensorEntityDescription(
        key="plex_public_address",
        translation_key="plex_public_address",
        entity_category=EntityCategory.DIAGNOSTIC,
        available_fn=server_answers,
        value_fn=lambda data: _address(
            data.evidence.account.public_address if data.evidence.account else None
        ),
    ),
    DoctorSensorEntityDescription(
        key="server_lan_ip",
        translation_key="server_lan_ip",
        entity_category=EntityCategory.DIAGNOSTIC,
        available_fn=server_answers,
        value_fn=lambda data: _address(
            data.evidence.account.private_address if data.evidence.account else None
        ),
    ),
    DoctorSensorEntityDescription(
        key="external_port",
        translation_key="external_port",
        entity_category=EntityCategory.DIAGNOSTIC,
        available_fn=server_answers,
        value_fn=lambda data: data.evidence.account.public_port if data.evidence.account else None,
    ),
    DoctorSensorEntityDescription(
        key="remote_streams",
        translation_key="remote_streams",
        state_class=SensorStateClass.MEASUREMENT,
        available_fn=server_answers,
        value_fn=lambda data: data.evidence.streams.remote if data.evidence.streams else None,
    ),
    DoctorSensorEntityDescription(
        key="relayed_streams",
        translation_key="relayed_streams",
        state_class=SensorStateClass.MEASUREMENT,
        available_fn=server_answers,
        value_fn=lambda data: data.evidence.streams.relayed if data.evidence.streams else None,
    ),
    DoctorSensorEntityDescription(
        key="published_address",
        translation_key="published_address",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: published_address(data.evidence),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PlexRemoteDoctorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the doctor's sensors."""
    async_add_entities(DoctorSensor(entry, description) for description in SENSORS)


class DoctorSensor(PlexRemoteDoctorEntity, SensorEntity):
    """One value of the latest check."""

    entity_description: DoctorSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        """The value, or None when it was not measured."""
        return self.entity_description.value_fn(self.coordinator.data)
