"""A store on a plain connection for the report tests: the sales test store (a till, a cashier, her
open shift, USD and ZWG) with named products, and sales ingested through the real functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.db.connection import transaction
from hub.reports import catalog, periods
from hub.sales.ingest import ingest_sale
from tests.inventory.store import add_product, moved
from tests.sales.build import cashier, till_store

ID_KEYS = ("product_id", "cashier_id", "device_id", "category_id", "shift_id", "id", "sale_id", "occurred_at",
           "closed_at")


def report_store(path: Path, names: tuple[str, ...] = ("Bread", "Milk", "Sugar")) -> tuple[Any, dict, list[str]]:
    conn, ids = till_store(path)
    products = []
    for i, name in enumerate(names):
        p = add_product(conn, sku=f"R-{i}", name=name)
        moved(conn, p, "receipt", 500_000, unit_cost=100 + 10 * i)
        products.append(p)
    return conn, ids, products


def ingest(conn: Any, ids: dict, bodies: list[dict]) -> None:
    for body in bodies:
        with transaction(conn):
            ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))


def today(conn: Any) -> periods.Period:
    return periods.resolve(conn, "today")


def run_all(conn: Any, period: periods.Period | None = None) -> dict[str, dict]:
    period = period or today(conn)
    return {name: catalog.run(conn, name, period) for name in catalog.REPORTS}


def without_ids(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ID_KEYS} for r in rows]
