"""Test helper: sale bodies that add up (the till's arithmetic), and a store on a plain connection
with a till, a cashier and a shift to ingest them into."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hub.db.audit import Actor
from hub.db.connection import HubConnection, transaction
from hub.ids import new_id
from hub.pricing.rounding import div_round
from tests.inventory.store import add_product, open_store  # noqa: F401

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


def line(unit_price: int, quantity: int = 1000, *, product_id: str | None = None, code: str = "",
         discounts: list[dict] | None = None, tax_rate_bp: int = 1550, **extra: Any) -> dict[str, Any]:
    """A line of `quantity` thousandths at `unit_price`, VAT included at `tax_rate_bp`."""
    gross = div_round(quantity * unit_price, 1000)
    net = gross - sum(d["amount"] for d in discounts or [])
    tax = div_round(net * tax_rate_bp, 10000 + tax_rate_bp)
    return {"name": extra.pop("name", "Item"), "quantity": quantity, "unit_price": unit_price, "total": net,
            "product_id": product_id, "code": code or ("" if product_id else "6001234567890"),
            "discounts": discounts or [], "tax_rate_bp": tax_rate_bp, "tax_amount": tax, "tax_code": "A", **extra}


def sale(lines: list[dict], tenders: list[dict], *, currency: str = "USD", rounding: int = 0,
         sequence: int = 1, clock: dt.datetime = NOW, **extra: Any) -> dict[str, Any]:
    """A sale body (inclusive tax) whose totals are its lines'."""
    subtotal = sum(div_round(ln["quantity"] * ln["unit_price"], 1000) for ln in lines)
    discount = sum(d["amount"] for ln in lines for d in ln["discounts"])
    return {"id": new_id(), "sequence": sequence, "currency": currency, "device_clock": clock.isoformat(),
            "lines": lines, "tenders": tenders, "subtotal": subtotal, "discount_total": discount,
            "tax_total": sum(ln["tax_amount"] for ln in lines), "rounding": rounding,
            "total": subtotal - discount + rounding, **extra}


def cash(amount: int, currency: str = "USD") -> dict[str, Any]:
    return {"method": "cash", "currency": currency, "amount": amount}


def till_store(path: Path) -> tuple[HubConnection, dict[str, str]]:
    """A migrated store (USD, ZWG) with store code HRE1, a paired till, a cashier and her open shift."""
    conn = open_store(path)
    ids = {"till": new_id(), "cashier": new_id(), "shift": new_id()}
    with transaction(conn):
        stamp = conn.stamp()
        conn.execute("INSERT OR REPLACE INTO settings (key, value, version, updated_at) VALUES "
                     "('store.code', '\"HRE1\"', 1, ?)", (stamp,))
        conn.execute("INSERT INTO devices (id, name, platform, app_version, token_hash, paired_at, version,"
                     " created_at, updated_at) VALUES (?, 'Till 1', 'android', '1', ?, ?, 1, ?, ?)",
                     (ids["till"], "hash-" + ids["till"], stamp, stamp, stamp))
        role = (new_id(),)
        conn.execute("INSERT INTO roles (id, name, created_at, updated_at) VALUES (?, 'till staff', ?, ?)",
                     (role[0], stamp, stamp))
        conn.execute("INSERT INTO users (id, username, display_name, role_id, password_hash, active, version,"
                     " created_at, updated_at) VALUES (?, 'mary', 'Mary', ?, 'x', 1, 1, ?, ?)",
                     (ids["cashier"], role[0], stamp, stamp))
        conn.execute("INSERT INTO shifts (id, device_id, cashier_id, status, opened_at, created_at, updated_at)"
                     " VALUES (?, ?, ?, 'open', ?, ?, ?)", (ids["shift"], ids["till"], ids["cashier"], stamp, stamp,
                                                            stamp))
    return conn, ids


def cashier(ids: dict[str, str]) -> Actor:
    return Actor(user_id=ids["cashier"], username="mary", device_id=ids["till"])
