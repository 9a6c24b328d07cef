"""Tests of the pure client library and diagnosis engine."""
