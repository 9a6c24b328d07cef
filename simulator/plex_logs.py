"""Plex's log directory as a real server serves it: ``GET /diagnostics/logs``, a zip.

The bundle holds ``Plex Media Server.log`` and, as on a real server, its older rotation
``Plex Media Server.1.log``, the scanner and tuner logs and a plug-in log, which the doctor
must not open. Lines follow Plex's own format ``Mon DD, YYYY HH:MM:SS.mmm [thread]
LEVEL - message``. These messages are copied from logs users posted (the PubSub and
reachability lines from a PMS debug log in CodyBerenson/PGMA-Modernized#332, the startup
and publishing lines from setup notes and linuxserver/docker-plex#420): ``mapping state
set to '...'``, ``Requesting reachability check.``, ``async reachability check - current
mapped state``, ``PubSub: Got notified of reachability``, ``Sending Server Info to
myPlex``, ``Published Mapping State response was 201``, ``Got public IP from
v4.plex.tv``; ``NAT: Initialized UPnP, result: ...``, ``NAT: Using manually specified
public port`` and the state names for a failed or waiting mapping are modelled on them.

The log grows as a real server's does: a prefs change that touches remote access or the
manual port and every ``refreshReachability`` append what Plex logs then, and a changed
mapping state (a scenario, a test editing the account) is logged when the bundle is next
asked for, as Plex logs it when it notices. ``bundle`` chooses what is served: the real
zip, a ``huge`` one (bigger than the doctor's cap, streamed, never held in memory), a
``malformed`` one, or one without the server log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import io
import struct
from typing import Any
import uuid
import zipfile
import zlib

from aiohttp import web

SERVER_LOG = "Plex Media Server.log"
# What the bundle is besides Plex Media Server.log; the doctor opens none of these.
OTHER_MEMBERS = (
    "Plex Media Scanner.log",
    "Plex Tuner Service.log",
    "Plex Crash Uploader.log",
    "PMS Plugin Logs/com.plexapp.system.log",
)
# Bigger than the doctor's 20 MiB cap (a test keeps it so).
HUGE_BUNDLE_BYTES = 24 * 1024 * 1024
_CHUNK = 64 * 1024


def mapping_text(account: Mapping[str, Any]) -> str:
    """The mapping state as Plex's log spells it, from its /myplex/account state."""
    state = str(account.get("mappingState") or "unknown").lower()
    error = str(account.get("mappingError") or "").lower()
    if state == "mapped":
        reasons = {"": "", "doublenat": " (Double NAT)", "unreachable": " (Not Reachable)"}
        return (
            "Mapped - Publishing"
            if not error
            else f"Mapped - Not Published{reasons.get(error, f' ({error})')}"
        )
    return {"failed": "Failed", "waiting": "Waiting"}.get(state, "Unknown")


def _filler(lines: int) -> bytes:
    """Plex's everyday chatter: nothing about remote access."""
    start = datetime(2026, 11, 30, 3, 0, 0)
    text = "".join(
        f"{(start + timedelta(milliseconds=37 * n)):%b %d, %Y %H:%M:%S}.{(37 * n) % 1000:03d} "
        f"[0x7f3a1c{n % 4096:04x}] DEBUG - Completed: [192.168.1.31:5{n % 1000:04d}] 200 GET "
        f"/library/sections/{n % 7 + 1}/all?type=1&sort=titleSort (12 live) #{n:x} GZIP 3ms 20531 bytes\n"
        for n in range(lines)
    )
    return text.encode()


