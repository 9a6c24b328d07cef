"""The simulated home network: small real loopback servers for Plex, plex.tv, a router, an IP echo.

Each fake is dumb: it serves the state a test (or the demo) sets, and records what it
was asked. They are plain aiohttp apps, usable from tests, ``script/demo`` and benchmarks.
``network.FakeNetwork`` wires them into one home and holds the runbook's scenarios as
states of it. Nothing here imports the tests.
"""
