"""What product tests stand on: the store's seeded units, tax classes and currencies, and a few
categories and suppliers made through their own API; plus small helpers over the database.

Every new store is seeded with USD (base) and ZWG, each/kg/l and VAT/ZERO/EXEMPT
(hub.catalogue.seed); `reference` finds those by code and adds a category tree and two
suppliers, so tests never depend on ids they did not read back.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from hub.catalogue.barcodes import with_check_digit
from hub.db.connection import HubConnection, connect, transaction

CATEGORIES = (("food", "Food", None), ("bakery", "Bakery", "food"), ("bread", "Bread", "bakery"),
              ("drinks", "Drinks", None))
SUPPLIERS = (("dairy", "Dairibord"), ("bakers", "Baker's Inn"))


@contextlib.contextmanager
def writing(db_path: Path) -> Iterator[HubConnection]:
    conn = connect(db_path)
    try:
        with transaction(conn):
            yield conn
    finally:
        conn.close()


def _by_code(client: httpx.Client, path: str, code: str) -> str:
    r = client.get(path, params={"q": code, "limit": 200})
    assert r.status_code == 200, r.text
    [found] = [row["id"] for row in r.json()["items"] if row["code"].casefold() == code.casefold()]
    return found


def _category(client: httpx.Client, name: str, parent_id: str | None) -> str:
    r = client.post("/api/v1/categories", json={"name": name, "parent_id": parent_id})
    if r.status_code == 201:
        return r.json()["id"]
    assert r.status_code == 409, r.text  # made already (a second call on the same store)
    params = {"q": name, "limit": 200, **({"parent_id": parent_id} if parent_id else {})}
    rows = client.get("/api/v1/categories", params=params).json()["items"]
    return next(c["id"] for c in rows if c["name"] == name and c["parent_id"] == parent_id)


def reference(client: httpx.Client) -> dict[str, str]:
    """Ids by short name: each, kg, VAT, EXEMPT, food, bakery, bread, drinks, dairy, bakers.
    `client` holds catalogue.manage (the demo admin)."""
    ids = {code: _by_code(client, "/api/v1/units", code) for code in ("each", "kg")}
    ids.update({code: _by_code(client, "/api/v1/tax-classes", code) for code in ("VAT", "EXEMPT")})
    for key, name, parent in CATEGORIES:
        ids[key] = _category(client, name, ids[parent] if parent else None)
    for key, name in SUPPLIERS:
        r = client.post("/api/v1/suppliers", json={"name": name})
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    return ids


def archive(db_path: Path, table: str, row_id: str) -> None:
    """Archive a row behind the API's back: a state HQ's feed may bring (an archived category an
    active product still names) that the store's own API refuses to make."""
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
def ids(hub, admin) -> dict[str, str]:
    return reference(admin)


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
