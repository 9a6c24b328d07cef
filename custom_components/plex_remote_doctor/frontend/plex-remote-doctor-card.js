/*
 * Plex Remote Doctor: the layer-path card (custom:plex-remote-doctor-card).
 *
 * Plain JavaScript, no build step, nothing fetched: Home Assistant's own elements
 * (ha-card, ha-icon, ha-button, ha-form) draw it. The integration serves this file and
 * adds it to every dashboard (card.py).
 *
 * The card finds the Plex server's entities through hass.entities (the display entity
 * registry: device_id, platform, translation_key) and reads each layer from them. The
 * integration's entities all carry their contract key as translation key.
 */

const DOMAIN = "plex_remote_doctor";
const CARD_TYPE = "plex-remote-doctor-card";
const EDITOR_TYPE = "plex-remote-doctor-card-editor";

// The layer path, in the runbook's order.
const LAYERS = ["server", "router", "provider", "internet", "plextv", "apps"];

// Which layer each finding (the diagnosis sensor's state) breaks: the one place the card
// places a diagnosis on the path. Kept as JSON: tests/test_card.py reads it and checks it
// against the Finding enum of doctor/diagnose.py.
const FINDING_LAYER = {
  "plex_unreachable": "server",
  "not_signed_in": "plextv",
  "remote_access_disabled": "server",
  "custom_url_unreachable": "internet",
  "wan_disconnected": "provider",
  "cgnat": "provider",
  "double_nat": "provider",
  "wan_ip_not_public": "provider",
  "plex_public_ip_mismatch": "server",
  "port_forward_wrong_target": "router",
  "mapping_failed": "router",
  "upnp_stale": "router",
  "port_blocked": "internet",
  "plex_reported_error": "server",
  "published_address_stale": "plextv",
  "account_issue": "plextv",
  "ok": null
};

const LAYER_ICONS = {
  server: "mdi:plex",
  router: "mdi:router-wireless",
  provider: "mdi:domain",
  internet: "mdi:web",
  plextv: "mdi:cloud-outline",
  apps: "mdi:cellphone-play"
};

const STATE_ICONS = {
  ok: "mdi:check-circle",
  problem: "mdi:alert-circle",
  warning: "mdi:alert",
  unknown: "mdi:help-circle-outline"
};

