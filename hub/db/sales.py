"""Sales rows: the sale, its lines and their discounts, tenders and change (m0013).

Plain functions over a connection; the rules (what a sale must hold, what it raises) live in
hub.sales. Rows are inserted once and never updated (a void is a new document).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

SALE_COLUMNS = (
    "id", "invoice_number", "store_code", "till_code", "sequence", "device_id", "shift_id", "cashier_id",
    "cashier_name", "customer_id", "currency", "rates", "tax_mode", "subtotal", "discount_total", "tax_total",
    "rounding", "total", "paid", "status", "occurred_at", "device_clock", "recorded_at", "body_hash", "training",
)
LINE_COLUMNS = (
    "sale_id", "line_no", "product_id", "code", "name", "quantity", "unit_price", "catalogue_price", "gross",
    "discount", "tax_class_id", "tax_code", "tax_rate_bp", "tax_amount", "total", "category_id",
)
DISCOUNT_COLUMNS = ("sale_id", "line_no", "seq", "amount", "promotion_id", "approved_by", "reason")
TENDER_COLUMNS = ("sale_id", "seq", "method", "provider", "reference", "currency", "amount", "rate", "rate_scale",
                  "amount_receipt")
CHANGE_COLUMNS = ("sale_id", "currency", "amount", "amount_receipt")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"


INSERT_SALE_SQL = _insert_sql("sales", SALE_COLUMNS)
INSERT_LINE_SQL = _insert_sql("sale_lines", LINE_COLUMNS)
INSERT_DISCOUNT_SQL = _insert_sql("sale_line_discounts", DISCOUNT_COLUMNS)
INSERT_TENDER_SQL = _insert_sql("sale_tenders", TENDER_COLUMNS)
INSERT_CHANGE_SQL = _insert_sql("sale_change", CHANGE_COLUMNS)

# A sale's status is `voided` once a void document names it (the sale's own row is never edited).
SALE_FROM = """
SELECT s.*, d.name AS device_name, v.id AS void_id, v.reason AS void_reason, v.occurred_at AS voided_at,
       v.voided_by_name AS voided_by_name, v.shift_id AS void_shift_id
FROM sales s LEFT JOIN devices d ON d.id = s.device_id LEFT JOIN sale_voids v ON v.sale_id = s.id
"""
SALE_SQL = SALE_FROM + "WHERE s.id = :id"
NOT_VOIDED = "NOT EXISTS (SELECT 1 FROM sale_voids v WHERE v.sale_id = s.id)"
SAME_NUMBER_SQL = "SELECT id FROM sales WHERE invoice_number = :number AND id != :id ORDER BY recorded_at, id LIMIT 1"
LIST_SQL = SALE_FROM + """
WHERE (:since IS NULL OR s.occurred_at >= :since)
  AND (:until IS NULL OR s.occurred_at < :until)
  AND (:device_id IS NULL OR s.device_id = :device_id)
  AND (:cashier_id IS NULL OR s.cashier_id = :cashier_id)
  AND (:currency IS NULL OR s.currency = :currency)
  AND (:status IS NULL OR (CASE WHEN v.id IS NULL THEN s.status ELSE 'voided' END) = :status)
  AND (:shift_id IS NULL OR s.shift_id = :shift_id)
  AND (:number IS NULL OR s.invoice_number = :number COLLATE NOCASE)
  AND (:method IS NULL OR EXISTS (SELECT 1 FROM sale_tenders t WHERE t.sale_id = s.id AND t.method = :method))
  AND (:after_at IS NULL OR s.occurred_at < :after_at OR (s.occurred_at = :after_at AND s.id < :after_id))
