"""Test certificates made on the fly, and the TLS contexts that serve or trust them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
import datetime
import ipaddress
from pathlib import Path
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(folder: Path, *, host: str = "127.0.0.1", expired: bool = False) -> Path:
    """Write a self-signed certificate for ``host`` and its key; return the certificate's path.

    ``expired`` makes one that lapsed yesterday: only a client that trusts it reports
    the expiry, any other stops at "self-signed" first.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = x509.DNSName(host)
    now = datetime.datetime.now(datetime.UTC)
    not_after = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=2))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([subject]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem"


def serving(certificate: Path) -> ssl.SSLContext:
    """A server's context presenting ``certificate`` (its key lies beside it)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, certificate.with_name("key.pem"))
    return context


def trusting(certificate: Path) -> ssl.SSLContext:
    """A client's context that verifies as usual but trusts ``certificate`` as its only root."""
    return ssl.create_default_context(cafile=certificate)


@contextmanager
def refused_handshakes_expected() -> Iterator[None]:
    """The server's side of a handshake the client refuses ends in a reset: not a bug here."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def ignore_refused_handshake(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        if not isinstance(context.get("exception"), (ConnectionResetError, ssl.SSLError)):
            loop.default_exception_handler(context)

    loop.set_exception_handler(ignore_refused_handshake)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)
