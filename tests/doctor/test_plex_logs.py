"""Plex's log lines: the bundle read on demand, capped, filtered, redacted, compared."""

from __future__ import annotations

import asyncio
import io
import re
import struct
import threading
import time
from typing import Any
import zipfile

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.plex_remote_doctor.doctor import plex_logs
from custom_components.plex_remote_doctor.doctor.doctor import Doctor
from custom_components.plex_remote_doctor.doctor.plex_logs import (
    KEEP_LINES,
    KEPT,
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_MEMBERS,
    MAX_LINE_BYTES,
    MAX_LOG_BYTES,
    SERVER_LOG,
    LogExcerpt,
    PlexLogError,
    log_excerpt,
    logged_between,
    read_excerpt,
)
from custom_components.plex_remote_doctor.doctor.redact import REDACTED
from simulator.network import FakeNetwork
from simulator.plex_logs import HUGE_BUNDLE_BYTES
from simulator.plex_server import TOKEN

STAMP = "Dec 02, 2026 21:14:03.123 [0x7f3a2c1fe6b8] DEBUG - "


def bundle(members: dict[str, str | bytes]) -> io.BytesIO:
    """A zip as Plex writes it: deflated members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def server_log(*messages: str) -> io.BytesIO:
    return bundle({SERVER_LOG: "".join(f"{STAMP}{message}\n" for message in messages)})


# Real Plex Media Server.log messages (see simulator/plex_logs.py for where they come from).
KEPT_MESSAGES = [
    "MyPlex: mapping state set to 'Mapped - Publishing'.",
    "MyPlex: mapping state set to 'Unknown'.",
    "MyPlex: Published Mapping State response was 201",
    "MyPlex: Sending Server Info to myPlex (name=Den, ip=192.168.1.20, port=32400)",
    "[Req#63] MyPlex: async reachability check - current mapped state: 'Mapped - Not Published (Double NAT)'.",
    "[Req#63] MyPlex: Requesting reachability check.",
    "NAT: Initialized UPnP, result: IGD is not connected",
    "NAT: UPnP, getPublicIP didn't find usable IGD.",
    "NAT: PMP::getPublicIP, Received public IP from router: 100.64.1.2",
    "PublicAddressManager: Got public IP from v4.plex.tv: 100.64.1.2",
    "[EventSourceClient/pubsub/pubsub.plex.tv:443] PubSub: Got notified of reachability for async "
    "identifier f5948c6f-932c-4887-8b7f-161631fad8c3: 0 for 100.64.1.2:19491 (responded in 5256 ms)",
    "Request: [127.0.0.1:49241 (Loopback)] PUT /myplex/refreshReachability (9 live) #63 GZIP",
    "UPnP: Port mapping added for 32400",
]
DROPPED_MESSAGES = [
    "Completed: [127.0.0.1:49242] 200 GET /accounts/1 (9 live) #5e GZIP 0ms 521 bytes (pipelined: 8)",
    "Relay: read 2 cached entries from hosts file",
    "NetworkService: Setting up multicast listener on 0.0.0.0:32414",
    "FeatureManager: Using cached data for features list",
    "[EventSourceClient/pubsub/pubsub.plex.tv:443] EventSource: Got event [keepalive]",
    "SIGNATURE check passed for com.plexapp.system",
    "Scanner: mapping the music section",
]


@pytest.mark.parametrize("message", KEPT_MESSAGES)
def test_remote_access_lines_are_kept(message: str) -> None:
    assert read_excerpt(server_log(message)).lines == (f"{STAMP}{message}",)


@pytest.mark.parametrize("message", DROPPED_MESSAGES)
def test_other_lines_are_dropped(message: str) -> None:
    assert read_excerpt(server_log(message)) == LogExcerpt()


def test_the_filters_words_are_the_only_way_in() -> None:
    """A line is judged by the expression only when it holds one of its literal words."""
    for message in KEPT_MESSAGES:
        assert KEPT.search(message)
        assert any(needle.decode() in message for needle in plex_logs._NEEDLES), message


def test_the_last_fifty_in_order() -> None:
    messages = [f"MyPlex: mapping state set to 'Waiting' ({n})." for n in range(80)]
    excerpt = read_excerpt(server_log(*messages, *DROPPED_MESSAGES))
    assert KEEP_LINES == 50
    assert excerpt.lines == tuple(f"{STAMP}{message}" for message in messages[-50:])
    assert excerpt.complete


def test_tokens_owners_and_public_addresses_are_redacted() -> None:
    secret = "s3cr3t-t0ken-value"
    excerpt = read_excerpt(
        server_log(
            f"MyPlex: Requesting reachability check. (token {secret})",
            "Request: [192.168.1.30:51712 (Subnet)] PUT /myplex/refreshReachability #63 GZIP "
            "Signed-in Token (adrian_713)",
            "NAT: mapping https://plex.tv/api/servers/abc/connectivity?X-Plex-Token=abcDEF123&asyncIdentifier=1",
            'NAT: <Device authToken="zyx987" publicAddress="198.51.100.7"/>',
            "UPnP: X-Plex-Token: qwe456 sent",
            "PubSub: reachability 1 for 198.51.100.7:32400 and [2001:db8:1::7]:32400 (owner@example.com)",
            "MyPlex: publishing https://198-51-100-7.0123abcd.plex.direct:32400 and 2001-db8-1--7.0123abcd.plex.direct",
            "NAT: UPnP mapped 41234 to 192.168.1.20:32400 on the router 192.168.1.1, WAN 100.64.1.2",
        ),
        [secret],
    )
    text = "\n".join(excerpt.lines)
    for leaked in (
        secret,
        "adrian_713",
        "abcDEF123",
        "zyx987",
        "qwe456",
        "198.51.100.7",
        "198-51-100-7",
        "2001:db8:1::7",
        "2001-db8-1--7",
        "owner@example.com",
    ):
        assert leaked not in text, leaked
    assert text.count(REDACTED) >= 10
    # What support needs stays: LAN and CGNAT addresses, ports, the rest of each line.
    for kept in ("192.168.1.20:32400", "192.168.1.1", "100.64.1.2", "asyncIdentifier=1", ":32400"):
        assert kept in text, kept


def test_only_the_server_log_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    logs = bundle(
        {
            "Plex Media Server.1.log": f"{STAMP}MyPlex: mapping state set to 'Rotated'.\n",
            "Plex Media Server.log.bak": f"{STAMP}MyPlex: mapping state set to 'Backup'.\n",
            "Plex Tuner Service.log": f"{STAMP}NAT: tuner\n",
            "PMS Plugin Logs/Plex Media Server.log": f"{STAMP}NAT: deeper\n",
            SERVER_LOG: f"{STAMP}NAT: Initialized UPnP, result: IGD is connected\n",
        }
    )
    opened: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    excerpt = read_excerpt(logs)
    assert opened == [SERVER_LOG]
    assert excerpt.lines == (f"{STAMP}NAT: Initialized UPnP, result: IGD is connected",)


def test_a_bundle_without_the_server_log() -> None:
    with pytest.raises(PlexLogError, match=r"has no 'Plex Media Server\.log'"):
        read_excerpt(bundle({"Plex Media Server.1.log": "x\n", "Plex Media Scanner.log": "y\n"}))


def encrypted(buffer: io.BytesIO) -> io.BytesIO:
    """The same zip with its only member flagged as encrypted (Python cannot write one)."""
    data = bytearray(buffer.getvalue())
    data[6] |= 1  # the local header's general purpose flags
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1
    return io.BytesIO(bytes(data))


def corrupt(buffer: io.BytesIO) -> io.BytesIO:
    """The same zip with its member's deflate stream damaged."""
    data = bytearray(buffer.getvalue())
    start = 30 + len(SERVER_LOG)
    data[start : start + 8] = b"\xff" * 8
    return io.BytesIO(bytes(data))


