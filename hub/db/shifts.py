"""Rows of shifts, their floats, cash movements, close figures and counts, and the reference rows
they use (cash-movement reasons, cash denominations). Only hub.shifts.service writes here."""

from __future__ import annotations

import sqlite3
from typing import Any

SHIFT_COLUMNS = ("id", "number", "device_id", "cashier_id", "status", "opened_at", "opened_by", "closed_at",
                 "closed_by", "close_note", "version", "created_at", "updated_at")
SHIFT_SELECT = f"""
SELECT {', '.join('s.' + c for c in SHIFT_COLUMNS)}, d.name AS till_name, c.username AS cashier,
       c.display_name AS cashier_name, o.username AS opened_by_name, x.username AS closed_by_name
FROM shifts s JOIN devices d ON d.id = s.device_id JOIN users c ON c.id = s.cashier_id
LEFT JOIN users o ON o.id = s.opened_by LEFT JOIN users x ON x.id = s.closed_by
"""
GET_SQL = SHIFT_SELECT + " WHERE s.id = :id"
OPEN_FOR_SQL = SHIFT_SELECT + " WHERE s.device_id = :device_id AND s.cashier_id = :cashier_id AND s.status = 'open'"
# Newest first by number; `since`/`until` bound the opening moment.
LIST_SQL = SHIFT_SELECT + """
WHERE (:status IS NULL OR s.status = :status)
  AND (:device_id IS NULL OR s.device_id = :device_id)
  AND (:cashier_id IS NULL OR s.cashier_id = :cashier_id)
  AND (:since IS NULL OR s.opened_at >= :since)
  AND (:until IS NULL OR s.opened_at < :until)
  AND (:before IS NULL OR s.number < :before)
ORDER BY s.number DESC LIMIT :limit
"""
NEXT_NUMBER_SQL = "SELECT coalesce(max(number), 0) + 1 FROM shifts"
INSERT_SQL = """
INSERT INTO shifts (id, number, device_id, cashier_id, status, opened_at, opened_by, version, created_at, updated_at)
VALUES (:id, :number, :device_id, :cashier_id, 'open', :opened_at, :opened_by, 1, :opened_at, :opened_at)
"""
CLOSE_SQL = """
UPDATE shifts SET status = 'closed', closed_at = :closed_at, closed_by = :closed_by, close_note = :close_note,
    version = version + 1, updated_at = :closed_at
WHERE id = :id AND version = :version AND status = 'open'
"""
FLOATS_SQL = "SELECT currency, amount FROM shift_floats WHERE shift_id = :id ORDER BY currency"
INSERT_FLOAT_SQL = "INSERT INTO shift_floats (shift_id, currency, amount) VALUES (:shift_id, :currency, :amount)"
REASONS_SQL = """
SELECT kind, code, name, active FROM cash_movement_reasons
WHERE (:kind IS NULL OR kind = :kind) ORDER BY kind, sort, code
"""
DENOMINATIONS_SQL = """
SELECT currency, kind, value, label FROM currency_denominations
WHERE active = 1 AND (:currency IS NULL OR currency = :currency)
ORDER BY currency, sort, value DESC
"""
MOVEMENT_COLUMNS = ("id", "shift_id", "kind", "currency", "amount", "reason_code", "note", "user_id", "username",
                    "device_id", "at")
INSERT_MOVEMENT_SQL = f"""
INSERT INTO cash_movements ({', '.join(MOVEMENT_COLUMNS)}) VALUES ({', '.join(':' + c for c in MOVEMENT_COLUMNS)})
"""
MOVEMENTS_SQL = f"""
SELECT m.seq, {', '.join('m.' + c for c in MOVEMENT_COLUMNS)}, r.name AS reason
FROM cash_movements m JOIN cash_movement_reasons r ON r.kind = m.kind AND r.code = m.reason_code
WHERE m.shift_id = :id ORDER BY m.seq LIMIT :limit
"""
MOVEMENT_SQL = MOVEMENTS_SQL.replace("WHERE m.shift_id = :id ORDER BY m.seq LIMIT :limit", "WHERE m.id = :id")
MOVEMENT_SUMS_SQL = """
SELECT currency, kind, sum(amount) AS amount, count(*) AS count FROM cash_movements
WHERE shift_id = :id GROUP BY currency, kind
"""
INSERT_CLOSE_LINE_SQL = """
INSERT INTO shift_close_lines (shift_id, method, provider, currency, expected, counted, variance)
VALUES (:shift_id, :method, :provider, :currency, :expected, :counted, :variance)
"""
CLOSE_LINES_SQL = """
SELECT method, provider, currency, expected, counted, variance FROM shift_close_lines
WHERE shift_id = :id ORDER BY method = 'cash' DESC, method, provider, currency
"""
INSERT_COUNT_SQL = """
INSERT INTO shift_count_denominations (shift_id, currency, kind, value, quantity)
VALUES (:shift_id, :currency, :kind, :value, :quantity)
"""
COUNTS_SQL = """
SELECT n.currency, n.kind, n.value, n.quantity, coalesce(d.label, '') AS label
FROM shift_count_denominations n
LEFT JOIN currency_denominations d ON d.currency = n.currency AND d.kind = n.kind AND d.value = n.value
WHERE n.shift_id = :id ORDER BY n.currency, n.kind DESC, n.value DESC
"""
USER_SQL = "SELECT id, username, display_name, active FROM users WHERE id = :id"
DEVICE_SQL = "SELECT id, name FROM devices WHERE id = :id"
TILLS_SQL = "SELECT id, name FROM devices ORDER BY name, id LIMIT 500"
CASHIERS_SQL = "SELECT DISTINCT u.id, u.username FROM shifts s JOIN users u ON u.id = s.cashier_id ORDER BY u.username"