// The card's own words, per language. Kept as JSON: tests/test_card.py checks that every
// language has every key English has, and the same {placeholders}.
const TRANSLATIONS = {
  "en": {
    "card.name": "Plex Remote Doctor",
    "card.description": "The layer path from the Plex server to the apps: which layer breaks remote access, and what to do.",
    "title.default": "Plex remote access",
    "path.label": "Layer path from the Plex server to the apps",
    "layer.server": "Plex server",
    "layer.router": "Router",
    "layer.provider": "Provider",
    "layer.internet": "Internet",
    "layer.plextv": "plex.tv",
    "layer.apps": "Apps",
    "state.ok": "OK",
    "state.problem": "Problem",
    "state.warning": "Limited",
    "state.unknown": "Unknown",
    "breaks_here": "Breaks here",
    "value.unknown": "unknown",
    "server.version": "Plex {version}",
    "router.wan": "WAN {ip}",
    "router.wan_unknown": "WAN IP unknown",
    "router.upnp_mapped": "UPnP: port mapped",
    "router.upnp_missing": "UPnP: no mapping",
    "router.upnp_unknown": "UPnP: unknown",
    "provider.cgnat": "Carrier-grade NAT",
    "provider.double_nat": "Double NAT",
    "provider.public": "Public IPv4",
    "internet.port": "Port {port}",
    "internet.reachable": "Reachable",
    "internet.unreachable": "Not reachable",
    "plextv.signed_in": "Signed in",
    "plextv.signed_out": "Not signed in",
    "apps.direct": "Direct",
    "apps.custom": "Through the custom URL",
    "apps.relay": "Through Plex Relay",
    "apps.unreachable": "Cannot connect",
    "apps.disabled": "Remote access off",
    "apps.remote_streams": "Remote streams: {count}",
    "apps.relayed_streams": "Relayed: {count}",
    "apps.no_plex_pass": "No Plex Pass",
    "route.relay": "Plex Relay: apps stream through Plex's servers, capped at {rate}",
    "route.rate_pass": "2 Mbps (Plex Pass)",
    "route.rate_free": "1 Mbps (no Plex Pass)",
    "route.rate_unknown": "1 Mbps, 2 Mbps with Plex Pass",
    "route.custom": "Custom URL: apps reach the server through your reverse proxy",
    "route.ipv6": "IPv6: apps with IPv6 can reach the server without NAT, if it has a global IPv6 address",
    "diagnosis.label": "Diagnosis",
    "diagnosis.open_repair": "Open repair",
    "diagnosis.details": "Details",
    "diagnosis.unknown": "Not diagnosed yet",
    "diagnosis.unknown_action": "Waiting for the next check; run a diagnosis to check now.",
    "button.run_diagnosis": "Run diagnosis",
    "button.retry_remote_access": "Retry remote access",
    "remote_access": "Remote access",
    "editor.device": "Plex server",
    "editor.title": "Title (optional)",
    "error.no_device": "Pick a Plex server in the card's settings.",
    "error.no_entities": "This device has no Plex Remote Doctor entities.",
    "action.plex_unreachable": "Check that the Plex server is running and that its URL and token are right.",
    "action.not_signed_in": "Sign the server in to plex.tv in Plex under Settings > General.",
    "action.remote_access_disabled": "Turn on remote access in Plex; the repair can do it for you.",
    "action.custom_url_unreachable": "Fix the custom URL: renew its certificate, its DNS name or the reverse proxy.",
    "action.wan_disconnected": "The internet connection is down: check the modem, the line and your provider.",
    "action.cgnat": "Ask your provider for a public IPv4 address; meanwhile use Plex Relay or Tailscale/WireGuard.",
    "action.double_nat": "Put the provider's gateway in bridge mode, or your router in the gateway's DMZ.",
    "action.wan_ip_not_public": "Read the WAN IP on the router's status page: 100.64–100.127 means CGNAT, a private address double NAT.",
    "action.plex_public_ip_mismatch": "Route the Plex server's traffic out through your home connection, not a VPN.",
    "action.port_forward_wrong_target": "Give the server a DHCP reservation, then point the port forward at its address.",
    "action.mapping_failed": "Set a manual public port such as 32500 in Plex, forward it to the server's port 32400, then retry.",
    "action.upnp_stale": "Turn off UPnP, set a manual public port in Plex and a static port forward on the router.",
    "action.port_blocked": "Open the external port in the server's and the router's firewall, then test from a phone on cellular.",
    "action.plex_reported_error": "Read Plex's own message in the repair and under Settings > Remote Access.",
    "action.published_address_stale": "Retry remote access so that the server publishes its current address.",
    "action.account_issue": "Sign the server out of plex.tv and in again, with the same account as the apps.",
    "action.ok": "Nothing to do: apps reach the server."
  },
  "de": {
    "card.name": "Plex Remote Doctor",
    "card.description": "Der Weg vom Plex-Server zu den Apps, Schicht für Schicht: welche Schicht den Fernzugriff bricht und was zu tun ist.",
    "title.default": "Plex-Fernzugriff",
    "path.label": "Weg vom Plex-Server zu den Apps",
    "layer.server": "Plex-Server",
    "layer.router": "Router",
    "layer.provider": "Anbieter",
    "layer.internet": "Internet",
    "layer.plextv": "plex.tv",
    "layer.apps": "Apps",
    "state.ok": "OK",
    "state.problem": "Problem",
    "state.warning": "Eingeschränkt",
    "state.unknown": "Unbekannt",
    "breaks_here": "Bricht hier",
    "value.unknown": "unbekannt",
    "server.version": "Plex {version}",
    "router.wan": "WAN {ip}",
    "router.wan_unknown": "WAN-IP unbekannt",
    "router.upnp_mapped": "UPnP: Port zugeordnet",
    "router.upnp_missing": "UPnP: keine Zuordnung",
    "router.upnp_unknown": "UPnP: unbekannt",
    "provider.cgnat": "Carrier-Grade-NAT",
    "provider.double_nat": "Doppeltes NAT",
    "provider.public": "Öffentliche IPv4",
    "internet.port": "Port {port}",
    "internet.reachable": "Erreichbar",
    "internet.unreachable": "Nicht erreichbar",
    "plextv.signed_in": "Angemeldet",
    "plextv.signed_out": "Nicht angemeldet",
    "apps.direct": "Direkt",
    "apps.custom": "Über die eigene URL",
    "apps.relay": "Über Plex Relay",
    "apps.unreachable": "Keine Verbindung",
    "apps.disabled": "Fernzugriff aus",
    "apps.remote_streams": "Entfernte Streams: {count}",
    "apps.relayed_streams": "Über Relay: {count}",
    "apps.no_plex_pass": "Kein Plex Pass",
    "route.relay": "Plex Relay: Apps streamen über die Server von Plex, begrenzt auf {rate}",
    "route.rate_pass": "2 Mbit/s (Plex Pass)",
    "route.rate_free": "1 Mbit/s (ohne Plex Pass)",
    "route.rate_unknown": "1 Mbit/s, 2 Mbit/s mit Plex Pass",
    "route.custom": "Eigene URL: Apps erreichen den Server über deinen Reverse-Proxy",
    "route.ipv6": "IPv6: Apps mit IPv6 erreichen den Server ohne NAT, wenn er eine globale IPv6-Adresse hat",
    "diagnosis.label": "Diagnose",
    "diagnosis.open_repair": "Reparatur öffnen",
    "diagnosis.details": "Details",
    "diagnosis.unknown": "Noch keine Diagnose",
    "diagnosis.unknown_action": "Warte auf die nächste Prüfung; starte eine Diagnose, um jetzt zu prüfen.",
    "button.run_diagnosis": "Diagnose starten",
    "button.retry_remote_access": "Fernzugriff erneut prüfen",
    "remote_access": "Fernzugriff",
    "editor.device": "Plex-Server",
    "editor.title": "Titel (optional)",
    "error.no_device": "Wähle in den Karteneinstellungen einen Plex-Server.",
    "error.no_entities": "Dieses Gerät hat keine Entitäten von Plex Remote Doctor.",
    "action.plex_unreachable": "Prüfe, ob der Plex-Server läuft und ob URL und Token stimmen.",
    "action.not_signed_in": "Melde den Server in Plex unter Einstellungen > Allgemein bei plex.tv an.",
    "action.remote_access_disabled": "Schalte den Fernzugriff in Plex ein; die Reparatur kann das für dich tun.",
    "action.custom_url_unreachable": "Repariere die eigene URL: Zertifikat erneuern, DNS-Namen oder Reverse-Proxy korrigieren.",
    "action.wan_disconnected": "Die Internetverbindung ist unterbrochen: prüfe Modem, Leitung und Anbieter.",
    "action.cgnat": "Frag deinen Anbieter nach einer öffentlichen IPv4-Adresse; nutze bis dahin Plex Relay oder Tailscale/WireGuard.",
    "action.double_nat": "Schalte das Gateway des Anbieters in den Bridge-Modus oder stelle deinen Router in dessen DMZ.",
    "action.wan_ip_not_public": "Lies die WAN-IP auf der Statusseite des Routers ab: 100.64–100.127 heißt CGNAT, eine private Adresse doppeltes NAT.",
    "action.plex_public_ip_mismatch": "Leite den Verkehr des Plex-Servers über deinen Internetanschluss, nicht über ein VPN.",
    "action.port_forward_wrong_target": "Reserviere die Adresse des Servers per DHCP und richte die Portweiterleitung auf sie.",
    "action.mapping_failed": "Lege in Plex einen festen öffentlichen Port wie 32500 fest, leite ihn auf Port 32400 des Servers weiter und prüfe erneut.",
    "action.upnp_stale": "Schalte UPnP aus, lege in Plex einen festen öffentlichen Port und im Router eine feste Portweiterleitung an.",
    "action.port_blocked": "Öffne den externen Port in der Firewall des Servers und des Routers und teste dann per Mobilfunk.",
    "action.plex_reported_error": "Lies die Meldung von Plex in der Reparatur und unter Einstellungen > Fernzugriff.",
    "action.published_address_stale": "Prüfe den Fernzugriff erneut, damit der Server seine aktuelle Adresse veröffentlicht.",
    "action.account_issue": "Melde den Server bei plex.tv ab und wieder an, mit demselben Konto wie die Apps.",
    "action.ok": "Nichts zu tun: Die Apps erreichen den Server."
  },
  "nl": {
    "card.name": "Plex Remote Doctor",
    "card.description": "Het pad van de Plex-server naar de apps, laag voor laag: welke laag externe toegang breekt en wat je moet doen.",
    "title.default": "Plex externe toegang",
    "path.label": "Pad van de Plex-server naar de apps",
    "layer.server": "Plex-server",
    "layer.router": "Router",
    "layer.provider": "Provider",
    "layer.internet": "Internet",
    "layer.plextv": "plex.tv",
    "layer.apps": "Apps",
    "state.ok": "OK",
    "state.problem": "Probleem",
    "state.warning": "Beperkt",
    "state.unknown": "Onbekend",
    "breaks_here": "Breekt hier",
    "value.unknown": "onbekend",
    "server.version": "Plex {version}",
    "router.wan": "WAN {ip}",
    "router.wan_unknown": "WAN-IP onbekend",
    "router.upnp_mapped": "UPnP: poort toegewezen",
    "router.upnp_missing": "UPnP: geen toewijzing",
    "router.upnp_unknown": "UPnP: onbekend",
    "provider.cgnat": "Carrier-grade NAT",
    "provider.double_nat": "Dubbele NAT",
    "provider.public": "Publiek IPv4",
    "internet.port": "Poort {port}",
    "internet.reachable": "Bereikbaar",
    "internet.unreachable": "Niet bereikbaar",
    "plextv.signed_in": "Aangemeld",
    "plextv.signed_out": "Niet aangemeld",
    "apps.direct": "Direct",
    "apps.custom": "Via de eigen URL",
    "apps.relay": "Via Plex Relay",
    "apps.unreachable": "Geen verbinding",
    "apps.disabled": "Externe toegang uit",
    "apps.remote_streams": "Externe streams: {count}",
    "apps.relayed_streams": "Via relay: {count}",
    "apps.no_plex_pass": "Geen Plex Pass",
    "route.relay": "Plex Relay: apps streamen via de servers van Plex, begrensd op {rate}",
    "route.rate_pass": "2 Mbps (Plex Pass)",
    "route.rate_free": "1 Mbps (zonder Plex Pass)",
    "route.rate_unknown": "1 Mbps, 2 Mbps met Plex Pass",
    "route.custom": "Eigen URL: apps bereiken de server via je reverse proxy",
    "route.ipv6": "IPv6: apps met IPv6 bereiken de server zonder NAT, als die een globaal IPv6-adres heeft",
    "diagnosis.label": "Diagnose",
    "diagnosis.open_repair": "Reparatie openen",
    "diagnosis.details": "Details",
    "diagnosis.unknown": "Nog geen diagnose",
    "diagnosis.unknown_action": "Wacht op de volgende controle; start een diagnose om nu te controleren.",
    "button.run_diagnosis": "Diagnose uitvoeren",
    "button.retry_remote_access": "Externe toegang opnieuw proberen",
    "remote_access": "Externe toegang",
    "editor.device": "Plex-server",
    "editor.title": "Titel (optioneel)",
    "error.no_device": "Kies een Plex-server in de instellingen van de kaart.",
    "error.no_entities": "Dit apparaat heeft geen entiteiten van Plex Remote Doctor.",
    "action.plex_unreachable": "Controleer of de Plex-server draait en of de URL en het token kloppen.",
    "action.not_signed_in": "Meld de server in Plex aan bij plex.tv via Instellingen > Algemeen.",
    "action.remote_access_disabled": "Zet externe toegang aan in Plex; de reparatie kan dat voor je doen.",
    "action.custom_url_unreachable": "Herstel de eigen URL: vernieuw het certificaat, de DNS-naam of de reverse proxy.",
    "action.wan_disconnected": "De internetverbinding is verbroken: controleer modem, lijn en provider.",
    "action.cgnat": "Vraag je provider om een publiek IPv4-adres; gebruik tot dan Plex Relay of Tailscale/WireGuard.",
    "action.double_nat": "Zet de gateway van de provider in bridgemodus, of je router in de DMZ van de gateway.",
    "action.wan_ip_not_public": "Lees het WAN-IP af op de statuspagina van de router: 100.64–100.127 betekent CGNAT, een privéadres dubbele NAT.",
    "action.plex_public_ip_mismatch": "Stuur het verkeer van de Plex-server via je eigen internetverbinding, niet via een VPN.",
    "action.port_forward_wrong_target": "Geef de server een DHCP-reservering en richt de port forward op dat adres.",
    "action.mapping_failed": "Stel in Plex een handmatige publieke poort in zoals 32500, stuur die door naar poort 32400 van de server en probeer opnieuw.",
    "action.upnp_stale": "Zet UPnP uit, stel in Plex een handmatige publieke poort in en op de router een vaste port forward.",
    "action.port_blocked": "Open de externe poort in de firewall van de server en van de router en test daarna via mobiel internet.",
    "action.plex_reported_error": "Lees de melding van Plex in de reparatie en onder Instellingen > Externe toegang.",
    "action.published_address_stale": "Probeer externe toegang opnieuw, zodat de server zijn huidige adres publiceert.",
    "action.account_issue": "Meld de server af bij plex.tv en weer aan, met hetzelfde account als de apps.",
    "action.ok": "Niets te doen: de apps bereiken de server."
  },
  "fr": {
    "card.name": "Plex Remote Doctor",
    "card.description": "Le chemin du serveur Plex jusqu'aux apps, couche par couche : quelle couche bloque l'accès à distance, et que faire.",
    "title.default": "Accès à distance Plex",
    "path.label": "Chemin du serveur Plex jusqu'aux apps",
    "layer.server": "Serveur Plex",
    "layer.router": "Routeur",
    "layer.provider": "Fournisseur",
    "layer.internet": "Internet",
    "layer.plextv": "plex.tv",
    "layer.apps": "Apps",
    "state.ok": "OK",
    "state.problem": "Problème",
    "state.warning": "Limité",
    "state.unknown": "Inconnu",
    "breaks_here": "Bloque ici",
    "value.unknown": "inconnu",
    "server.version": "Plex {version}",
    "router.wan": "WAN {ip}",
    "router.wan_unknown": "IP WAN inconnue",
    "router.upnp_mapped": "UPnP : port redirigé",
    "router.upnp_missing": "UPnP : aucune redirection",
    "router.upnp_unknown": "UPnP : inconnu",
    "provider.cgnat": "CGNAT",
    "provider.double_nat": "Double NAT",
    "provider.public": "IPv4 publique",
    "internet.port": "Port {port}",
    "internet.reachable": "Joignable",
    "internet.unreachable": "Injoignable",
    "plextv.signed_in": "Connecté",
    "plextv.signed_out": "Non connecté",
    "apps.direct": "Direct",
    "apps.custom": "Par l'URL personnalisée",
    "apps.relay": "Par Plex Relay",
    "apps.unreachable": "Connexion impossible",
    "apps.disabled": "Accès à distance désactivé",
    "apps.remote_streams": "Flux distants : {count}",
    "apps.relayed_streams": "Relayés : {count}",
    "apps.no_plex_pass": "Pas de Plex Pass",
    "route.relay": "Plex Relay : les apps passent par les serveurs de Plex, limitées à {rate}",
    "route.rate_pass": "2 Mbit/s (Plex Pass)",
    "route.rate_free": "1 Mbit/s (sans Plex Pass)",
    "route.rate_unknown": "1 Mbit/s, 2 Mbit/s avec Plex Pass",
    "route.custom": "URL personnalisée : les apps joignent le serveur par votre proxy inverse",
    "route.ipv6": "IPv6 : les apps en IPv6 joignent le serveur sans NAT, s'il a une adresse IPv6 globale",
    "diagnosis.label": "Diagnostic",
    "diagnosis.open_repair": "Ouvrir la réparation",
    "diagnosis.details": "Détails",
    "diagnosis.unknown": "Pas encore de diagnostic",
    "diagnosis.unknown_action": "En attente du prochain contrôle ; lancez un diagnostic pour vérifier maintenant.",
    "button.run_diagnosis": "Lancer le diagnostic",
    "button.retry_remote_access": "Réessayer l'accès à distance",
    "remote_access": "Accès à distance",
    "editor.device": "Serveur Plex",
    "editor.title": "Titre (facultatif)",
    "error.no_device": "Choisissez un serveur Plex dans les réglages de la carte.",
    "error.no_entities": "Cet appareil n'a pas d'entités Plex Remote Doctor.",
    "action.plex_unreachable": "Vérifiez que le serveur Plex tourne, et que son URL et son jeton sont justes.",
    "action.not_signed_in": "Connectez le serveur à plex.tv dans Plex, sous Paramètres > Général.",
    "action.remote_access_disabled": "Activez l'accès à distance dans Plex ; la réparation peut le faire pour vous.",
    "action.custom_url_unreachable": "Réparez l'URL personnalisée : renouvelez son certificat, corrigez son nom DNS ou le proxy inverse.",
    "action.wan_disconnected": "La connexion internet est coupée : vérifiez le modem, la ligne et votre fournisseur.",
    "action.cgnat": "Demandez une adresse IPv4 publique à votre fournisseur ; en attendant, utilisez Plex Relay ou Tailscale/WireGuard.",
    "action.double_nat": "Passez la box du fournisseur en mode bridge, ou placez votre routeur dans sa DMZ.",
    "action.wan_ip_not_public": "Lisez l'IP WAN sur la page d'état du routeur : 100.64–100.127 signifie CGNAT, une adresse privée un double NAT.",
    "action.plex_public_ip_mismatch": "Faites sortir le trafic du serveur Plex par votre connexion, pas par un VPN.",
    "action.port_forward_wrong_target": "Réservez l'adresse du serveur dans le DHCP, puis dirigez la redirection de port vers elle.",
    "action.mapping_failed": "Fixez dans Plex un port public manuel comme 32500, redirigez-le vers le port 32400 du serveur, puis réessayez.",
    "action.upnp_stale": "Désactivez l'UPnP, fixez un port public manuel dans Plex et une redirection statique sur le routeur.",
    "action.port_blocked": "Ouvrez le port externe dans le pare-feu du serveur et du routeur, puis testez depuis un téléphone en 4G/5G.",
    "action.plex_reported_error": "Lisez le message de Plex dans la réparation et sous Paramètres > Accès à distance.",
    "action.published_address_stale": "Réessayez l'accès à distance pour que le serveur publie son adresse actuelle.",
    "action.account_issue": "Déconnectez le serveur de plex.tv puis reconnectez-le, avec le même compte que les apps.",
    "action.ok": "Rien à faire : les apps joignent le serveur."
  },
  "es": {
    "card.name": "Plex Remote Doctor",
    "card.description": "El camino del servidor Plex a las apps, capa por capa: qué capa rompe el acceso remoto y qué hacer.",
    "title.default": "Acceso remoto de Plex",
    "path.label": "Camino del servidor Plex a las apps",
    "layer.server": "Servidor Plex",
    "layer.router": "Router",
    "layer.provider": "Proveedor",
    "layer.internet": "Internet",
    "layer.plextv": "plex.tv",
    "layer.apps": "Apps",
    "state.ok": "OK",
    "state.problem": "Problema",
    "state.warning": "Limitado",
    "state.unknown": "Desconocido",
    "breaks_here": "Falla aquí",
    "value.unknown": "desconocido",
    "server.version": "Plex {version}",
    "router.wan": "WAN {ip}",
    "router.wan_unknown": "IP WAN desconocida",
    "router.upnp_mapped": "UPnP: puerto asignado",
    "router.upnp_missing": "UPnP: sin asignación",
    "router.upnp_unknown": "UPnP: desconocido",
    "provider.cgnat": "CGNAT",
    "provider.double_nat": "Doble NAT",
    "provider.public": "IPv4 pública",
    "internet.port": "Puerto {port}",
    "internet.reachable": "Accesible",
    "internet.unreachable": "No accesible",
    "plextv.signed_in": "Sesión iniciada",
    "plextv.signed_out": "Sin sesión",
    "apps.direct": "Directo",
    "apps.custom": "Por la URL personalizada",
    "apps.relay": "Por Plex Relay",
    "apps.unreachable": "No pueden conectar",
    "apps.disabled": "Acceso remoto desactivado",
    "apps.remote_streams": "Streams remotos: {count}",
    "apps.relayed_streams": "Por relay: {count}",
    "apps.no_plex_pass": "Sin Plex Pass",
    "route.relay": "Plex Relay: las apps pasan por los servidores de Plex, limitadas a {rate}",
    "route.rate_pass": "2 Mbps (Plex Pass)",
    "route.rate_free": "1 Mbps (sin Plex Pass)",
    "route.rate_unknown": "1 Mbps, 2 Mbps con Plex Pass",
    "route.custom": "URL personalizada: las apps llegan al servidor por tu proxy inverso",
    "route.ipv6": "IPv6: las apps con IPv6 llegan al servidor sin NAT, si tiene una dirección IPv6 global",
    "diagnosis.label": "Diagnóstico",
    "diagnosis.open_repair": "Abrir reparación",
    "diagnosis.details": "Detalles",
    "diagnosis.unknown": "Aún sin diagnóstico",
    "diagnosis.unknown_action": "Esperando la próxima comprobación; ejecuta un diagnóstico para comprobar ahora.",
    "button.run_diagnosis": "Ejecutar diagnóstico",
    "button.retry_remote_access": "Reintentar acceso remoto",
    "remote_access": "Acceso remoto",
    "editor.device": "Servidor Plex",
    "editor.title": "Título (opcional)",
    "error.no_device": "Elige un servidor Plex en los ajustes de la tarjeta.",
    "error.no_entities": "Este dispositivo no tiene entidades de Plex Remote Doctor.",
    "action.plex_unreachable": "Comprueba que el servidor Plex está en marcha y que su URL y su token son correctos.",
    "action.not_signed_in": "Inicia sesión del servidor en plex.tv, en Plex en Ajustes > General.",
    "action.remote_access_disabled": "Activa el acceso remoto en Plex; la reparación puede hacerlo por ti.",
    "action.custom_url_unreachable": "Arregla la URL personalizada: renueva su certificado, su nombre DNS o el proxy inverso.",
    "action.wan_disconnected": "La conexión a internet está caída: revisa el módem, la línea y tu proveedor.",
    "action.cgnat": "Pide a tu proveedor una dirección IPv4 pública; mientras tanto usa Plex Relay o Tailscale/WireGuard.",
    "action.double_nat": "Pon el router del proveedor en modo puente, o tu router en su DMZ.",
    "action.wan_ip_not_public": "Mira la IP WAN en la página de estado del router: 100.64–100.127 es CGNAT, una dirección privada es doble NAT.",
    "action.plex_public_ip_mismatch": "Haz que el tráfico del servidor Plex salga por tu conexión de casa, no por una VPN.",
    "action.port_forward_wrong_target": "Reserva la dirección del servidor en el DHCP y apunta la redirección de puerto a ella.",
    "action.mapping_failed": "Fija en Plex un puerto público manual como 32500, redirígelo al puerto 32400 del servidor y reintenta.",
    "action.upnp_stale": "Desactiva UPnP, fija un puerto público manual en Plex y una redirección estática en el router.",
    "action.port_blocked": "Abre el puerto externo en el cortafuegos del servidor y del router, y prueba desde un móvil con datos.",
    "action.plex_reported_error": "Lee el mensaje de Plex en la reparación y en Ajustes > Acceso remoto.",
    "action.published_address_stale": "Reintenta el acceso remoto para que el servidor publique su dirección actual.",
    "action.account_issue": "Cierra la sesión del servidor en plex.tv y vuelve a iniciarla, con la misma cuenta que las apps.",
    "action.ok": "Nada que hacer: las apps llegan al servidor."
  }
};

