"""Reads the sales and exception pages need beyond hub.sales.service and hub.db.exceptions: totals
per currency over a filtered history (never added across currencies), what each listed sale
holds (lines, tenders, open exceptions), the names a receipt shows (units, promotions,
approvers), the exception queue with open ones first, and the open count for the banner.

Pure reads over a connection; nothing here changes data.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db import sales as sale_rows
from hub.inventory import _format

# The history's totals run over the list's own query (all pages), so the two never disagree; a
# sale is `voided` once a void document names it (the list gives that document's id).
# A training sale counts apart (`training`), never in the takings.
_STATUS = ("CASE WHEN x.training = 1 THEN 'training' WHEN x.void_id IS NULL THEN x.status ELSE 'voided' END"
           if "void_id" in sale_rows.LIST_SQL else "x.status")
TOTALS_SQL = f"""
SELECT x.currency, {_STATUS} AS status, count(*) AS count, sum(x.total) AS total, sum(x.tax_total) AS tax
FROM ({sale_rows.LIST_SQL}) x
GROUP BY 1, 2 ORDER BY 1, 2
"""

QUEUE_SQL = """
SELECT *, status = 'open' AS is_open FROM exceptions
WHERE (:kind IS NULL OR kind = :kind) AND (:status IS NULL OR status = :status)
  AND (:after_open IS NULL OR (status = 'open') < :after_open
       OR ((status = 'open') = :after_open AND id < :after_id))
ORDER BY status = 'open' DESC, id DESC LIMIT :limit
"""


def unit_quantity(thousandths: int, decimals: int | None) -> str:
    """Thousandths in the unit's decimals (3500 of a 3-decimal unit: "3.500"); every digit held is
    shown even where the unit allows fewer, so nothing is hidden."""
    if decimals is None:
        return _format.quantity(thousandths)
    whole, frac = divmod(abs(thousandths), 1000)
    digits = f"{frac:03d}"
    shown = max(decimals, len(digits.rstrip("0")))
    sign = "-" if thousandths < 0 else ""
    return f"{sign}{whole:,}" + (f".{digits[:shown]}" if shown else "")


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def currency_decimals(conn: sqlite3.Connection) -> dict[str, int]:
    """Every currency the store has held (archived ones too: old sales name them) -> decimals."""
    return {r[0]: r[1] for r in conn.execute("SELECT code, decimals FROM currencies")}


def active_currencies(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT code FROM currencies WHERE active = 1 ORDER BY is_base DESC, code")]


def totals(conn: sqlite3.Connection, *, since: str | None, until: str | None, **filters: Any) -> list[dict[str, Any]]:
    """Per receipt currency and status: how many sales match the history's filters, their total
    and tax, each in its own currency."""
    params = {"since": since, "until": until, "device_id": None, "cashier_id": None, "currency": None,
              "status": None, "shift_id": None, "number": None, "method": None, "after_at": None,
              "after_id": None, "limit": -1, **filters}
    return [dict(r) for r in conn.execute(TOTALS_SQL, params)]


def tills_and_cashiers(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tills and cashiers that have sales, for the history's filters."""
    tills = [dict(r) for r in conn.execute(
        "SELECT DISTINCT s.device_id AS id, coalesce(d.name, s.till_code) AS name, s.till_code AS code"
        " FROM sales s LEFT JOIN devices d ON d.id = s.device_id ORDER BY name, code")]
    cashiers = [dict(r) for r in conn.execute(
        "SELECT s.cashier_id AS id, coalesce(u.display_name, s.cashier_name) AS name FROM"
        " (SELECT DISTINCT cashier_id, cashier_name FROM sales) s LEFT JOIN users u ON u.id = s.cashier_id"
        " GROUP BY s.cashier_id ORDER BY name")]
    return tills, cashiers


def summaries(conn: sqlite3.Connection, sale_ids: list[str]) -> dict[str, dict[str, Any]]:
    """For each sale: its number of lines, its tenders and how many of its exceptions are open."""
    found: dict[str, dict[str, Any]] = {i: {"lines": 0, "tenders": [], "open": 0, "exceptions": 0}
                                        for i in sale_ids}
    if not sale_ids:
        return found
    marks = _marks(sale_ids)
    for r in conn.execute(f"SELECT sale_id, count(*) FROM sale_lines WHERE sale_id IN ({marks})"
                          " GROUP BY sale_id", sale_ids):
        found[r[0]]["lines"] = r[1]
    for r in conn.execute(f"SELECT * FROM sale_tenders WHERE sale_id IN ({marks}) ORDER BY sale_id, seq",
                          sale_ids):
        found[r["sale_id"]]["tenders"].append(dict(r))
    for r in conn.execute(f"SELECT sale_id, count(*), sum(status = 'open') FROM exceptions"
                          f" WHERE sale_id IN ({marks}) GROUP BY sale_id", sale_ids):
        found[r[0]]["exceptions"], found[r[0]]["open"] = r[1], r[2]
    return found


