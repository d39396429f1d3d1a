"""Filled by the feature that owns it."""

from __future__ import annotations

CONTROLLERS: list = []
