"""Plex Remote Doctor's client library and brain: probes, evidence and the runbook.

Pure Python over aiohttp and async-upnp-client; it never imports Home Assistant.
``doctor.Doctor`` is the entry point (``examine()`` gives the ``Evidence``);
``diagnose.diagnose`` turns evidence into the finding, in the runbook's layer order.
"""
