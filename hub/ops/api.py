"""The operations API (slot)."""

CONTROLLERS: list = []
