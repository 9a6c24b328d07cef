"""Tests for Plex Remote Doctor."""