ORDER BY s.occurred_at DESC, s.id DESC LIMIT :limit
"""
# Per tender kind and currency in a shift: received, and cash handed back as change. A sale counts
# in its own shift; a void takes its money back out of the shift the void happened in
# (`sale_voids.shift_id`: the till's shift, else the sale's own). A sale voided in its own shift
# counts in neither side (as if it never was); voided in another, it counts in its own and the
# void subtracts in the other.
# A training sale (m0017) counts nowhere: every money reader filters it, and the refunds and
# corrections of one.
VOIDED_HERE = ("s.training = 0 AND NOT EXISTS (SELECT 1 FROM sale_voids v WHERE v.sale_id = s.id"
               " AND v.shift_id IS s.shift_id)")
VOIDED_ELSEWHERE = "s.training = 0 AND (s.shift_id IS NULL OR s.shift_id != v.shift_id)"
NOT_TRAINING = "NOT EXISTS (SELECT 1 FROM sales ts WHERE ts.id = {}.sale_id AND ts.training = 1)"
SHIFT_TENDERS_SQL = f"""
SELECT t.method, t.provider, t.currency, sum(t.amount) AS amount
FROM sale_tenders t JOIN sales s ON s.id = t.sale_id
WHERE s.shift_id = :shift_id AND {VOIDED_HERE} GROUP BY t.method, t.provider, t.currency
"""
SHIFT_CHANGE_SQL = f"""
SELECT c.currency, sum(c.amount) AS amount
FROM sale_change c JOIN sales s ON s.id = c.sale_id
WHERE s.shift_id = :shift_id AND {VOIDED_HERE} GROUP BY c.currency
"""
# count: the shift's sales not voided anywhere.
SHIFT_SALES_SQL = f"""
SELECT s.currency, sum(CASE WHEN v.id IS NULL THEN 1 ELSE 0 END) AS count, sum(s.total) AS total,
       sum(s.tax_total) AS tax
FROM sales s LEFT JOIN sale_voids v ON v.sale_id = s.id
WHERE s.shift_id = :shift_id AND {VOIDED_HERE} GROUP BY s.currency ORDER BY s.currency
"""
SHIFT_VOIDED_TENDERS_SQL = f"""
SELECT t.method, t.provider, t.currency, sum(t.amount) AS amount
FROM sale_tenders t JOIN sale_voids v ON v.sale_id = t.sale_id JOIN sales s ON s.id = t.sale_id
WHERE v.shift_id = :shift_id AND {VOIDED_ELSEWHERE} GROUP BY t.method, t.provider, t.currency
"""
SHIFT_VOIDED_CHANGE_SQL = f"""
SELECT c.currency, sum(c.amount) AS amount
FROM sale_change c JOIN sale_voids v ON v.sale_id = c.sale_id JOIN sales s ON s.id = c.sale_id
WHERE v.shift_id = :shift_id AND {VOIDED_ELSEWHERE} GROUP BY c.currency
"""
SHIFT_VOIDED_SQL = f"""
SELECT s.currency, sum(s.total) AS total, sum(s.tax_total) AS tax
FROM sales s JOIN sale_voids v ON v.sale_id = s.id
WHERE v.shift_id = :shift_id AND {VOIDED_ELSEWHERE} GROUP BY s.currency ORDER BY s.currency
"""


def insert_sale(conn: sqlite3.Connection, sale: dict[str, Any], lines: list[dict[str, Any]],
                discounts: list[dict[str, Any]], tenders: list[dict[str, Any]], change: list[dict[str, Any]]) -> None:
    conn.execute(INSERT_SALE_SQL, {**sale, "rates": json.dumps(sale["rates"], sort_keys=True)})
    conn.executemany(INSERT_LINE_SQL, lines)
    conn.executemany(INSERT_DISCOUNT_SQL, discounts)
    conn.executemany(INSERT_TENDER_SQL, tenders)
    conn.executemany(INSERT_CHANGE_SQL, change)


def _sale(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    sale = dict(row)
    sale["rates"] = json.loads(sale["rates"])
    sale["training"] = bool(sale.get("training"))
    if sale.get("void_id"):
        sale["status"] = "voided"
    return sale


def get_sale(conn: sqlite3.Connection, sale_id: str) -> dict[str, Any] | None:
    return _sale(conn.execute(SALE_SQL, {"id": sale_id}).fetchone())


def same_number(conn: sqlite3.Connection, number: str, sale_id: str) -> str | None:
    """The earliest other sale recorded under this invoice number, if any."""
    row = conn.execute(SAME_NUMBER_SQL, {"number": number, "id": sale_id}).fetchone()
    return row[0] if row else None


def parts(conn: sqlite3.Connection, sale_id: str) -> dict[str, list[dict[str, Any]]]:
    """A sale's lines (each with its discounts), tenders and change, in document order."""
    params = {"id": sale_id}
    lines = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_lines WHERE sale_id = :id ORDER BY line_no", params)]
    by_line: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute("SELECT * FROM sale_line_discounts WHERE sale_id = :id ORDER BY line_no, seq", params):
        by_line.setdefault(r["line_no"], []).append(dict(r))
    for line in lines:
        line["discounts"] = by_line.get(line["line_no"], [])
    tenders = [dict(r) for r in conn.execute("SELECT * FROM sale_tenders WHERE sale_id = :id ORDER BY seq", params)]
    change = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_change WHERE sale_id = :id ORDER BY currency", params)]
    return {"lines": lines, "tenders": tenders, "change": change}