@pytest.mark.parametrize(
    ("malformed", "reason"),
    [
        (io.BytesIO(b"<html>Plex is updating</html>"), "not a zip"),
        (io.BytesIO(server_log("NAT: x").getvalue()[:-30]), "not a zip"),
        (io.BytesIO(b""), "not a zip"),
        (encrypted(server_log("NAT: x")), "not a readable zip (RuntimeError)"),
        (corrupt(server_log(*(["NAT: x"] * 200))), "not a readable zip"),
    ],
)
def test_a_malformed_bundle_is_a_reason(malformed: io.BytesIO, reason: str) -> None:
    with pytest.raises(PlexLogError, match=re.escape(reason)):
        read_excerpt(malformed)


def test_a_zip_bomb_is_read_only_up_to_the_cap() -> None:
    """A member inflating to 160 MiB from a few hundred kB: reading stops at MAX_LOG_BYTES."""
    head = f"{STAMP}MyPlex: mapping state set to 'Mapped - Publishing'.\n".encode()
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(SERVER_LOG, "w") as member,
    ):
        member.write(head)
        for _ in range(160):
            member.write(b"\0" * (1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    started = time.monotonic()
    excerpt = read_excerpt(buffer)
    assert time.monotonic() - started < 20
    assert excerpt.truncated
    assert excerpt.reason == f"{SERVER_LOG} is larger than 64 MiB: only its first part was read"
    assert MAX_LOG_BYTES == 64 * 1024 * 1024
    assert excerpt.lines == (head.decode().rstrip("\n"),)
    assert not excerpt.complete


def test_too_many_members_are_not_listed() -> None:
    members: dict[str, str | bytes] = {f"PMS Plugin Logs/{n}.log": b"" for n in range(MAX_BUNDLE_MEMBERS + 1)}
    with pytest.raises(PlexLogError, match=f"lists {MAX_BUNDLE_MEMBERS + 1} members"):
        read_excerpt(bundle(members))


def zip64(buffer: io.BytesIO, members: int | None = None) -> io.BytesIO:
    """The same zip ended as ZIP64 writers end it: the counts in the ZIP64 record, 0xFFFF in the old one."""
    data = buffer.getvalue()
    end = data.rfind(b"PK\x05\x06")
    (count, size, offset) = struct.unpack_from("<HII", data, end + 10)
    record64 = struct.pack(
        "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, members or count, size, offset
    )
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, end, 1)
    old = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return io.BytesIO(data[:end] + record64 + locator + old)


def test_a_zip64_bundle_is_counted_by_its_zip64_record() -> None:
    logs = server_log("NAT: Initialized UPnP, result: IGD is connected")
    assert read_excerpt(zip64(logs)).lines == (f"{STAMP}NAT: Initialized UPnP, result: IGD is connected",)
    with pytest.raises(PlexLogError, match="lists 20000 members"):
        read_excerpt(zip64(logs, members=20_000))


def test_an_overlong_line_keeps_its_head() -> None:
    long_line = f"{STAMP}MyPlex: mapping state set to 'Mapped - Publishing' {'x' * 100_000}"
    text = f"{long_line}\n{STAMP}NAT: after the long line\n"
    excerpt = read_excerpt(bundle({SERVER_LOG: text}))
    assert [len(line.encode()) for line in excerpt.lines] == [
        MAX_LINE_BYTES,
        len(f"{STAMP}NAT: after the long line"),
    ]
    # Split across reading blocks, without a newline at the end, with Windows line ends.
    text = "".join(f"{STAMP}NAT: line {n}\r\n" for n in range(30_000)) + f"{STAMP}PubSub: last"
    excerpt = read_excerpt(bundle({SERVER_LOG: text}))
    assert excerpt.lines[-2:] == (f"{STAMP}NAT: line 29999", f"{STAMP}PubSub: last")
    assert len(excerpt.lines) == 50


def test_what_plex_logged_in_between() -> None:
    before = LogExcerpt(lines=("a 1", "b 2", "c 3"))
    after = LogExcerpt(lines=("b 2", "c 3", "a 1 ", "d 4", "c 3"))
    assert logged_between(before, after) == ("a 1 ", "d 4")
    assert logged_between(after, after) == ()


# --- through the fake Plex server -----------------------------------------------------------


def doctor(net: FakeNetwork, session: aiohttp.ClientSession) -> Doctor:
    return Doctor(session, server_url=net.plex.url, token=TOKEN, machine_identifier=None)


async def test_the_fakes_bundle_read_on_demand(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    before = await doctor(net, session).plex_log()
    assert before.complete
    assert any("mapping state set to 'Mapped - Publishing'" in line for line in before.lines)
    assert not any("(rotated)" in line for line in before.lines)  # Plex Media Server.1.log
    assert ("GET", "/diagnostics/logs") in net.plex.state.requests
    net.apply("upnp_stale")  # Plex notices it is not reachable
    await doctor(net, session).plex.refresh_reachability()
    after = await doctor(net, session).plex_log()
    new = logged_between(before, after)
    assert any("mapping state set to 'Mapped - Not Published (Not Reachable)'" in line for line in new)
    assert any("MyPlex: Requesting reachability check." in line for line in new)
    assert any("PubSub: Got notified of reachability" in line and ": 0 for " in line for line in new)
    assert not any(net.plex.state.account["publicAddress"] in line for line in after.lines)


@pytest.mark.parametrize(
    ("knob", "reason"),
    [
        ("malformed", "Plex's log bundle is not a zip (no end of central directory)"),
        ("no_server_log", "Plex's log bundle has no 'Plex Media Server.log'"),
    ],
)
async def test_fault_knobs_really_inject(
    session: aiohttp.ClientSession, net: FakeNetwork, knob: str, reason: str
) -> None:
    net.plex.state.log.bundle = knob
    excerpt = await doctor(net, session).plex_log()
    assert excerpt == LogExcerpt(reason=reason)
    net.plex.state.log.bundle = "ok"
    assert (await doctor(net, session).plex_log()).complete


async def test_a_huge_bundle_is_not_downloaded_past_the_cap(
    session: aiohttp.ClientSession, net: FakeNetwork
) -> None:
    assert HUGE_BUNDLE_BYTES > MAX_BUNDLE_BYTES == 20 * 1024 * 1024
    net.plex.state.log.bundle = "huge"
    # Far bigger than what the kernel buffers between the two: what was sent was read.
    net.plex.state.log.huge_bytes = 160 * 1024 * 1024
    excerpt = await doctor(net, session).plex_log()
    assert excerpt == LogExcerpt(
        truncated=True, reason="Plex's log bundle is larger than 20 MiB, the most the doctor reads"
    )
    await asyncio.sleep(0.2)  # the fake notices the closed connection
    assert net.plex.state.log.huge_sent < 80 * 1024 * 1024  # the download stopped


async def test_the_huge_bundle_is_a_real_zip(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    """With a higher cap the fault reads: it is big, not broken."""
    net.plex.state.log.bundle = "huge"
    excerpt = await log_excerpt(session, net.plex.url, TOKEN, max_bytes=2 * HUGE_BUNDLE_BYTES)
    assert excerpt.complete
    assert any("mapping state set to" in line for line in excerpt.lines)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"fail_status": 503}, "Plex's log bundle: HTTP 503"),
        ({"fail_status": 404}, "Plex's log bundle: HTTP 404"),
        ({"token": "another"}, "Plex's log bundle: the token was refused (HTTP 401)"),
        ({"delay": 1.0}, "Plex's log bundle: no answer within 0.2 s"),
    ],
)
async def test_a_failed_download_is_a_reason(
    session: aiohttp.ClientSession, net: FakeNetwork, fault: dict[str, Any], reason: str
) -> None:
    for name, value in fault.items():
        setattr(net.plex.state, name, value)
    excerpt = await doctor(net, session).plex_log(timeout=0.2)
    assert excerpt == LogExcerpt(reason=reason)
    assert TOKEN not in repr(excerpt)


