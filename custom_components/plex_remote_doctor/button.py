"""Buttons: ask Plex to retry remote access, or check every layer now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PlexRemoteDoctorConfigEntry, PlexRemoteDoctorCoordinator
from .entity import DoctorEntityDescription, PlexRemoteDoctorEntity, server_answers

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class DoctorButtonEntityDescription(DoctorEntityDescription, ButtonEntityDescription):
    """A user's action on the doctor."""

    press_fn: Callable[[PlexRemoteDoctorCoordinator], Awaitable[None]]


BUTTONS: tuple[DoctorButtonEntityDescription, ...] = (
    DoctorButtonEntityDescription(
        key="retry_remote_access",
        translation_key="retry_remote_access",
        available_fn=server_answers,
        press_fn=lambda coordinator: coordinator.async_retry_remote_access(),
    ),
    DoctorButtonEntityDescription(
        key="run_diagnosis",
        translation_key="run_diagnosis",
        press_fn=lambda coordinator: coordinator.async_check_now(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PlexRemoteDoctorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the doctor's buttons."""
    async_add_entities(DoctorButton(entry, description) for description in BUTTONS)


class DoctorButton(PlexRemoteDoctorEntity, ButtonEntity):
    """A button that acts through the coordinator."""

    entity_description: DoctorButtonEntityDescription

    async def async_press(self) -> None:
        """Run the action."""
        await self.entity_description.press_fn(self.coordinator)
