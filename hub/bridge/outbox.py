"""The outbox's facts as HQ receives them (docs/cloud-bridge.md, "Up: facts").

Migration 24's triggers write one `bridge_outbox` row per fact in the fact's own transaction;
here each row becomes `{"seq", "event_id", "kind", "occurred_at", "hash", "data"}` at push time,
`data` read from the fact's rows. Only what never changes once recorded goes into `data` (a
sale's `status` does: its void is a fact of its own), so a fact sent again has the same hash.
The one exception is `product_local` (migration 30): a product is not immutable, so its fact
carries the product as it is when sent, which is the fact's own version unless the product
changed since (a later fact of the store's, or an HQ change); HQ deduplicates by event id and
keeps the highest `version` it was sent per product, so a resent fact changes nothing there.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from functools import lru_cache
from typing import Any, Callable
from zoneinfo import ZoneInfo

from cloud_bridge.link import canonical, fact_hash

MAX_FACTS = 1000
MAX_BYTES = 8 * 1024 * 1024
PENDING_SQL = "SELECT seq, event_id, kind, ref, occurred_at FROM bridge_outbox WHERE seq > ? ORDER BY seq LIMIT ?"
SALE_DROP = ("status", "void_id", "body_hash")


def _rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, params)]


def _row(conn: sqlite3.Connection, sql: str, *params: Any) -> dict[str, Any] | None:
    r = conn.execute(sql, params).fetchone()
    return dict(r) if r else None


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 (an unknown zone: the store's days in UTC)
        return ZoneInfo("UTC")


def business_date(conn: sqlite3.Connection, occurred_at: str) -> str:
    """The store-local date of an instant (the store's `store.timezone`)."""
    from hub.db.pricing import DEFAULT_TIMEZONE
    from hub.db.settings import get_setting

    zone = _zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE) or DEFAULT_TIMEZONE)
    moment = dt.datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    return moment.astimezone(zone).date().isoformat()


