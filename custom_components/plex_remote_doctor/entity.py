"""The Plex server as the device every entity belongs to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.const import CONF_URL
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import DoctorData, PlexRemoteDoctorConfigEntry, PlexRemoteDoctorCoordinator


def server_answers(data: DoctorData) -> bool:
    """Entities that read the server go unavailable while it does not answer."""
    return data.evidence.server_reachable is not False


def always(data: DoctorData) -> bool:
    """Entities whose evidence does not come from the server stay available."""
    return True


@dataclass(frozen=True, kw_only=True)
class DoctorEntityDescription(EntityDescription):
    """What every doctor entity adds to Home Assistant's description."""

    available_fn: Callable[[DoctorData], bool] = always


class PlexRemoteDoctorEntity(CoordinatorEntity[PlexRemoteDoctorCoordinator]):
    """An entity of the doctor, attached to the Plex server's device."""

    _attr_has_entity_name = True
    entity_description: DoctorEntityDescription

    def __init__(self, entry: PlexRemoteDoctorConfigEntry, description: DoctorEntityDescription) -> None:
        """Name the entity after its key; one device per Plex server."""
        coordinator = entry.runtime_data
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        identity = coordinator.doctor.identity
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(entry.unique_id))},
            name=entry.title,
            manufacturer="Plex",
            model="Plex Media Server",
            sw_version=identity.version if identity else None,
            configuration_url=f"{entry.data[CONF_URL].rstrip('/')}/web",
        )

    @property
    def available(self) -> bool:
        """Unavailable when the check failed, or its evidence source is down."""
        data = self.coordinator.data
        return super().available and data.checked and self.entity_description.available_fn(data)
