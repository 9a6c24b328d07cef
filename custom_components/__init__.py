"""Home Assistant custom integrations in this repository."""
