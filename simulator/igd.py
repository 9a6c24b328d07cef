"""A UPnP Internet Gateway Device (v1 or v2): description, SCPD and SOAP control.

Read-only callers only: AddPortMapping, DeletePortMapping and SetDefaultConnectionService
are declared (as a real router does) but any call to them is recorded in ``writes`` and a
test fails on it.

Like a DSL router it can list a WANPPPConnection beside its WANIPConnection (on a second
WANConnectionDevice, or on the same one), and a Layer3Forwarding service naming the
default connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import itertools
from xml.etree.ElementTree import fromstring
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web

from .loopback import LoopbackServer

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PPP_SERVICE = "urn:schemas-upnp-org:service:WANPPPConnection:1"
LAYER3_SERVICE = "urn:schemas-upnp-org:service:Layer3Forwarding:1"


@dataclass
class Mapping:
    external_port: int
    internal_client: str
    internal_port: int = 32400
    protocol: str = "TCP"
    description: str = "Plex Media Server"
    enabled: bool = True
    lease: int = 0


@dataclass
class Subscription:
    """A GENA subscriber as the router keeps it, until ``expires`` (the event loop's clock, which tests move with Home Assistant's)."""

    callback: str
    service: str  # "IPConn", "PPPConn", "L3F"
    expires: float
    seq: int = 0


@dataclass(frozen=True)
class GenaRequest:
    """A SUBSCRIBE ("SUBSCRIBE" new, "RENEW" with a SID) or UNSUBSCRIBE the router answered."""

    method: str
    sid: str  # the SID granted or named ("" when refused before one existed)
    timeout: str | None  # the TIMEOUT header asked for
    status: int = 200


@dataclass
class Line:
    """One WAN connection service: its line and its port-mapping table."""

    external_ip: str = "203.0.113.2"
    connection_status: str = "Connected"  # or "Disconnected", "Connecting", ...
    # GetExternalIPAddress while not Connected: "" or "0.0.0.0" as most routers say, or
    # None for the address it had (miniupnpd with STUN keeps answering that one).
    down_ip: str | None = ""
    mappings: list[Mapping] = field(default_factory=list)
    # UPnP error code for GetListOfPortMappings (e.g. 606), forcing the v1 walk.
    list_error: int | None = None
    # UPnP error code for GetExternalIPAddress.
    external_ip_error: int | None = None
    # GetGenericPortMappingEntry: a UPnP error code answered at an index instead of the
    # entry (606 at 0: the table refused; 501 further on: a walk cut short).
    entry_errors: dict[int, int] = field(default_factory=dict)
    # Seconds an answer is held back, by action name, and by index for
    # GetGenericPortMappingEntry: longer than the caller's timeout makes it time out.
    delays: dict[str, float] = field(default_factory=dict)
    entry_delays: dict[int, float] = field(default_factory=dict)

    @property
    def answered_ip(self) -> str:
        if self.connection_status == "Connected" or self.down_ip is None:
            return self.external_ip
        return self.down_ip

    def clear_faults(self) -> None:
        """Answer every call again, at once: the fault knobs back to none."""
        self.list_error = self.external_ip_error = None
        self.entry_errors, self.delays, self.entry_delays = {}, {}, {}


@dataclass
class PppLine(Line):
    """A WANPPPConnection:1 (the dialled-in DSL line), with its own address and table."""

    external_ip: str = "198.51.100.20"
    # On the WANIPConnection's own WANConnectionDevice (Fritz!Box) instead of a second one.
    same_device: bool = False


@dataclass
class IgdState(Line):
    """What the fake router answers; its own line is the WANIPConnection's."""

    version: int = 2
    udn: str = "uuid:3b1f3f9e-5c43-4d46-9d1c-0a1b2c3d4e5f"
    ppp: PppLine | None = None
    # Layer3Forwarding's NewDefaultConnectionService (None: no Layer3Forwarding service),
    # and a UPnP error code it answers instead.
    default_connection: str | None = None
    default_connection_error: int | None = None
    # Answer SOAP with this body instead (malformed SOAP tests).
    raw_soap: str | None = None
    # Serve this text as the root description instead (malformed description tests).
    raw_description: str | None = None
    # HTTP status answering every SUBSCRIBE, renewals too (a router refusing events),
    # and how many renewals (a SUBSCRIBE with a SID) it refused so.
    subscribe_error: int | None = None
    refused_renewals: int = 0
    calls: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    # GENA: seconds granted to every SUBSCRIBE and renewal ("TIMEOUT: Second-N", whatever
    # was asked), and an HTTP status to refuse renewals with (412: the SID is unknown).
    event_timeout: int = 1800
    renewal_status: int | None = None

    def clear_faults(self) -> None:
        """Every line answers again, SOAP and subscriptions alike."""
        super().clear_faults()
        self.raw_soap = None
        self.default_connection_error = None
        self.subscribe_error = None
        if self.ppp is not None:
            self.ppp.clear_faults()

    @property
    def device_type(self) -> str:
        return f"urn:schemas-upnp-org:device:InternetGatewayDevice:{self.version}"

    @property
    def service_type(self) -> str:
        return f"urn:schemas-upnp-org:service:WANIPConnection:{self.version}"

    @property
    def ip_device_udn(self) -> str:
        return f"{self.udn}-wanconn"

    @property
    def ppp_device_udn(self) -> str:
        same = self.ppp is not None and self.ppp.same_device
        return self.ip_device_udn if same else f"{self.udn}-wanconn-ppp"


