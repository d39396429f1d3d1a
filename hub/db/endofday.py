"""Rows of end of day (m0015): bank deposits and their reversals, closed trading days, and the
reads of a day's sales, tills and exceptions the walk-through needs. Only hub.endofday writes here.

A day is given by its UTC bounds `since` (included) and `until` (excluded), the store's local
midnights; a sale belongs to the day it happened in (`occurred_at`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

DAY_SALES_SQL = """
SELECT count(*) AS count, max(occurred_at) AS last_occurred_at, max(recorded_at) AS last_recorded_at
FROM sales WHERE occurred_at >= :since AND occurred_at < :until AND training = 0
"""
# A training sale (m0017) counts in none of the day's figures, nor its refunds and corrections.
NOT_TRAINING = "NOT EXISTS (SELECT 1 FROM sales ts WHERE ts.id = sale_id AND ts.training = 1)"
# What the day sold per receipt currency; a voided sale (a void document names it) counts in neither.
SALES_PER_CURRENCY_SQL = """
SELECT s.currency, count(*) AS count, sum(s.total) AS total, sum(s.tax_total) AS tax
FROM sales s WHERE s.occurred_at >= :since AND s.occurred_at < :until AND s.training = 0
  AND NOT EXISTS (SELECT 1 FROM sale_voids v WHERE v.sale_id = s.id)
GROUP BY s.currency ORDER BY s.currency
"""
# Money given back and charged after a sale, by when that happened (the sale may be older).
REFUNDS_PER_CURRENCY_SQL = """
SELECT currency, sum(total) AS refunds FROM sale_refunds
WHERE occurred_at >= :since AND occurred_at < :until AND """ + NOT_TRAINING + """ GROUP BY currency
"""
CORRECTIONS_PER_CURRENCY_SQL = """
SELECT currency, sum(CASE kind WHEN 'charge' THEN total ELSE -total END) AS corrections FROM sale_corrections
WHERE occurred_at >= :since AND occurred_at < :until AND """ + NOT_TRAINING + """ GROUP BY currency
"""
# Tills that could hold the day's sales: paired before the day ended and not revoked. `last_sale_recorded`
# is when the hub last received one of its sales (a contact too: presence is written at most once a minute).
TILLS_SQL = """
SELECT d.id, d.name, d.code, d.last_seen_at, d.pending_uploads,
       (SELECT max(s.recorded_at) FROM sales s WHERE s.device_id = d.id) AS last_sale_recorded
FROM devices d WHERE d.revoked_at IS NULL AND d.paired_at < :until AND d.platform != 'backoffice'
ORDER BY d.name, d.id LIMIT 500
"""
EXCEPTIONS_SQL = """
SELECT e.id, e.kind, e.status, e.sale_id, e.subject_id, e.raised_at, s.invoice_number, s.occurred_at
FROM exceptions e JOIN sales s ON s.id = e.sale_id
WHERE s.occurred_at >= :since AND s.occurred_at < :until AND (:status IS NULL OR e.status = :status)
ORDER BY e.id LIMIT :limit
"""
EXCEPTION_COUNTS_SQL = """
SELECT e.status, count(*) AS count FROM exceptions e JOIN sales s ON s.id = e.sale_id
WHERE s.occurred_at >= :since AND s.occurred_at < :until GROUP BY e.status
"""
# Sales recorded after their day was closed, for the closed days in [:from_day, :to_day).
LATE_SALES_SQL = """
SELECT t.business_day, t.closed_at, count(s.id) AS count, max(s.recorded_at) AS last_recorded_at
FROM trading_days t JOIN sales s ON s.occurred_at >= t.starts_at AND s.occurred_at < t.ends_at
                                AND s.recorded_at > t.closed_at AND s.training = 0
WHERE t.business_day >= :from_day AND t.business_day < :to_day
GROUP BY t.business_day ORDER BY t.business_day
"""
LATE_EXCEPTIONS_SQL = """
SELECT e.id, e.kind, e.status, e.sale_id, e.subject_id, e.raised_at, s.invoice_number, s.occurred_at,
       t.business_day
FROM trading_days t JOIN sales s ON s.occurred_at >= t.starts_at AND s.occurred_at < t.ends_at
                                AND s.recorded_at > t.closed_at
JOIN exceptions e ON e.sale_id = s.id AND e.status = 'open'
WHERE t.business_day >= :from_day AND t.business_day < :to_day
ORDER BY e.id LIMIT :limit
"""
HAS_ACTIVITY_SQL = """
SELECT EXISTS (SELECT 1 FROM sales WHERE occurred_at >= :since AND occurred_at < :until AND training = 0)
    OR EXISTS (SELECT 1 FROM shifts WHERE opened_at >= :since AND opened_at < :until)
"""
DEPOSIT_COLUMNS = ("id", "business_day", "kind", "reverses", "currency", "amount", "bank", "reference",
                   "deposited_by", "deposited_at", "reason", "recorded_by", "recorded_by_name", "recorded_at")
INSERT_DEPOSIT_SQL = (f"INSERT INTO bank_deposits ({', '.join(DEPOSIT_COLUMNS)}) "
                      f"VALUES ({', '.join(':' + c for c in DEPOSIT_COLUMNS)})")
DEPOSIT_SELECT = f"""
SELECT {', '.join('b.' + c for c in DEPOSIT_COLUMNS)}, r.id AS reversed_by, r.reason AS reversal_reason,
       r.recorded_at AS reversed_at, r.recorded_by_name AS reversed_by_name
