"""Plex Remote Doctor's client library and brain: probes, evidence and the runbook.

Pure Python over aiohttp and async-upnp-client; it never imports Home Assistant.
"""
