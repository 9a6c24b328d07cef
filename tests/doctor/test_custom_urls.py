"""Custom URLs over real loopback sockets: a reverse proxy, TLS, DNS, silence, a closed port."""

from __future__ import annotations

from pathlib import Path
import socket
from time import monotonic

import aiohttp
import pytest

from custom_components.plex_remote_doctor.doctor.custom_urls import (
    MAX_CUSTOM_URLS,
    check_custom_url,
    check_custom_urls,
    classify_error,
    identity_url,
)
from custom_components.plex_remote_doctor.doctor.evidence import CustomUrlCheck, CustomUrlResult
from simulator.plex_server import TOKEN, FakePlexServer, PlexState
from simulator.proxy import SERVFAIL, FakeDns, SilentServer

from .certificates import self_signed, trusting
from .harness import Fakes, resolving_with

THIS_SERVER = PlexState().machine_identifier
OTHER_SERVER = "fedcba9876543210fedcba9876543210"


@pytest.fixture
async def plex(fakes: Fakes) -> FakePlexServer:
    return await fakes.start(FakePlexServer())


async def check(session: aiohttp.ClientSession, url: str, timeout: float = 5.0) -> CustomUrlCheck:
    return await check_custom_url(session, url, THIS_SERVER, timeout=timeout)


async def test_proxy_to_this_server_answers(
    session: aiohttp.ClientSession, plex: FakePlexServer, fakes: Fakes
) -> None:
    proxy = await fakes.proxy(plex.url)
    assert await check(session, proxy.url) == CustomUrlCheck(url=proxy.url, result=CustomUrlResult.ANSWERS)


async def test_the_token_never_reaches_the_proxy(
    session: aiohttp.ClientSession, plex: FakePlexServer, fakes: Fakes
) -> None:
    proxy = await fakes.proxy(plex.url)
    await check(session, f"{proxy.url}/")
    [headers] = proxy.state.requests
    assert "x-plex-token" not in {name.lower() for name in headers}
    assert not any(TOKEN in value for value in headers.values())
    assert plex.state.requests == [("GET", "/identity")]


async def test_only_the_address_of_an_entry_is_used(
    session: aiohttp.ClientSession, plex: FakePlexServer, fakes: Fakes
) -> None:
    """Credentials or a token pasted into an entry are neither sent nor shown."""
    proxy = await fakes.proxy(plex.url)
    host_port = proxy.url.removeprefix("http://")
    result = await check(session, f"http://user:secret@{host_port}/?X-Plex-Token={TOKEN}#x")
    assert result == CustomUrlCheck(url=f"{proxy.url}/", result=CustomUrlResult.ANSWERS)
    [headers] = proxy.state.requests
    assert "authorization" not in {name.lower() for name in headers}
    assert plex.state.requests == [("GET", "/identity")]


async def test_proxy_to_another_server(session: aiohttp.ClientSession, fakes: Fakes) -> None:
    other = await fakes.start(FakePlexServer(PlexState(machine_identifier=OTHER_SERVER)))
    proxy = await fakes.proxy(other.url)
    result = await check(session, proxy.url)
    assert result.result is CustomUrlResult.OTHER_SERVER
    assert OTHER_SERVER not in result.detail


async def test_proxy_whose_upstream_is_down(session: aiohttp.ClientSession, fakes: Fakes) -> None:
    proxy = await fakes.proxy(status=502)
    assert await check(session, proxy.url) == CustomUrlCheck(
        url=proxy.url, result=CustomUrlResult.HTTP_ERROR, detail="HTTP 502"
    )


@pytest.mark.parametrize(
    "body",
    [
        "Welcome to nginx!",  # neither XML nor JSON
        "<html><body>Sign in</body></html>",  # XML-ish, not a MediaContainer
        '{"MediaContainer": {"size": 0}}',  # JSON without an identifier
        "<MediaContainer " + "x" * 70_000,  # past the size cap
    ],
)
async def test_an_answer_that_is_not_plex(session: aiohttp.ClientSession, fakes: Fakes, body: str) -> None:
    proxy = await fakes.proxy(body=body)
    result = await check(session, proxy.url)
    assert result.result is CustomUrlResult.HTTP_ERROR
    assert result.detail.startswith("not a Plex identity")


@pytest.mark.parametrize(
    "entry",
    ["ftp://plex.example.com", "plex.example.com:443", "https://", "http://a b", "https://x:99999", ""],
)
async def test_a_malformed_entry_is_an_invalid_url(session: aiohttp.ClientSession, entry: str) -> None:
    assert identity_url(entry) is None
    assert await check(session, entry) == CustomUrlCheck(
        url=entry, result=CustomUrlResult.HTTP_ERROR, detail="invalid URL"
    )


# --- TLS ----------------------------------------------------------------------------------