async def test_a_server_that_is_gone(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    await net.plex.stop()
    excerpt = await doctor(net, session).plex_log()
    assert excerpt.reason == "Plex's log bundle: ClientConnectorError"


async def test_the_zip_is_read_off_the_event_loop(
    session: aiohttp.ClientSession, net: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    original = plex_logs.read_excerpt

    def spy(*args: Any, **kwargs: Any) -> LogExcerpt:
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(plex_logs, "read_excerpt", spy)
    assert (await doctor(net, session).plex_log()).complete
    assert threads
    assert threads[0] is not threading.main_thread()


async def test_polling_never_asks_for_the_log(session: aiohttp.ClientSession, net: FakeNetwork) -> None:
    checker = Doctor(
        session,
        server_url=net.plex.url,
        token=TOKEN,
        machine_identifier=net.plex.state.machine_identifier,
        router_url=net.igd.description_url,
        plex_tv_url=net.plex_tv.url,
        public_ip_urls=(net.echo.url,),
    )
    for _ in range(3):
        await checker.examine()
    assert not [path for _, path in net.plex.state.requests if path == "/diagnostics/logs"]


# --- fuzzing (``-k fuzz``): damaged bundles are a reason, never another exception ----------

VALID = server_log(*KEPT_MESSAGES, *DROPPED_MESSAGES).getvalue()


@given(
    st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8),
    st.integers(0, len(VALID)),
)
def test_fuzz_damaged_bundles(damage: list[tuple[int, int]], length: int) -> None:
    data = bytearray(VALID)
    for position, value in damage:
        data[position] = value
    try:
        excerpt = read_excerpt(io.BytesIO(bytes(data[:length])))
    except PlexLogError:
        return
    assert len(excerpt.lines) <= KEEP_LINES


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=120), max_size=20))
def test_fuzz_no_public_address_survives(words: list[str]) -> None:
    messages = [f"NAT: {word} 198.51.100.9 {word} [2001:db8::9]:32400 X-Plex-Token={word}x" for word in words]
    excerpt = read_excerpt(server_log(*messages))
    for line in excerpt.lines:
        assert "198.51.100.9" not in line
        assert "2001:db8::9" not in line