_ARGS: dict[str, list[tuple[str, str, str]]] = {
    "GetExternalIPAddress": [("NewExternalIPAddress", "out", "ExternalIPAddress")],
    "GetStatusInfo": [
        ("NewConnectionStatus", "out", "ConnectionStatus"),
        ("NewLastConnectionError", "out", "LastConnectionError"),
        ("NewUptime", "out", "Uptime"),
    ],
    "GetGenericPortMappingEntry": [
        ("NewPortMappingIndex", "in", "PortMappingNumberOfEntries"),
        ("NewRemoteHost", "out", "RemoteHost"),
        ("NewExternalPort", "out", "ExternalPort"),
        ("NewProtocol", "out", "PortMappingProtocol"),
        ("NewInternalPort", "out", "InternalPort"),
        ("NewInternalClient", "out", "InternalClient"),
        ("NewEnabled", "out", "PortMappingEnabled"),
        ("NewPortMappingDescription", "out", "PortMappingDescription"),
        ("NewLeaseDuration", "out", "PortMappingLeaseDuration"),
    ],
    "AddPortMapping": [
        ("NewRemoteHost", "in", "RemoteHost"),
        ("NewExternalPort", "in", "ExternalPort"),
        ("NewProtocol", "in", "PortMappingProtocol"),
        ("NewInternalPort", "in", "InternalPort"),
        ("NewInternalClient", "in", "InternalClient"),
        ("NewEnabled", "in", "PortMappingEnabled"),
        ("NewPortMappingDescription", "in", "PortMappingDescription"),
        ("NewLeaseDuration", "in", "PortMappingLeaseDuration"),
    ],
    "DeletePortMapping": [
        ("NewRemoteHost", "in", "RemoteHost"),
        ("NewExternalPort", "in", "ExternalPort"),
        ("NewProtocol", "in", "PortMappingProtocol"),
    ],
}
_V2_ARGS = {
    "GetListOfPortMappings": [
        ("NewStartPort", "in", "ExternalPort"),
        ("NewEndPort", "in", "ExternalPort"),
        ("NewProtocol", "in", "PortMappingProtocol"),
        ("NewManage", "in", "A_ARG_TYPE_Manage"),
        ("NewNumberOfPorts", "in", "PortMappingNumberOfEntries"),
        ("NewPortListing", "out", "A_ARG_TYPE_PortListing"),
    ],
}
_VARIABLES = {
    "ExternalIPAddress": "string",
    "ConnectionStatus": "string",
    "LastConnectionError": "string",
    "Uptime": "ui4",
    "PortMappingNumberOfEntries": "ui2",
    "RemoteHost": "string",
    "ExternalPort": "ui2",
    "PortMappingProtocol": "string",
    "InternalPort": "ui2",
    "InternalClient": "string",
    "PortMappingEnabled": "boolean",
    "PortMappingDescription": "string",
    "PortMappingLeaseDuration": "ui4",
    "A_ARG_TYPE_Manage": "boolean",
    "A_ARG_TYPE_PortListing": "string",
}
_LAYER3_ARGS = {
    "GetDefaultConnectionService": [("NewDefaultConnectionService", "out", "DefaultConnectionService")],
    "SetDefaultConnectionService": [("NewDefaultConnectionService", "in", "DefaultConnectionService")],
}
_LAYER3_VARIABLES = {"DefaultConnectionService": "string"}
_EVENTED = frozenset(
    {"ExternalIPAddress", "ConnectionStatus", "PortMappingNumberOfEntries", "DefaultConnectionService"}
)
_WRITES = frozenset({"AddPortMapping", "DeletePortMapping", "SetDefaultConnectionService"})
# The services by the name in their URLs: /<scpd>.xml, /ctl/<name>, /evt/<name>.
_SCPD = {"IPConn": "WANIPCn", "PPPConn": "WANPPPCn", "L3F": "L3F"}


