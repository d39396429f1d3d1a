"""Identifiers: UUIDv7 strings, born where the record is born (DESIGN.md section 3)."""

import uuid6


def new_id() -> str:
    """Return a new UUIDv7 as a lowercase string (time-ordered, globally unique)."""
    return str(uuid6.uuid7())