def _sale(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    sale = _row(conn, "SELECT * FROM sales WHERE id = ?", ref)
    if sale is None:
        return None
    for key in SALE_DROP:
        sale.pop(key, None)
    sale["rates"] = json.loads(sale["rates"])
    sale["training"] = bool(sale.get("training"))
    sale["business_date"] = business_date(conn, sale["occurred_at"])
    if _has_line_category(conn):  # migration 28: the line keeps its category from the sale
        lines = _rows(conn, "SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", ref)
    else:
        lines = _rows(conn, """SELECT l.*, p.category_id FROM sale_lines l LEFT JOIN products p ON p.id = l.product_id
                               WHERE l.sale_id = ? ORDER BY l.line_no""", ref)
    discounts: dict[int, list[dict[str, Any]]] = {}
    for d in _rows(conn, "SELECT * FROM sale_line_discounts WHERE sale_id = ? ORDER BY line_no, seq", ref):
        discounts.setdefault(d.pop("line_no"), []).append({k: v for k, v in d.items() if k != "sale_id"})
    for line in lines:
        line.pop("sale_id", None)
        line.pop("cost_thousandths", None)  # may be completed later (an unapplied document applied)
        line["discounts"] = discounts.get(line["line_no"], [])
    sale["lines"] = lines
    sale["tenders"] = [{k: v for k, v in t.items() if k != "sale_id"}
                       for t in _rows(conn, "SELECT * FROM sale_tenders WHERE sale_id = ? ORDER BY seq", ref)]
    sale["change"] = [{k: v for k, v in c.items() if k != "sale_id"}
                      for c in _rows(conn, "SELECT * FROM sale_change WHERE sale_id = ? ORDER BY currency", ref)]
    return sale


def _has_line_category(conn: sqlite3.Connection) -> bool:
    return any(r[1] == "category_id" for r in conn.execute("PRAGMA table_info(sale_lines)"))


def _void(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    void = _row(conn, "SELECT * FROM sale_voids WHERE id = ?", ref)
    if void is None:
        return None
    sale = _row(conn, "SELECT currency, total, tax_total, occurred_at FROM sales WHERE id = ?", void["sale_id"])
    void["sale"] = sale
    void["business_date"] = business_date(conn, void["occurred_at"])
    return void


def _refund(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    refund = _row(conn, "SELECT * FROM sale_refunds WHERE id = ?", ref)
    if refund is None:
        return None
    refund.pop("body_hash", None)
    refund["business_date"] = business_date(conn, refund["occurred_at"])
    refund["lines"] = [{k: (bool(v) if k == "restock" else v) for k, v in r.items() if k != "refund_id"}
                       for r in _rows(conn, "SELECT * FROM sale_refund_lines WHERE refund_id = ? ORDER BY line_no", ref)]
    refund["tenders"] = [{k: v for k, v in r.items() if k != "refund_id"}
                         for r in _rows(conn, "SELECT * FROM sale_refund_tenders WHERE refund_id = ? ORDER BY seq", ref)]
    return refund


def _correction(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    doc = _row(conn, "SELECT * FROM sale_corrections WHERE id = ?", ref)
    if doc is None:
        return None
    doc.pop("body_hash", None)
    doc["rates"] = json.loads(doc["rates"])
    doc["business_date"] = business_date(conn, doc["occurred_at"])
    doc["lines"] = [{k: v for k, v in r.items() if k != "correction_id"} for r in _rows(
        conn, "SELECT * FROM sale_correction_lines WHERE correction_id = ? ORDER BY line_no", ref)]
    doc["tenders"] = [{k: v for k, v in r.items() if k != "correction_id"} for r in _rows(
        conn, "SELECT * FROM sale_correction_tenders WHERE correction_id = ? ORDER BY seq", ref)]
    return doc


def _stock_movement(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    return _row(conn, """SELECT id, kind, product_id, quantity, unit_cost, source_type, source_id, source_line,
                                user_id, username, device_id, occurred_at, recorded_at, note
                         FROM stock_movements WHERE id = ?""", ref)


def _shift(conn: sqlite3.Connection, ref: str, status: str) -> dict[str, Any] | None:
    shift = _row(conn, """SELECT id, number, device_id, cashier_id, opened_at, opened_by, closed_at, closed_by,
                                 close_note FROM shifts WHERE id = ?""", ref)
    if shift is None:
        return None
    shift["status"] = status
    shift["business_date"] = business_date(conn, shift["opened_at"])
    shift["floats"] = {r["currency"]: r["amount"] for r in _rows(
        conn, "SELECT currency, amount FROM shift_floats WHERE shift_id = ? ORDER BY currency", ref)}
    if status == "open":
        for key in ("closed_at", "closed_by", "close_note"):
            shift.pop(key)
    else:
        shift["close"] = _rows(conn, """SELECT method, provider, currency, expected, counted, variance
                                        FROM shift_close_lines WHERE shift_id = ?
                                        ORDER BY method, provider, currency""", ref)
    return shift


def _cash_movement(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    return _row(conn, """SELECT id, shift_id, kind, currency, amount, reason_code, note, user_id, username,
                                device_id, at FROM cash_movements WHERE id = ?""", ref)


def _credit(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    return _row(conn, """SELECT customer_id, currency, kind, amount, source_type, source_id, occurred_at,
                                recorded_at, note FROM credit_ledger WHERE seq = ?""", int(ref))


def _voucher(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    return _row(conn, """SELECT l.voucher_id, v.code, v.kind AS voucher_kind, v.currency, l.kind, l.amount,
                                l.source_type, l.source_id, l.recorded_at
                         FROM voucher_ledger l JOIN vouchers v ON v.id = l.voucher_id WHERE l.seq = ?""", int(ref))


def _product_local(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    """A product the store made or changed in its own fields, as it is now (docs/cloud-bridge.md:
    a fact names the version that made it; its data is the product's current version, so a
    product HQ changed since carries HQ's fields too, and `version` says which one it is)."""
    product = _row(conn, """SELECT p.id, p.version, p.sku, p.name, p.receipt_name AS short_name, p.category_id,
                                   c.name AS category, u.code AS unit, t.code AS tax_class, p.hs_code,
                                   p.sold_by_weight, p.stock_tracked, p.active, p.cost_price,
                                   (SELECT code FROM currencies WHERE is_base = 1) AS cost_currency, p.updated_at
                            FROM products p LEFT JOIN units u ON u.id = p.unit_id
                            LEFT JOIN categories c ON c.id = p.category_id
                            LEFT JOIN tax_classes t ON t.id = p.tax_class_id WHERE p.id = ?""", ref)
    if product is None:
        return None
    for flag in ("sold_by_weight", "stock_tracked", "active"):
        product[flag] = bool(product[flag])
    product["barcodes"] = _rows(conn, "SELECT code, pack_quantity FROM barcodes WHERE product_id = ? "
                                      "ORDER BY pack_quantity, code", ref)
    prices = _rows(conn, "SELECT currency, price, override_price FROM product_prices WHERE product_id = ? "
                         "ORDER BY currency", ref)
    # `prices`: what a customer pays (the store's override where it set one); `override_prices`: those.
    product["prices"] = {p["currency"]: p["override_price"] if p["override_price"] is not None else p["price"]
                         for p in prices}
    product["override_prices"] = {p["currency"]: p["override_price"] for p in prices
                                  if p["override_price"] is not None}
    return product


BUILDERS: dict[str, Callable[[sqlite3.Connection, str], dict[str, Any] | None]] = {
    "sale": _sale, "void": _void, "refund": _refund, "correction": _correction,
    "stock_movement": _stock_movement, "cash_movement": _cash_movement,
    "credit_payment": _credit, "voucher_entry": _voucher, "product_local": _product_local,
}


def build(conn: sqlite3.Connection, kind: str, ref: str, event_id: str) -> dict[str, Any] | None:
    """The `data` of one fact, or None when its row is gone (never, short of a hand edit)."""
    if kind == "shift":
        return _shift(conn, ref, event_id.rpartition(":")[2])
    builder = BUILDERS.get(kind)
    return builder(conn, ref) if builder else None


def pending(conn: sqlite3.Connection, after: int, *, limit: int = MAX_FACTS,
            max_bytes: int = MAX_BYTES) -> list[dict[str, Any]]:
    """The next batch after outbox seq `after`: contiguous, at most `limit` facts and about
    `max_bytes` of data (always at least one fact)."""
    facts: list[dict[str, Any]] = []
    size = 0
    for row in conn.execute(PENDING_SQL, (after, limit)).fetchall():
        data = build(conn, row["kind"], row["ref"], row["event_id"])
        if data is None:
            data = {"missing": True, "ref": row["ref"]}
        body = canonical(data)
        if facts and size + len(body) > max_bytes:
            break
        size += len(body)
        facts.append({"seq": row["seq"], "event_id": row["event_id"], "kind": row["kind"],
                      "occurred_at": row["occurred_at"], "hash": fact_hash(data), "data": data})
    return facts