class FakeIgd:
    """Serves /rootDesc.xml, /WANIPCn.xml and /ctl/IPConn like miniupnpd does (and PPP, L3F)."""

    def __init__(self, state: IgdState | None = None, port: int = 0) -> None:
        self.state = state or IgdState()
        app = web.Application()
        app.router.add_get("/rootDesc.xml", self._description)
        app.router.add_get("/{scpd}.xml", self._scpd)
        app.router.add_post("/ctl/{service}", self._control)
        app.router.add_route("SUBSCRIBE", "/evt/{service}", self._subscribe)
        app.router.add_route("UNSUBSCRIBE", "/evt/{service}", self._unsubscribe)
        self.server = LoopbackServer(app, port)
        # GENA subscribers by SID, and every GENA request in order.
        self.subscribers: dict[str, Subscription] = {}
        self.gena_requests: list[GenaRequest] = []
        self._sids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def description_url(self) -> str:
        return f"{self.server.url}/rootDesc.xml"

    async def start(self) -> FakeIgd:
        await self.server.start()
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.subscribers.clear()  # a router forgets its subscribers when it goes down
        await self.server.stop()

    async def restart(self, *, new_port: bool = False) -> None:
        """A reboot: every SID is forgotten (a renewal gets 412).

        Same port, or a new one as miniupnpd picks on each start unless configured.
        """
        await self.stop()
        if new_port:
            self.server.port = 0
        await self.start()

    async def events_delivered(self) -> None:
        """Wait until every initial event sent so far has been answered or given up on.

        Tests that jump the clock wait for this first: a jump past the sender's timeout
        while a NOTIFY is on its way makes the router drop that subscriber, which real
        time never does to a subscriber that answers within seconds.
        """
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def subscribed_to(self) -> list[str]:
        """The services subscribed to, by name ("IPConn", "PPPConn")."""
        return [entry.service for sid, entry in list(self.subscribers.items()) if self._live(sid)]

    def _live(self, sid: str) -> Subscription | None:
        """The subscription ``sid`` while its granted time lasts; a lapsed one is forgotten."""
        entry = self.subscribers.get(sid)
        if entry is not None and entry.expires <= asyncio.get_running_loop().time():
            del self.subscribers[sid]
            return None
        return entry

    def _line(self, name: str) -> Line | None:
        """The line behind service ``name``; HTTPNotFound when the router has no such service."""
        s = self.state
        if name == "IPConn":
            return s
        if name == "PPPConn" and s.ppp is not None:
            return s.ppp
        if name == "L3F" and s.default_connection is not None:
            return None
        raise web.HTTPNotFound

    async def _subscribe(self, request: web.Request) -> web.Response:
        name = request.match_info["service"]
        self._line(name)
        asked = request.headers.get("TIMEOUT")
        granted = {"TIMEOUT": f"Second-{self.state.event_timeout}"}
        sid = request.headers.get("SID")
        if self.state.subscribe_error is not None:
            if sid is not None:
                self.state.refused_renewals += 1
            return web.Response(status=self.state.subscribe_error)
        if sid is not None:  # renewal
            entry = self._live(sid)
            status = 412 if entry is None else self.state.renewal_status or 200
            self.gena_requests.append(GenaRequest("RENEW", sid, asked, status))
            if entry is None or status != 200:
                return web.Response(status=status)
            entry.expires = asyncio.get_running_loop().time() + self.state.event_timeout
            return web.Response(headers={"SID": sid, **granted})
        callback = request.headers.get("CALLBACK", "").strip("<>")
        if request.headers.get("NT") != "upnp:event" or not callback:
            self.gena_requests.append(GenaRequest("SUBSCRIBE", "", asked, 412))
            return web.Response(status=412)
        sid = f"uuid:fake-sid-{next(self._sids)}"
        self.subscribers[sid] = Subscription(
            callback, name, asyncio.get_running_loop().time() + self.state.event_timeout
        )
        self.gena_requests.append(GenaRequest("SUBSCRIBE", sid, asked))
        # The initial event follows the SUBSCRIBE response, as the UPnP spec asks (a
        # task runs after this handler has answered; no timer, so frozen test clocks work).
        task = asyncio.get_running_loop().create_task(self._send_initial(sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(headers={"SID": sid, **granted})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        sid = request.headers.get("SID", "")
        known = self.subscribers.pop(sid, None) is not None
        self.gena_requests.append(GenaRequest("UNSUBSCRIBE", sid, None, 200 if known else 412))
        return web.Response(status=200 if known else 412)

    async def _send_initial(self, sid: str) -> None:
        await asyncio.sleep(0)
        if (entry := self._live(sid)) is not None:
            line = self._line(entry.service)
            if line is None:
                initial = {"DefaultConnectionService": self.state.default_connection or ""}
            else:
                initial = {
                    "ExternalIPAddress": line.answered_ip or "0.0.0.0",  # noqa: S104 - UPnP's "no address"
                    "ConnectionStatus": line.connection_status,
                    "PortMappingNumberOfEntries": str(len(line.mappings)),
                }
            await self._notify_one(sid, initial)

    async def _notify_one(self, sid: str, variables: dict[str, str]) -> None:
        entry = self._live(sid)
        if entry is None:  # lapsed: a router stops sending when the granted time is over
            return
        seq, entry.seq = entry.seq, entry.seq + 1
        properties = "".join(
            f"<e:property><{name}>{escape(value)}</{name}></e:property>" for name, value in variables.items()
        )
        body = f'<?xml version="1.0"?><e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">{properties}</e:propertyset>'
        headers = {
            "NT": "upnp:event",
            "NTS": "upnp:propchange",
            "SID": sid,
            "SEQ": str(seq),
            "Content-Type": "text/xml",
        }
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.request("NOTIFY", entry.callback, data=body, headers=headers) as response,
            ):
                await response.read()
        except aiohttp.ClientError, TimeoutError:
            # Like a real router: a subscriber that cannot be reached is dropped.
            self.subscribers.pop(sid, None)

    async def announce(self, **variables: str) -> int:
        """Send an event with these state variables to every live subscriber; return how many."""
        for sid in list(self.subscribers):
            await self._notify_one(sid, variables)
        return len(self.subscribers)  # the lapsed and the unreachable were dropped on the way

    async def renumber_wan(self, new_ip: str) -> int:
        """A WAN renumbering as miniupnpd events it: Disconnected, then Connected with the new IP."""
        self.state.external_ip = new_ip
        await self.announce(ConnectionStatus="Disconnected")
        return await self.announce(ConnectionStatus="Connected", ExternalIPAddress=new_ip)

    async def _description(self, request: web.Request) -> web.Response:
        s = self.state
        if s.raw_description is not None:
            return web.Response(text=s.raw_description, content_type="text/xml")
        v = s.version
        ip = _service_xml(s.service_type, "WANIPConn1", "IPConn")
        ppp = "" if s.ppp is None else _service_xml(PPP_SERVICE, "WANPPPConn1", "PPPConn")
        layer3 = "" if s.default_connection is None else _service_xml(LAYER3_SERVICE, "L3Forwarding1", "L3F")
        connection_devices = _device_xml(
            f"WANConnectionDevice:{v}", s.ip_device_udn, ip + ppp if s.ppp and s.ppp.same_device else ip
        )
        if s.ppp is not None and not s.ppp.same_device:
            connection_devices += _device_xml(f"WANConnectionDevice:{v}", s.ppp_device_udn, ppp)
        wan_device = _device_xml(f"WANDevice:{v}", f"{s.udn}-wan", "", connection_devices)
        body = f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>1</minor></specVersion>
<device>
<deviceType>{s.device_type}</deviceType>
<friendlyName>Fake Router</friendlyName>
<manufacturer>Plex Remote Doctor tests</manufacturer>
<modelName>FakeIGD</modelName>
<UDN>{s.udn}</UDN>
<serviceList>{layer3}</serviceList>
<deviceList>{wan_device}</deviceList>
</device>
</root>"""
        return web.Response(text=body, content_type="text/xml")

    def _actions(self) -> dict[str, list[tuple[str, str, str]]]:
        return _ARGS | (_V2_ARGS if self.state.version >= 2 else {})

    def _service(self, name: str) -> tuple[str, Line | None, dict[str, list[tuple[str, str, str]]]]:
        """Service ``name``'s type, line and actions; HTTPNotFound when the router has none."""
        line = self._line(name)
        if line is None:
            return LAYER3_SERVICE, None, _LAYER3_ARGS
        if isinstance(line, PppLine):
            return PPP_SERVICE, line, _ARGS  # WANPPPConnection has no v2
        return self.state.service_type, line, self._actions()

    async def _scpd(self, request: web.Request) -> web.Response:
        names = {scpd: name for name, scpd in _SCPD.items()}
        service = names.get(request.match_info["scpd"])
        if service is None:
            raise web.HTTPNotFound
        _, line, service_actions = self._service(service)
        actions = "".join(
            f"<action><name>{name}</name><argumentList>"
            + "".join(
                f"<argument><name>{arg}</name><direction>{direction}</direction>"
                f"<relatedStateVariable>{variable}</relatedStateVariable></argument>"
                for arg, direction, variable in args
            )
            + "</argumentList></action>"
            for name, args in service_actions.items()
        )
        variables = "".join(
            f'<stateVariable sendEvents="{"yes" if name in _EVENTED else "no"}"><name>{name}</name>'
            f"<dataType>{data_type}</dataType></stateVariable>"
            for name, data_type in (_LAYER3_VARIABLES if line is None else _VARIABLES).items()
        )
        body = (
            '<?xml version="1.0"?><scpd xmlns="urn:schemas-upnp-org:service-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            f"<actionList>{actions}</actionList><serviceStateTable>{variables}</serviceStateTable></scpd>"
        )
        return web.Response(text=body, content_type="text/xml")

    def _fault(self, code: int, description: str) -> web.Response:
        body = (
            f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
            "<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
            f'<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode>'
            f"<errorDescription>{description}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>"
        )
        return web.Response(status=500, text=body, content_type="text/xml")

    def _reply(self, action: str, values: dict[str, str], service_type: str | None = None) -> web.Response:
        if self.state.raw_soap is not None:
            return web.Response(text=self.state.raw_soap, content_type="text/xml")
        args = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in values.items())
        body = (
            f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
            f'<s:Body><u:{action}Response xmlns:u="{service_type or self.state.service_type}">{args}</u:{action}Response></s:Body></s:Envelope>'
        )
        return web.Response(text=body, content_type="text/xml")

    async def _control(self, request: web.Request) -> web.Response:
        soap_action = request.headers.get("SOAPAction", "").strip('"')
        action = soap_action.rpartition("#")[2]
        service_type, line, actions = self._service(request.match_info["service"])
        self.state.calls.append(action)
        if action in _WRITES:
            self.state.writes.append(action)
            return self._reply(action, {}, service_type)
        if action not in actions:
            return self._fault(401, "Invalid Action")
        arguments = {
            child.tag: child.text or ""
            for body in fromstring(await request.read()).iter()  # noqa: S314 - the client under test is the only caller
            if body.tag.endswith(action)
            for child in body
        }
        if line is None:  # Layer3Forwarding: GetDefaultConnectionService
            if self.state.default_connection_error is not None:
                return self._fault(self.state.default_connection_error, "ActionFailed")
            answer = self.state.default_connection or ""
            return self._reply(action, {"NewDefaultConnectionService": answer}, service_type)
        s = line
        index = int(arguments.get("NewPortMappingIndex", "0"))
        walking = action == "GetGenericPortMappingEntry"
        if delay := (s.entry_delays.get(index, 0.0) if walking else s.delays.get(action, 0.0)):
            await asyncio.sleep(delay)
        if action == "GetExternalIPAddress":
            if s.external_ip_error is not None:
                return self._fault(s.external_ip_error, "ActionFailed")
            return self._reply(action, {"NewExternalIPAddress": s.answered_ip}, service_type)
        if action == "GetStatusInfo":
            return self._reply(
                action,
                {
                    "NewConnectionStatus": s.connection_status,
                    "NewLastConnectionError": "ERROR_NONE",
                    "NewUptime": "1234",
                },
                service_type,
            )
        if walking:
            if (code := s.entry_errors.get(index)) is not None:
                return self._fault(code, "ActionFailed")
            if index >= len(s.mappings):
                return self._fault(713, "SpecifiedArrayIndexInvalid")
            m = s.mappings[index]
            return self._reply(
                action,
                {
                    "NewRemoteHost": "",
                    "NewExternalPort": str(m.external_port),
                    "NewProtocol": m.protocol,
                    "NewInternalPort": str(m.internal_port),
                    "NewInternalClient": m.internal_client,
                    "NewEnabled": "1" if m.enabled else "0",
                    "NewPortMappingDescription": m.description,
                    "NewLeaseDuration": str(m.lease),
                },
                service_type,
            )
        # GetListOfPortMappings
        if s.list_error is not None:
            return self._fault(s.list_error, "ActionNotAuthorized")
        start, end = int(arguments.get("NewStartPort", "0")), int(arguments.get("NewEndPort", "65535"))
        protocol = arguments.get("NewProtocol", "TCP")
        selected = [m for m in s.mappings if start <= m.external_port <= end and m.protocol == protocol]
        if not selected:
            return self._fault(730, "PortMappingNotFound")
        entries = "".join(
            "<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost>"
            f"<p:NewExternalPort>{m.external_port}</p:NewExternalPort><p:NewProtocol>{m.protocol}</p:NewProtocol>"
            f"<p:NewInternalPort>{m.internal_port}</p:NewInternalPort><p:NewInternalClient>{m.internal_client}</p:NewInternalClient>"
            f"<p:NewEnabled>{int(m.enabled)}</p:NewEnabled><p:NewDescription>{escape(m.description)}</p:NewDescription>"
            f"<p:NewLeaseTime>{m.lease}</p:NewLeaseTime></p:PortMappingEntry>"
            for m in selected
        )
        listing = f'<?xml version="1.0" encoding="UTF-8"?><p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection">{entries}</p:PortMappingList>'
        return self._reply(action, {"NewPortListing": listing}, service_type)


def _service_xml(service_type: str, service_id: str, name: str) -> str:
    return (
        f"<service><serviceType>{service_type}</serviceType>"
        f"<serviceId>urn:upnp-org:serviceId:{service_id}</serviceId><SCPDURL>/{_SCPD[name]}.xml</SCPDURL>"
        f"<controlURL>/ctl/{name}</controlURL><eventSubURL>/evt/{name}</eventSubURL></service>"
    )


def _device_xml(device_type: str, udn: str, services: str, devices: str = "") -> str:
    name = device_type.partition(":")[0]
    return (
        f"<device><deviceType>urn:schemas-upnp-org:device:{device_type}</deviceType>"
        f"<friendlyName>{name}</friendlyName><manufacturer>Plex Remote Doctor tests</manufacturer>"
        f"<modelName>{name}</modelName><UDN>{udn}</UDN>"
        f"<serviceList>{services}</serviceList><deviceList>{devices}</deviceList></device>"
    )
