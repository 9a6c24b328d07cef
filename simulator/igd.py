"""A UPnP Internet Gateway Device (v1 or v2): description, SCPD and SOAP control.

Read-only callers only: AddPortMapping and DeletePortMapping are declared (as a real
router does) but any call to them is recorded in ``writes`` and a test fails on it.
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
class IgdState:
    """What the fake router answers."""

    version: int = 2
    udn: str = "uuid:3b1f3f9e-5c43-4d46-9d1c-0a1b2c3d4e5f"
    external_ip: str = "203.0.113.2"
    connection_status: str = "Connected"
    mappings: list[Mapping] = field(default_factory=list)
    # UPnP error code for GetListOfPortMappings (e.g. 606), forcing the v1 walk.
    list_error: int | None = None
    # UPnP error code for GetExternalIPAddress.
    external_ip_error: int | None = None
    # Answer SOAP with this body instead (malformed SOAP tests).
    raw_soap: str | None = None
    # Serve this text as the root description instead (malformed description tests).
    raw_description: str | None = None
    calls: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)

    @property
    def device_type(self) -> str:
        return f"urn:schemas-upnp-org:device:InternetGatewayDevice:{self.version}"

    @property
    def service_type(self) -> str:
        return f"urn:schemas-upnp-org:service:WANIPConnection:{self.version}"


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
_EVENTED = frozenset({"ExternalIPAddress", "ConnectionStatus", "PortMappingNumberOfEntries"})
_WRITES = frozenset({"AddPortMapping", "DeletePortMapping"})


class FakeIgd:
    """Serves /rootDesc.xml, /WANIPCn.xml and /ctl/IPConn like miniupnpd does."""

    def __init__(self, state: IgdState | None = None, port: int = 0) -> None:
        self.state = state or IgdState()
        app = web.Application()
        app.router.add_get("/rootDesc.xml", self._description)
        app.router.add_get("/WANIPCn.xml", self._scpd)
        app.router.add_post("/ctl/IPConn", self._control)
        app.router.add_route("SUBSCRIBE", "/evt/IPConn", self._subscribe)
        app.router.add_route("UNSUBSCRIBE", "/evt/IPConn", self._unsubscribe)
        self.server = LoopbackServer(app, port)
        # GENA subscribers: SID -> (callback URL, next SEQ)
        self.subscribers: dict[str, list[str | int]] = {}
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
        self.subscribers.clear()
        await self.server.stop()

    async def _subscribe(self, request: web.Request) -> web.Response:
        sid = request.headers.get("SID")
        if sid is not None:  # renewal
            if sid not in self.subscribers:
                return web.Response(status=412)
            return web.Response(headers={"SID": sid, "TIMEOUT": "Second-1800"})
        callback = request.headers.get("CALLBACK", "").strip("<>")
        if request.headers.get("NT") != "upnp:event" or not callback:
            return web.Response(status=412)
        sid = f"uuid:fake-sid-{next(self._sids)}"
        self.subscribers[sid] = [callback, 0]
        # The initial event follows the SUBSCRIBE response, as the UPnP spec asks.
        task = asyncio.get_running_loop().create_task(self._send_initial(sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(headers={"SID": sid, "TIMEOUT": "Second-1800"})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        self.subscribers.pop(request.headers.get("SID", ""), None)
        return web.Response()

    async def _send_initial(self, sid: str) -> None:
        await asyncio.sleep(0.01)
        if sid in self.subscribers:
            await self._notify_one(sid, self._evented())

    def _evented(self) -> dict[str, str]:
        s = self.state
        return {
            "ExternalIPAddress": s.external_ip or "0.0.0.0",  # noqa: S104 - UPnP's "no address", not a bind
            "ConnectionStatus": s.connection_status,
            "PortMappingNumberOfEntries": str(len(s.mappings)),
        }

    async def _notify_one(self, sid: str, variables: dict[str, str]) -> None:
        callback, seq = self.subscribers[sid]
        self.subscribers[sid][1] = int(seq) + 1
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
                session.request("NOTIFY", str(callback), data=body, headers=headers) as response,
            ):
                await response.read()
        except aiohttp.ClientError, TimeoutError:
            # Like a real router: a subscriber that cannot be reached is dropped.
            self.subscribers.pop(sid, None)

    async def announce(self, **variables: str) -> int:
        """Send an event with these state variables to every subscriber; return how many."""
        for sid in list(self.subscribers):
            await self._notify_one(sid, variables)
        return len(self.subscribers)

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
        body = f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>1</minor></specVersion>
<device>
<deviceType>{s.device_type}</deviceType>
<friendlyName>Fake Router</friendlyName>
<manufacturer>Plex Remote Doctor tests</manufacturer>
<modelName>FakeIGD</modelName>
<UDN>{s.udn}</UDN>
<serviceList></serviceList>
<deviceList>
<device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:{v}</deviceType>
<friendlyName>WANDevice</friendlyName>
<manufacturer>Plex Remote Doctor tests</manufacturer>
<modelName>WAN Device</modelName>
<UDN>{s.udn}-wan</UDN>
<serviceList></serviceList>
<deviceList>
<device>
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:{v}</deviceType>
<friendlyName>WANConnectionDevice</friendlyName>
<manufacturer>Plex Remote Doctor tests</manufacturer>
<modelName>WAN Connection Device</modelName>
<UDN>{s.udn}-wanconn</UDN>
<serviceList>
<service>
<serviceType>{s.service_type}</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<SCPDURL>/WANIPCn.xml</SCPDURL>
<controlURL>/ctl/IPConn</controlURL>
<eventSubURL>/evt/IPConn</eventSubURL>
</service>
</serviceList>
</device>
</deviceList>
</device>
</deviceList>
</device>
</root>"""
        return web.Response(text=body, content_type="text/xml")

    def _actions(self) -> dict[str, list[tuple[str, str, str]]]:
        return _ARGS | (_V2_ARGS if self.state.version >= 2 else {})

    async def _scpd(self, request: web.Request) -> web.Response:
        actions = "".join(
            f"<action><name>{name}</name><argumentList>"
            + "".join(
                f"<argument><name>{arg}</name><direction>{direction}</direction>"
                f"<relatedStateVariable>{variable}</relatedStateVariable></argument>"
                for arg, direction, variable in args
            )
            + "</argumentList></action>"
            for name, args in self._actions().items()
        )
        variables = "".join(
            f'<stateVariable sendEvents="{"yes" if name in _EVENTED else "no"}"><name>{name}</name>'
            f"<dataType>{data_type}</dataType></stateVariable>"
            for name, data_type in _VARIABLES.items()
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

    def _reply(self, action: str, values: dict[str, str]) -> web.Response:
        if self.state.raw_soap is not None:
            return web.Response(text=self.state.raw_soap, content_type="text/xml")
        args = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in values.items())
        body = (
            f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
            f'<s:Body><u:{action}Response xmlns:u="{self.state.service_type}">{args}</u:{action}Response></s:Body></s:Envelope>'
        )
        return web.Response(text=body, content_type="text/xml")

    async def _control(self, request: web.Request) -> web.Response:
        soap_action = request.headers.get("SOAPAction", "").strip('"')
        action = soap_action.rpartition("#")[2]
        self.state.calls.append(action)
        if action in _WRITES:
            self.state.writes.append(action)
            return self._reply(action, {})
        if action not in self._actions():
            return self._fault(401, "Invalid Action")
        arguments = {
            child.tag: child.text or ""
            for body in fromstring(await request.read()).iter()  # noqa: S314 - the client under test is the only caller
            if body.tag.endswith(action)
            for child in body
        }
        s = self.state
        if action == "GetExternalIPAddress":
            if s.external_ip_error is not None:
                return self._fault(s.external_ip_error, "ActionFailed")
            return self._reply(action, {"NewExternalIPAddress": s.external_ip})
        if action == "GetStatusInfo":
            return self._reply(
                action,
                {
                    "NewConnectionStatus": s.connection_status,
                    "NewLastConnectionError": "ERROR_NONE",
                    "NewUptime": "1234",
                },
            )
        if action == "GetGenericPortMappingEntry":
            index = int(arguments.get("NewPortMappingIndex", "0"))
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
        return self._reply(action, {"NewPortListing": listing})
