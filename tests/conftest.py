"""Shared fixtures.

The project's integration must be imported before the ``hass`` fixture runs, or the
test plugin's own ``testing_config/custom_components`` shadows it.
"""

from __future__ import annotations

import pytest

import custom_components.plex_remote_doctor  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""
