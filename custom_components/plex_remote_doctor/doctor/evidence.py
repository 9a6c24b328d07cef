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
    plex_pass: bool | None = None  # the root document's myPlexSubscription


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
    # "Active", "Inactive", "Lapsed"...: some servers leave subscriptionActive empty.
    subscription_state: str | None = None

    @property
    def plex_pass(self) -> bool | None:
        """Whether the owner's Plex Pass is active, as the server knows it."""
        if self.subscription_active is not None:
            return self.subscription_active
        if self.subscription_state is None:
            return None
        return self.subscription_state.lower() == "active"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexPrefs:
    """The remote-access settings from ``GET /:/prefs``."""

    publish_server: bool | None = None  # PublishServerOnPlexOnlineKey
    manual_port_mapping: bool | None = None  # ManualPortMappingMode
    manual_port: int | None = None  # ManualPortMappingPort
    last_automatic_mapped_port: int | None = None  # LastAutomaticMappedPort
    relay_enabled: bool | None = None  # RelayEnabled
    ipv6_enabled: bool | None = None  # EnableIPv6
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
    ipv6: bool = False

    @property
    def direct_remote(self) -> bool:
        """A way in from the internet that is not the relay: where apps are sent."""
        return not self.local and not self.relay


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


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexSession:
    """One stream in ``GET /status/sessions``: who plays, from where, through what."""

    player_address: str | None = None
    # Player.local: Plex counts the player as on the LAN (None: Plex did not say).
    local: bool | None = None
    # Player.relayed: the stream goes through Plex Relay (capped at 1-2 Mbps).
    relayed: bool | None = None
    state: str | None = None  # playing, paused, buffering
    location: str | None = None  # Session.location: lan or wan

    @property
    def remote(self) -> bool:
        """Played outside the LAN, in Plex's own terms."""
        if self.local is not None:
            return not self.local
        return self.location == "wan"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexStreams:
    """The streams playing now."""

    sessions: tuple[PlexSession, ...] = ()

    @property
    def remote(self) -> int:
        """Streams to players outside the LAN."""
        return sum(1 for session in self.sessions if session.remote)

    @property
    def relayed(self) -> int:
        """Of the remote streams, those through Plex Relay."""
        return sum(1 for session in self.sessions if session.remote and session.relayed)


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
    # Whether the owner has an active Plex Pass: the server's account, else its root
    # document, else plex.tv's user (which of them said it: plex_pass_source).
    plex_pass: bool | None = None
    plex_pass_source: str | None = None
    streams: PlexStreams | None = None
    # Seconds since each shared service (public_ip, plex_tv) was last read: they are asked
    # at most every few minutes, so one check may carry an earlier reading.
    shared_ages: Mapping[str, float] = field(default_factory=dict)
    # False while plex.tv's view may predate what Plex publishes after a local change
    # (a new WAN IP, a new mapping): rules that blame plex.tv's data wait for a later view.
    plex_tv_settled: bool = True
    # Why a probe gave no evidence, by probe name, for logs and diagnostics.
    missing: Mapping[str, Missing] = field(default_factory=dict)
