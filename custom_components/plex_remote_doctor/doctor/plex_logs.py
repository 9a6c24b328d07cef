"""Plex's own log lines about remote access, read from the server's log bundle on demand.

The runbook asks for Plex's mapping lines before and after a change. Plex serves its log
directory as one zip at ``GET /diagnostics/logs`` (what Settings > Help > Download Logs
fetches; ``Plex Media Server.log`` with its rotations ``.1.log`` to ``.5.log``, the
scanner, tuner and plug-in logs). Only the member named ``Plex Media Server.log`` is
opened, never extracted, and read line by line; only lines about remote access are kept
(``KEPT_PATTERNS``), the newest ``KEEP_LINES``, each redacted: tokens, the account named
in request lines, public addresses (``redact``).

The bundle is megabytes, so it is fetched only when the user asks (a diagnostics
download, a fix flow), never from polling or events. It is streamed into a spooled buffer
(memory, then a temporary file) and given up past ``MAX_BUNDLE_BYTES``; inflating runs in
an executor (CPU-bound, blocking) and stops after ``MAX_LOG_BYTES`` of text: a zip bomb
inflates without end. A failure of any kind is an excerpt with a reason, never a crash.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
import os
import re
import struct
from tempfile import SpooledTemporaryFile
from typing import IO
import zipfile
import zlib

import aiohttp

from .errors import DoctorAuthenticationError, DoctorConnectionError, DoctorError, DoctorResponseError
from .plex import plex_headers
from .redact import redact_text, redact_tokens

LOG_BUNDLE_PATH = "/diagnostics/logs"
SERVER_LOG = "Plex Media Server.log"

# A real bundle is a few MB zipped (six rotations of Plex Media Server.log plus the
# scanner and plug-in logs); verbose logging makes it tens. Past this the download stops:
# a zip keeps its directory at the end, so a cut bundle cannot be read at all.
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
# Text inflated from Plex Media Server.log before reading stops (the excerpt is then
# marked truncated: its newest lines were not reached). Plex rotates the file long before.
MAX_LOG_BYTES = 64 * 1024 * 1024
# A real bundle has tens of members; a directory of millions costs memory to list.
MAX_BUNDLE_MEMBERS = 10_000
# A longer line keeps its head (a line with a long URL); the rest is skipped.
MAX_LINE_BYTES = 8 * 1024
KEEP_LINES = 50
# The server zips its log directory before it answers: slower than a probe.
LOG_TIMEOUT = 30.0
# Kept in memory up to this size; a bigger bundle spills to a temporary file.
_SPOOL_IN_MEMORY = 1024 * 1024
_CHUNK = 64 * 1024
_BLOCK = 1024 * 1024

# What a kept line is about, with examples of real Plex Media Server.log lines (the part
# after "Mon DD, YYYY HH:MM:SS.mmm [thread] LEVEL - "). A line is kept when any matches.
KEPT_PATTERNS: dict[str, str] = {
    # MyPlex: mapping state set to 'Mapped - Publishing'.
    # MyPlex: Published Mapping State response was 201
    # MyPlex: async reachability check - current mapped state: 'Mapped - Not Published (Double NAT)'.
    # MyPlex: Sending Server Info to myPlex (..., ip=<public IP>, port=32400)
    "mapping": r"\bMyPlex:.*(?:\b[Mm]app(?:ing|ed)\b|[Pp]ublish|Server Info)|\b[Pp]ort [Mm]apping",
    # NAT: Initialized UPnP, result: IGD is not connected
    # NAT: PMP::getPublicIP, Received public IP from router: <public IP>
    "nat": r"\bNAT\b",
    # NAT: UPnP, getPublicIP didn't find usable IGD.
    "upnp": r"\bUPnP\b|\bIGD\b",
    # PublicAddressManager: Got public IP from v4.plex.tv: <public IP>
    "public_address": r"[Pp]ublic ?(?:IP|[Aa]ddress)",
    # MyPlex: Requesting reachability check.
    # Request: [127.0.0.1:49241 (Loopback)] PUT /myplex/refreshReachability ...
    "reachability": r"[Rr]eachab",
    # PubSub: Got notified of reachability for async identifier <id>: 1 for <address>:<port>
    "pubsub": r"\bPubSub\b",
}
KEPT = re.compile("|".join(f"(?:{pattern})" for pattern in KEPT_PATTERNS.values()))
# Words without which no pattern matches: a line holding none of them is not looked at.
_NEEDLES = (
    b"MyPlex:",
    b"ort mapping",
    b"ort Mapping",
    b"NAT",
    b"UPnP",
    b"IGD",
    b"ublic",
    b"eachab",
    b"PubSub",
)

# Zip's end-of-central-directory records (APPNOTE 4.3.16, 4.3.15, 4.3.14).
_END = b"PK\x05\x06"
_END_LENGTH = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_LENGTH = 20
_ZIP64_END = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF


class PlexLogError(DoctorResponseError):
    """The log bundle gave no excerpt: not a zip, no server log, an unreadable member."""


class PlexLogTooLargeError(PlexLogError):
    """The log bundle is larger than the doctor reads."""


@dataclass(frozen=True, slots=True)
class LogExcerpt:
    """Plex's remote-access log lines, oldest first, redacted.

    ``reason`` says why lines are missing: the log could not be read (then there are
    none), or a cap stopped the reading (``truncated``; lines read until then remain).
    """

    lines: tuple[str, ...] = ()
    truncated: bool = False
    reason: str | None = None

    @property
    def complete(self) -> bool:
        """Whether the whole log was read: only then can two excerpts be compared."""
        return self.reason is None


def logged_between(before: LogExcerpt, after: LogExcerpt) -> tuple[str, ...]:
    """Lines of ``after`` that ``before`` does not have, by exact text (its timestamp included)."""
    seen = set(before.lines)
    return tuple(line for line in after.lines if line not in seen)


def _size(count: int) -> str:
    mib = 1024 * 1024
    return f"{count // mib} MiB" if count % mib == 0 else f"{count} bytes"


def _member_count(bundle: IO[bytes]) -> int:
    """How many members the zip's directory lists, read from its end records before parsing it."""
    size = bundle.seek(0, os.SEEK_END)
    tail_length = min(size, _END_LENGTH + _MAX_COMMENT)
    bundle.seek(size - tail_length)
    tail = bundle.read(tail_length)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < _END_LENGTH:
        raise PlexLogError("Plex's log bundle is not a zip (no end of central directory)")
    (members,) = struct.unpack_from("<H", tail, at + 10)
    locator = at - _ZIP64_LOCATOR_LENGTH
    if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
        # ZIP64: the real count is in a record the locator points at.
        (end64,) = struct.unpack_from("<Q", tail, locator + 8)
        if end64 + 56 <= size:
            bundle.seek(end64)
            record = bundle.read(56)
            if record[:4] == _ZIP64_END:
                (members,) = struct.unpack_from("<Q", record, 32)
    bundle.seek(0)
    return int(members)


