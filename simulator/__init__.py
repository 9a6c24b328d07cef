"""Small real servers on loopback that stand in for Plex, plex.tv, a router and an IP echo.

Each fake is dumb: it serves the state a test (or the demo) sets, and records what it
was asked. They are plain aiohttp apps, usable from tests, ``script/demo`` and benchmarks.
"""