def list_sales(conn: sqlite3.Connection, *, since: str | None = None, until: str | None = None,
               device_id: str | None = None, cashier_id: str | None = None, currency: str | None = None,
               status: str | None = None, shift_id: str | None = None, number: str | None = None,
               method: str | None = None, after: tuple[str, str] | None = None,
               limit: int = 50) -> list[dict[str, Any]]:
    """Sales newest first (by when they happened), a page after the cursor (occurred_at, id)."""
    params = {"since": since, "until": until, "device_id": device_id, "cashier_id": cashier_id,
              "currency": currency, "status": status, "shift_id": shift_id, "number": number,
              "method": method, "after_at": after[0] if after else None,
              "after_id": after[1] if after else None, "limit": limit}
    return [_sale(r) for r in conn.execute(LIST_SQL, params)]  # type: ignore[misc]


def shift_tender_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_TENDERS_SQL, {"shift_id": shift_id})]


def shift_change_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_CHANGE_SQL, {"shift_id": shift_id})]


def shift_sale_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_SALES_SQL, {"shift_id": shift_id})]


def shift_voided_tender_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_VOIDED_TENDERS_SQL, {"shift_id": shift_id})]


def shift_voided_change_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_VOIDED_CHANGE_SQL, {"shift_id": shift_id})]


def shift_voided_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_VOIDED_SQL, {"shift_id": shift_id})]


def till_code(conn: sqlite3.Connection, device_id: str) -> str | None:
    row = conn.execute("SELECT code FROM devices WHERE id = :id", {"id": device_id}).fetchone()
    return row[0] if row else None


def set_till_code(conn: sqlite3.Connection, device_id: str, code: str) -> None:
    conn.execute("UPDATE devices SET code = :code WHERE id = :id", {"code": code, "id": device_id})


def code_holder(conn: sqlite3.Connection, code: str) -> str | None:
    row = conn.execute("SELECT id FROM devices WHERE code = :code", {"code": code}).fetchone()
    return row[0] if row else None