const UNKNOWN_STATES = new Set(["unknown", "unavailable", "", undefined, null]);

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The card's language: the user's Home Assistant language, else English. */
function language(hass) {
  const wanted = (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
  if (TRANSLATIONS[wanted]) {
    return wanted;
  }
  const base = wanted.split("-")[0];
  return TRANSLATIONS[base] ? base : "en";
}

function translator(hass) {
  const strings = TRANSLATIONS[language(hass)];
  return (key, placeholders = {}) => {
    let text = strings[key] !== undefined ? strings[key] : TRANSLATIONS.en[key];
    if (text === undefined) {
      return key;
    }
    for (const [name, value] of Object.entries(placeholders)) {
      text = text.replace(`{${name}}`, value);
    }
    return text;
  };
}

/**
 * The entity ids of a Plex server's device, by contract key. The frontend replaces
 * hass.entities only when the registry changes: looked up again only then, not on every
 * state change anywhere in the house.
 */
const lookups = new WeakMap();
function deviceEntities(hass, deviceId) {
  if (!hass || !hass.entities || !deviceId) {
    return {};
  }
  let byDevice = lookups.get(hass.entities);
  if (!byDevice) {
    byDevice = new Map();
    lookups.set(hass.entities, byDevice);
  }
  if (!byDevice.has(deviceId)) {
    const byKey = {};
    for (const entry of Object.values(hass.entities)) {
      if (entry.device_id === deviceId && entry.platform === DOMAIN && entry.translation_key) {
        byKey[entry.translation_key] = entry.entity_id;
      }
    }
    byDevice.set(deviceId, byKey);
  }
  return byDevice.get(deviceId);
}

/** The first Plex server that has the integration's entities, for the card picker. */
function firstDevice(hass) {
  for (const entry of Object.values((hass && hass.entities) || {})) {
    if (entry.platform === DOMAIN && entry.device_id) {
      return entry.device_id;
    }
  }
  return "";
}

/**
 * What the card shows, computed from the entities: one plain object, so that the card
 * redraws only when something a user sees has changed.
 */
function buildModel(hass, config) {
  const t = translator(hass);
  const entities = deviceEntities(hass, config.device_id);
  const device = (hass.devices && hass.devices[config.device_id]) || null;
  const stateOf = (key) => {
    const entityId = entities[key];
    const stateObj = entityId ? hass.states[entityId] : undefined;
    return stateObj && !UNKNOWN_STATES.has(stateObj.state) ? stateObj.state : null;
  };
  const has = (key) => Boolean(entities[key] && hass.states[entities[key]]);
  const translated = (key) => {
    const stateObj = entities[key] ? hass.states[entities[key]] : undefined;
    if (!stateObj || UNKNOWN_STATES.has(stateObj.state)) {
      return null;
    }
    if (hass.formatEntityState) {
      return hass.formatEntityState(stateObj);
    }
    const domain = stateObj.entity_id.split(".")[0];
    return (
      hass.localize(`component.${DOMAIN}.entity.${domain}.${key}.state.${stateObj.state}`) || stateObj.state
    );
  };

  const finding = stateOf("diagnosis");
  const status = stateOf("remote_access_status");
  const failing = finding ? FINDING_LAYER[finding] || null : null;
  const layers = {};
  const layer = (id, state, values, entityKey) => {
    const entityId = entities[entityKey] || entities.diagnosis || null;
    layers[id] = {
      id,
      name: t(`layer.${id}`),
      state: failing === id ? "problem" : state,
      failing: failing === id,
      values: values.filter((value) => value),
      entityId
    };
  };

  // Plex server: its LAN address (the port from the URL Home Assistant reaches it by,
  // when that URL names the same address) and version.
  const lanIp = stateOf("server_lan_ip");
  let lanAddress = lanIp;
  if (lanIp && device && device.configuration_url) {
    try {
      const url = new URL(device.configuration_url);
      if (url.hostname === lanIp && url.port) {
        lanAddress = `${lanIp}:${url.port}`;
      }
    } catch (_err) {
      // Not a URL: the address alone.
    }
  }
  const version = device && device.sw_version ? String(device.sw_version).split("-")[0] : null;
  layer(
    "server",
    lanIp ? "ok" : finding ? "ok" : "unknown",
    [lanAddress || t("value.unknown"), version ? t("server.version", { version }) : null],
    "server_lan_ip"
  );

  // Router: WAN address and Plex's mapping in the UPnP table.
  const wanIp = stateOf("router_wan_ip");
  const mapping = stateOf("port_mapping");
  layer(
    "router",
    wanIp || mapping ? "ok" : "unknown",
    [
      wanIp ? t("router.wan", { ip: wanIp }) : t("router.wan_unknown"),
      mapping === "on" ? t("router.upnp_mapped") : mapping === "off" ? t("router.upnp_missing") : t("router.upnp_unknown")
    ],
    wanIp || !has("port_mapping") ? "router_wan_ip" : "port_mapping"
  );

  // Provider: CGNAT, double NAT, or a public address.
  const cgnat = stateOf("cgnat");
  const doubleNat = stateOf("double_nat");
  const publicIp = stateOf("public_ip");
  let natText = t("value.unknown");
  let natState = "unknown";
  if (cgnat === "on") {
    natText = t("provider.cgnat");
    natState = "warning";
  } else if (doubleNat === "on") {
    natText = t("provider.double_nat");
    natState = "warning";
  } else if (cgnat === "off" && doubleNat === "off") {
    natText = t("provider.public");
    natState = "ok";
  }
  layer("provider", natState, [natText, publicIp], doubleNat === "on" ? "double_nat" : "cgnat");

  // Internet: the external port, and whether the internet reaches the server.
  const port = stateOf("external_port");
  const reachable = stateOf("remote_access");
  layer(
    "internet",
    reachable === "on" ? "ok" : reachable === "off" ? "problem" : "unknown",
    [
      port && port !== "0" ? t("internet.port", { port }) : null,
      reachable === "on" ? t("internet.reachable") : reachable === "off" ? t("internet.unreachable") : t("value.unknown")
    ],
    "remote_access"
  );

  // plex.tv: the address it hands apps (published_address, else the public address Plex
  // reports), and the sign-in (the diagnosis checks it right after the server answers).
  const published = stateOf("published_address");
  const plexPublic = stateOf("plex_public_address");
  let address = published;
  if (!address && plexPublic) {
    address = port && port !== "0" ? `${plexPublic}:${port}` : plexPublic;
  }
  let signIn = null;
  if (finding === "not_signed_in") {
    signIn = "off";
  } else if (finding && finding !== "plex_unreachable") {
    signIn = "on";
  }
  layer(
    "plextv",
    signIn === "on" ? "ok" : "unknown",
    [
      signIn === "on" ? t("plextv.signed_in") : signIn === "off" ? t("plextv.signed_out") : t("value.unknown"),
      address
    ],
    has("published_address") ? "published_address" : "plex_public_address"
  );

  // Apps: how they connect, the streams now playing, the Plex Pass remote viewers need.
  const remoteStreams = stateOf("remote_streams");
  const relayedStreams = stateOf("relayed_streams");
  const plexPass = stateOf("plex_pass");
  const appsVia = {
    reachable: "apps.direct",
    custom: "apps.custom",
    relay: "apps.relay",
    unreachable: "apps.unreachable",
    disabled: "apps.disabled"
  };
  let appsState = { reachable: "ok", custom: "ok", relay: "warning", unreachable: "problem", disabled: "problem" }[status] || "unknown";
  if (appsState === "ok" && (plexPass === "off" || Number(relayedStreams) > 0)) {
    appsState = "warning";
  }
  layer(
    "apps",
    appsState,
    [
      status ? t(appsVia[status]) : t("value.unknown"),
      remoteStreams !== null ? t("apps.remote_streams", { count: remoteStreams }) : null,
      relayedStreams !== null && Number(relayedStreams) > 0 ? t("apps.relayed_streams", { count: relayedStreams }) : null,
      plexPass === "off" ? t("apps.no_plex_pass") : null
    ],
    has("remote_streams") ? "remote_streams" : "remote_access_status"
  );

  // The other paths remote access can take.
  const routes = [];
  if (status === "relay") {
    const rate = plexPass === "on" ? "route.rate_pass" : plexPass === "off" ? "route.rate_free" : "route.rate_unknown";
    routes.push({ id: "relay", icon: "mdi:transit-connection-variant", text: t("route.relay", { rate: t(rate) }) });
  }
  if (status === "custom") {
    routes.push({ id: "custom", icon: "mdi:link-variant", text: t("route.custom") });
  }
  if (finding === "cgnat" || finding === "double_nat") {
    routes.push({ id: "ipv6", icon: "mdi:numeric-6-circle-outline", text: t("route.ipv6") });
  }

  let diagnosisState = "unknown";
  if (finding === "ok") {
    diagnosisState = "ok";
  } else if (finding) {
    diagnosisState = "problem";
  }
  return {
    language: language(hass),
    title: config.title || (device && (device.name_by_user || device.name)) || t("title.default"),
    found: Object.keys(entities).length > 0,
    status,
    statusText: translated("remote_access_status"),
    statusState: { reachable: "ok", custom: "ok", relay: "warning", unreachable: "problem", disabled: "problem" }[status] || "unknown",
    finding,
    failing,
    diagnosis: {
      state: diagnosisState,
      name: finding ? translated("diagnosis") : t("diagnosis.unknown"),
      action: finding ? t(`action.${finding}`) : t("diagnosis.unknown_action"),
      layerName: failing ? t(`layer.${failing}`) : null,
      entityId: entities.diagnosis || null
    },
    layers: LAYERS.map((id) => layers[id]),
    routes,
    buttons: [
      { key: "run_diagnosis", entityId: entities.run_diagnosis || null, text: t("button.run_diagnosis"), icon: "mdi:stethoscope" },
      {
        key: "retry_remote_access",
        entityId: entities.retry_remote_access || null,
        text: t("button.retry_remote_access"),
        icon: "mdi:refresh",
        disabled: entities.retry_remote_access ? hass.states[entities.retry_remote_access]?.state === "unavailable" : true
      }
    ]
  };
}

const STYLES = `
  :host {
    display: block;
    --prd-ok: var(--success-color, #43a047);
    --prd-problem: var(--error-color, #db4437);
    --prd-warning: var(--warning-color, #ffa600);
    --prd-unknown: var(--disabled-color, #9e9e9e);
    --prd-line: var(--divider-color, rgba(127, 127, 127, 0.35));
  }
  ha-card { overflow: hidden; height: 100%; box-sizing: border-box; }
  .root { container-type: inline-size; container-name: prd; padding: 16px; }
  .header { display: flex; align-items: center; gap: 12px; margin-bottom: 16px; flex-wrap: wrap; }
  .header h2 {
    margin: 0; flex: 1 1 auto; min-width: 0;
    font-size: var(--ha-font-size-xl, 20px); font-weight: var(--ha-font-weight-normal, 400);
    color: var(--primary-text-color); line-height: 1.3;
  }
  .chip {
    display: inline-flex; align-items: center; gap: 6px; padding: 4px 12px 4px 8px; border-radius: 16px;
    font-size: var(--ha-font-size-s, 13px); font-weight: 500; color: var(--primary-text-color);
    background: color-mix(in srgb, var(--prd-color) 16%, transparent);
  }
  .chip ha-icon { --mdc-icon-size: 18px; color: var(--prd-color); }
  [data-state="ok"] { --prd-color: var(--prd-ok); }
  [data-state="problem"] { --prd-color: var(--prd-problem); }
  [data-state="warning"] { --prd-color: var(--prd-warning); }
  [data-state="unknown"] { --prd-color: var(--prd-unknown); }

  ol.path { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); }
  li.layer { position: relative; display: flex; }
  .tile {
    flex: 1; min-width: 0; display: flex; flex-direction: column; align-items: center; text-align: center;
    gap: 4px; padding: 8px 4px 10px; margin: 0 2px; border-radius: 12px; cursor: pointer;
    border: 2px solid transparent; outline: none; box-sizing: border-box; position: relative;
  }
  .tile:hover { background: color-mix(in srgb, var(--primary-text-color) 5%, transparent); }
  .tile:focus-visible, .diagnosis:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 2px; }
  li.failing .tile {
    border-color: var(--prd-problem);
    background: color-mix(in srgb, var(--prd-problem) 9%, transparent);
  }
  .dot {
    width: 44px; height: 44px; border-radius: 50%; flex: none; display: flex; align-items: center; justify-content: center;
    box-sizing: border-box; border: 2px solid var(--prd-color); color: var(--prd-color);
    background: var(--ha-card-background, var(--card-background-color, #fff));
    background-image: linear-gradient(color-mix(in srgb, var(--prd-color) 16%, transparent), color-mix(in srgb, var(--prd-color) 16%, transparent));
    position: relative; z-index: 1;
  }
  li.failing .dot { background-color: var(--prd-problem); background-image: none; color: var(--text-primary-color, #fff); }
  .dot ha-icon { --mdc-icon-size: 24px; }
  .text { min-width: 0; display: flex; flex-direction: column; gap: 2px; }
  .name { font-weight: 500; color: var(--primary-text-color); font-size: var(--ha-font-size-m, 14px); }
  .value {
    color: var(--secondary-text-color); font-size: var(--ha-font-size-s, 12px); line-height: 1.35;
    overflow-wrap: anywhere;
  }
  .state {
    display: inline-flex; align-items: center; gap: 3px; font-size: var(--ha-font-size-s, 12px);
    font-weight: 500; color: var(--primary-text-color);
  }
  .state ha-icon { --mdc-icon-size: 16px; color: var(--prd-color); }
  .breaks {
    position: absolute; top: -9px; left: 50%; transform: translateX(-50%); white-space: nowrap; z-index: 2;
    background: var(--prd-problem); color: var(--text-primary-color, #fff); border-radius: 8px; padding: 0 8px;
    font-size: 11px; font-weight: 600; line-height: 18px; text-transform: uppercase; letter-spacing: 0.03em;
  }
  /* The connectors between layers: a line from each dot to its neighbours, broken (red,
     dashed) on both sides of the layer that breaks. */
  li.layer::before, li.layer::after {
    content: ""; position: absolute; top: 32px; height: 0; border-top: 3px solid var(--prd-line); width: 50%;
  }
  li.layer::before { left: 0; }
  li.layer::after { right: 0; }
  li.layer:first-child::before, li.layer:last-child::after { display: none; }
  li.failing::after, li.after-failing::before { border-top: 3px dashed var(--prd-problem); }

  .routes { display: grid; grid-template-columns: 1fr; gap: 6px; margin-top: 10px; }
  .route {
    display: flex; align-items: center; gap: 6px; font-size: var(--ha-font-size-s, 13px);
    color: var(--primary-text-color); --prd-route-style: dashed;
  }
  .route ha-icon { --mdc-icon-size: 18px; color: var(--prd-color); flex: none; }
  .route[data-route="relay"] { --prd-color: var(--prd-warning); }
  .route[data-route="custom"] { --prd-color: var(--prd-ok); --prd-route-style: solid; }
  .route[data-route="ipv6"] { --prd-color: var(--primary-color); --prd-route-style: dotted; }
  /* Wide: a bracket under the path, from the Plex server's dot to the apps' dot. */
  @container prd (min-width: 600px) {
    .route {
      justify-content: center; text-align: center; margin: 0 calc(100% / 12); padding: 8px 10px 4px;
      border: 2px var(--prd-route-style) var(--prd-color); border-top: none; border-radius: 0 0 14px 14px;
    }
  }
  .diagnosis {
    display: flex; align-items: center; gap: 12px; margin-top: 16px; padding: 12px 14px; border-radius: 12px;
    cursor: pointer; outline: none; border: 2px solid transparent;
    background: color-mix(in srgb, var(--prd-color) 12%, transparent);
    border-left: 6px solid var(--prd-color);
  }
  .diagnosis > ha-icon { --mdc-icon-size: 28px; color: var(--prd-color); flex: none; }
  .diagnosis .body { flex: 1; min-width: 0; }
  .finding { font-weight: 600; font-size: var(--ha-font-size-l, 16px); color: var(--primary-text-color); }
  .where { white-space: nowrap; font-weight: 400; color: var(--secondary-text-color); font-size: var(--ha-font-size-m, 14px); }
  .action { margin-top: 2px; color: var(--primary-text-color); font-size: var(--ha-font-size-m, 14px); line-height: 1.4; }
  .go {
    flex: none; display: inline-flex; align-items: center; color: var(--primary-color); font-weight: 500;
    font-size: var(--ha-font-size-m, 14px); white-space: nowrap;
  }
  .go ha-icon { --mdc-icon-size: 18px; }

  .actions { display: flex; flex-wrap: wrap; gap: 8px; justify-content: flex-end; margin-top: 12px; }
  .actions button.fallback {
    font: inherit; font-weight: 500; color: var(--primary-color); background: none; cursor: pointer;
    border: 1px solid var(--prd-line); border-radius: 18px; padding: 6px 14px;
  }
  .message { color: var(--secondary-text-color); padding: 8px 0; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
    clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
  }

  /* Narrow (a phone, a dashboard column): the layers stack, the connectors run down. */
  @container prd (max-width: 599px) {
    ol.path { grid-template-columns: 1fr; }
    .tile { flex-direction: row; align-items: center; text-align: left; gap: 12px; padding: 6px 8px; margin: 2px 0; }
    .text { flex: 1; }
    .state { flex: none; margin-left: auto; }
    .breaks { top: -9px; left: auto; right: 10px; transform: none; }
    li.layer::before, li.layer::after {
      top: auto; left: 29px; right: auto; width: 0; height: 50%; border-top: none; border-left: 3px solid var(--prd-line);
    }
    li.layer::before { top: 0; }
    li.layer::after { bottom: 0; }
    li.failing::after, li.after-failing::before { border-top: none; border-left: 3px dashed var(--prd-problem); }
    .route { padding: 4px 10px; border-left: 3px var(--prd-route-style) var(--prd-color); }
    .diagnosis { flex-wrap: wrap; row-gap: 6px; }
    .diagnosis .body { flex: 1 1 calc(100% - 52px); }
    .go { margin-left: 40px; }
    .actions { justify-content: stretch; }
    .actions > * { flex: 1 1 auto; }
  }
`;

class PlexRemoteDoctorCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = null;
    this._hass = null;
    this._signature = "";
    this._model = null;
    this._content = null;
    this._live = null;
    this.shadowRoot.addEventListener("click", (ev) => this._onActivate(ev));
    this.shadowRoot.addEventListener("keydown", (ev) => {
      if ((ev.key === "Enter" || ev.key === " ") && ev.target.closest && ev.target.closest("[data-more-info],[data-repair]")) {
        ev.preventDefault();
        this._onActivate(ev);
      }
    });
    if (!customElements.get("ha-button")) {
      // Drawn with a plain button until the frontend has defined its own.
      customElements.whenDefined("ha-button").then(() => this._render(true));
    }
  }

  static getConfigElement() {
    return document.createElement(EDITOR_TYPE);
  }

  static getStubConfig(hass) {
    return { device_id: firstDevice(hass) };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") {
      throw new Error("Invalid configuration");
    }
    this._config = { ...config };
    this._render(true);
  }

  set hass(hass) {
    this._hass = hass;
    this._render(false);
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    return 5;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  _render(force) {
    if (!this._config || !this._hass) {
      return;
    }
    const model = buildModel(this._hass, this._config);
    const signature = JSON.stringify(model) + (customElements.get("ha-button") ? "b" : "");
    if (!force && signature === this._signature) {
      return;
    }
    this._signature = signature;
    this._model = model;
    if (!this._content) {
      this.shadowRoot.innerHTML = `<style>${STYLES}</style><div class="sr-only" aria-live="polite"></div><div class="content"></div>`;
      this._live = this.shadowRoot.querySelector("[aria-live]");
      this._content = this.shadowRoot.querySelector(".content");
    }
    // Keep the keyboard focus on the same layer or button across a redraw.
    const focused = this.shadowRoot.activeElement;
    const focusKey = focused && focused.closest ? this._focusKey(focused) : null;
    this._content.innerHTML = this._html(model);
    if (focusKey) {
      const again = this._content.querySelector(focusKey);
      if (again) {
        again.focus();
      }
    }
    // The live region lives outside the redrawn part, so screen readers announce a change.
    const summary = this._summary(model);
    if (this._live.textContent !== summary) {
      this._live.textContent = summary;
    }
  }

  _focusKey(element) {
    const layer = element.closest("[data-layer]");
    if (layer) {
      return `[data-layer="${layer.dataset.layer}"] .tile`;
    }
    if (element.closest(".diagnosis")) {
      return ".diagnosis";
    }
    const press = element.closest("[data-press]");
    return press ? `[data-press="${press.dataset.press}"]` : null;
  }

  _summary(model) {
    if (!model.found) {
      return "";
    }
    const t = translator(this._hass);
    const diagnosis = model.diagnosis;
    return [
      model.statusText ? `${t("remote_access")}: ${model.statusText}` : null,
      `${t("diagnosis.label")}: ${diagnosis.name}`,
      diagnosis.layerName ? `${t("breaks_here")}: ${diagnosis.layerName}` : null
    ]
      .filter(Boolean)
      .join(". ");
  }

  _html(model) {
    const t = translator(this._hass);
    const title = escapeHtml(model.title);
    if (!this._config.device_id || !model.found) {
      const text = this._config.device_id ? t("error.no_entities") : t("error.no_device");
      return `<ha-card><div class="root"><div class="header"><h2>${title}</h2></div><div class="message" role="status">${escapeHtml(text)}</div></div></ha-card>`;
    }
    const chip = model.statusText
      ? `<span class="chip" data-state="${model.statusState}"><ha-icon icon="${STATE_ICONS[model.statusState]}" aria-hidden="true"></ha-icon><span class="sr-only">${escapeHtml(
          t("remote_access")
        )}: </span>${escapeHtml(model.statusText)}</span>`
      : "";
    const layers = model.layers
      .map((layer, index) => {
        const previous = index > 0 ? model.layers[index - 1] : null;
        const classes = ["layer", layer.failing ? "failing" : "", previous && previous.failing ? "after-failing" : ""]
          .filter(Boolean)
          .join(" ");
        const stateText = t(`state.${layer.state}`);
        const label = [
          `${layer.name}: ${stateText}`,
          layer.failing ? t("breaks_here") : null,
          ...layer.values
        ]
          .filter(Boolean)
          .join(". ");
        return `<li class="${classes}" data-layer="${layer.id}" data-state="${layer.state}">
          <div class="tile" role="button" tabindex="0" aria-label="${escapeHtml(label)}"${
            layer.entityId ? ` data-more-info="${escapeHtml(layer.entityId)}"` : ""
          }>
            ${layer.failing ? `<span class="breaks" aria-hidden="true">${escapeHtml(t("breaks_here"))}</span>` : ""}
            <span class="dot" aria-hidden="true"><ha-icon icon="${LAYER_ICONS[layer.id]}"></ha-icon></span>
            <span class="text" aria-hidden="true">
              <span class="name">${escapeHtml(layer.name)}</span>
              ${layer.values.map((value) => `<span class="value">${escapeHtml(value)}</span>`).join("")}
            </span>
            <span class="state" aria-hidden="true"><ha-icon icon="${STATE_ICONS[layer.state]}"></ha-icon>${escapeHtml(stateText)}</span>
          </div>
        </li>`;
      })
      .join("");
    const routes = model.routes.length
      ? `<div class="routes" role="list">${model.routes
          .map(
            (route) =>
              `<div class="route" role="listitem" data-route="${route.id}"><ha-icon icon="${route.icon}" aria-hidden="true"></ha-icon><span>${escapeHtml(
                route.text
              )}</span></div>`
          )
          .join("")}</div>`
      : "";
    const diagnosis = model.diagnosis;
    const opensRepair = diagnosis.state === "problem";
    const where = diagnosis.layerName ? ` <span class="where">· ${escapeHtml(diagnosis.layerName)}</span>` : "";
    const go = opensRepair ? t("diagnosis.open_repair") : t("diagnosis.details");
    const diagnosisLabel = [`${t("diagnosis.label")}: ${diagnosis.name}`, diagnosis.layerName, diagnosis.action, go]
      .filter(Boolean)
      .join(". ");
    const target = opensRepair ? ` data-repair="${escapeHtml(model.finding)}"` : "";
    const moreInfo = diagnosis.entityId ? ` data-more-info="${escapeHtml(diagnosis.entityId)}"` : "";
    const diagnosisHtml = `<div class="diagnosis" data-state="${diagnosis.state}" role="button" tabindex="0"${target}${moreInfo}
        aria-label="${escapeHtml(diagnosisLabel)}">
        <ha-icon icon="${STATE_ICONS[diagnosis.state]}" aria-hidden="true"></ha-icon>
        <div class="body" aria-hidden="true">
          <div class="finding">${escapeHtml(diagnosis.name)}${where}</div>
          <div class="action">${escapeHtml(diagnosis.action)}</div>
        </div>
        <span class="go" aria-hidden="true">${escapeHtml(go)}<ha-icon icon="mdi:chevron-right"></ha-icon></span>
      </div>`;
    const useHaButton = Boolean(customElements.get("ha-button"));
    const buttons = model.buttons
      .filter((button) => button.entityId)
      .map((button) =>
        useHaButton
          ? `<ha-button appearance="plain" data-press="${escapeHtml(button.entityId)}"${button.disabled ? " disabled" : ""}><ha-icon slot="start" icon="${button.icon}"></ha-icon>${escapeHtml(button.text)}</ha-button>`
          : `<button class="fallback" data-press="${escapeHtml(button.entityId)}"${button.disabled ? " disabled" : ""}>${escapeHtml(button.text)}</button>`
      )
      .join("");
    return `<ha-card>
      <div class="root">
        <div class="header"><h2>${title}</h2>${chip}</div>
        <ol class="path" role="list" aria-label="${escapeHtml(t("path.label"))}">${layers}</ol>
        ${routes}
        ${diagnosisHtml}
        <div class="actions">${buttons}</div>
      </div>
    </ha-card>`;
  }

  _onActivate(ev) {
    const path = ev.composedPath ? ev.composedPath() : [ev.target];
    for (const element of path) {
      if (!element || !element.dataset) {
        continue;
      }
      if (element.dataset.press) {
        this._press(element, element.dataset.press);
        return;
      }
      if (element.dataset.repair) {
        this._openRepair(element.dataset.repair, element.dataset.moreInfo);
        return;
      }
      if (element.dataset.moreInfo) {
        this._moreInfo(element.dataset.moreInfo);
        return;
      }
    }
  }

  _moreInfo(entityId) {
    this.dispatchEvent(new CustomEvent("hass-more-info", { detail: { entityId }, bubbles: true, composed: true }));
  }

  async _press(element, entityId) {
    if (element.hasAttribute("disabled")) {
      return;
    }
    element.setAttribute("disabled", "");
    try {
      // Errors (a retry within plex.tv's cooldown) reach the user as Home Assistant's toast.
      await this._hass.callService("button", "press", { entity_id: entityId });
    } catch (_err) {
      // Shown by the frontend already.
    } finally {
      element.removeAttribute("disabled");
    }
  }

  /**
   * The frontend has no public API to open one repair's dialog, so the card opens the
   * repairs page, where the repair sits on top; before the repair is confirmed (it needs
   * agreeing checks a minute apart), or for a user who may not see repairs, the
   * diagnosis' more-info instead.
   */
  async _openRepair(finding, diagnosisEntityId) {
    let raised = false;
    if (this._hass.user && this._hass.user.is_admin) {
      try {
        const result = await this._hass.callWS({ type: "repairs/list_issues" });
        raised = result.issues.some(
          (issue) => issue.domain === DOMAIN && issue.translation_key === finding && !issue.ignored
        );
      } catch (_err) {
        raised = false;
      }
    }
    if (raised) {
      window.history.pushState(null, "", "/config/repairs");
      window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
    } else if (diagnosisEntityId) {
      this._moreInfo(diagnosisEntityId);
    }
  }
}

