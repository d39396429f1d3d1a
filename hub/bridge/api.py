"""The bridge API (slot)."""

CONTROLLERS: list = []
