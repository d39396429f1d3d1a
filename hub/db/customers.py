"""Customers (m0020): rows, search, duplicate candidates, merges, and the change feed entry a till
reads (entity `customer`, docs/customers.md).

A merged customer keeps its row (`status` merged, `merged_into` the survivor); reads that gather
a customer's sales take the survivor and every customer merged into it, so a sale (a fact, never
edited) moves to the survivor without being rewritten.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from typing import Any

from hub.db.changes import record_change

FIELDS = ("name", "phone", "email", "card", "tier_id", "notes", "registered_name", "trade_name", "tin",
          "vat_number", "address")
CUSTOMER_SQL = """
SELECT c.id, c.name, c.phone, c.email, c.card, c.tier_id, t.name AS tier_name, c.notes, c.registered_name,
       c.trade_name, c.tin, c.vat_number, c.address, c.status, c.merged_into, c.version, c.created_at, c.updated_at
FROM customers c LEFT JOIN pricing_tiers t ON t.id = c.tier_id
"""
LIST_SQL = CUSTOMER_SQL + """
WHERE c.status = 'active'
  AND (:q IS NULL OR instr(c.name_key, :qkey) > 0 OR (:qphone != '' AND instr(c.phone_key, :qphone) > 0)
       OR instr(lower(c.email), lower(:q)) > 0 OR c.card = :q OR instr(lower(c.trade_name), lower(:q)) > 0
       OR instr(lower(c.registered_name), lower(:q)) > 0)
  AND (:after_key IS NULL OR (c.name_key, c.id) > (:after_key, :after_id))
ORDER BY c.name_key, c.id LIMIT :limit
"""
INSERT_SQL = """
INSERT INTO customers (id, name, name_key, phone, phone_key, email, card, tier_id, notes, registered_name,
                       trade_name, tin, vat_number, address, status, version, created_at, updated_at)
VALUES (:id, :name, :name_key, :phone, :phone_key, :email, :card, :tier_id, :notes, :registered_name,
        :trade_name, :tin, :vat_number, :address, 'active', 1, :now, :now)
"""
SAME_CONTACT_SQL = """
SELECT id, name, phone, email, phone_key, lower(email) AS email_key FROM customers
WHERE status = 'active' AND id != :id
  AND ((:phone_key != '' AND phone_key = :phone_key) OR (:email != '' AND lower(email) = lower(:email)))
LIMIT 20
"""
NAMES_SQL = "SELECT id, name, name_key FROM customers WHERE status = 'active' AND id != :id"
MERGED_IDS_SQL = "SELECT id FROM customers WHERE id = :id OR merged_into = :id"
INSERT_MERGE_SQL = """
INSERT INTO customer_merges (id, survivor_id, merged_id, sales_moved, merged_by, merged_at)
VALUES (:id, :survivor_id, :merged_id, :sales_moved, :merged_by, :merged_at)
"""
SALES_SQL = """
SELECT s.id, s.invoice_number, s.currency, s.total, s.status, s.occurred_at, s.customer_id,
       (SELECT group_concat(DISTINCT t.method) FROM sale_tenders t WHERE t.sale_id = s.id) AS methods