@dataclass
class PlexLog:
    """Plex Media Server.log of the fake server; tests read and append ``lines``."""

    lines: list[str] = field(default_factory=list)
    # The previous rotation: Plex Media Server.1.log. The doctor must never read it.
    older_lines: list[str] = field(default_factory=list)
    # "ok", "huge", "malformed" (a cut zip) or "no_server_log".
    bundle: str = "ok"
    huge_bytes: int = HUGE_BUNDLE_BYTES
    # Bytes of the last huge bundle that went out before the client stopped reading.
    huge_sent: int = 0
    _clock: datetime = field(default_factory=lambda: datetime.now() - timedelta(minutes=10))
    _mapping: str | None = None
    _public_address: str | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = self._startup()
        if not self.older_lines:
            # Yesterday's mapping, in the rotation only: the doctor must not show it.
            self.older_lines = [
                "Dec 01, 2026 08:00:00.000 [0x7f3a1c0a1b00] DEBUG - MyPlex: mapping state set to "
                "'Mapped - Not Published (Not Reachable)'. (rotated)"
            ]

    def log(
        self, message: str, level: str = "DEBUG", thread: str = "0x7f3a2c1fe6b8", *, now: bool = True
    ) -> str:
        """Append one line, timestamped after the previous one (now, or 1 ms later)."""
        self._clock = max(datetime.now() if now else self._clock, self._clock + timedelta(milliseconds=1))
        line = f"{self._clock:%b %d, %Y %H:%M:%S}.{self._clock.microsecond // 1000:03d} [{thread}] {level} - {message}"
        self.lines.append(line)
        return line

    def _startup(self) -> list[str]:
        """The server started ten minutes ago; it logs remote access once it knows its state."""
        for level, message in (
            (
                "INFO",
                "Plex Media Server v1.41.3.9314-a0bfb8370 - Docker Linux x86_64 - build: linux-x86_64 debian",
            ),
            ("DEBUG", "BPQ: [Idle] -> [Starting]"),
            ("DEBUG", "FeatureManager: Using cached data for features list"),
            ("DEBUG", "MyPlex: mapping state set to 'Unknown'."),
            ("DEBUG", "Relay: read 2 cached entries from hosts file"),
            ("DEBUG", "NetworkService: Setting up multicast listener on 0.0.0.0:32414"),
            ("DEBUG", "[MediaProviderManager] cloud provider (Metadata) is online and available"),
        ):
            self.log(message, level, now=False)
        self._mapping = "Unknown"
        return self.lines

    # What a real server logs when something changes -------------------------------------

    def notice(self, account: Mapping[str, Any]) -> None:
        """Plex notices its public address and mapping state: a change is logged once."""
        public_address = str(account.get("publicAddress") or "")
        if public_address and public_address != self._public_address:
            self.log(f"PublicAddressManager: Got public IP from v4.plex.tv: {public_address}")
        self._public_address = public_address
        mapping = mapping_text(account)
        if mapping != self._mapping:
            self.log(f"MyPlex: mapping state set to '{mapping}'.")
        self._mapping = mapping

    def prefs_changed(
        self, before: Mapping[str, Any], after: Mapping[str, Any], account: Mapping[str, Any]
    ) -> None:
        """A PUT /:/prefs: remote access or the manual port changed, Plex maps and publishes again."""
        keys = ("PublishServerOnPlexOnlineKey", "ManualPortMappingMode", "ManualPortMappingPort")
        if all(str(before.get(key)) == str(after.get(key)) for key in keys):
            return
        if str(after.get("PublishServerOnPlexOnlineKey")) in ("False", "0", "false"):
            self.log("MyPlex: mapping state set to 'Unknown'.")
            self._mapping = "Unknown"
            return
        manual = str(after.get("ManualPortMappingMode")) in ("True", "1", "true")
        port = after.get("ManualPortMappingPort") if manual else account.get("publicPort")
        if manual:
            self.log(f"NAT: Using manually specified public port {port}.")
        else:
            result = "IGD is connected" if account.get("mappingState") == "mapped" else "IGD is not connected"
            self.log(f"NAT: Initialized UPnP, result: {result}")
        public_address = account.get("publicAddress") or ""
        self.log(
            f"MyPlex: Sending Server Info to myPlex (name=Living Room Plex, ip={public_address}, port={port})"
        )
        self.log("MyPlex: Published Mapping State response was 201")
        self.notice(account)

    def reachability_requested(self, account: Mapping[str, Any], request_number: int) -> None:
        """A PUT /myplex/refreshReachability, then plex.tv's answer through PubSub."""
        request = f"#{request_number + 0x60:x}"
        owner = account.get("username") or "owner"
        mapping = mapping_text(account)
        self.log(
            f"Request: [192.168.1.30:51712 (Subnet)] PUT /myplex/refreshReachability (9 live) {request} GZIP "
            f"Signed-in Token ({owner})",
            thread="0x7f3a2c27e6b8",
        )
        self.log(f"[Req{request}] MyPlex: async reachability check - current mapped state: '{mapping}'.")
        self.log(f"[Req{request}] MyPlex: Requesting reachability check.")
        reachable = 1 if mapping == "Mapped - Publishing" else 0
        address = f"{account.get('publicAddress') or ''}:{account.get('publicPort') or 0}"
        pubsub = "[EventSourceClient/pubsub/pubsub.plex.tv:443]"
        self.log(
            f"{pubsub} PubSub: Got notified of reachability for async identifier {uuid.uuid4()}: "
            f"{reachable} for {address} (responded in 5256 ms)",
            thread="0x7f3a2c0fd6b8",
        )
        self.log(
            f"{pubsub} MyPlex: reachability check - current mapped state: '{mapping}'.",
            thread="0x7f3a2c0fd6b8",
        )

    # The bundle ---------------------------------------------------------------------------

    def zip_bytes(self) -> bytes:
        """The bundle as Plex zips it (deflated members)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            if self.bundle != "no_server_log":
                archive.writestr(SERVER_LOG, "".join(f"{line}\n" for line in self.lines))
            archive.writestr("Plex Media Server.1.log", "".join(f"{line}\n" for line in self.older_lines))
            for name in OTHER_MEMBERS:
                archive.writestr(name, _filler(20))
        return buffer.getvalue()

    async def serve(self, request: web.Request, account: Mapping[str, Any]) -> web.StreamResponse:
        """Answer ``GET /diagnostics/logs`` with the bundle ``bundle`` asks for."""
        self.notice(account)
        headers = {"Content-Disposition": 'attachment; filename="Plex Media Server Logs.zip"'}
        if self.bundle == "huge":
            return await self._stream_huge(request, headers)
        body = self.zip_bytes()
        if self.bundle == "malformed":
            # The transfer broke off: the start of a zip, no directory at its end.
            body = body[: len(body) // 2]
        return web.Response(body=body, content_type="application/zip", headers=headers)

    async def _stream_huge(self, request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        """A real zip of ``huge_bytes``, generated while it is sent (chunked, no length announced)."""
        response = web.StreamResponse(headers={**headers, "Content-Type": "application/zip"})
        await response.prepare(request)
        self.huge_sent = 0
        try:
            for chunk in _huge_zip(self.huge_bytes, self.zip_members()):
                await response.write(chunk)
                self.huge_sent += len(chunk)
            await response.write_eof()
        except ConnectionError, RuntimeError:
            pass  # the doctor stopped reading at its cap, as it should
        return response

    def zip_members(self) -> list[tuple[str, bytes]]:
        """The small members that follow the huge rotation."""
        members = [(SERVER_LOG, "".join(f"{line}\n" for line in self.lines).encode())]
        return [*members, *((name, _filler(20)) for name in OTHER_MEMBERS)]


def _huge_zip(size: int, members: list[tuple[str, bytes]]) -> Iterator[bytes]:
    """A zip streamed chunk by chunk: a stored rotation of about ``size`` bytes, then ``members``.

    Each member has a local header without sizes and a data descriptor after its data
    (general purpose flag 3), as zip writers that stream do; the central directory at
    the end lists them all.
    """
    directory: list[bytes] = []
    offset = 0
    block = _filler(600)
    entries = [("Plex Media Server.1.log", None), *members]
    for name, data in entries:
        encoded = name.encode()
        header = (
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x08, 0, 0, 0x5B82, 0, 0, 0, len(encoded), 0)
            + encoded
        )
        yield header
        crc, length = 0, 0
        if data is None:
            while length < size:
                part = block[: min(len(block), size - length)]
                crc = zlib.crc32(part, crc)
                length += len(part)
                yield part
        else:
            crc, length = zlib.crc32(data), len(data)
            yield data
        yield struct.pack("<IIII", 0x08074B50, crc, length, length)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0x08,
                0,
                0,
                0x5B82,
                crc,
                length,
                length,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
        offset += len(header) + length + 16
    central = b"".join(directory)
    yield central + struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), offset, 0
    )
