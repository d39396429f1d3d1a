"""The printable recovery kit: the recovery key (shown once), the key id and how to restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hub.clock import utc_now

TEMPLATE = Path(__file__).parent / "templates" / "kit.html"


def store_facts(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.db import meta
    from hub.db.settings import get_setting

    return {"name": get_setting(conn, "store.name") or "Store", "code": get_setting(conn, "store.code") or "",
            "hub_id": meta.get(conn, "hub_id") or ""}


def render(key: str, key_id: str, store: dict[str, Any]) -> str:
    """The kit as a standalone HTML page (the CLI writes it to a file)."""
    import jinja2

    env = jinja2.Environment(autoescape=True)
    return env.from_string(TEMPLATE.read_text()).render(
        key=key, key_id=key_id, store=store, made=f"{utc_now():%Y-%m-%d %H:%M} UTC", standalone=True, version="")
