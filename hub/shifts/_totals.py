"""A shift's sales and tenders, from the sale feature's totals (hub.sales.totals): this package
never sums sales itself."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.sales import totals

TENDER_FIELDS = ("method", "provider", "currency", "amount")
SALES_FIELDS = ("currency", "count", "total", "tax")


def _as_dict(item: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(item, dict):
        return {f: item[f] for f in fields}
    return {f: getattr(item, f) for f in fields}


def tenders(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    """Net received per tender method, provider and currency (cash net of change given)."""
    rows = [_as_dict(t, TENDER_FIELDS) for t in totals.shift_tenders(conn, shift_id)]
    for row in rows:
        row["provider"] = row["provider"] or ""
    return sorted(rows, key=lambda r: (r["method"] != "cash", r["method"], r["provider"], r["currency"]))


def sales(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    """Sales per receipt currency: count, total and tax."""
    return sorted((_as_dict(s, SALES_FIELDS) for s in totals.shift_sales(conn, shift_id)),
                  key=lambda r: r["currency"])
