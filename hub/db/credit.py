"""Credit accounts and vouchers (m0020): the credit ledger per customer and currency, credit
payments, credit limits, vouchers and their balance ledger (docs/customers.md).

Both ledgers are append-only (triggers refuse UPDATE and DELETE); a balance is the sum of its rows
in one currency, never summed across currencies.
"""

from __future__ import annotations

import sqlite3
from typing import Any

POST_SQL = """
INSERT OR IGNORE INTO credit_ledger (customer_id, currency, kind, amount, source_type, source_id, occurred_at,
                                     recorded_at, note)
VALUES (:customer_id, :currency, :kind, :amount, :source_type, :source_id, :occurred_at, :recorded_at, :note)
"""
BALANCES_SQL = """
SELECT currency, sum(amount) AS balance FROM credit_ledger WHERE customer_id = :id GROUP BY currency ORDER BY currency
"""
LIMITS_SQL = "SELECT currency, credit_limit FROM credit_limits WHERE customer_id = :id ORDER BY currency"
ENTRIES_SQL = """
SELECT seq, currency, kind, amount, source_type, source_id, occurred_at, recorded_at, note,
       CASE WHEN source_type = 'sale' THEN (SELECT invoice_number FROM sales WHERE id = source_id)
            WHEN source_type = 'credit_payment' THEN (SELECT 'P' || number FROM credit_payments WHERE id = source_id)
            ELSE '' END AS reference
FROM credit_ledger WHERE customer_id = :id AND currency = :currency
  AND (:since IS NULL OR occurred_at >= :since) AND (:until IS NULL OR occurred_at < :until)
ORDER BY occurred_at, seq
"""
BEFORE_SQL = """
SELECT coalesce(sum(amount), 0) FROM credit_ledger WHERE customer_id = :id AND currency = :currency
  AND occurred_at < :since
"""
INSERT_PAYMENT_SQL = """
INSERT INTO credit_payments (id, number, customer_id, currency, amount, method, provider, reference, note,
                             device_id, received_by, received_by_name, received_at, body_hash)
VALUES (:id, (SELECT coalesce(max(number), 0) + 1 FROM credit_payments), :customer_id, :currency, :amount,
        :method, :provider, :reference, :note, :device_id, :received_by, :received_by_name, :received_at, :body_hash)
"""
PAYMENTS_SQL = """
SELECT p.*, c.name AS customer_name FROM credit_payments p JOIN customers c ON c.id = p.customer_id
"""
ACCOUNTS_SQL = """
SELECT c.id, c.name, l.currency, sum(l.amount) AS balance,
       (SELECT credit_limit FROM credit_limits k WHERE k.customer_id = c.id AND k.currency = l.currency) AS credit_limit
FROM credit_ledger l JOIN customers c ON c.id = l.customer_id
GROUP BY c.id, l.currency HAVING sum(l.amount) != 0
ORDER BY c.name_key, c.id, l.currency
"""
VOUCHER_SQL = """
SELECT v.id, v.code, v.kind, v.customer_id, c.name AS customer_name, v.currency, v.expires_on, v.note, v.created_at,
       coalesce((SELECT sum(amount) FROM voucher_ledger e WHERE e.voucher_id = v.id), 0) AS balance,
       coalesce((SELECT sum(amount) FROM voucher_ledger e WHERE e.voucher_id = v.id AND e.kind = 'issue'), 0) AS issued,
       (SELECT count(*) FROM voucher_ledger e WHERE e.voucher_id = v.id AND e.kind = 'redeem') AS redemptions,
       EXISTS (SELECT 1 FROM voucher_ledger e WHERE e.voucher_id = v.id AND e.kind = 'expire') AS expired
FROM vouchers v LEFT JOIN customers c ON c.id = v.customer_id
"""
VOUCHER_LIST_SQL = VOUCHER_SQL + """
WHERE (:kind IS NULL OR v.kind = :kind) AND (:customer_id IS NULL OR v.customer_id = :customer_id)
  AND (:q IS NULL OR v.code = upper(:q)) AND (:after IS NULL OR v.id < :after)
ORDER BY v.id DESC LIMIT :limit
"""
INSERT_VOUCHER_SQL = """
INSERT INTO vouchers (id, code, kind, customer_id, currency, expires_on, note, created_at)
VALUES (:id, :code, :kind, :customer_id, :currency, :expires_on, :note, :created_at)
"""
VOUCHER_POST_SQL = """
INSERT OR IGNORE INTO voucher_ledger (voucher_id, kind, amount, source_type, source_id, recorded_at)
VALUES (:voucher_id, :kind, :amount, :source_type, :source_id, :recorded_at)
"""


