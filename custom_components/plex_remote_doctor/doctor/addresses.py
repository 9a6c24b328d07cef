"""The IPv4 address behind a configured URL's host, found without blocking the event loop.

A forward on the router must target an address, not a name: in Docker bridge mode the
host of the server URL is that address, while Plex reports its container's. The host
is an IP, a ``*.plex.direct`` name that carries the IP (many routers refuse to resolve
those: DNS rebinding protection), or a name the system resolver knows.
"""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, ip_address
import logging
import socket

from .network import parse_ipv4

_LOGGER = logging.getLogger(__name__)

PLEX_DIRECT_DOMAIN = "plex.direct"
# A LAN name's address changes with a DHCP lease, not between two checks.
RESOLVE_TTL = 300.0
RESOLVE_TIMEOUT = 5.0


def plex_direct_ipv4(host: str) -> IPv4Address | None:
    """The IPv4 address in ``192-168-1-20.<hash>.plex.direct``, else None."""
    labels = host.lower().rstrip(".").split(".")
    if labels[-2:] != PLEX_DIRECT_DOMAIN.split(".") or len(labels) < 4:
        return None
    return parse_ipv4(labels[0].replace("-", "."))


class HostAddresses:
    """IPv4 addresses of hosts; resolved names are remembered for ``ttl`` seconds."""

    def __init__(self, *, ttl: float = RESOLVE_TTL, timeout: float = RESOLVE_TIMEOUT) -> None:
        """Nothing is resolved yet."""
        self._ttl = ttl
        self._timeout = timeout
        self._cache: dict[str, tuple[float, IPv4Address]] = {}

    async def ipv4(self, host: str | None) -> IPv4Address | None:
        """The host's IPv4 address; None when it has none or the name does not resolve."""
        if not host:
            return None
        known = parse_ipv4(host)
        if known is None:
            known = plex_direct_ipv4(host)
        if known is not None:
            return known
        try:
            ip_address(host)
        except ValueError:
            pass
        else:
            return None  # an IPv6 literal has no IPv4 address to give
        loop = asyncio.get_running_loop()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > loop.time():
            return cached[1]
        address = await self._resolve(host)
        if address is None:
            self._cache.pop(host, None)
        else:
            self._cache[host] = (loop.time() + self._ttl, address)
        return address

    async def _resolve(self, host: str) -> IPv4Address | None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeout):
                answers = await loop.getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_STREAM)
        except TimeoutError:
            _LOGGER.debug("Resolving %s: no answer within %g s", host, self._timeout)
            return None
        except (OSError, ValueError) as err:  # gaierror; UnicodeError for a name IDNA refuses
            _LOGGER.debug("Resolving %s: %s", host, err)
            return None
        for *_, sockaddr in answers:
            address = parse_ipv4(sockaddr[0])
            if address is not None:
                return address
        return None
