"""Helpers for tinygan's own tests: not part of the public API."""
