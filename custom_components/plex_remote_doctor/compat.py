"""Every difference between the Home Assistant releases the integration supports.

The oldest is 2026.5 (hacs.json); ``./script/test --ha oldest`` runs the tests on it.
The rest of the integration imports these names and reads as if written for one release.
mypy checks against the newest layout; the runtime branch also works on the oldest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
    from homeassistant.components.http.server import StaticPathConfig
    from homeassistant.components.repairs import RepairsFlowResult
    import probatio as vol
else:
    # binary_sensor/const.py is new in 2026.10; the package exports the class in every
    # release, but mypy --strict accepts only the const module as its home.
    from homeassistant.components.binary_sensor import BinarySensorDeviceClass

    # 2026.5 defines the class in http/__init__.py, later releases in http/server.py; the
    # package exports it in every release, but mypy --strict accepts only server.py.
    from homeassistant.components.http import StaticPathConfig

    try:
        from homeassistant.components.repairs import RepairsFlowResult
    except ImportError:
        # 2026.5's repair flows return the generic result that 2026.6 narrowed.
        from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult

    try:
        import probatio as vol
    except ImportError:
        # Before 2026.9 Home Assistant validates with voluptuous, which probatio replaced
        # with the same Schema/Required/Optional API; 2026.9+ aliases voluptuous to it.
        import voluptuous as vol


def device_by_identifier(
    hass: HomeAssistant, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """The device with this identifier that belongs to this config entry."""
    registry = dr.async_get(hass)
    if hasattr(registry, "async_get_device_by_identifier"):
        return registry.async_get_device_by_identifier(identifier, config_entry_id)
    # Before 2026.8 an identifier named one device across all entries and this lookup, which
    # 2026.8 deprecates (a logged warning, an error from 2027.8), is the only one.
    device = registry.async_get_device(identifiers={identifier})
    return device if device is not None and config_entry_id in device.config_entries else None


__all__ = [
    "BinarySensorDeviceClass",
    "RepairsFlowResult",
    "StaticPathConfig",
    "device_by_identifier",
    "vol",
]