FROM sales s
WHERE s.customer_id IN (SELECT id FROM customers WHERE id = :id OR merged_into = :id)
ORDER BY s.occurred_at DESC, s.id DESC LIMIT :limit
"""


def name_key(name: str) -> str:
    """Lowercase letters and digits, accents dropped, words single-spaced: what names compare by."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def phone_key(phone: str) -> str:
    """The phone's digits, a Zimbabwean 0 prefix written as 263 (077 123 4567 = +263 77 123 4567)."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("0") and len(digits) >= 9:
        digits = "263" + digits[1:]
    return digits


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


def get(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(CUSTOMER_SQL + " WHERE c.id = ?", (customer_id,)).fetchone())


def by_card(conn: sqlite3.Connection, card: str) -> dict[str, Any] | None:
    return _row(conn.execute(CUSTOMER_SQL + " WHERE c.card = ?", (card,)).fetchone())


def survivor(conn: sqlite3.Connection, customer_id: str | None) -> dict[str, Any] | None:
    """The customer a sale naming `customer_id` belongs to: itself, or whom it was merged into."""
    row = get(conn, customer_id) if customer_id else None
    seen = 0
    while row is not None and row["status"] == "merged" and row["merged_into"] and seen < 20:
        row, seen = get(conn, row["merged_into"]), seen + 1
    return row


def search(conn: sqlite3.Connection, *, q: str | None, after: tuple[str, str] | None, limit: int) -> list[dict]:
    text = q.strip() if q else None
    params = {"q": text or None, "qkey": name_key(text or ""), "qphone": phone_key(text or "") if text else "",
              "after_key": after[0] if after else None, "after_id": after[1] if after else None, "limit": limit}
    if text and len(params["qphone"]) < 4:
        params["qphone"] = ""  # a few digits in a name search are not a phone number
    return [dict(r) for r in conn.execute(LIST_SQL, params)]


def insert(conn: sqlite3.Connection, customer_id: str, values: dict[str, Any], now: str) -> None:
    conn.execute(INSERT_SQL, {**values, "id": customer_id, "name_key": name_key(values["name"]),
                              "phone_key": phone_key(values["phone"]), "now": now})


def update(conn: sqlite3.Connection, customer_id: str, changes: dict[str, Any], now: str) -> None:
    sets = dict(changes)
    if "name" in sets:
        sets["name_key"] = name_key(sets["name"])
    if "phone" in sets:
        sets["phone_key"] = phone_key(sets["phone"])
    columns = ", ".join(f"{k} = :{k}" for k in sets)
    conn.execute(f"UPDATE customers SET {columns}, version = version + 1, updated_at = :now WHERE id = :id",
                 {**sets, "now": now, "id": customer_id})


def card_holder(conn: sqlite3.Connection, card: str, except_id: str = "") -> str | None:
    row = conn.execute("SELECT id FROM customers WHERE card = ? AND id != ?", (card, except_id)).fetchone()
    return row[0] if row else None


def same_contact(conn: sqlite3.Connection, customer_id: str, phone: str, email: str) -> list[dict[str, Any]]:
    rows = conn.execute(SAME_CONTACT_SQL, {"id": customer_id, "phone_key": phone_key(phone), "email": email.strip()})
    return [dict(r) for r in rows]


def names(conn: sqlite3.Connection, customer_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(NAMES_SQL, {"id": customer_id})]


def merged_ids(conn: sqlite3.Connection, customer_id: str) -> list[str]:
    return [r[0] for r in conn.execute(MERGED_IDS_SQL, {"id": customer_id})]


def mark_merged(conn: sqlite3.Connection, merged_id: str, survivor_id: str, now: str) -> None:
    """The merged row points at the survivor, and so does every row that pointed at it."""
    conn.execute("UPDATE customers SET status = 'merged', merged_into = :s, card = NULL, version = version + 1,"
                 " updated_at = :now WHERE id = :m OR merged_into = :m", {"s": survivor_id, "m": merged_id, "now": now})


def insert_merge(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_MERGE_SQL, row)


def merges(conn: sqlite3.Connection, customer_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT m.*, c.name AS merged_name FROM customer_merges m JOIN customers c"
                        " ON c.id = m.merged_id WHERE m.survivor_id = ? ORDER BY m.merged_at", (customer_id,))
    return [dict(r) for r in rows]


def sales_count(conn: sqlite3.Connection, customer_id: str) -> int:
    return int(conn.execute("SELECT count(*) FROM sales WHERE customer_id = ?", (customer_id,)).fetchone()[0])


def sales(conn: sqlite3.Connection, customer_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SALES_SQL, {"id": customer_id, "limit": limit})]


def tier_exists(conn: sqlite3.Connection, tier_id: str) -> bool:
    return conn.execute("SELECT 1 FROM pricing_tiers WHERE id = ? AND active = 1", (tier_id,)).fetchone() is not None


def publish(conn: sqlite3.Connection, customer_id: str, credit: dict[str, dict[str, int]]) -> None:
    """The customer on the till feed, with its credit limit and balance per currency (a till
    offline warns before a sale beyond the limit)."""
    c = get(conn, customer_id)
    assert c is not None
    data = {k: c[k] for k in ("id", "name", "phone", "email", "card", "tier_id", "registered_name", "trade_name",
                              "tin", "vat_number", "address", "status", "merged_into")}
    data["credit"] = credit
    record_change(conn, "customer", customer_id, c["version"], "upsert", data)


def bump(conn: sqlite3.Connection, customer_id: str, now: str) -> None:
    conn.execute("UPDATE customers SET version = version + 1, updated_at = ? WHERE id = ?", (now, customer_id))