def _server_log(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The member whose name is exactly ``Plex Media Server.log`` (the shallowest, if several)."""
    candidates = [
        info
        for info in archive.infolist()
        if not info.is_dir() and re.split(r"[/\\]", info.filename)[-1] == SERVER_LOG
    ]
    if not candidates:
        raise PlexLogError(f"Plex's log bundle has no {SERVER_LOG!r}")
    return min(candidates, key=lambda info: len(re.split(r"[/\\]", info.filename)))


def _keep(line: bytes, kept: deque[str]) -> None:
    text = line[:MAX_LINE_BYTES].decode("utf-8", "replace").rstrip("\r")
    if KEPT.search(text):
        kept.append(text)


def _scan(lines: bytes, kept: deque[str]) -> None:
    """Keep the matching lines of a block of whole lines.

    ``bytes.find`` runs at memory speed where a regular expression tried at every
    position of every line took 20 s for 64 MiB: the expression only judges the lines
    that hold one of its literal words.
    """
    starts: set[int] = set()
    for needle in _NEEDLES:
        at = lines.find(needle)
        while at >= 0:
            starts.add(lines.rfind(b"\n", 0, at) + 1)
            end = lines.find(b"\n", at)
            at = lines.find(needle, end) if end >= 0 else -1
    for start in sorted(starts):
        end = lines.find(b"\n", start)
        _keep(lines[start : end if end >= 0 else len(lines)], kept)


def _kept_lines(member: IO[bytes], keep: int, max_bytes: int) -> tuple[list[str], bool]:
    """The last ``keep`` lines that ``KEPT`` matches, and whether reading stopped at ``max_bytes``."""
    kept: deque[str] = deque(maxlen=keep)
    read = 0
    carry = b""  # the start of a line whose end is not read yet, at most MAX_LINE_BYTES
    cut = False  # that line is longer: the rest of it is skipped until its end
    while block := member.read(_BLOCK):
        read += len(block)
        if read > max_bytes:
            return list(kept), True
        last = block.rfind(b"\n")
        if last < 0:
            if not cut:
                carry += block
                cut = len(carry) > MAX_LINE_BYTES
                carry = carry[:MAX_LINE_BYTES]
            continue
        first = block.find(b"\n")
        _keep(carry if cut else carry + block[:first], kept)
        _scan(block[first + 1 : last + 1], kept)
        rest = block[last + 1 :]
        carry, cut = rest[:MAX_LINE_BYTES], len(rest) > MAX_LINE_BYTES
    if carry:
        _keep(carry, kept)
    return list(kept), False


def read_excerpt(
    bundle: IO[bytes],
    secrets: Iterable[str] = (),
    *,
    keep: int = KEEP_LINES,
    max_log_bytes: int = MAX_LOG_BYTES,
) -> LogExcerpt:
    """The excerpt of a log bundle (blocking, CPU-bound: run it in an executor).

    Raises PlexLogError when the bundle is not a readable zip or has no server log.
    """
    try:
        if (members := _member_count(bundle)) > MAX_BUNDLE_MEMBERS:
            raise PlexLogError(f"Plex's log bundle lists {members} members, more than {MAX_BUNDLE_MEMBERS}")
        with zipfile.ZipFile(bundle) as archive, archive.open(_server_log(archive)) as member:
            lines, truncated = _kept_lines(member, keep, max_log_bytes)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        struct.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,  # an encrypted member
    ) as err:
        raise PlexLogError(f"Plex's log bundle is not a readable zip ({type(err).__name__})") from None
    known = tuple(secrets)
    redacted = tuple(redact_text(redact_tokens(line, known)) for line in lines)
    if truncated:
        reason = f"{SERVER_LOG} is larger than {_size(max_log_bytes)}: only its first part was read"
        return LogExcerpt(lines=redacted, truncated=True, reason=reason)
    return LogExcerpt(lines=redacted)


def _read_and_close(bundle: SpooledTemporaryFile[bytes], secrets: tuple[str, ...]) -> LogExcerpt:
    with bundle:
        return read_excerpt(bundle, secrets)


async def fetch_bundle(
    session: aiohttp.ClientSession,
    server_url: str,
    token: str,
    *,
    verify_ssl: bool = True,
    timeout: float = LOG_TIMEOUT,
    max_bytes: int = MAX_BUNDLE_BYTES,
) -> SpooledTemporaryFile[bytes]:
    """Stream the log bundle into a spooled buffer; raise a DoctorError past ``max_bytes`` or on failure.

    The token travels only in the X-Plex-Token header; messages never carry the URL.
    """
    loop = asyncio.get_running_loop()
    bundle: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - handed to the caller
    too_large = PlexLogTooLargeError(
        f"Plex's log bundle is larger than {_size(max_bytes)}, the most the doctor reads"
    )
    size = 0
    try:
        async with (
            asyncio.timeout(timeout),
            session.get(
                f"{server_url.rstrip('/')}{LOG_BUNDLE_PATH}",
                headers={**plex_headers(token), "Accept": "application/zip, */*"},
                ssl=verify_ssl,
                allow_redirects=False,
            ) as response,
        ):
            if response.status == 401:
                raise DoctorAuthenticationError("Plex's log bundle: the token was refused (HTTP 401)")
            if not 200 <= response.status < 300:
                raise DoctorConnectionError(f"Plex's log bundle: HTTP {response.status}")
            if response.content_length is not None and response.content_length > max_bytes:
                raise too_large
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large
                if size <= _SPOOL_IN_MEMORY:
                    bundle.write(chunk)
                else:  # past the spool's memory: the file is created and written off the loop
                    await loop.run_in_executor(None, bundle.write, chunk)
    except TimeoutError:
        bundle.close()
        raise DoctorConnectionError(f"Plex's log bundle: no answer within {timeout:g} s") from None
    except (aiohttp.ClientError, OSError, ValueError) as err:
        bundle.close()
        raise DoctorConnectionError(f"Plex's log bundle: {type(err).__name__}") from None
    except BaseException:
        bundle.close()
        raise
    return bundle


async def log_excerpt(
    session: aiohttp.ClientSession,
    server_url: str,
    token: str,
    *,
    verify_ssl: bool = True,
    timeout: float = LOG_TIMEOUT,
    max_bytes: int = MAX_BUNDLE_BYTES,
) -> LogExcerpt:
    """Fetch the bundle and read its excerpt; any failure is an excerpt with a reason."""
    try:
        bundle = await fetch_bundle(
            session, server_url, token, verify_ssl=verify_ssl, timeout=timeout, max_bytes=max_bytes
        )
    except PlexLogTooLargeError as err:
        return LogExcerpt(truncated=True, reason=str(err))
    except DoctorError as err:
        return LogExcerpt(reason=str(err))
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, partial(_read_and_close, bundle, (token,)))
    except DoctorError as err:
        return LogExcerpt(reason=str(err))
