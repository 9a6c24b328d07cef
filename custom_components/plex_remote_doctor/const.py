"""Constants: the contract's config keys and defaults."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "plex_remote_doctor"
LOGGER = logging.getLogger(__package__)

# entry.data: url, token and verify_ssl are homeassistant.const's CONF_URL, CONF_TOKEN and
# CONF_VERIFY_SSL; options: scan_interval is its CONF_SCAN_INTERVAL.
CONF_ROUTER_URL: Final = "router_url"
CONF_PLEX_TV_URL: Final = "plex_tv_url"

# entry.options
CONF_PUBLIC_IP_URL: Final = "public_ip_url"
CONF_CONFIRM_CHECKS: Final = "confirm_checks"

# Local checks (the Plex server and the router: the home's own); the shared services
# (public-IP service, plex.tv) follow doctor.cadence: at most every 5 minutes.
DEFAULT_SCAN_INTERVAL: Final = timedelta(seconds=30)
DEFAULT_CONFIRM_CHECKS: Final = 2
CONF_ROUTER_UDN: Final = "router_udn"  # beside router_url: finds the router again by SSDP

MIN_SCAN_INTERVAL: Final = 30
MAX_SCAN_INTERVAL: Final = 86400
MAX_CONFIRM_CHECKS: Final = 10

# The first event after a quiet spell checks at once; events during a check are one
# follow-up check, started at least this long after the one before (an event storm from
# a flapping router costs at most one check a second).
EVENT_FOLLOW_UP_SECONDS: Final = 1.0

# A diagnostics download or a fix flow waits this long for Plex to zip its logs.
PLEX_LOG_TIMEOUT: Final = 15.0

# Seconds between attempts to get router events back (subscribing, renewing) after a
# failure; the renewal itself follows the time the router granted.
ROUTER_EVENTS_RETRY: Final = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0)

DOCUMENTATION_URL: Final = "https://github.com/plex-remote-doctor/plex-remote-doctor"