async def trusting_session(certificate: Path) -> aiohttp.ClientSession:
    """A session whose trust store holds only ``certificate``, as HA's holds the public CAs."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting(certificate)))


async def test_https_with_a_trusted_certificate_answers(
    plex: FakePlexServer, fakes: Fakes, tmp_path: Path
) -> None:
    certificate = self_signed(tmp_path)
    proxy = await fakes.https_proxy(plex.url, certificate)
    async with await trusting_session(certificate) as session:
        assert (await check(session, proxy.url)).result is CustomUrlResult.ANSWERS


async def test_https_self_signed_is_invalid(
    session: aiohttp.ClientSession, plex: FakePlexServer, fakes: Fakes, tmp_path: Path
) -> None:
    proxy = await fakes.https_proxy(plex.url, self_signed(tmp_path))
    assert await check(session, proxy.url) == CustomUrlCheck(
        url=proxy.url, result=CustomUrlResult.TLS_INVALID, detail="self-signed certificate"
    )


async def test_https_expired_certificate(plex: FakePlexServer, fakes: Fakes, tmp_path: Path) -> None:
    certificate = self_signed(tmp_path, expired=True)
    proxy = await fakes.https_proxy(plex.url, certificate)
    async with await trusting_session(certificate) as session:
        assert await check(session, proxy.url) == CustomUrlCheck(
            url=proxy.url, result=CustomUrlResult.TLS_EXPIRED, detail="certificate has expired"
        )


async def test_https_certificate_for_another_name(plex: FakePlexServer, fakes: Fakes, tmp_path: Path) -> None:
    certificate = self_signed(tmp_path, host="plex.example.com")
    proxy = await fakes.https_proxy(plex.url, certificate)
    async with await trusting_session(certificate) as session:
        result = await check(session, proxy.url)
    assert result.result is CustomUrlResult.TLS_INVALID
    assert "mismatch, certificate is not valid" in result.detail


async def test_https_url_on_a_plain_http_proxy(
    session: aiohttp.ClientSession, plex: FakePlexServer, fakes: Fakes
) -> None:
    proxy = await fakes.proxy(plex.url)
    result = await check(session, proxy.url.replace("http://", "https://"))
    assert result.result is CustomUrlResult.TLS_INVALID
    assert result.detail.startswith("TLS handshake failed")


# --- DNS, silence, refusal ----------------------------------------------------------------


async def test_a_name_that_does_not_resolve(dns: FakeDns) -> None:
    """The real aiohttp resolver (c-ares), asking a loopback name server that knows no name.

    RFC 6761 guarantees ``.invalid`` never resolves; the test's own name server keeps
    the lookup on loopback and answers at once.
    """
    async with resolving_with(dns) as session:
        result = await check(session, "https://plex.invalid:443")
    assert result == CustomUrlCheck(
        url="https://plex.invalid:443",
        result=CustomUrlResult.NAME_UNRESOLVED,
        detail="the name does not resolve",
    )
    assert dns.queries >= 1


async def test_a_name_server_that_fails_is_not_a_definite_answer(dns: FakeDns) -> None:
    dns.rcode = SERVFAIL
    async with resolving_with(dns, tries=1) as session:
        result = await check(session, "https://plex.invalid")
    assert result.result is CustomUrlResult.TIMEOUT
    assert not result.result.definite


async def test_getaddrinfos_no_such_name_is_unresolved() -> None:
    """The error the system resolver raises (aiohttp's ThreadedResolver passes it on)."""
    no_such_name = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    temporary = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert classify_error(no_such_name)[0] is CustomUrlResult.NAME_UNRESOLVED
    assert classify_error(temporary)[0] is CustomUrlResult.TIMEOUT


async def test_a_proxy_that_never_answers_times_out(session: aiohttp.ClientSession, fakes: Fakes) -> None:
    silent = await fakes.start(SilentServer())
    began = monotonic()
    result = await check(session, silent.url, timeout=0.2)
    assert monotonic() - began < 2
    assert result == CustomUrlCheck(
        url=silent.url, result=CustomUrlResult.TIMEOUT, detail="no answer within 0.2 s"
    )


async def test_a_proxy_that_hangs_up_is_unreachable(session: aiohttp.ClientSession, fakes: Fakes) -> None:
    rude = await fakes.start(SilentServer(hang_up=True))
    result = await check(session, rude.url)
    # Closed before the request was sent (reset) or after (no answer): timing decides.
    assert result.result is CustomUrlResult.UNREACHABLE, result
    assert result.detail in ("connection closed without an answer", "connection reset by peer", "broken pipe")


async def test_a_closed_port_is_unreachable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert await check(session, url) == CustomUrlCheck(
        url=url, result=CustomUrlResult.UNREACHABLE, detail="connection refused"
    )


async def test_at_most_five_distinct_urls_checked_at_once(
    session: aiohttp.ClientSession, fakes: Fakes
) -> None:
    silent = await fakes.start(SilentServer())
    urls = [f"{silent.url}/{n}" for n in range(7)]
    began = monotonic()
    results = await check_custom_urls(session, [urls[0], *urls], THIS_SERVER, timeout=0.3)
    # Concurrently: five 0.3 s timeouts take about 0.3 s, not 1.5 s.
    assert monotonic() - began < 1.0
    assert [result.url for result in results] == urls[:MAX_CUSTOM_URLS]
    assert {result.result for result in results} == {CustomUrlResult.TIMEOUT}