def post(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """One credit ledger row (unique per source, customer, currency and kind); False when held."""
    return conn.execute(POST_SQL, {"note": "", **row}).rowcount == 1


def balances(conn: sqlite3.Connection, customer_id: str) -> dict[str, int]:
    return {r["currency"]: r["balance"] for r in conn.execute(BALANCES_SQL, {"id": customer_id})}


def balance(conn: sqlite3.Connection, customer_id: str, currency: str) -> int:
    return balances(conn, customer_id).get(currency, 0)


def limits(conn: sqlite3.Connection, customer_id: str) -> dict[str, int]:
    return {r["currency"]: r["credit_limit"] for r in conn.execute(LIMITS_SQL, {"id": customer_id})}


def set_limits(conn: sqlite3.Connection, customer_id: str, new: dict[str, int]) -> None:
    conn.execute("DELETE FROM credit_limits WHERE customer_id = ?", (customer_id,))
    conn.executemany("INSERT INTO credit_limits (customer_id, currency, credit_limit) VALUES (?, ?, ?)",
                     [(customer_id, c, v) for c, v in sorted(new.items())])


def entries(conn: sqlite3.Connection, customer_id: str, currency: str, *, since: str | None = None,
            until: str | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(ENTRIES_SQL, {"id": customer_id, "currency": currency, "since": since, "until": until})
    return [dict(r) for r in rows]


def balance_before(conn: sqlite3.Connection, customer_id: str, currency: str, since: str) -> int:
    return int(conn.execute(BEFORE_SQL, {"id": customer_id, "currency": currency, "since": since}).fetchone()[0])


def insert_payment(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_PAYMENT_SQL, row)


def get_payment(conn: sqlite3.Connection, payment_id: str) -> dict[str, Any] | None:
    row = conn.execute(PAYMENTS_SQL + " WHERE p.id = ?", (payment_id,)).fetchone()
    return dict(row) if row else None


def payments(conn: sqlite3.Connection, customer_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(PAYMENTS_SQL + " WHERE p.customer_id IN (SELECT id FROM customers WHERE id = ? OR"
                        " merged_into = ?) ORDER BY p.received_at DESC, p.number DESC LIMIT ?",
                        (customer_id, customer_id, limit))
    return [dict(r) for r in rows]


def accounts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every customer with a balance other than zero, per currency."""
    return [dict(r) for r in conn.execute(ACCOUNTS_SQL)]


def customers_with_ledger(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT customer_id FROM credit_ledger")]


# ---- vouchers --------------------------------------------------------------------------------

def _voucher(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    v = dict(row)
    v["expired"] = bool(v["expired"])
    return v


def get_voucher(conn: sqlite3.Connection, voucher_id: str) -> dict[str, Any] | None:
    return _voucher(conn.execute(VOUCHER_SQL + " WHERE v.id = ?", (voucher_id,)).fetchone())


def voucher_by_code(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    return _voucher(conn.execute(VOUCHER_SQL + " WHERE v.code = ?", (code.strip().upper(),)).fetchone())


def store_credit_of(conn: sqlite3.Connection, customer_id: str, currency: str) -> dict[str, Any] | None:
    return _voucher(conn.execute(VOUCHER_SQL + " WHERE v.kind = 'store_credit' AND v.customer_id = ?"
                                 " AND v.currency = ? ORDER BY v.created_at LIMIT 1",
                                 (customer_id, currency)).fetchone())


def list_vouchers(conn: sqlite3.Connection, *, kind: str | None = None, customer_id: str | None = None,
                  q: str | None = None, after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(VOUCHER_LIST_SQL, {"kind": kind, "customer_id": customer_id, "q": q or None,
                                           "after": after, "limit": limit})
    return [v for v in (_voucher(r) for r in rows) if v is not None]


def insert_voucher(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_VOUCHER_SQL, row)


def code_taken(conn: sqlite3.Connection, code: str) -> bool:
    return conn.execute("SELECT 1 FROM vouchers WHERE code = ?", (code,)).fetchone() is not None


def post_voucher(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    return conn.execute(VOUCHER_POST_SQL, row).rowcount == 1


def voucher_entries(conn: sqlite3.Connection, voucher_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT e.*, CASE WHEN e.source_type = 'sale' THEN (SELECT invoice_number FROM sales"
                        " WHERE id = e.source_id) ELSE '' END AS reference FROM voucher_ledger e"
                        " WHERE e.voucher_id = ? ORDER BY e.seq", (voucher_id,))
    return [dict(r) for r in rows]


def customer_vouchers(conn: sqlite3.Connection, customer_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(VOUCHER_SQL + " WHERE v.customer_id = ? ORDER BY v.created_at DESC", (customer_id,))
    return [v for v in (_voucher(r) for r in rows) if v is not None]
