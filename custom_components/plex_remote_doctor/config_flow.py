"""Set up a Plex server (URL and token), then its router (SSDP, by hand, or none)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from homeassistant.components import ssdp
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_SCAN_INTERVAL, CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
from yarl import URL

from .compat import vol
from .const import (
    CONF_CONFIRM_CHECKS,
    CONF_PLEX_TV_URL,
    CONF_PUBLIC_IP_URL,
    CONF_ROUTER_UDN,
    CONF_ROUTER_URL,
    DEFAULT_CONFIRM_CHECKS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_CONFIRM_CHECKS,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .doctor.errors import DoctorAuthenticationError, DoctorConnectionError, DoctorError
from .doctor.evidence import PlexIdentity
from .doctor.plex import PlexServer
from .doctor.plex_tv import (
    DEFAULT_PLEX_TV_URL,
    PlexPin,
    PlexTv,
    PlexTvSignIn,
    find_server_url,
    sign_in_url,
)
from .doctor.router import IGD_DEVICE_TYPES, RouterInfo, describe
from .listeners import async_router_moved

# Home Assistant's own Plex integration keeps its server's URL and token here.
HA_PLEX_DOMAIN = "plex"
HA_PLEX_SERVER_CONFIG = "server_config"
# A PIN lives 15 minutes on plex.tv; the flow waits 5 of them, polling every 2 s.
PIN_TIMEOUT_SECONDS = 300.0
PIN_POLL_SECONDS = 2.0

CONF_ROUTER = "router"
SECTION_ADVANCED = "advanced"
ROUTER_MANUAL = "manual"
ROUTER_NONE = "none"

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


async def _validate_server(hass: HomeAssistant, url: str, token: str, verify_ssl: bool) -> PlexIdentity:
    """Prove the URL and the token; return who the server is."""
    plex = PlexServer(url, token, async_get_clientsession(hass), verify_ssl=verify_ssl)
    identity = await plex.server_info()
    await plex.account()  # the endpoint every check reads must accept the token too
    return identity


def _server_errors(err: DoctorError) -> dict[str, str]:
    if isinstance(err, DoctorAuthenticationError):
        return {"base": "invalid_auth"}
    LOGGER.debug("Plex server check failed: %s", err)
    return {"base": "cannot_connect"}


def _router_errors(err: DoctorError) -> dict[str, str]:
    LOGGER.debug("Router check failed: %s", err)
    if isinstance(err, DoctorConnectionError):
        return {CONF_ROUTER_URL: "cannot_connect"}
    return {CONF_ROUTER_URL: "not_igd"}


def _valid_url(value: str) -> bool:
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


class PlexRemoteDoctorConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Plex server to the doctor."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._server: dict[str, Any] = {}
        self._options: dict[str, Any] = {}
        self._title = ""
        self._discovered_router: SsdpServiceInfo | None = None
        self._pin_task: asyncio.Task[str | None] | None = None
        self._sign_in_url = ""
        self._account_token: str | None = None
        # Set once the flow manager removed this flow (finished, aborted, or closed by the user).
        self._removed = False

    @callback
    def async_remove(self) -> None:
        """The flow ended in any way (finished, aborted, closed by the user): stop the PIN poll.

        Home Assistant also cancels the progress task it was handed; a step still waiting
        for plex.tv to create the PIN learns here that it must not start one.
        """
        self._removed = True
        if self._pin_task is not None:
            self._pin_task.cancel()

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> PlexRemoteDoctorOptionsFlow:
        """The options flow."""
        return PlexRemoteDoctorOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """How to find the server: Home Assistant's Plex integration, plex.tv sign-in, or by hand."""
        options = ["plex_sign_in", "manual"]
        if self._home_assistant_plex_servers():
            options.insert(0, "plex_integration")
        return self.async_show_menu(step_id="user", menu_options=options)

    async def _use_server(
        self, url: str, token: str, verify_ssl: bool, plex_tv_url: str | None = None
    ) -> dict[str, str]:
        """Validate a server and make it this flow's; the form's errors when it fails."""
        try:
            identity = await _validate_server(self.hass, url, token, verify_ssl)
        except DoctorError as err:
            return _server_errors(err)
        await self.async_set_unique_id(identity.machine_identifier, raise_on_progress=False)
        self._server = {CONF_URL: url, CONF_TOKEN: token, CONF_VERIFY_SSL: verify_ssl}
        if plex_tv_url:
            self._server[CONF_PLEX_TV_URL] = plex_tv_url.rstrip("/")
        self._abort_if_unique_id_configured(updates=self._server)
        self._title = identity.friendly_name or URL(url).host or url
        return {}

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server's URL and its owner's token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_URL].strip().rstrip("/")
            advanced = user_input.get(SECTION_ADVANCED, {})
            plex_tv_url = (advanced.get(CONF_PLEX_TV_URL) or "").strip()
            public_ip_url = (advanced.get(CONF_PUBLIC_IP_URL) or "").strip()
            if not _valid_url(url):
                errors[CONF_URL] = "invalid_url"
            elif any(value and not _valid_url(value) for value in (plex_tv_url, public_ip_url)):
                errors[SECTION_ADVANCED] = "invalid_url"
            else:
                if public_ip_url:
                    self._options[CONF_PUBLIC_IP_URL] = public_ip_url
                errors = await self._use_server(
                    url, user_input[CONF_TOKEN], user_input[CONF_VERIFY_SSL], plex_tv_url
                )
                if not errors:
                    return await self.async_step_router()
        defaults = user_input or {}
        return self.async_show_form(
            step_id="manual",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_URL, default=defaults.get(CONF_URL, "http://")): URL_TEXT,
                    vol.Required(CONF_TOKEN): PASSWORD,
                    vol.Required(
                        CONF_VERIFY_SSL, default=defaults.get(CONF_VERIFY_SSL, True)
                    ): BooleanSelector(),
                    # Another plex.tv (a test stand-in, or a proxy); empty means https://plex.tv.
                    vol.Optional(SECTION_ADVANCED): section(
                        vol.Schema(
                            {
                                vol.Optional(CONF_PLEX_TV_URL): URL_TEXT,
                                vol.Optional(CONF_PUBLIC_IP_URL): URL_TEXT,
                            }
                        ),
                        {"collapsed": True},
                    ),
                }
            ),
            errors=errors,
        )

    def _home_assistant_plex_servers(self) -> dict[str, tuple[str, str, str, bool]]:
        """Servers of Home Assistant's own Plex integration: entry id -> (name, url, token, TLS)."""
        servers = {}
        for entry in self.hass.config_entries.async_entries(HA_PLEX_DOMAIN):
            config = entry.data.get(HA_PLEX_SERVER_CONFIG) or {}
            if config.get(CONF_URL) and config.get(CONF_TOKEN):
                servers[entry.entry_id] = (
                    entry.data.get("server") or entry.title,
                    config[CONF_URL],
                    config[CONF_TOKEN],
                    bool(config.get(CONF_VERIFY_SSL, True)),
                )
        return servers

    async def async_step_plex_integration(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Use a server Home Assistant's Plex integration already knows."""
        servers = self._home_assistant_plex_servers()
        errors: dict[str, str] = {}
        if user_input is not None and user_input.get("server") in servers:
            _name, url, token, verify_ssl = servers[user_input["server"]]
            errors = await self._use_server(url.rstrip("/"), token, verify_ssl)
            if not errors:
                return await self.async_step_router()
        options = [
            SelectOptionDict(value=entry_id, label=f"{name} ({url})")
            for entry_id, (name, url, _t, _v) in servers.items()
        ]
        return self.async_show_form(
            step_id="plex_integration",
            data_schema=vol.Schema(
                {vol.Required("server"): SelectSelector(SelectSelectorConfig(options=options))}
            ),
            errors=errors,
        )

    async def async_step_plex_sign_in(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in on app.plex.tv with a PIN, while this step waits for it."""
        if self._pin_task is None:
            sign_in = PlexTvSignIn(async_get_clientsession(self.hass), url=DEFAULT_PLEX_TV_URL)
            try:
                pin = await sign_in.create_pin()
            except DoctorError as err:
                LOGGER.debug("plex.tv sign-in: %s", err)
                return self.async_abort(reason="plex_tv_unreachable")
            self._sign_in_url = sign_in_url(pin)
            if self._removed:
                # Closed while plex.tv created the PIN: start no poll that nobody would cancel.
                return self.async_abort(reason="sign_in_cancelled")
            self._pin_task = self.hass.async_create_task(self._wait_for_pin(sign_in, pin))
        if not self._pin_task.done():
            return self.async_show_progress(
                step_id="plex_sign_in",
                progress_action="plex_sign_in",
                description_placeholders={"url": self._sign_in_url},
                progress_task=self._pin_task,
            )
        self._account_token = self._pin_task.result()
        if self._account_token is None:
            return self.async_show_progress_done(next_step_id="sign_in_timeout")
        return self.async_show_progress_done(next_step_id="pick_server")

    async def _wait_for_pin(self, sign_in: PlexTvSignIn, pin: PlexPin) -> str | None:
        deadline = self.hass.loop.time() + PIN_TIMEOUT_SECONDS
        while self.hass.loop.time() < deadline:
            await asyncio.sleep(PIN_POLL_SECONDS)
            try:
                checked = await sign_in.check_pin(pin)
            except DoctorError as err:
                LOGGER.debug("plex.tv sign-in: %s", err)
                continue
            if checked.auth_token:
                return checked.auth_token
        return None

    async def async_step_sign_in_timeout(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The PIN was not linked in time."""
        return self.async_abort(reason="sign_in_timeout")

    async def async_step_pick_server(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose one of the account's servers; its URL and token fill themselves in."""
        assert self._account_token is not None  # set by the sign-in step
        try:
            servers = {
                server.machine_identifier: server
                for server in await PlexTv(
                    self._account_token, async_get_clientsession(self.hass), url=DEFAULT_PLEX_TV_URL
                ).servers()
                if server.candidate_urls()
            }
        except DoctorError as err:
            LOGGER.debug("plex.tv servers: %s", err)
            return self.async_abort(reason="plex_tv_unreachable")
        if not servers:
            return self.async_abort(reason="no_servers")
        errors: dict[str, str] = {}
        if user_input is not None and user_input.get("server") in servers:
            server = servers[user_input["server"]]
            url = await find_server_url(async_get_clientsession(self.hass), server)
            if url is None:
                errors = {"base": "server_unreachable"}
            else:
                errors = await self._use_server(
                    url, server.access_token or self._account_token, True, DEFAULT_PLEX_TV_URL
                )
                if not errors:
                    return await self.async_step_router()
        options = [
            SelectOptionDict(value=server_id, label=server.name) for server_id, server in servers.items()
        ]
        return self.async_show_form(
            step_id="pick_server",
            data_schema=vol.Schema(
                {vol.Required("server"): SelectSelector(SelectSelectorConfig(options=options))}
            ),
            errors=errors,
        )

    async def _discovered_gateways(self) -> dict[str, str]:
        """Internet gateways SSDP has seen: description URL -> name."""
        found: dict[str, str] = {}
        if self._discovered_router is not None and self._discovered_router.ssdp_location:
            found[self._discovered_router.ssdp_location] = _router_label(self._discovered_router)
        if "ssdp" in self.hass.config.components:
            for device_type in IGD_DEVICE_TYPES:
                for discovery in await ssdp.async_get_discovery_info_by_st(self.hass, device_type):
                    if discovery.ssdp_location:
                        found.setdefault(discovery.ssdp_location, _router_label(discovery))
        return found

    async def async_step_router(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the router whose UPnP view the doctor reads, or none."""
        errors: dict[str, str] = {}
        gateways = await self._discovered_gateways()
        if user_input is not None:
            choice = user_input[CONF_ROUTER]
            if choice == ROUTER_NONE:
                return self._create(None, None)
            if choice == ROUTER_MANUAL:
                return await self.async_step_router_manual()
            try:
                router = await describe(choice, async_get_clientsession(self.hass))
            except DoctorError as err:
                errors = {CONF_ROUTER: _router_errors(err)[CONF_ROUTER_URL]}
            else:
                return self._create(choice, router)
        options = [SelectOptionDict(value=url, label=label) for url, label in gateways.items()]
        options += [
            SelectOptionDict(value=ROUTER_MANUAL, label=ROUTER_MANUAL),
            SelectOptionDict(value=ROUTER_NONE, label=ROUTER_NONE),
        ]
        default = next(iter(gateways), ROUTER_MANUAL)
        return self.async_show_form(
            step_id="router",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_ROUTER, default=default): SelectSelector(
                        SelectSelectorConfig(
                            options=options,
                            mode=SelectSelectorMode.LIST,
                            translation_key=CONF_ROUTER,
                        )
                    )
                }
            ),
            errors=errors,
            # The server's URL as the doctor will use it: after "Sign in with Plex" the user
            # sees which of plex.tv's addresses answered.
            description_placeholders={"count": str(len(gateways)), "url": self._server[CONF_URL]},
        )

    async def async_step_router_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Enter the router's UPnP description URL by hand."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_ROUTER_URL].strip()
            if not _valid_url(url):
                errors[CONF_ROUTER_URL] = "invalid_url"
            else:
                try:
                    router = await describe(url, async_get_clientsession(self.hass))
                except DoctorError as err:
                    errors = _router_errors(err)
                else:
                    return self._create(url, router)
        return self.async_show_form(
            step_id="router_manual",
            data_schema=vol.Schema({vol.Required(CONF_ROUTER_URL): URL_TEXT}),
            errors=errors,
        )

    def _create(self, router_url: str | None, router: RouterInfo | None) -> ConfigFlowResult:
        data = {
            **self._server,
            CONF_ROUTER_URL: router_url,
            CONF_ROUTER_UDN: router.udn if router else None,
        }
        return self.async_create_entry(title=self._title, data=data, options=self._options)

    async def async_step_ssdp(self, discovery_info: SsdpServiceInfo) -> ConfigFlowResult:
        """An internet gateway announced itself."""
        udn, location = discovery_info.ssdp_udn, discovery_info.ssdp_location
        if not udn or not location:
            return self.async_abort(reason="incomplete_discovery")
        # miniupnpd takes a new HTTP port on every restart: follow the router by UDN.
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_ROUTER_UDN) == udn and entry.data.get(CONF_ROUTER_URL) != location:
                async_router_moved(self.hass, entry, location)
        if self._async_current_entries(include_ignore=True):
            # A doctor is already set up; a router is no reason to offer another.
            return self.async_abort(reason="already_configured")
        await self.async_set_unique_id(udn)
        self._abort_if_unique_id_configured()
        self._discovered_router = discovery_info
        self.context["title_placeholders"] = {"name": _router_label(discovery_info)}
        return await self.async_step_user()

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The server refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a new token for the same server."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                identity = await _validate_server(
                    self.hass, entry.data[CONF_URL], user_input[CONF_TOKEN], entry.data[CONF_VERIFY_SSL]
                )
            except DoctorError as err:
                errors = _server_errors(err)
            else:
                await self.async_set_unique_id(identity.machine_identifier)
                self._abort_if_unique_id_mismatch(reason="wrong_server")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_TOKEN: user_input[CONF_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): PASSWORD}),
            errors=errors,
            description_placeholders={"name": entry.title, "url": entry.data[CONF_URL]},
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the server's URL, token, TLS check or router."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_URL].strip().rstrip("/")
            token = user_input.get(CONF_TOKEN) or entry.data[CONF_TOKEN]
            router_url = (user_input.get(CONF_ROUTER_URL) or "").strip() or None
            router: RouterInfo | None = None
            if not _valid_url(url):
                errors[CONF_URL] = "invalid_url"
            elif router_url is not None and not _valid_url(router_url):
                errors[CONF_ROUTER_URL] = "invalid_url"
            else:
                try:
                    identity = await _validate_server(self.hass, url, token, user_input[CONF_VERIFY_SSL])
                except DoctorError as err:
                    errors = _server_errors(err)
                else:
                    await self.async_set_unique_id(identity.machine_identifier)
                    self._abort_if_unique_id_mismatch(reason="wrong_server")
                    if router_url is not None:
                        try:
                            router = await describe(router_url, async_get_clientsession(self.hass))
                        except DoctorError as err:
                            errors = _router_errors(err)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_URL: url,
                        CONF_TOKEN: token,
                        CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                        CONF_ROUTER_URL: router_url,
                        CONF_ROUTER_UDN: router.udn if router else None,
                    },
                )
        current = user_input or entry.data
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_URL, default=current.get(CONF_URL, "")): URL_TEXT,
                    vol.Optional(CONF_TOKEN): PASSWORD,
                    vol.Required(
                        CONF_VERIFY_SSL, default=current.get(CONF_VERIFY_SSL, True)
                    ): BooleanSelector(),
                    vol.Optional(
                        CONF_ROUTER_URL, description={"suggested_value": current.get(CONF_ROUTER_URL)}
                    ): URL_TEXT,
                }
            ),
            errors=errors,
        )


def _router_label(discovery: SsdpServiceInfo) -> str:
    name = discovery.upnp.get("friendlyName") or discovery.upnp.get("modelName") or "UPnP router"
    host = URL(discovery.ssdp_location).host if discovery.ssdp_location else None
    return f"{name} ({host})" if host else str(name)


class PlexRemoteDoctorOptionsFlow(OptionsFlowWithReload):
    """How often to check, how many checks confirm a repair, where to ask for the public IP."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            public_ip_url = (user_input.get(CONF_PUBLIC_IP_URL) or "").strip()
            if public_ip_url and not _valid_url(public_ip_url):
                errors[CONF_PUBLIC_IP_URL] = "invalid_url"
            else:
                options: dict[str, Any] = {
                    CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                    CONF_CONFIRM_CHECKS: int(user_input[CONF_CONFIRM_CHECKS]),
                }
                if public_ip_url:
                    options[CONF_PUBLIC_IP_URL] = public_ip_url
                return self.async_create_entry(data=options)
        current = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Optional(
                        CONF_PUBLIC_IP_URL, description={"suggested_value": current.get(CONF_PUBLIC_IP_URL)}
                    ): URL_TEXT,
                    vol.Required(
                        CONF_SCAN_INTERVAL,
                        default=current.get(CONF_SCAN_INTERVAL, int(DEFAULT_SCAN_INTERVAL.total_seconds())),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_SCAN_INTERVAL,
                            max=MAX_SCAN_INTERVAL,
                            step=1,
                            mode=NumberSelectorMode.BOX,
                            unit_of_measurement="s",
                        )
                    ),
                    vol.Required(
                        CONF_CONFIRM_CHECKS, default=current.get(CONF_CONFIRM_CHECKS, DEFAULT_CONFIRM_CHECKS)
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=1, max=MAX_CONFIRM_CHECKS, step=1, mode=NumberSelectorMode.BOX
                        )
                    ),
                }
            ),
            errors=errors,
        )
