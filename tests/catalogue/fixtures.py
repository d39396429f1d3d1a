"""Reference rows that product tests point at (currencies, units, tax classes, categories,
suppliers), written with SQL beside a running hub: WAL lets a second writer in.

Idempotent: rows that exist already (a store seeded with USD, ZWG, each and kg, or an earlier
call) are kept, and the ids returned are read back by code, so tests never depend on who made
the row first.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.catalogue.barcodes import with_check_digit
from hub.db.connection import HubConnection, connect, transaction

CATEGORIES = (("cat-food", "Food", None), ("cat-bakery", "Bakery", "cat-food"),
              ("cat-bread", "Bread", "cat-bakery"), ("cat-drinks", "Drinks", None))
SUPPLIERS = (("sup-dairy", "Dairibord"), ("sup-bakers", "Baker's Inn"))


@contextlib.contextmanager
def writing(db_path: Path) -> Iterator[HubConnection]:
    conn = connect(db_path)
    try:
        with transaction(conn):
            yield conn
    finally:
        conn.close()


def reference(db_path: Path) -> dict[str, str]:
    """Make (or find) the rows; returns ids: each, kg, VAT, EXEMPT, food, bakery, bread, drinks,
    dairy, bakers."""
    with writing(db_path) as conn:
        now = conn.stamp()
        conn.execute("INSERT OR IGNORE INTO currencies (code, name, decimals, is_base, created_at, updated_at)"
                     " SELECT 'USD', 'US Dollar', 2, NOT EXISTS (SELECT 1 FROM currencies WHERE is_base = 1),"
                     " :now, :now", {"now": now})
        conn.execute("INSERT OR IGNORE INTO currencies (code, name, decimals, created_at, updated_at)"
                     " VALUES ('ZWG', 'Zimbabwe Gold', 2, :now, :now)", {"now": now})
        for code, decimals in (("each", 0), ("kg", 3)):
            conn.execute("INSERT OR IGNORE INTO units (id, code, name, decimals, created_at, updated_at)"
                         " VALUES (:id, :code, :code, :d, :now, :now)",
                         {"id": f"unit-{code}", "code": code, "d": decimals, "now": now})
        for code, exempt in (("VAT", 0), ("EXEMPT", 1)):
            conn.execute("INSERT OR IGNORE INTO tax_classes (id, code, name, exempt, created_at, updated_at)"
                         " VALUES (:id, :code, :code, :exempt, :now, :now)",
                         {"id": f"tax-{code.lower()}", "code": code, "exempt": exempt, "now": now})
        for cid, name, parent in CATEGORIES:
            conn.execute("INSERT OR IGNORE INTO categories (id, name, parent_id, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?)", (cid, name, parent, now, now))
        for sid, name in SUPPLIERS:
            conn.execute("INSERT OR IGNORE INTO suppliers (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         (sid, name, now, now))
        ids = {code: conn.execute("SELECT id FROM units WHERE code = ?", (code,)).fetchone()[0]
               for code in ("each", "kg")}
        ids.update({code: conn.execute("SELECT id FROM tax_classes WHERE code = ?", (code,)).fetchone()[0]
                    for code in ("VAT", "EXEMPT")})
    ids.update({cid.removeprefix("cat-"): cid for cid, _n, _p in CATEGORIES})
    ids.update({sid.removeprefix("sup-"): sid for sid, _n in SUPPLIERS})
    return ids


def archive(db_path: Path, table: str, row_id: str) -> None:
    with writing(db_path) as conn:
        conn.execute(f"UPDATE {table} SET active = 0 WHERE id = ?", (row_id,))


def enrol(db_path: Path, enrolled: bool = True) -> None:
    """Mark the hub enrolled with HQ (what the cloud bridge will do)."""
    with writing(db_path) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('hq_enrolled', :v)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", {"v": "1" if enrolled else "0"})


def rows(db_path: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


_serial = iter(range(1, 10**6))


def ean13(body: str) -> str:
    """A valid EAN-13 for 12 digits (or fewer, zero-padded on the left)."""
    return with_check_digit(body.zfill(12))


def new_product(ids: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A create body with a fresh SKU and barcode; `fields` override."""
    n = next(_serial)
    body: dict[str, Any] = {"sku": f"SKU-{n:05d}", "name": f"Test product {n}", "unit_id": ids["each"],
                            "tax_class_id": ids["VAT"], "prices": {"USD": 150},
                            "barcodes": [{"code": ean13(f"600{n:09d}")}]}
    body.update(fields)
    return body


# Fixtures for the product tests; import them into a test module to use them.


@pytest.fixture
def ids(hub) -> dict[str, str]:
    return reference(hub.db_path)


@pytest.fixture
def admin(hub):
    return hub.as_user("admin")


def create(client, ids: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/products", json=new_product(ids, **fields))
    assert r.status_code == 201, r.text
    return r.json()


def field_errors(response) -> dict[str, str]:
    """field -> message of a problem document."""
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


def changes_of(db_path: Path, product_id: str) -> list[dict[str, Any]]:
    """The product's change-feed rows, oldest first: {version, **data}."""
    found = rows(db_path, "SELECT version, data FROM changes WHERE entity = 'product' AND entity_id = ?"
                 " ORDER BY seq", product_id)
    return [{"version": r["version"], **json.loads(r["data"])} for r in found]