def next_number(conn: sqlite3.Connection) -> int:
    return int(conn.execute(NEXT_NUMBER_SQL).fetchone()[0])


def insert_shift(conn: sqlite3.Connection, row: dict[str, Any], floats: list[dict[str, Any]]) -> None:
    conn.execute(INSERT_SQL, row)
    conn.executemany(INSERT_FLOAT_SQL, [{"shift_id": row["id"], **f} for f in floats])


def get_shift(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any] | None:
    row = conn.execute(GET_SQL, {"id": shift_id}).fetchone()
    return dict(row) if row else None


def open_shift_for(conn: sqlite3.Connection, device_id: str, cashier_id: str) -> dict[str, Any] | None:
    row = conn.execute(OPEN_FOR_SQL, {"device_id": device_id, "cashier_id": cashier_id}).fetchone()
    return dict(row) if row else None


def list_shifts(conn: sqlite3.Connection, *, status: str | None = None, device_id: str | None = None,
                cashier_id: str | None = None, since: str | None = None, until: str | None = None,
                before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LIST_SQL, {
        "status": status, "device_id": device_id, "cashier_id": cashier_id, "since": since, "until": until,
        "before": before, "limit": limit})]


def close_shift(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Mark an open shift closed (optimistic on its version); False when it changed meanwhile."""
    return conn.execute(CLOSE_SQL, row).rowcount == 1


def floats(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(FLOATS_SQL, {"id": shift_id})]


def reasons(conn: sqlite3.Connection, kind: str | None = None) -> list[dict[str, Any]]:
    return [dict(r) | {"active": bool(r["active"])} for r in conn.execute(REASONS_SQL, {"kind": kind})]


def denominations(conn: sqlite3.Connection, currency: str | None = None) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(DENOMINATIONS_SQL, {"currency": currency})]


def insert_movement(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_MOVEMENT_SQL, row)


def movement(conn: sqlite3.Connection, movement_id: str) -> dict[str, Any] | None:
    row = conn.execute(MOVEMENT_SQL, {"id": movement_id}).fetchone()
    return dict(row) if row else None


def movements(conn: sqlite3.Connection, shift_id: str, limit: int = 10000) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(MOVEMENTS_SQL, {"id": shift_id, "limit": limit})]


def movement_sums(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    """(currency, kind, amount, count) of the shift's cash movements."""
    return [dict(r) for r in conn.execute(MOVEMENT_SUMS_SQL, {"id": shift_id})]


def insert_close(conn: sqlite3.Connection, shift_id: str, lines: list[dict[str, Any]],
                 counts: list[dict[str, Any]]) -> None:
    conn.executemany(INSERT_CLOSE_LINE_SQL, [{"shift_id": shift_id, **line} for line in lines])
    conn.executemany(INSERT_COUNT_SQL, [{"shift_id": shift_id, **count} for count in counts])


def close_lines(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(CLOSE_LINES_SQL, {"id": shift_id})]


def counts(conn: sqlite3.Connection, shift_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(COUNTS_SQL, {"id": shift_id})]


def user(conn: sqlite3.Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(USER_SQL, {"id": user_id}).fetchone()
    return dict(row) if row else None


def device(conn: sqlite3.Connection, device_id: str) -> dict[str, Any] | None:
    row = conn.execute(DEVICE_SQL, {"id": device_id}).fetchone()
    return dict(row) if row else None


def tills(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(TILLS_SQL)]


def cashiers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The users who have had a shift (for a filter's choices)."""
    return [dict(r) for r in conn.execute(CASHIERS_SQL)]