FROM bank_deposits b LEFT JOIN bank_deposits r ON r.reverses = b.id
"""
DEPOSITS_SQL = DEPOSIT_SELECT + " WHERE b.business_day = :day ORDER BY b.recorded_at, b.id LIMIT :limit"
DEPOSIT_SQL = DEPOSIT_SELECT + " WHERE b.id = :id"
DEPOSIT_COUNT_SQL = "SELECT count(*) FROM bank_deposits WHERE business_day = :day"
DAY_COLUMNS = ("business_day", "starts_at", "ends_at", "closed_at", "closed_by", "closed_by_name", "steps",
               "figures")
INSERT_DAY_SQL = (f"INSERT INTO trading_days ({', '.join(DAY_COLUMNS)}) "
                  f"VALUES ({', '.join(':' + c for c in DAY_COLUMNS)})")
DAY_SQL = "SELECT * FROM trading_days WHERE business_day = :day"
CLOSED_DAYS_SQL = "SELECT business_day FROM trading_days WHERE business_day >= :from_day AND business_day < :to_day"


def day_sales(conn: sqlite3.Connection, since: str, until: str) -> dict[str, Any]:
    """How many sales happened in the day, when the last happened and when the last arrived."""
    return dict(conn.execute(DAY_SALES_SQL, {"since": since, "until": until}).fetchone())


def sales_per_currency(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Per receipt currency: the day's sales (voided ones in neither count), the refunds and the
    price corrections (charges less credits) made in the day, and the net of the three."""
    bounds = {"since": since, "until": until}
    out: dict[str, dict[str, Any]] = {}

    def line(currency: str) -> dict[str, Any]:
        return out.setdefault(currency, {"currency": currency, "count": 0, "total": 0, "tax": 0,
                                         "refunds": 0, "corrections": 0})

    for r in conn.execute(SALES_PER_CURRENCY_SQL, bounds):
        line(r["currency"]).update(count=r["count"], total=r["total"], tax=r["tax"])
    for r in conn.execute(REFUNDS_PER_CURRENCY_SQL, bounds):
        line(r["currency"])["refunds"] = r["refunds"]
    for r in conn.execute(CORRECTIONS_PER_CURRENCY_SQL, bounds):
        line(r["currency"])["corrections"] = r["corrections"]
    for figures in out.values():
        figures["net"] = figures["total"] - figures["refunds"] + figures["corrections"]
    return [out[c] for c in sorted(out)]


def tills(conn: sqlite3.Connection, until: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(TILLS_SQL, {"until": until})]


def exceptions(conn: sqlite3.Connection, since: str, until: str, *, status: str | None = "open",
               limit: int = 200) -> list[dict[str, Any]]:
    """Exceptions raised by the day's sales (open ones by default), oldest first."""
    return [dict(r) for r in conn.execute(EXCEPTIONS_SQL, {"since": since, "until": until, "status": status,
                                                           "limit": limit})]


def exception_counts(conn: sqlite3.Connection, since: str, until: str) -> dict[str, int]:
    return {r["status"]: r["count"] for r in conn.execute(EXCEPTION_COUNTS_SQL, {"since": since, "until": until})}


def late_sales(conn: sqlite3.Connection, from_day: str, to_day: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LATE_SALES_SQL, {"from_day": from_day, "to_day": to_day})]


def late_exceptions(conn: sqlite3.Connection, from_day: str, to_day: str, limit: int = 200) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LATE_EXCEPTIONS_SQL, {"from_day": from_day, "to_day": to_day,
                                                                "limit": limit})]


def has_activity(conn: sqlite3.Connection, since: str, until: str) -> bool:
    return bool(conn.execute(HAS_ACTIVITY_SQL, {"since": since, "until": until}).fetchone()[0])


def insert_deposit(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_DEPOSIT_SQL, {c: row.get(c) for c in DEPOSIT_COLUMNS})


def deposit(conn: sqlite3.Connection, deposit_id: str) -> dict[str, Any] | None:
    row = conn.execute(DEPOSIT_SQL, {"id": deposit_id}).fetchone()
    return dict(row) if row else None


def deposits(conn: sqlite3.Connection, day: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The day's deposits and reversals in the order they were recorded."""
    return [dict(r) for r in conn.execute(DEPOSITS_SQL, {"day": day, "limit": limit})]


def deposit_count(conn: sqlite3.Connection, day: str) -> int:
    return int(conn.execute(DEPOSIT_COUNT_SQL, {"day": day}).fetchone()[0])


def insert_day(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_DAY_SQL, {**row, "steps": json.dumps(row["steps"], sort_keys=True),
                                  "figures": json.dumps(row["figures"], sort_keys=True)})


def closed_day(conn: sqlite3.Connection, day: str) -> dict[str, Any] | None:
    row = conn.execute(DAY_SQL, {"day": day}).fetchone()
    if row is None:
        return None
    record = dict(row)
    record["steps"], record["figures"] = json.loads(record["steps"]), json.loads(record["figures"])
    return record


def closed_days(conn: sqlite3.Connection, from_day: str, to_day: str) -> set[str]:
    return {r[0] for r in conn.execute(CLOSED_DAYS_SQL, {"from_day": from_day, "to_day": to_day})}
