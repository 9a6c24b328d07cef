"""Constants: the contract's config keys and defaults."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "plex_remote_doctor"
LOGGER = logging.getLogger(__package__)

# entry.data
CONF_URL: Final = "url"
CONF_TOKEN: Final = "token"  # noqa: S105 - a key name, not a secret
CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_ROUTER_URL: Final = "router_url"
CONF_PLEX_TV_URL: Final = "plex_tv_url"

# entry.options
CONF_PUBLIC_IP_URL: Final = "public_ip_url"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_CONFIRM_CHECKS: Final = "confirm_checks"

DEFAULT_PLEX_TV_URL: Final = "https://plex.tv"
DEFAULT_SCAN_INTERVAL: Final = timedelta(seconds=300)
DEFAULT_CONFIRM_CHECKS: Final = 2
CONF_ROUTER_UDN: Final = "router_udn"  # beside router_url: finds the router again by SSDP

MIN_SCAN_INTERVAL: Final = 30
MAX_SCAN_INTERVAL: Final = 86400
MAX_CONFIRM_CHECKS: Final = 10

# Checks asked for by events are at least this far apart.
EVENT_DEBOUNCE_SECONDS: Final = 2.0

# Router event subscriptions last 30 minutes; renew well before.
ROUTER_EVENTS_RENEWAL: Final = timedelta(minutes=20)

# plex.tv runs an expensive, rate-limited test on every refreshReachability.
RETRY_COOLDOWN: Final = timedelta(seconds=60)

DOCUMENTATION_URL: Final = "https://github.com/plex-remote-doctor/plex-remote-doctor"
