"""Typed evidence: what each probe measured, parsed at the boundary.

``None`` always means "not measured" (a probe failed, the value was absent, or Plex
said ``unknown``). Rules that need a value that is ``None`` do not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address

from .errors import DoctorAuthenticationError, DoctorConnectionError, DoctorError, DoctorGoneError
from .network import parse_ipv4

PLEX_DEFAULT_PORT = 32400


class MappingState(StrEnum):
    """Plex's ``mappingState``; Plex's own ``unknown`` is kept as ``None``."""

    MAPPED = "mapped"
    WAITING = "waiting"
    FAILED = "failed"


class SignInState(StrEnum):
    """Plex's ``signInState``."""

    OK = "ok"
    NONE = "none"
    INVALID = "invalid"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexIdentity:
    """``GET /identity``."""

    machine_identifier: str
    version: str | None = None
    claimed: bool | None = None
    friendly_name: str | None = None  # only in the root document, which needs the token


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexAccount:
    """``GET /myplex/account``: Plex's own view of its remote access."""

    sign_in_state: SignInState | None = None
    mapping_state: MappingState | None = None
    # Empty text from Plex is kept as None: "no error".
    mapping_error: str | None = None
    mapping_error_message: str | None = None
    public_address: IPv4Address | None = None
    public_port: int | None = None
    private_address: IPv4Address | None = None
    private_port: int | None = None
    username: str | None = None
    subscription_active: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexPrefs:
    """The remote-access settings from ``GET /:/prefs``."""

    publish_server: bool | None = None  # PublishServerOnPlexOnlineKey
    manual_port_mapping: bool | None = None  # ManualPortMappingMode
    manual_port: int | None = None  # ManualPortMappingPort
    last_automatic_mapped_port: int | None = None  # LastAutomaticMappedPort
    relay_enabled: bool | None = None  # RelayEnabled
    custom_connections: tuple[str, ...] = ()  # customConnections


@dataclass(frozen=True, slots=True, kw_only=True)
class PortMapping:
    """One entry of the router's UPnP port-mapping table."""

    external_port: int
    protocol: str
    internal_client: str
    internal_port: int
    enabled: bool = True
    description: str = ""
    lease_duration: int = 0
    remote_host: str = ""

    @property
    def internal_address(self) -> IPv4Address | None:
        """The target as an IPv4 address, when it is one."""
        return parse_ipv4(self.internal_client)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterState:
    """What the UPnP IGD answered. Present only when the router was read."""

    # None when the router answered with an empty or 0.0.0.0 external IP, which stock
    # miniupnpd does for private and CGNAT WAN addresses, and while the WAN is down.
    wan_ip: IPv4Address | None
    # GetStatusInfo's NewConnectionStatus of the service read ("Connected", ...).
    connection_status: str | None = None
    # None when the table could not be read (the router refused or broke mid-walk).
    port_mappings: tuple[PortMapping, ...] | None = None
    # Which WAN service was read, e.g. "WANPPPConnection:1" (a DSL router often lists an
    # idle WANIPConnection beside the PPP one that carries traffic), and how it was chosen.
    service: str | None = None
    service_choice: str | None = None  # "default" (Layer3Forwarding), "connected", "first"

    @property
    def connected(self) -> bool | None:
        """Whether the WAN service that carries traffic says ``Connected``."""
        if self.connection_status is None:
            return None
        return self.connection_status == CONNECTED


CONNECTED = "Connected"


class CustomUrlResult(StrEnum):
    """What a ``customConnections`` URL's ``/identity`` answered (no token is sent there)."""

    ANSWERS = "answers"  # this server's machineIdentifier
    OTHER_SERVER = "other_server"  # another Plex server's identifier
    HTTP_ERROR = "http_error"  # an HTTP error, or an answer that is not Plex
    NAME_UNRESOLVED = "name_unresolved"
    TLS_EXPIRED = "tls_expired"
    TLS_INVALID = "tls_invalid"  # any other certificate problem (name, issuer, self-signed)
    # Not definite: the router may not hairpin, or the proxy may be starting.
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"

    @property
    def definite(self) -> bool:
        """Whether this answer proves the URL does not lead to this server."""
        return self not in (CustomUrlResult.ANSWERS, CustomUrlResult.TIMEOUT, CustomUrlResult.UNREACHABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomUrlCheck:
    """One ``customConnections`` URL and what its ``/identity`` answered."""

    url: str
    result: CustomUrlResult
    detail: str = ""  # e.g. "HTTP 502", the certificate's problem


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexTvConnection:
    """One way plex.tv offers to reach the server."""

    uri: str
    address: str
    port: int | None
    local: bool
    relay: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexTvResource:
    """The server's entry in the account's plex.tv resources."""

    client_identifier: str
    name: str | None = None
    presence: bool | None = None
    public_address: IPv4Address | None = None
    public_address_matches: bool | None = None
    relay: bool | None = None
    connections: tuple[PlexTvConnection, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexTvView:
    """What plex.tv says about the server; ``resource`` None = not listed."""

    resource: PlexTvResource | None


class Cause(StrEnum):
    """Why a probe gave no evidence."""

    UNREACHABLE = "unreachable"  # refused, reset, timed out, HTTP error
    # The address itself did not answer (the router's description URL): look for the peer
    # elsewhere. A call timing out at an address that answers is UNREACHABLE, not this.
    GONE = "gone"
    REFUSED = "refused"  # the token was refused
    INVALID = "invalid"  # an answer that is not what the protocol promises


@dataclass(frozen=True, slots=True)
class Missing:
    """A probe's reason for giving no evidence on this check."""

    reason: str
    cause: Cause

    @classmethod
    def of(cls, err: DoctorError) -> Missing:
        """The reason a typed probe error stands for."""
        if isinstance(err, DoctorAuthenticationError):
            return cls(str(err), Cause.REFUSED)
        if isinstance(err, DoctorGoneError):
            return cls(str(err), Cause.GONE)
        if isinstance(err, DoctorConnectionError):
            return cls(str(err), Cause.UNREACHABLE)
        return cls(str(err), Cause.INVALID)


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Everything one check measured."""

    # The host part of the configured server URL (an IP address or a name).
    server_url_host: str | None = None
    server_url_port: int | None = None
    # The URL's host as an IPv4 address: the IP itself, the IP inside a plex.direct name,
    # or the name resolved; in Docker bridge mode this is the host a forward targets.
    server_url_address: IPv4Address | None = None
    # The router's own LAN address (the host of its description URL).
    router_address: IPv4Address | None = None
    # None = not tried; False = the server did not answer on its LAN URL.
    server_reachable: bool | None = None
    account: PlexAccount | None = None
    prefs: PlexPrefs | None = None
    router: RouterState | None = None
    public_ip: IPv4Address | None = None
    plex_tv: PlexTvView | None = None
    # The customConnections URLs probed this check; None when Plex lists none or the
    # prefs could not be read.
    custom_urls: tuple[CustomUrlCheck, ...] | None = None
    # Why a probe gave no evidence, by probe name, for logs and diagnostics.
    missing: Mapping[str, Missing] = field(default_factory=dict)
