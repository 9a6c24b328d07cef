"""Safe decoding of response bodies: JSON or XML, sniffed, never trusted.

Plex answers XML unless asked for JSON, and some versions ignore the request; the
first significant byte tells which one came. XML goes through defusedxml, which
refuses entity expansion and external entities.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from .errors import DoctorResponseError

type Document = Element | dict[str, Any] | list[Any]


def decode(body: bytes, what: str) -> Document:
    """Decode a JSON or XML body; raise DoctorResponseError when it is neither."""
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return decode_json(text, what)
    if text[:1] == b"<":
        return decode_xml(text, what)
    raise DoctorResponseError(f"{what}: neither JSON nor XML")


def decode_json(body: bytes, what: str) -> dict[str, Any] | list[Any]:
    """Decode JSON whose top level is an object or a list."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise DoctorResponseError(f"{what}: malformed JSON ({type(err).__name__})") from None
    if not isinstance(document, (dict, list)):
        raise DoctorResponseError(f"{what}: JSON is not an object")
    return document


def decode_xml(body: bytes, what: str) -> Element:
    """Parse XML with entity expansion and external entities refused."""
    try:
        root: Element = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as err:
        raise DoctorResponseError(f"{what}: malformed or unsafe XML ({type(err).__name__})") from None
    return root


def local_name(element: Element) -> str:
    """The tag without its namespace."""
    return element.tag.rpartition("}")[2]


def as_bool(value: object) -> bool | None:
    """Plex booleans: 1/0, true/false (any case), or real booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {1: True, 0: False}.get(value)
    if isinstance(value, str):
        return {"1": True, "true": True, "0": False, "false": False}.get(value.strip().lower())
    return None


def as_port(value: object) -> int | None:
    """A TCP/UDP port from text or a number; 0 and junk are None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
    if not isinstance(value, (int, str)):
        return None
    try:
        port = int(value)
    except ValueError:
        return None
    return port if 0 < port < 65536 else None


def as_text(value: object) -> str | None:
    """Text, with empty text and non-text as None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None
