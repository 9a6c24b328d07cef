"""Plex Remote Doctor: which layer breaks Plex remote access, and what to do."""