def currency_specs(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """The store's active currencies: {code: {decimals, cash_rounding}}."""
    return {r["code"]: {"decimals": r["decimals"], "cash_rounding": r["cash_rounding"]} for r in conn.execute(
        "SELECT code, decimals, cash_rounding FROM currencies WHERE active = 1")}


def shift(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, device_id, cashier_id, status FROM shifts WHERE id = :id",
                       {"id": shift_id}).fetchone()
    return dict(row) if row else None


VOID_COLUMNS = ("id", "sale_id", "reason", "device_id", "voided_by", "voided_by_name", "occurred_at", "recorded_at",
                "shift_id")
INSERT_VOID_SQL = _insert_sql("sale_voids", VOID_COLUMNS)


def insert_void(conn: sqlite3.Connection, void: dict[str, Any]) -> None:
    conn.execute(INSERT_VOID_SQL, void)


STOCK_MOVED_SQL = ("SELECT product_id, quantity, source_line FROM stock_movements WHERE source_type = 'sale'"
                   " AND source_id = :id ORDER BY source_line")


def stock_moved(conn: sqlite3.Connection, sale_id: str) -> list[dict[str, Any]]:
    """The sale's own stock movements (what a void gives back)."""
    return [dict(r) for r in conn.execute(STOCK_MOVED_SQL, {"id": sale_id})]


# ---- refunds (m0016): a new document against a sale ----------------------------------------------

REFUND_COLUMNS = ("id", "sale_id", "device_id", "shift_id", "refunded_by", "refunded_by_name", "currency",
                  "refund_to", "total", "tax_total", "reason", "occurred_at", "device_clock", "recorded_at",
                  "body_hash")
REFUND_LINE_COLUMNS = ("refund_id", "line_no", "sale_line_no", "sale_id", "product_id", "name", "quantity",
                       "amount", "tax_code", "tax_rate_bp", "tax_amount", "restock", "write_off_reason")
REFUND_TENDER_COLUMNS = ("refund_id", "seq", "sale_tender_seq", "method", "provider", "reference", "currency",
                         "amount", "rate", "rate_scale", "amount_receipt")


def insert_refund(conn: sqlite3.Connection, refund: dict[str, Any], lines: list[dict[str, Any]],
                  tenders: list[dict[str, Any]]) -> None:
    conn.execute(_insert_sql("sale_refunds", REFUND_COLUMNS), refund)
    conn.executemany(_insert_sql("sale_refund_lines", REFUND_LINE_COLUMNS), lines)
    conn.executemany(_insert_sql("sale_refund_tenders", REFUND_TENDER_COLUMNS), tenders)


def get_refund(conn: sqlite3.Connection, refund_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sale_refunds WHERE id = :id", {"id": refund_id}).fetchone()
    return dict(row) if row else None


def refund_parts(conn: sqlite3.Connection, refund_id: str) -> dict[str, list[dict[str, Any]]]:
    params = {"id": refund_id}
    lines = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_refund_lines WHERE refund_id = :id ORDER BY line_no", params)]
    for line in lines:
        line["restock"] = bool(line["restock"])
    tenders = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_refund_tenders WHERE refund_id = :id ORDER BY seq", params)]
    return {"lines": lines, "tenders": tenders}


def refunds_of(conn: sqlite3.Connection, sale_id: str) -> list[dict[str, Any]]:
    """The sale's refunds, oldest first, each with its lines and tenders."""
    found = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_refunds WHERE sale_id = :id ORDER BY occurred_at, id", {"id": sale_id})]
    return [{**r, **refund_parts(conn, r["id"])} for r in found]


def refunded_lines(conn: sqlite3.Connection, sale_id: str) -> dict[int, dict[str, int]]:
    """Per sale line: the quantity, amount and tax its refunds gave back so far."""
    return {r["sale_line_no"]: {"quantity": r["quantity"], "amount": r["amount"], "tax": r["tax"]}
            for r in conn.execute(
                "SELECT sale_line_no, sum(quantity) AS quantity, sum(amount) AS amount, sum(tax_amount) AS tax"
                " FROM sale_refund_lines WHERE sale_id = :id GROUP BY sale_line_no", {"id": sale_id})}


def refunded_tenders(conn: sqlite3.Connection, sale_id: str) -> dict[int, dict[str, int]]:
    """Per sale tender: what its refunds gave back to it, in the receipt and the tender's currency."""
    return {r["seq"]: {"amount_receipt": r["amount_receipt"], "amount": r["amount"]} for r in conn.execute(
        "SELECT t.sale_tender_seq AS seq, sum(t.amount_receipt) AS amount_receipt, sum(t.amount) AS amount"
        " FROM sale_refund_tenders t JOIN sale_refunds f ON f.id = t.refund_id"
        " WHERE f.sale_id = :id AND t.sale_tender_seq IS NOT NULL GROUP BY t.sale_tender_seq", {"id": sale_id})}


SHIFT_REFUND_TENDERS_SQL = """
SELECT t.method, t.provider, t.currency, sum(t.amount) AS amount
FROM sale_refund_tenders t JOIN sale_refunds f ON f.id = t.refund_id
WHERE f.shift_id = :shift_id AND """ + NOT_TRAINING.format("f") + """ GROUP BY t.method, t.provider, t.currency
"""
SHIFT_REFUNDS_SQL = """
SELECT currency, count(*) AS count, sum(total) AS total, sum(tax_total) AS tax
FROM sale_refunds f WHERE shift_id = :shift_id AND """ + NOT_TRAINING.format("f") + """
GROUP BY currency ORDER BY currency
"""


def shift_refund_tender_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_REFUND_TENDERS_SQL, {"shift_id": shift_id})]


