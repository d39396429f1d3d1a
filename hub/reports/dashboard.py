"""The dashboard on the portal's home (docs/reports.md, "Dashboard"): what a manager checks first
thing, each panel shown to those allowed to read it, each with a link to where it is acted on.

- today's and this month's sales per currency, with the net converted at recorded rates;
- the last seven days' net per day as a bar chart per currency;
- low stock (at or below each product's threshold), linked to the stock page and a purchase order;
- open shifts, linked to each shift (closed there);
- tills that may hold sales: one that reported records not uploaded, or was not heard from
  for STALE_MINUTES while it has an open shift;
- the open exception count; the fiscal queue and the trading day's status ("not set up" until
  fiscal receipts exist: never shown as a check that passed).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.catalogue._common import now
from hub.clock import format_ts, parse_ts
from hub.reports import periods, queries

LOW_STOCK_ROWS = 8
OPEN_SHIFT_ROWS = 20
STALE_MINUTES = 15
CHART_DAYS = 7


def _can(permissions: frozenset[str] | set[str], name: str) -> bool:
    return name in permissions


def low_stock(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.db import stock_lists

    rows = stock_lists.list_levels(conn, low=True, active=True, limit=LOW_STOCK_ROWS + 1)
    count = conn.execute(
        "SELECT count(*) FROM products p LEFT JOIN stock_levels l ON l.product_id = p.id WHERE p.stock_tracked = 1"
        " AND p.archived_at IS NULL AND p.low_stock_threshold > 0 AND coalesce(l.on_hand, 0) <= p.low_stock_threshold"
    ).fetchone()[0]
    return {"rows": rows[:LOW_STOCK_ROWS], "count": max(count, len(rows[:LOW_STOCK_ROWS]))}


def open_shifts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    from hub.db import shifts

    return shifts.list_shifts(conn, status="open", limit=OPEN_SHIFT_ROWS)


def tills_behind(conn: sqlite3.Connection, at: str) -> list[dict[str, Any]]:
    """Paired tills that may hold sales the hub has not got."""
    stale = format_ts(parse_ts(at) - dt.timedelta(minutes=STALE_MINUTES))
    out = []
    for t in conn.execute(
            "SELECT d.id, d.name, d.code, d.last_seen_at, d.pending_uploads,"
            " (SELECT max(s.recorded_at) FROM sales s WHERE s.device_id = d.id) AS last_sale,"
            " EXISTS (SELECT 1 FROM shifts sh WHERE sh.device_id = d.id AND sh.status = 'open') AS has_open_shift"
            " FROM devices d WHERE d.revoked_at IS NULL ORDER BY d.name, d.id LIMIT 500"):
        contact = max(filter(None, (t["last_seen_at"], t["last_sale"])), default=None)
        if t["pending_uploads"] > 0:
            out.append({**dict(t), "contact": contact,
                        "why": f"{t['pending_uploads']} record{'s' if t['pending_uploads'] != 1 else ''} not uploaded"})
        elif t["has_open_shift"] and (contact is None or contact < stale):
            out.append({**dict(t), "contact": contact,
                        "why": f"not heard from for over {STALE_MINUTES} minutes with a shift open"})
    return out


def day_status(conn: sqlite3.Connection, today: dt.date) -> dict[str, Any]:
    from hub.endofday import service as endofday

    yesterday = (today - dt.timedelta(days=1)).isoformat()
    closed = {r[0] for r in conn.execute("SELECT business_day FROM trading_days WHERE business_day IN (?, ?)",
                                         (today.isoformat(), yesterday))}
    fiscal = None
    if endofday.fiscal_check is not None:  # the fiscal feature's own word on today's queue and day
        since, until = periods.for_days(conn, today, today).since, periods.for_days(conn, today, today).until
        state, explanation, _items = endofday.fiscal_check(conn, today, since, until)
        fiscal = {"state": state, "explanation": explanation}
    return {"today": today.isoformat(), "today_closed": today.isoformat() in closed, "yesterday": yesterday,
            "yesterday_closed": yesterday in closed, "fiscal": fiscal}


def chart_days(conn: sqlite3.Connection, today: dt.date) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The last CHART_DAYS local days (oldest first) and {currency: {day: net}}."""
    first = today - dt.timedelta(days=CHART_DAYS - 1)
    period = periods.for_days(conn, first, today)
    days = [d.isoformat() for d in period.days()]
    per_currency: dict[str, dict[str, int]] = {}
    for day, values in queries.daily_totals(conn, period).items():
        for currency, net in values.items():
            per_currency.setdefault(currency, dict.fromkeys(days, 0))[day] = net
    return days, per_currency


def read(conn: sqlite3.Connection, permissions: frozenset[str] | set[str]) -> dict[str, Any]:
    today = periods.today(conn)
    at = now(conn)
    found: dict[str, Any] = {"today": today, "decimals": queries.decimals(conn)}
    if _can(permissions, "reports.view") or _can(permissions, "sales.view"):
        found["sales_today"] = queries.sales_by_currency(conn, periods.resolve(conn, "today"))
        found["sales_month"] = queries.sales_by_currency(conn, periods.resolve(conn, "month"))
        found["days"], found["chart"] = chart_days(conn, today)
        found["day"] = day_status(conn, today)
    if _can(permissions, "inventory.view"):
        found["low_stock"] = low_stock(conn)
    if _can(permissions, "shifts.view"):
        found["open_shifts"] = open_shifts(conn)
    if _can(permissions, "devices.view") or _can(permissions, "sales.view"):
        found["tills_behind"] = tills_behind(conn, at)
    if _can(permissions, "exceptions.view"):
        found["open_exceptions"] = conn.execute("SELECT count(*) FROM exceptions WHERE status = 'open'").fetchone()[0]
    if _can(permissions, "fiscal.view") or _can(permissions, "sales.view"):
        from hub.fiscal.invoice import dashboard as fiscal_dashboard  # None while no till is a fiscal device

        period = periods.for_days(conn, today, today)
        found["fiscal"] = fiscal_dashboard(conn, period.since, period.until)
    return found