class PlexRemoteDoctorCardEditor extends HTMLElement {
  constructor() {
    super();
    this._config = {};
    this._hass = null;
    this._form = null;
    this._loading = null;
  }

  setConfig(config) {
    this._config = { ...config };
    this._update();
  }

  set hass(hass) {
    this._hass = hass;
    this._update();
  }

  async _ensureForm() {
    if (customElements.get("ha-form")) {
      return;
    }
    // ha-form is loaded with the editors of Home Assistant's own cards.
    if (window.loadCardHelpers) {
      const helpers = await window.loadCardHelpers();
      const card = await helpers.createCardElement({ type: "entities", entities: [] });
      if (card && card.constructor.getConfigElement) {
        await card.constructor.getConfigElement();
      }
    }
    await customElements.whenDefined("ha-form");
  }

  async _update() {
    if (!this._hass) {
      return;
    }
    if (!this._form) {
      this._loading = this._loading || this._ensureForm();
      await this._loading;
      if (!this._form) {
        this._form = document.createElement("ha-form");
        this._form.addEventListener("value-changed", (ev) => this._changed(ev));
        this.appendChild(this._form);
      }
    }
    const t = translator(this._hass);
    this._form.hass = this._hass;
    this._form.data = this._config;
    this._form.schema = [
      { name: "device_id", required: true, selector: { device: { filter: { integration: DOMAIN } } } },
      { name: "title", selector: { text: {} } }
    ];
    this._form.computeLabel = (schema) => t(schema.name === "device_id" ? "editor.device" : "editor.title");
  }

  _changed(ev) {
    ev.stopPropagation();
    const config = { ...this._config, ...ev.detail.value };
    if (!config.title) {
      delete config.title;
    }
    this._config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
  }
}

if (!customElements.get(CARD_TYPE)) {
  customElements.define(CARD_TYPE, PlexRemoteDoctorCard);
  customElements.define(EDITOR_TYPE, PlexRemoteDoctorCardEditor);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: CARD_TYPE,
    name: TRANSLATIONS.en["card.name"],
    description: TRANSLATIONS.en["card.description"],
    preview: true,
    documentationURL: "https://github.com/plex-remote-doctor/plex-remote-doctor#the-layer-path-card"
  });
}
