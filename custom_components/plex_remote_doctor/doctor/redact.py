"""Redaction of what must not leave Home Assistant: public addresses, e-mail, tokens.

One implementation for every report the integration writes: the diagnostics download
and Plex's own log lines. Addresses are found by scanning the text, not by field: they
turn up in URLs, error reasons, router tables and log lines. Plex's plex.direct names
carry the address with dashes (``203-0-113-2.<hash>.plex.direct``, each IPv6 colon a
dash), so dashed forms count too. LAN, CGNAT and other non-public addresses stay: they
are what support needs to read a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address
import re

from .network import is_public

# Home Assistant's diagnostics marker (homeassistant.components.diagnostics.REDACTED),
# spelled here because this library never imports Home Assistant; a test keeps them equal.
REDACTED = "**REDACTED**"

# Candidates only: each match is parsed by ipaddress and redacted only when public.
# IPv4 in dots, not inside a longer dotted number (a version such as 1.41.3.9314).
_IPV4 = re.compile(r"(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9]|\.\d)")
# IPv6 with colons (at least two), possibly with an IPv4 tail or a ":port" after it.
_IPV6 = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*")
# A whole run of hex digits and dashes: a dashed IPv4 or IPv6 ("--" for "::").
_DASHED = re.compile(r"(?<![0-9A-Za-z-])[0-9A-Fa-f]+(?:-[0-9A-Fa-f]*)+(?![0-9A-Za-z-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# A token given as a value: X-Plex-Token=..., token=..., authToken="...", "Token: ...",
# access_token=... (a URL's query, a header, an XML attribute). Plex masks most of them
# in its own logs as xxxxxxxxxxxxxxxxxxxx, not all; the mask is harmless to redact again.
_TOKEN_VALUE = re.compile(r"(?i)((?:x-plex-)?(?:auth|access)?[_-]?token\b\s*[=:]\s*[\"']?)[^\s\"'&,;)<>]+")
# Plex's request lines name the signed-in account: "Signed-in Token (owner_name)".
_TOKEN_OWNER = re.compile(r"(?i)(\btoken\s*\()[^)\s][^)]*(\))")


def _public(text: str) -> bool:
    try:
        return is_public(ip_address(text))
    except ValueError:
        return False


def _redact_ipv6(match: re.Match[str]) -> str:
    token = match.group()
    # The literal itself, or without a trailing full stop, or without a ":port" after it
    # (only digits: "::ffff:192.168.1.2" is one address, not "::ffff" and a port).
    head, _, port = token.rpartition(":")
    candidates = (token, token.rstrip("."), head if port.isdigit() else "")
    for address in candidates:
        if _public(address):
            return REDACTED + token[len(address) :]
    return token


def _redact_dashed(match: re.Match[str]) -> str:
    token = match.group()
    return REDACTED if _public(token.replace("-", ".")) or _public(token.replace("-", ":")) else token


def redact_text(text: str) -> str:
    """``text`` with every public IPv4, global IPv6 (also dashed) and e-mail address redacted."""
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV6.sub(_redact_ipv6, text)
    text = _DASHED.sub(_redact_dashed, text)
    return _IPV4.sub(lambda match: REDACTED if _public(match.group()) else match.group(), text)


def redact_tokens(text: str, known: Iterable[str] = ()) -> str:
    """``text`` without the ``known`` token values, any value given as a token, or a token's owner."""
    for secret in known:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _TOKEN_VALUE.sub(lambda match: match.group(1) + REDACTED, text)
    return _TOKEN_OWNER.sub(lambda match: match.group(1) + REDACTED + match.group(2), text)