def receipt_names(conn: sqlite3.Connection, sale: dict[str, Any]) -> dict[str, Any]:
    """What a receipt names beyond the sale: each product's unit decimals and SKU, the promotions
    and approving users of its discounts, and its shift's number."""
    products = sorted({ln["product_id"] for ln in sale["lines"] if ln["product_id"]})
    units: dict[str, dict[str, Any]] = {}
    if products:
        units = {r["id"]: dict(r) for r in conn.execute(
            f"SELECT p.id, p.sku, u.code AS unit, u.decimals FROM products p JOIN units u ON u.id = p.unit_id"
            f" WHERE p.id IN ({_marks(products)})", products)}
    discounts = [d for ln in sale["lines"] for d in ln["discounts"]]
    promos = sorted({d["promotion_id"] for d in discounts if d["promotion_id"]})
    users = sorted({d["approved_by"] for d in discounts if d["approved_by"]})
    promotions = {r[0]: r[1] for r in conn.execute(
        f"SELECT id, name FROM promotions WHERE id IN ({_marks(promos)})", promos)} if promos else {}
    approvers = {r[0]: r[1] for r in conn.execute(
        f"SELECT id, display_name FROM users WHERE id IN ({_marks(users)})", users)} if users else {}
    shift = None
    if sale.get("shift_id"):
        row = conn.execute("SELECT id, number, status FROM shifts WHERE id = ?", (sale["shift_id"],)).fetchone()
        shift = dict(row) if row else None
    return {"units": units, "promotions": promotions, "approvers": approvers, "shift": shift}


def queue(conn: sqlite3.Connection, *, kind: str | None, status: str | None,
          after: tuple[int, str] | None, limit: int) -> list[dict[str, Any]]:
    """Exceptions, open ones first, then newest raised first; a page after (is_open, id)."""
    params = {"kind": kind, "status": status, "after_open": after[0] if after else None,
              "after_id": after[1] if after else None, "limit": limit}
    found = []
    for r in conn.execute(QUEUE_SQL, params):
        row = dict(r)
        row["detail"] = json.loads(row["detail"])
        found.append(row)
    return found


def open_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM exceptions WHERE status = 'open'").fetchone()[0])


def kinds_seen(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT kind FROM exceptions ORDER BY kind")]


def exception_context(conn: sqlite3.Connection, records: list[dict[str, Any]]) -> dict[str, Any]:
    """What the queue's sentences name: each sale's invoice number, till and currency, each
    product's name and SKU, the units' decimals, and the currencies' decimals."""
    sales = sorted({e["sale_id"] for e in records if e["sale_id"]})
    found: dict[str, Any] = {"sales": {}, "products": {}, "decimals": currency_decimals(conn)}
    if sales:
        found["sales"] = {r["id"]: dict(r) for r in conn.execute(
            f"SELECT s.id, s.invoice_number, s.currency, s.occurred_at, s.shift_id, coalesce(d.name, s.till_code)"
            f" AS till FROM sales s LEFT JOIN devices d ON d.id = s.device_id WHERE s.id IN ({_marks(sales)})",
            sales)}
    products = sorted({e["detail"].get("product_id") for e in records
                       if isinstance(e["detail"].get("product_id"), str)})
    if products:
        found["products"] = {r["id"]: dict(r) for r in conn.execute(
            f"SELECT p.id, p.name, p.sku, u.decimals FROM products p JOIN units u ON u.id = p.unit_id"
            f" WHERE p.id IN ({_marks(products)})", products)}
    lines: dict[str, dict[str, Any]] = {}
    for e in records:
        if e["subject_type"] == "sale_line" and "#" in e["subject_id"]:
            sale_id, _, number = e["subject_id"].partition("#")
            if number.isdigit():
                row = conn.execute("SELECT line_no, name, code, quantity, unit_price FROM sale_lines"
                                   " WHERE sale_id = ? AND line_no = ?", (sale_id, int(number))).fetchone()
                if row:
                    lines[e["subject_id"]] = dict(row)
    found["lines"] = lines
    return found
