"""One HTTP exchange with a timeout and a cap on the body, errors typed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp

from .errors import DoctorAuthenticationError, DoctorConnectionError, DoctorResponseError

DEFAULT_TIMEOUT = 10.0
# The largest body any probe expects: a full /:/prefs is ~60 kB, a big plex.tv
# resource list a few hundred kB. Anything larger is not what we asked for.
DEFAULT_MAX_BYTES = 1024 * 1024


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes | None:
    """The whole body, or None as soon as it grows past ``max_bytes`` (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    verify_ssl: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[int, bytes | None]:
    """Send one request; return the status and the body of a 2xx answer.

    The body is empty for any other status (not read) and None when it grew past
    ``max_bytes``. Transport errors are raised as they come (TimeoutError,
    aiohttp.ClientError, OSError, ValueError), for callers that tell them apart.
    """
    async with (
        asyncio.timeout(timeout),
        session.request(
            method,
            url,
            headers=headers,
            params=params,
            ssl=verify_ssl,
            allow_redirects=False,
        ) as response,
    ):
        if not 200 <= response.status < 300:
            return response.status, b""
        return response.status, await read_capped(response, max_bytes)


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    what: str,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    verify_ssl: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """Send one request; return the whole body of a 2xx answer, else raise a DoctorError.

    ``what`` names the peer in messages; URLs are left out of them since a caller may
    have put a secret in one.
    """
    try:
        status, body = await exchange(
            session,
            method,
            url,
            headers=headers,
            params=params,
            verify_ssl=verify_ssl,
            timeout=timeout,
            max_bytes=max_bytes,
        )
    except TimeoutError:
        raise DoctorConnectionError(f"{what}: no answer within {timeout:g} s") from None
    except (aiohttp.ClientError, OSError, ValueError) as err:
        raise DoctorConnectionError(f"{what}: {type(err).__name__}") from None
    if status == 401:
        raise DoctorAuthenticationError(f"{what}: the token was refused (HTTP 401)")
    if not 200 <= status < 300:
        raise DoctorConnectionError(f"{what}: HTTP {status}")
    if body is None:
        raise DoctorResponseError(f"{what}: body larger than {max_bytes} bytes")
    return body
