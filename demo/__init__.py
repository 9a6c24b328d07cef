"""The demo: a real Home Assistant against the simulated home network of ``simulator``."""
