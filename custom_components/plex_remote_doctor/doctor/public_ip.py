"""The public IPv4 the internet sees for this home, from plain-text echo services."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address
import logging

import aiohttp

from .errors import DoctorConnectionError, DoctorError, DoctorResponseError
from .http import request
from .network import classify, is_public, parse_ipv4

_LOGGER = logging.getLogger(__name__)

# Well-known services that answer the caller's IPv4 as plain text, tried in turn.
DEFAULT_PUBLIC_IP_URLS = (
    "https://api.ipify.org",
    "https://ipv4.icanhazip.com",
    "https://checkip.amazonaws.com",
    "https://ipinfo.io/ip",
)
# An IPv4 address is at most 15 characters; leave room for whitespace, refuse pages.
_MAX_ANSWER_BYTES = 64
_TIMEOUT = 5.0


def parse_public_ip(body: bytes, what: str) -> IPv4Address:
    """A public IPv4 address as plain text, or DoctorResponseError."""
    try:
        text = body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise DoctorResponseError(f"{what}: not plain text") from None
    address = parse_ipv4(text)
    if address is None:
        raise DoctorResponseError(f"{what}: not an IPv4 address")
    if not is_public(address):
        # A captive portal or a proxy answering for the service is not the internet.
        raise DoctorResponseError(f"{what}: {classify(address)} address, not public")
    return address


async def public_ipv4(
    session: aiohttp.ClientSession,
    urls: Sequence[str] = DEFAULT_PUBLIC_IP_URLS,
    *,
    timeout: float = _TIMEOUT,
) -> IPv4Address:
    """The first valid answer of the given services; the last error when none answers."""
    last_error: DoctorError = DoctorConnectionError("public IP: no service configured")
    for url in urls:
        what = f"public IP service {url}"
        try:
            body = await request(session, "GET", url, what=what, timeout=timeout, max_bytes=_MAX_ANSWER_BYTES)
            return parse_public_ip(body, what)
        except DoctorError as err:
            _LOGGER.debug("%s", err)
            last_error = err
    raise last_error
