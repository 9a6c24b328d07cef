"""Custom server access URLs: whether each ``customConnections`` URL leads to this server.

Users publish a server through a reverse proxy (``https://plex.example.com:443``) and
list it in Plex's ``customConnections``; apps then try it as given. Each URL is asked
for ``/identity``, the one path Plex answers without a token, and the identifier it
returns is compared with this server's. The token is never sent: a custom URL can lead
anywhere, a proxy's access log included. Certificates are always verified, as the apps
verify them, whatever the user chose for the LAN URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
import logging
import os
import socket
import ssl

import aiohttp
from yarl import URL

from .errors import DoctorResponseError
from .evidence import CustomUrlCheck, CustomUrlResult
from .http import exchange
from .plex import client_headers, parse_identity

_LOGGER = logging.getLogger(__name__)

# Plex accepts any number of custom URLs; real set-ups list one or two. Only the first
# five are checked, which bounds what one check costs.
MAX_CUSTOM_URLS = 5
# Short: the apps give up about as fast, and a check must not wait on a dead proxy.
CUSTOM_URL_TIMEOUT = 5.0
# An identity is a few hundred bytes; anything much larger is not Plex.
CUSTOM_URL_MAX_BYTES = 64 * 1024

# OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED, as ssl.SSLCertVerificationError.verify_code.
_CERTIFICATE_EXPIRED = 10
# c-ares statuses (aiohttp's default resolver keeps them in the error's cause) that
# mean no name server answered, not that the name does not exist: SERVFAIL,
# ECONNREFUSED, ETIMEOUT.
_ARES_NO_ANSWER = frozenset({3, 11, 12})


def identity_url(entry: str) -> URL | None:
    """Where an entry's ``/identity`` is, or None when the entry is no http(s) URL.

    Credentials, query and fragment are dropped: whatever the user pasted into the
    entry, nothing but the address is sent.
    """
    try:
        url = URL(entry.strip())
        if url.scheme not in ("http", "https") or not url.host:
            return None
        return URL.build(
            scheme=url.scheme, host=url.host, port=url.explicit_port, path=url.path.rstrip("/") + "/identity"
        )
    except TypeError, ValueError:
        return None


def _shown(entry: str, target: URL | None) -> str:
    """The entry as evidence and logs show it: verbatim, unless it carries more than an address."""
    if target is None:
        return entry
    url = URL(entry.strip())
    if url.user is None and url.password is None and not url.query_string and not url.fragment:
        return entry
    return str(target.with_path(target.path.removesuffix("identity")))


async def check_custom_urls(
    session: aiohttp.ClientSession,
    urls: Iterable[str],
    machine_identifier: str,
    *,
    timeout: float = CUSTOM_URL_TIMEOUT,
    max_bytes: int = CUSTOM_URL_MAX_BYTES,
) -> tuple[CustomUrlCheck, ...]:
    """Check the first ``MAX_CUSTOM_URLS`` distinct URLs concurrently, in their order."""
    distinct = list(dict.fromkeys(urls))
    if len(distinct) > MAX_CUSTOM_URLS:
        _LOGGER.debug("Custom URLs: checking the first %d of %d", MAX_CUSTOM_URLS, len(distinct))
    checks = await asyncio.gather(
        *(
            check_custom_url(session, url, machine_identifier, timeout=timeout, max_bytes=max_bytes)
            for url in distinct[:MAX_CUSTOM_URLS]
        )
    )
    return tuple(checks)


async def check_custom_url(
    session: aiohttp.ClientSession,
    url: str,
    machine_identifier: str,
    *,
    timeout: float = CUSTOM_URL_TIMEOUT,
    max_bytes: int = CUSTOM_URL_MAX_BYTES,
) -> CustomUrlCheck:
    """Ask one URL's ``/identity``, without the token; every failure is a result, never raised."""
    target = identity_url(url)
    if target is None:
        result, detail = CustomUrlResult.HTTP_ERROR, "invalid URL"
    else:
        try:
            status, body = await exchange(
                session, "GET", str(target), headers=client_headers(), timeout=timeout, max_bytes=max_bytes
            )
        except TimeoutError:
            result, detail = CustomUrlResult.TIMEOUT, f"no answer within {timeout:g} s"
        except aiohttp.InvalidURL:
            result, detail = CustomUrlResult.HTTP_ERROR, "invalid URL"
        except (aiohttp.ClientError, OSError, ValueError) as err:
            result, detail = classify_error(err)
        else:
            result, detail = _classify_answer(status, body, machine_identifier)
    shown = _shown(url, target)
    _LOGGER.debug("Custom URL %s: %s %s", shown, result, detail)
    return CustomUrlCheck(url=shown, result=result, detail=detail)


def _classify_answer(status: int, body: bytes | None, machine_identifier: str) -> tuple[CustomUrlResult, str]:
    if not 200 <= status < 300:
        return CustomUrlResult.HTTP_ERROR, f"HTTP {status}"
    if body is None:
        return CustomUrlResult.HTTP_ERROR, "not a Plex identity (too large)"
    try:
        identity = parse_identity(body)
    except DoctorResponseError:
        return CustomUrlResult.HTTP_ERROR, "not a Plex identity"
    if identity.machine_identifier != machine_identifier:
        # Another server's identifier is no secret, but says nothing useful in a repair.
        return CustomUrlResult.OTHER_SERVER, "another Plex server answers"
    return CustomUrlResult.ANSWERS, ""


def classify_error(err: Exception) -> tuple[CustomUrlResult, str]:
    """Why a URL gave no answer, told apart by the exception aiohttp (or the resolver) raised."""
    if isinstance(err, aiohttp.ClientConnectorDNSError | socket.gaierror):
        lookup = err.os_error if isinstance(err, aiohttp.ClientConnectorDNSError) else err
        if _resolver_unavailable(lookup):
            return CustomUrlResult.TIMEOUT, "no name server answered"
        return CustomUrlResult.NAME_UNRESOLVED, "the name does not resolve"
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        problem = err.certificate_error
        if isinstance(problem, ssl.SSLCertVerificationError) and problem.verify_code == _CERTIFICATE_EXPIRED:
            return CustomUrlResult.TLS_EXPIRED, problem.verify_message or "certificate has expired"
        if isinstance(problem, ssl.SSLCertVerificationError) and problem.verify_message:
            return CustomUrlResult.TLS_INVALID, problem.verify_message
        return CustomUrlResult.TLS_INVALID, "certificate not valid"
    if isinstance(err, aiohttp.ClientSSLError):
        # The handshake failed before a certificate was judged (e.g. plain HTTP behind
        # an https URL): the apps cannot connect either.
        reason = getattr(err.os_error, "reason", None) or type(err.os_error).__name__
        return CustomUrlResult.TLS_INVALID, f"TLS handshake failed ({reason})"
    cause = err.os_error if isinstance(err, aiohttp.ClientConnectorError) else err
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return CustomUrlResult.UNREACHABLE, "connection closed without an answer"
    if isinstance(cause, OSError) and cause.errno:
        return CustomUrlResult.UNREACHABLE, os.strerror(cause.errno).lower()
    return CustomUrlResult.UNREACHABLE, type(cause).__name__


def _resolver_unavailable(error: OSError) -> bool:
    """Whether a failed lookup means the DNS did not answer rather than "no such name"."""
    if error.errno is not None:
        return error.errno == socket.EAI_AGAIN
    cause = error.__cause__
    return cause is not None and bool(cause.args) and cause.args[0] in _ARES_NO_ANSWER