def shift_refund_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_REFUNDS_SQL, {"shift_id": shift_id})]


# ---- price corrections (m0016): an extra charge or credit after the sale -----------------------

CORRECTION_COLUMNS = ("id", "sale_id", "device_id", "shift_id", "kind", "corrected_by", "corrected_by_name",
                      "currency", "rates", "total", "tax_total", "reason", "occurred_at", "device_clock",
                      "recorded_at", "body_hash")
CORRECTION_LINE_COLUMNS = ("correction_id", "line_no", "sale_line_no", "description", "tax_code", "tax_rate_bp",
                           "amount", "tax_amount")
CORRECTION_TENDER_COLUMNS = ("correction_id", "seq", "method", "provider", "reference", "currency", "amount",
                             "rate", "rate_scale", "amount_receipt")


def insert_correction(conn: sqlite3.Connection, correction: dict[str, Any], lines: list[dict[str, Any]],
                      tenders: list[dict[str, Any]]) -> None:
    conn.execute(_insert_sql("sale_corrections", CORRECTION_COLUMNS),
                 {**correction, "rates": json.dumps(correction["rates"], sort_keys=True)})
    conn.executemany(_insert_sql("sale_correction_lines", CORRECTION_LINE_COLUMNS), lines)
    conn.executemany(_insert_sql("sale_correction_tenders", CORRECTION_TENDER_COLUMNS), tenders)


def _correction(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    found = dict(row)
    found["rates"] = json.loads(found["rates"])
    params = {"id": found["id"]}
    found["lines"] = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_correction_lines WHERE correction_id = :id ORDER BY line_no", params)]
    found["tenders"] = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_correction_tenders WHERE correction_id = :id ORDER BY seq", params)]
    return found


def get_correction(conn: sqlite3.Connection, correction_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sale_corrections WHERE id = :id", {"id": correction_id}).fetchone()
    return _correction(conn, row) if row else None


def corrections_of(conn: sqlite3.Connection, sale_id: str) -> list[dict[str, Any]]:
    return [_correction(conn, r) for r in conn.execute(
        "SELECT * FROM sale_corrections WHERE sale_id = :id ORDER BY occurred_at, id", {"id": sale_id})]


# A charge is money in, a credit money out, in the shift the correction names.
SHIFT_CORRECTION_TENDERS_SQL = """
SELECT t.method, t.provider, t.currency,
       sum(CASE c.kind WHEN 'charge' THEN t.amount ELSE -t.amount END) AS amount
FROM sale_correction_tenders t JOIN sale_corrections c ON c.id = t.correction_id
WHERE c.shift_id = :shift_id AND """ + NOT_TRAINING.format("c") + """ GROUP BY t.method, t.provider, t.currency
"""
SHIFT_CORRECTIONS_SQL = """
SELECT currency, sum(CASE kind WHEN 'charge' THEN total ELSE -total END) AS total,
       sum(CASE kind WHEN 'charge' THEN tax_total ELSE -tax_total END) AS tax
FROM sale_corrections c WHERE shift_id = :shift_id AND """ + NOT_TRAINING.format("c") + """
GROUP BY currency ORDER BY currency
"""


def shift_correction_tender_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_CORRECTION_TENDERS_SQL, {"shift_id": shift_id})]


def shift_correction_rows(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_CORRECTIONS_SQL, {"shift_id": shift_id})]
