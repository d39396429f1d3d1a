"""The reports' reads: pure functions over a (reader) connection, one per report, each taking a
Period and returning rows whose every money figure carries its currency (docs/reports.md).

Rules every report keeps:
- a training sale (`sales.training = 1`) counts nowhere, nor do its refunds and corrections;
- a voided sale counts in no sales figure (as end of day); its void is listed in "voids, refunds
  and corrections";
- refunds and price corrections count on the day they happened (their own `occurred_at`), in
  their sale's receipt currency;
- money in two currencies is never added: rows and totals are per currency. The one combined
  figure (`combined`) converts each sale at the rate it recorded (`sales.rates`, else the
  rate its tenders in the base currency recorded, else the store's exchange rate in force when
  it happened), group by group of the same rate, and says so in its label.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from typing import Any, Iterable

from hub.clock import parse_ts
from hub.pricing.rounding import div_round
from hub.reports.periods import Period

LIVE = "s.training = 0 AND NOT EXISTS (SELECT 1 FROM sale_voids v WHERE v.sale_id = s.id)"
IN_PERIOD = "s.occurred_at >= :since AND s.occurred_at < :until"
DOC_IN_PERIOD = "d.occurred_at >= :since AND d.occurred_at < :until"
CONVERTED_LABEL = "converted at recorded rates"
MAX_LIST = 2000  # rows of a listing report (voids, refunds and corrections)


def _params(period: Period, **more: Any) -> dict[str, Any]:
    return {"since": period.since, "until": period.until, **more}


def base_currency(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT code, decimals FROM currencies WHERE is_base = 1").fetchone()
    return dict(row) if row else None


def decimals(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT code, decimals FROM currencies")}


def _add(target: dict, key: Any, **values: int) -> dict:
    row = target.setdefault(key, {})
    for name, value in values.items():
        row[name] = row.get(name, 0) + (value or 0)
    return row


# ---- conversion to the base currency ----------------------------------------------------------

def _rate_sql(base: str) -> str:
    """(num, den) of a sale `s`: one unit of its receipt currency is num / den units of `base`:
    1 for a sale in the base currency, else the rate the sale recorded, else the rate its tenders
    in the base currency recorded, else the store's exchange rate in force when it happened."""
    q = base.replace("'", "").replace('"', "")
    return f"""
    CASE WHEN s.currency = '{q}' THEN 1 ELSE
    coalesce(json_extract(s.rates, '$."{q}"[0]'),
             (SELECT t.rate FROM sale_tenders t WHERE t.sale_id = s.id AND t.currency = '{q}' LIMIT 1),
             (SELECT r.rate_scale FROM exchange_rates r WHERE r.base = '{q}' AND r.quote = s.currency
                AND r.effective_from <= s.occurred_at ORDER BY r.effective_from DESC LIMIT 1),
             (SELECT r.rate FROM exchange_rates r WHERE r.base = s.currency AND r.quote = '{q}'
                AND r.effective_from <= s.occurred_at ORDER BY r.effective_from DESC LIMIT 1)) END AS num,
    CASE WHEN s.currency = '{q}' THEN 1 ELSE
    coalesce(json_extract(s.rates, '$."{q}"[1]'),
             (SELECT t.rate_scale FROM sale_tenders t WHERE t.sale_id = s.id AND t.currency = '{q}' LIMIT 1),
             (SELECT r.rate FROM exchange_rates r WHERE r.base = '{q}' AND r.quote = s.currency
                AND r.effective_from <= s.occurred_at ORDER BY r.effective_from DESC LIMIT 1),
             (SELECT r.rate_scale FROM exchange_rates r WHERE r.base = s.currency AND r.quote = '{q}'
                AND r.effective_from <= s.occurred_at ORDER BY r.effective_from DESC LIMIT 1)) END AS den
    """


def convert(amount: int, num: int, den: int, from_decimals: int, to_decimals: int) -> int:
    """`amount` minor units of a currency of which one unit is num / den base units, in base minor
    units, rounded half away from zero."""
    return div_round(amount * num * 10 ** to_decimals, den * 10 ** from_decimals)


class Combiner:
    """Adds amounts of any currency into the base currency, each group at its own recorded rate;
    what has no rate is counted apart, never added at one."""

    def __init__(self, base: dict[str, Any] | None, specs: dict[str, int]) -> None:
        self.base = base
        self.specs = specs
        self.total = 0
        self.unconverted: dict[str, int] = {}

    def add(self, currency: str, amount: int, num: int | None = None, den: int | None = None) -> int | None:
        if self.base is None:
            self.unconverted[currency] = self.unconverted.get(currency, 0) + amount
            return None
        if currency == self.base["code"]:
            value = amount
        elif num and den:
            value = convert(amount, num, den, self.specs.get(currency, 2), self.base["decimals"])
        else:
            self.unconverted[currency] = self.unconverted.get(currency, 0) + amount
            return None
        self.total += value
        return value

    def result(self) -> dict[str, Any] | None:
        if self.base is None:
            return None
        return {"label": CONVERTED_LABEL, "currency": self.base["code"], "amount": self.total,
                "not_converted": [{"currency": c, "amount": a} for c, a in sorted(self.unconverted.items())]}


# ---- time buckets in the store's zone ---------------------------------------------------------

def _key_length(period: Period) -> int:
    """UTC hour buckets map to local hours when the zone's offsets are whole hours, else minutes."""
    for stamp in (period.since, period.until):
        offset = parse_ts(stamp).astimezone(period.zone).utcoffset() or dt.timedelta(0)
        if offset.total_seconds() % 3600:
            return 16
    return 13


def _local(key: str, zone: Any) -> dt.datetime:
    text = key + (":00" if len(key) == 16 else ":00:00")
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).astimezone(zone)


def _bucketed(conn: sqlite3.Connection, period: Period, table: str, value_sql: str,
              where: str = "") -> list[tuple[dt.datetime, str, tuple]]:
    n = _key_length(period)
    sql = (f"SELECT substr(d.occurred_at, 1, {n}) AS k, s.currency, {value_sql} FROM {table} "
           f"WHERE {DOC_IN_PERIOD} {where} GROUP BY k, s.currency")
    return [(_local(r[0], period.zone), r[1], tuple(r[2:])) for r in conn.execute(sql, _params(period))]


def _sale_buckets(conn: sqlite3.Connection, period: Period) -> list[tuple[dt.datetime, str, tuple]]:
    n = _key_length(period)
    sql = (f"SELECT substr(s.occurred_at, 1, {n}) AS k, s.currency, count(*), sum(s.total), sum(s.tax_total),"
           f" sum(s.discount_total) FROM sales s WHERE {IN_PERIOD} AND {LIVE} GROUP BY k, s.currency")
    return [(_local(r[0], period.zone), r[1], tuple(r[2:])) for r in conn.execute(sql, _params(period))]


def _refund_buckets(conn: sqlite3.Connection, period: Period) -> list[tuple[dt.datetime, str, tuple]]:
    return _bucketed(conn, period, "sale_refunds d JOIN sales s ON s.id = d.sale_id",
                     "count(*), sum(d.total), sum(d.tax_total)", "AND s.training = 0")


def _correction_buckets(conn: sqlite3.Connection, period: Period) -> list[tuple[dt.datetime, str, tuple]]:
    return _bucketed(conn, period, "sale_corrections d JOIN sales s ON s.id = d.sale_id",
                     "count(*), sum(CASE d.kind WHEN 'charge' THEN d.total ELSE -d.total END),"
                     " sum(CASE d.kind WHEN 'charge' THEN d.tax_total ELSE -d.tax_total END)",
                     "AND s.training = 0")


def _money_row(row: dict[str, Any]) -> dict[str, Any]:
    row["net"] = row.get("total", 0) - row.get("refunds", 0) + row.get("corrections", 0)
    return row


def sales_by_day(conn: sqlite3.Connection, period: Period, *, combined: bool = True) -> dict[str, Any]:
    """Per local day and receipt currency: sales (count, total, tax), refunds, corrections, net."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for at, cur, (count, total, tax, _disc) in _sale_buckets(conn, period):
        _add(found, (at.date().isoformat(), cur), count=count, total=total, tax=tax)
    for at, cur, (_n, total, _tax) in _refund_buckets(conn, period):
        _add(found, (at.date().isoformat(), cur), refunds=total)
    for at, cur, (_n, total, _tax) in _correction_buckets(conn, period):
        _add(found, (at.date().isoformat(), cur), corrections=total)
    rows = []
    for (day, cur), v in sorted(found.items()):
        rows.append(_money_row({"day": day, "currency": cur, "count": v.get("count", 0), "total": v.get("total", 0),
                                "tax": v.get("tax", 0), "refunds": v.get("refunds", 0),
                                "corrections": v.get("corrections", 0)}))
    return {"rows": rows, "totals": _totals(rows, ("count", "total", "tax", "refunds", "corrections", "net")),
            "combined": combined_sales(conn, period) if combined else None}


def sales_by_hour(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per local hour of the day (0-23) and receipt currency, over the period: sales and their total."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for at, cur, (count, total, tax, _disc) in _sale_buckets(conn, period):
        _add(found, (at.hour, cur), count=count, total=total, tax=tax)
    rows = [{"hour": f"{h:02d}:00", "currency": cur, **v} for (h, cur), v in sorted(found.items())]
    return {"rows": rows, "totals": _totals(rows, ("count", "total", "tax"))}


def _totals(rows: Iterable[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per currency, the sum of each field over the rows: never across currencies."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        got = out.setdefault(row["currency"], {"currency": row["currency"], **dict.fromkeys(fields, 0)})
        for f in fields:
            got[f] += row.get(f) or 0
    return [out[c] for c in sorted(out)]


def combined_sales(conn: sqlite3.Connection, period: Period) -> dict[str, Any] | None:
    """Net sales (sales less refunds with corrections) of every currency in the base currency,
    each group of sales at the rate it recorded."""
    base = base_currency(conn)
    combiner = Combiner(base, decimals(conn))
    if base is None:
        return None
    rate = _rate_sql(base["code"])
    for r in conn.execute(f"SELECT currency, num, den, sum(total) FROM (SELECT s.currency, s.total, {rate}"
                          f" FROM sales s WHERE {IN_PERIOD} AND {LIVE}) GROUP BY currency, num, den",
                          _params(period)):
        combiner.add(r[0], r[3], r[1], r[2])
    for sign, table, amount in ((-1, "sale_refunds", "d.total"),
                                (1, "sale_corrections", "CASE d.kind WHEN 'charge' THEN d.total ELSE -d.total END")):
        for r in conn.execute(f"SELECT currency, num, den, sum(amount) FROM (SELECT s.currency, {amount} AS amount,"
                              f" {rate} FROM {table} d JOIN sales s ON s.id = d.sale_id WHERE {DOC_IN_PERIOD}"
                              f" AND s.training = 0) GROUP BY currency, num, den", _params(period)):
            combiner.add(r[0], sign * r[3], r[1], r[2])
    return combiner.result()


def sales_by_currency(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per receipt currency: sales, refunds, corrections and net; and the net of all currencies
    converted at recorded rates."""
    days = sales_by_day(conn, period)  # its totals are the per-currency rows; its combined figure is ours
    return {"rows": days["totals"], "totals": [], "combined": days["combined"]}


LINE_FROM = f"sale_lines l JOIN sales s ON s.id = l.sale_id WHERE {IN_PERIOD} AND {LIVE}"
REFUND_LINE_FROM = ("sale_refund_lines rl JOIN sale_refunds d ON d.id = rl.refund_id JOIN sales s ON s.id = d.sale_id"
                    f" WHERE {DOC_IN_PERIOD} AND s.training = 0")


def sales_by_product(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per product (or code scanned, for an unknown one) and receipt currency: quantity, gross,
    discounts, total and tax of the lines sold, the refunded quantity and amount, and the net.
    A long period reads its known products' lines in two halves at once (in_halves)."""
    found: dict[tuple, dict[str, Any]] = {}
    names: dict[tuple, tuple[str, str]] = {}
    known_sql = ("SELECT l.product_id AS k, s.currency, '', '', sum(l.quantity), sum(l.gross), sum(l.discount),"
                 f" sum(l.total), sum(l.tax_amount), count(*) FROM {LINE_FROM} AND l.product_id IS NOT NULL"
                 " GROUP BY l.product_id, s.currency")
    # The lines of known products are most of the work: a long period reads them in halves at once
    # (in_halves); a product's two halves add up below like any two rows of it.
    known = [r for half in in_halves(conn, period, lambda c, part: c.execute(known_sql, _params(part)).fetchall())
             for r in half]
    unknown = conn.execute(
        "SELECT 'code:' || l.code AS k, s.currency, max(l.name), max(l.code), sum(l.quantity), sum(l.gross),"
        f" sum(l.discount), sum(l.total), sum(l.tax_amount), count(*) FROM {LINE_FROM} AND l.product_id IS NULL"
        " GROUP BY l.code, s.currency", _params(period)).fetchall()
    for r in known + unknown:
        names[(r[0],)] = (r[2], r[3])
        _add(found, (r[0], r[1]), quantity=r[4], gross=r[5], discount=r[6], total=r[7], tax=r[8], lines=r[9])
    for r in conn.execute(
            "SELECT coalesce(rl.product_id, 'code:' || sl.code) AS k, s.currency, max(rl.name), max(sl.code),"
            " sum(rl.quantity), sum(rl.amount) FROM sale_refund_lines rl JOIN sale_refunds d ON d.id = rl.refund_id"
            " JOIN sales s ON s.id = d.sale_id JOIN sale_lines sl ON sl.sale_id = rl.sale_id"
            f" AND sl.line_no = rl.sale_line_no WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY k, s.currency",
            _params(period)):
        names.setdefault((r[0],), (r[2], r[3]))
        _add(found, (r[0], r[1]), refunded_quantity=r[4], refunds=r[5])
    skus = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, sku, name FROM products")} if found else {}
    rows = []
    for (key, cur), v in found.items():
        name, code = names[(key,)]
        sku, pname = skus.get(key, (code or key, name or "Unknown product"))
        rows.append({"product_id": None if key.startswith("code:") else key, "sku": sku, "name": pname,
                     "currency": cur, **{f: v.get(f, 0) for f in ("lines", "quantity", "gross", "discount", "total",
                                                                    "tax", "refunded_quantity", "refunds")},
                     "net": v.get("total", 0) - v.get("refunds", 0)})
    rows.sort(key=lambda r: (r["currency"], -r["net"], r["name"].casefold()))
    return {"rows": rows, "totals": _totals(rows, ("quantity", "gross", "discount", "total", "tax", "refunds", "net"))}


def _category_names(conn: sqlite3.Connection) -> dict[str, str]:
    table = {r["id"]: dict(r) for r in conn.execute("SELECT id, name, parent_id FROM categories")}

    def path(cid: str, depth: int = 0) -> str:
        row = table[cid]
        if row["parent_id"] in table and depth < 20:
            return f"{path(row['parent_id'], depth + 1)} / {row['name']}"
        return row["name"]

    return {cid: path(cid) for cid in table}


def sales_by_category(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per product category at the moment of the sale (`sale_lines.category_id`; "No category"
    for none or an unknown product) and receipt currency: the lines' total and tax, refunds (under
    the category of the line they give back) and net."""
    found: dict[tuple, dict[str, Any]] = {}
    for r in conn.execute(
            "SELECT l.category_id, s.currency, sum(l.quantity), sum(l.total), sum(l.tax_amount), sum(l.discount)"
            f" FROM {LINE_FROM} GROUP BY l.category_id, s.currency", _params(period)):
        _add(found, (r[0], r[1]), quantity=r[2], total=r[3], tax=r[4], discount=r[5])
    for r in conn.execute(
            "SELECT l.category_id, s.currency, sum(rl.amount) FROM sale_refund_lines rl JOIN sale_refunds d"
            " ON d.id = rl.refund_id JOIN sales s ON s.id = d.sale_id LEFT JOIN sale_lines l"
            " ON l.sale_id = rl.sale_id AND l.line_no = rl.sale_line_no"
            f" WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY l.category_id, s.currency", _params(period)):
        _add(found, (r[0], r[1]), refunds=r[2])
    names = _category_names(conn)
    rows = [{"category_id": cid, "category": names.get(cid, "No category") if cid else "No category",
             "currency": cur, **{f: v.get(f, 0) for f in ("quantity", "discount", "total", "tax", "refunds")},
             "net": v.get("total", 0) - v.get("refunds", 0)} for (cid, cur), v in found.items()]
    rows.sort(key=lambda r: (r["currency"], -r["net"], r["category"].casefold()))
    return {"rows": rows, "totals": _totals(rows, ("total", "tax", "refunds", "net"))}


def _by_sale_field(conn: sqlite3.Connection, period: Period, field: str) -> dict[tuple, dict[str, Any]]:
    found: dict[tuple, dict[str, Any]] = {}
    for r in conn.execute(f"SELECT s.{field}, s.currency, count(*), sum(s.total), sum(s.tax_total),"
                          f" sum(s.discount_total) FROM sales s WHERE {IN_PERIOD} AND {LIVE}"
                          f" GROUP BY s.{field}, s.currency", _params(period)):
        _add(found, (r[0], r[1]), count=r[2], total=r[3], tax=r[4], discount=r[5])
    return found


def sales_by_cashier(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per cashier and receipt currency: sales, total, tax, average sale, and the refunds and
    voids that cashier made in the period."""
    found = _by_sale_field(conn, period, "cashier_id")
    for r in conn.execute("SELECT d.refunded_by, s.currency, count(*), sum(d.total) FROM sale_refunds d JOIN sales s"
                          f" ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0"
                          " GROUP BY d.refunded_by, s.currency", _params(period)):
        _add(found, (r[0], r[1]), refund_count=r[2], refunds=r[3])
    for r in conn.execute("SELECT d.voided_by, s.currency, count(*), sum(s.total) FROM sale_voids d JOIN sales s"
                          f" ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0"
                          " GROUP BY d.voided_by, s.currency", _params(period)):
        _add(found, (r[0], r[1]), void_count=r[2], voided=r[3])
    names = {r[0]: r[1] for r in conn.execute("SELECT id, display_name FROM users")}
    names.update({r[0]: r[1] for r in conn.execute(
        f"SELECT DISTINCT s.cashier_id, s.cashier_name FROM sales s WHERE {IN_PERIOD} AND s.cashier_id NOT IN"
        " (SELECT id FROM users)", _params(period))})
    rows = []
    for (who, cur), v in found.items():
        count = v.get("count", 0)
        rows.append({"cashier_id": who, "cashier": names.get(who) or who or "(nobody)", "currency": cur,
                     "count": count, "total": v.get("total", 0), "tax": v.get("tax", 0),
                     "average": div_round(v.get("total", 0), count) if count else 0,
                     "refund_count": v.get("refund_count", 0), "refunds": v.get("refunds", 0),
                     "void_count": v.get("void_count", 0), "voided": v.get("voided", 0)})
    rows.sort(key=lambda r: (r["currency"], r["cashier"].casefold()))
    return {"rows": rows, "totals": _totals(rows, ("count", "total", "tax", "refunds", "voided"))}


def sales_by_till(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per till and receipt currency: sales, total, tax and average sale."""
    found = _by_sale_field(conn, period, "device_id")
    tills = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, code FROM devices")}
    rows = []
    for (device, cur), v in found.items():
        name, code = tills.get(device, (device, ""))
        count = v.get("count", 0)
        rows.append({"device_id": device, "till": name, "code": code or "", "currency": cur, "count": count,
                     "total": v.get("total", 0), "tax": v.get("tax", 0),
                     "average": div_round(v.get("total", 0), count) if count else 0})
    rows.sort(key=lambda r: (r["currency"], r["till"].casefold()))
    return {"rows": rows, "totals": _totals(rows, ("count", "total", "tax"))}


def sales_by_tender(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per tender method, provider and the tender's own currency: what the period's sales took
    (cash net of the change given in that currency), refunded on it and corrected on it."""
    found: dict[tuple, dict[str, Any]] = {}
    p = _params(period)
    for r in conn.execute("SELECT t.method, t.provider, t.currency, count(*), sum(t.amount) FROM sale_tenders t"
                          f" JOIN sales s ON s.id = t.sale_id WHERE {IN_PERIOD} AND {LIVE}"
                          " GROUP BY t.method, t.provider, t.currency", p):
        _add(found, (r[0], r[1], r[2]), count=r[3], received=r[4])
    for r in conn.execute("SELECT c.currency, sum(c.amount) FROM sale_change c JOIN sales s ON s.id = c.sale_id"
                          f" WHERE {IN_PERIOD} AND {LIVE} GROUP BY c.currency", p):
        _add(found, ("cash", "", r[0]), change=r[1])
    for r in conn.execute("SELECT t.method, t.provider, t.currency, sum(t.amount) FROM sale_refund_tenders t"
                          " JOIN sale_refunds d ON d.id = t.refund_id JOIN sales s ON s.id = d.sale_id"
                          f" WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY t.method, t.provider, t.currency", p):
        _add(found, (r[0], r[1], r[2]), refunds=r[3])
    for r in conn.execute("SELECT t.method, t.provider, t.currency,"
                          " sum(CASE d.kind WHEN 'charge' THEN t.amount ELSE -t.amount END)"
                          " FROM sale_correction_tenders t JOIN sale_corrections d ON d.id = t.correction_id"
                          f" JOIN sales s ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0"
                          " GROUP BY t.method, t.provider, t.currency", p):
        _add(found, (r[0], r[1], r[2]), corrections=r[3])
    rows = []
    for (method, provider, cur), v in sorted(found.items()):
        row = {"method": method, "provider": provider, "currency": cur, "count": v.get("count", 0),
               **{f: v.get(f, 0) for f in ("received", "change", "refunds", "corrections")}}
        row["net"] = row["received"] - row["change"] - row["refunds"] + row["corrections"]
        rows.append(row)
    return {"rows": rows, "totals": _totals(rows, ("received", "change", "refunds", "corrections", "net"))}


def discounts(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per cause (a promotion, a supervisor's approval, or none: unapproved) and receipt currency:
    the discounted lines and the amount given."""
    found: dict[tuple, dict[str, Any]] = {}
    for r in conn.execute(
            "SELECT CASE WHEN x.promotion_id IS NOT NULL THEN 'promotion' WHEN x.approved_by IS NOT NULL"
            " THEN 'approved' ELSE 'unapproved' END AS kind, coalesce(x.promotion_id, x.approved_by, ''),"
            " s.currency, count(*), sum(x.amount) FROM sale_line_discounts x JOIN sales s ON s.id = x.sale_id"
            f" WHERE {IN_PERIOD} AND {LIVE} GROUP BY 1, 2, 3", _params(period)):
        _add(found, (r[0], r[1], r[2]), lines=r[3], amount=r[4])
    promos = {r[0]: r[1] for r in conn.execute("SELECT id, name FROM promotions")} if found else {}
    users = {r[0]: r[1] for r in conn.execute("SELECT id, display_name FROM users")} if found else {}
    labels = {"promotion": "Promotion", "approved": "Approved by", "unapproved": "No approval"}
    rows = []
    for (kind, who, cur), v in found.items():
        name = promos.get(who, who) if kind == "promotion" else users.get(who, who) if kind == "approved" else ""
        rows.append({"cause": labels[kind], "kind": kind, "name": name or "—", "currency": cur,
                     "lines": v["lines"], "amount": v["amount"]})
    rows.sort(key=lambda r: (r["currency"], r["kind"], -r["amount"]))
    return {"rows": rows, "totals": _totals(rows, ("lines", "amount"))}


def voids_refunds_corrections(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Every void, refund and price correction made in the period (who, why, how much, on which
    sale), newest first, with the count and amount per kind and currency."""
    p = {**_params(period), "limit": MAX_LIST + 1}
    sql = f"""
    SELECT * FROM (
      SELECT 'void' AS kind, d.id, d.occurred_at, d.sale_id, s.invoice_number, s.currency, s.total AS amount,
             coalesce(nullif(d.voided_by_name, ''), d.voided_by, '') AS who, d.reason
      FROM sale_voids d JOIN sales s ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0
      UNION ALL
      SELECT 'refund', d.id, d.occurred_at, d.sale_id, s.invoice_number, s.currency, d.total,
             coalesce(nullif(d.refunded_by_name, ''), d.refunded_by), d.reason
      FROM sale_refunds d JOIN sales s ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0
      UNION ALL
      SELECT CASE d.kind WHEN 'charge' THEN 'charge' ELSE 'credit' END, d.id, d.occurred_at, d.sale_id,
             s.invoice_number, s.currency, d.total, coalesce(nullif(d.corrected_by_name, ''), d.corrected_by),
             d.reason
      FROM sale_corrections d JOIN sales s ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0
    ) ORDER BY occurred_at DESC, id DESC LIMIT :limit"""
    rows = [dict(r) for r in conn.execute(sql, p)]
    totals: dict[tuple, dict[str, Any]] = {}
    for r in conn.execute(f"""
      SELECT 'void', s.currency, count(*), sum(s.total) FROM sale_voids d JOIN sales s ON s.id = d.sale_id
        WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY s.currency
      UNION ALL SELECT 'refund', s.currency, count(*), sum(d.total) FROM sale_refunds d JOIN sales s
        ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY s.currency
      UNION ALL SELECT d.kind, s.currency, count(*), sum(d.total) FROM sale_corrections d JOIN sales s
        ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY d.kind, s.currency""", p):
        _add(totals, (r[1], r[0]), count=r[2], amount=r[3])
    summary = [{"currency": cur, "kind": kind, **v} for (cur, kind), v in sorted(totals.items())]
    return {"rows": rows[:MAX_LIST], "truncated": len(rows) > MAX_LIST, "totals": summary}


# A period at least this long is read in two halves at once (gross margin), one on the caller's
# connection and one on a read connection of its own: the join and grouping of a quarter's lines
# is CPU work in SQLite, which lets go of the GIL, so a second core halves the wait.
PARALLEL_FROM_DAYS = 28


def in_halves(conn: sqlite3.Connection, period: Period, read: Any) -> list[Any]:
    """`read(conn, part)` for each half of a long period (hub.reports.periods.halves), the second
    half on its own read-only connection in a thread, the first here; [read(conn, period)] for a
    short period or a database without a file. Each half is one read snapshot; the halves hold
    disjoint moments, so a sale committed between the two snapshots is counted once or not at
    all, as a sale committed just after a one-snapshot read."""
    from hub.reports.periods import halves

    path = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
    parts = halves(period) if (period.last - period.first).days + 1 >= PARALLEL_FROM_DAYS and path else [period]
    if len(parts) == 1:
        return [read(conn, period)]
    import threading

    from hub.db.connection import connect

    result: dict[str, Any] = {}

    def other() -> None:
        side = connect(path, readonly=True)
        try:
            side.execute("BEGIN")
            result["value"] = read(side, parts[1])
            side.execute("COMMIT")
        except BaseException as err:  # handed back to the caller
            result["error"] = err
        finally:
            side.close()

    thread = threading.Thread(target=other, name="soko-report-half", daemon=True)
    thread.start()
    try:
        first = read(conn, parts[0])
    finally:
        thread.join()
    if "error" in result:
        raise result["error"]
    return [first, result["value"]]


def _margin_groups(conn: sqlite3.Connection, period: Period, rate: str) -> list[tuple]:
    # The rate once per sale (a materialised set of the period's live sales), then its lines.
    sql = f"""
    WITH ps AS MATERIALIZED (SELECT s.id, s.currency, s.tax_mode, {rate} FROM sales s WHERE {IN_PERIOD} AND {LIVE}),
    pl AS (
        SELECT l.product_id, l.code, ps.currency, ps.num, ps.den, l.quantity,
               CASE ps.tax_mode WHEN 'inclusive' THEN l.total - l.tax_amount ELSE l.total END AS revenue,
               l.cost_thousandths AS cost
        FROM ps JOIN sale_lines l ON l.sale_id = ps.id)
    SELECT coalesce(product_id, 'code:' || code) AS k, currency, num, den, sum(quantity), sum(revenue), sum(cost),
           count(cost), count(*), sum(CASE WHEN cost IS NOT NULL THEN revenue ELSE 0 END)
    FROM pl GROUP BY product_id, CASE WHEN product_id IS NULL THEN code END, currency, num, den"""
    return conn.execute(sql, _params(period)).fetchall()


def gross_margin(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per product: the lines' revenue before tax in each receipt currency, and in the base
    currency (costs are in it) converted at each sale's recorded rate, the cost of what left stock
    (`sale_lines.cost_thousandths`: its sale movements' quantity times unit cost), the margin and
    its share of revenue. Lines with no cost known (no stock movement, or one without a cost) are
    counted apart, not costed at zero. A long period is read in two halves at once (in_halves)."""
    base = base_currency(conn)
    specs = decimals(conn)
    rate = _rate_sql(base["code"]) if base else "NULL AS num, NULL AS den"
    found: dict[str, dict[str, Any]] = {}
    per_currency: dict[tuple, dict[str, Any]] = {}
    # The halves' groups are added up before anything is converted or rounded, so the figures are
    # those of one read of the whole period to the minor unit.
    merged: dict[tuple, list[int]] = {}
    for half in in_halves(conn, period, lambda c, part: _margin_groups(c, part, rate)):
        for key, cur, num, den, *sums in half:
            into = merged.setdefault((key, cur, num, den), [0, 0, None, 0, 0, 0])
            for i, value in enumerate(sums):
                if value is not None:
                    into[i] = (into[i] or 0) + value
    for (key, cur, num, den), (quantity, revenue, cost, costed, lines, costed_revenue) in merged.items():
        row = found.setdefault(key, {"quantity": 0, "revenue": 0, "cost": 0, "costed_lines": 0, "lines": 0,
                                     "unconverted": 0, "costed_revenue": 0})
        row["quantity"] += quantity
        row["lines"] += lines
        row["costed_lines"] += costed
        row["cost"] += div_round(cost or 0, 1000)
        value = Combiner(base, specs).add(cur, revenue, num, den)
        if value is None:
            row["unconverted"] += lines
        else:
            row["revenue"] += value
            row["costed_revenue"] += Combiner(base, specs).add(cur, costed_revenue, num, den) or 0
        _add(per_currency, (cur,), revenue=revenue)
    names = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, sku, name FROM products")} if found else {}
    rows = []
    for key, v in found.items():
        sku, name = names.get(key, (key[5:] if key.startswith("code:") else key, "Unknown product"))
        margin = v["costed_revenue"] - v["cost"]
        rows.append({"product_id": None if key.startswith("code:") else key, "sku": sku, "name": name,
                     "currency": base["code"] if base else "", "quantity": v["quantity"], "revenue": v["revenue"],
                     "costed_revenue": v["costed_revenue"], "cost": v["cost"], "margin": margin,
                     "margin_bp": div_round(margin * 10000, v["costed_revenue"]) if v["costed_revenue"] else None,
                     "lines_not_converted": v["unconverted"],
                     "lines": v["lines"], "lines_without_cost": v["lines"] - v["costed_lines"]})
    rows.sort(key=lambda r: (-r["margin"], r["name"].casefold()))
    totals = _totals(rows, ("revenue", "costed_revenue", "cost", "margin", "lines_without_cost"))
    for t in totals:
        t["margin_bp"] = div_round(t["margin"] * 10000, t["costed_revenue"]) if t["costed_revenue"] else None
    return {"rows": rows, "totals": totals, "label": CONVERTED_LABEL,
            "revenue_by_currency": [{"currency": c, "revenue": v["revenue"]} for (c,), v in sorted(per_currency.items())]}


def tax(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per tax code, rate and receipt currency: the taxable amount (before tax) and the tax of the
    lines sold, less refunds, with price corrections (charges add, credits subtract)."""
    found: dict[tuple, dict[str, Any]] = {}
    p = _params(period)
    for r in conn.execute(
            "SELECT l.tax_code, l.tax_rate_bp, s.currency, sum(CASE s.tax_mode WHEN 'inclusive' THEN"
            f" l.total - l.tax_amount ELSE l.total END), sum(l.tax_amount) FROM {LINE_FROM}"
            " GROUP BY 1, 2, 3", p):
        _add(found, (r[0], r[1], r[2]), taxable=r[3], tax=r[4])
    for r in conn.execute(
            "SELECT rl.tax_code, rl.tax_rate_bp, s.currency, sum(CASE s.tax_mode WHEN 'inclusive' THEN"
            f" rl.amount - rl.tax_amount ELSE rl.amount END), sum(rl.tax_amount) FROM {REFUND_LINE_FROM}"
            " GROUP BY 1, 2, 3", p):
        _add(found, (r[0], r[1], r[2]), refund_taxable=r[3], refund_tax=r[4])
    for r in conn.execute(
            "SELECT cl.tax_code, cl.tax_rate_bp, s.currency,"
            " sum((CASE d.kind WHEN 'charge' THEN 1 ELSE -1 END) * (CASE s.tax_mode WHEN 'inclusive' THEN"
            " cl.amount - cl.tax_amount ELSE cl.amount END)),"
            " sum((CASE d.kind WHEN 'charge' THEN 1 ELSE -1 END) * cl.tax_amount)"
            " FROM sale_correction_lines cl JOIN sale_corrections d ON d.id = cl.correction_id"
            f" JOIN sales s ON s.id = d.sale_id WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY 1, 2, 3", p):
        _add(found, (r[0], r[1], r[2]), correction_taxable=r[3], correction_tax=r[4])
    rows = []
    for (code, bp, cur), v in sorted(found.items()):
        row = {"tax_code": code, "tax_rate_bp": bp, "currency": cur,
               **{f: v.get(f, 0) for f in ("taxable", "tax", "refund_taxable", "refund_tax", "correction_taxable",
                                           "correction_tax")}}
        row["net_taxable"] = row["taxable"] - row["refund_taxable"] + row["correction_taxable"]
        row["net_tax"] = row["tax"] - row["refund_tax"] + row["correction_tax"]
        rows.append(row)
    return {"rows": rows, "totals": _totals(rows, ("taxable", "tax", "refund_tax", "correction_tax", "net_taxable",
                                                   "net_tax"))}


def stock_valuation(conn: sqlite3.Connection, period: Period | None = None) -> dict[str, Any]:
    """Stock at average cost now, by category (hub.inventory.valuation), in the base currency."""
    from hub.db import stock_lists
    from hub.inventory.valuation import valuation

    base = stock_lists.base_currency(conn)
    found = valuation(stock_lists.valuation_rows(conn), base["code"] if base else None)
    code = base["code"] if base else ""
    rows = [{"category": c["name"], "category_id": c["category_id"], "currency": code, "products": c["products"],
             "value": c["value"], "without_cost": c["without_cost"]} for c in found["by_category"]]
    return {"rows": rows, "totals": [{"currency": code, "products": found["products"], "value": found["total_value"],
                                      "without_cost": found["without_cost"],
                                      "negative_products": found["negative_products"]}]}


def movers(conn: sqlite3.Connection, period: Period, limit: int = 20) -> dict[str, Any]:
    """The `limit` fastest movers (most quantity sold in the period, less refunded) and the slowest
    (the stock-tracked active products with stock on hand that sold least, none at all first),
    with on hand and how many days it lasts at the period's pace."""
    sold: dict[str, int] = defaultdict(int)
    for r in conn.execute(f"SELECT l.product_id, sum(l.quantity) FROM {LINE_FROM} AND l.product_id IS NOT NULL"
                          " GROUP BY l.product_id", _params(period)):
        sold[r[0]] += r[1]
    for r in conn.execute(f"SELECT rl.product_id, sum(rl.quantity) FROM {REFUND_LINE_FROM}"
                          " AND rl.product_id IS NOT NULL GROUP BY rl.product_id", _params(period)):
        sold[r[0]] -= r[1]
    stock = {r[0]: dict(r) for r in conn.execute(
        "SELECT p.id, p.sku, p.name, p.stock_tracked, p.archived_at, coalesce(l.on_hand, 0) AS on_hand"
        " FROM products p LEFT JOIN stock_levels l ON l.product_id = p.id")}
    days = (period.last - period.first).days + 1

    def row(kind: str, rank: int, pid: str) -> dict[str, Any]:
        p = stock.get(pid, {"sku": "", "name": "Unknown product", "on_hand": None, "stock_tracked": 0})
        quantity = sold.get(pid, 0)
        cover = div_round(p["on_hand"] * days, quantity) if quantity > 0 and p["on_hand"] is not None and \
            p["stock_tracked"] else None
        return {"list": kind, "rank": rank, "product_id": pid, "sku": p["sku"], "name": p["name"],
                "quantity": quantity, "on_hand": p["on_hand"] if p.get("stock_tracked") else None,
                "days_of_stock": cover}

    fast = sorted((pid for pid, q in sold.items() if q > 0), key=lambda pid: (-sold[pid], pid))[:limit]
    candidates = [pid for pid, p in stock.items() if p["stock_tracked"] and p["archived_at"] is None
                  and p["on_hand"] > 0]
    slow = sorted(candidates, key=lambda pid: (sold.get(pid, 0), stock[pid]["name"].casefold(), pid))[:limit]
    rows = [row("fast", i + 1, pid) for i, pid in enumerate(fast)] + \
        [row("slow", i + 1, pid) for i, pid in enumerate(slow)]
    return {"rows": rows, "totals": []}


def shift_variance(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """The shifts closed in the period: per shift and tender (cash per currency, each card and
    mobile-money provider), what was expected, counted or reported, and the variance (below zero:
    short); totals per currency and method."""
    rows = [dict(r) for r in conn.execute(
        "SELECT sh.id AS shift_id, sh.number, sh.closed_at, coalesce(u.display_name, '') AS cashier,"
        " coalesce(d.name, '') AS till, c.method, c.provider, c.currency, c.expected, c.counted, c.variance"
        " FROM shifts sh JOIN shift_close_lines c ON c.shift_id = sh.id LEFT JOIN users u ON u.id = sh.cashier_id"
        " LEFT JOIN devices d ON d.id = sh.device_id WHERE sh.status = 'closed' AND sh.closed_at >= :since"
        " AND sh.closed_at < :until ORDER BY sh.closed_at, sh.number, c.method != 'cash', c.method, c.provider,"
        " c.currency LIMIT 5000", _params(period))]
    totals: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        _add(totals, (r["currency"], r["method"]), expected=r["expected"], counted=r["counted"] or 0,
             variance=r["variance"] or 0, shifts=1, short=1 if (r["variance"] or 0) < 0 else 0)
    return {"rows": rows, "totals": [{"currency": c, "method": m, **v} for (c, m), v in sorted(totals.items())]}


def daily_totals(conn: sqlite3.Connection, period: Period) -> dict[str, dict[str, int]]:
    """{day: {currency: net}} for the dashboard's chart: every day of the period, even an empty one."""
    out: dict[str, dict[str, int]] = {d.isoformat(): {} for d in period.days()}
    for row in sales_by_day(conn, period, combined=False)["rows"]:
        out.setdefault(row["day"], {})[row["currency"]] = row["net"]
    return out


LP_KINDS = ("line_deleted", "basket_cancelled", "price_override", "manual_discount", "no_sale", "reprint")


def loss_prevention(conn: sqlite3.Connection, period: Period) -> dict[str, Any]:
    """Per cashier, what the tills reported in the period (`till_lp_events`, docs/sync.md): lines
    deleted, baskets cancelled, price overrides, manual discounts, drawers opened without a sale,
    reprints, beside the voids and refunds they made and those a supervisor approved for them;
    the amounts per kind and currency in the totals. Training facts count nowhere."""
    found: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    totals: dict[tuple, dict[str, Any]] = {}
    p = _params(period)
    for r in conn.execute(
            "SELECT coalesce(cashier_id, ''), max(cashier_name), kind, currency, count(*), sum(amount),"
            " sum(supervisor_id IS NOT NULL) FROM till_lp_events d WHERE " + DOC_IN_PERIOD + " AND training = 0"
            " GROUP BY 1, kind, currency", p):
        who, name, kind, currency, count, amount, approved = r
        names.setdefault(who, name or "")
        _add(found, who, **{kind: count, "approved": approved})
        if currency and amount:
            _add(totals, (currency, kind), count=count, amount=amount)
    for r in conn.execute("SELECT d.voided_by, count(*) FROM sale_voids d JOIN sales s ON s.id = d.sale_id"
                          f" WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY d.voided_by", p):
        _add(found, r[0] or "", voids=r[1])
    for r in conn.execute("SELECT d.refunded_by, count(*) FROM sale_refunds d JOIN sales s ON s.id = d.sale_id"
                          f" WHERE {DOC_IN_PERIOD} AND s.training = 0 GROUP BY d.refunded_by", p):
        _add(found, r[0] or "", refunds=r[1])
    users = {r[0]: r[1] for r in conn.execute("SELECT id, display_name FROM users")}
    rows = []
    for who, v in found.items():
        rows.append({"cashier_id": who or None, "cashier": users.get(who) or names.get(who) or who or "(nobody)",
                     **{k: v.get(k, 0) for k in (*LP_KINDS, "approved", "voids", "refunds")}})
    rows.sort(key=lambda r: (-(r["line_deleted"] + r["basket_cancelled"] + r["no_sale"] + r["price_override"]),
                             r["cashier"].casefold()))
    return {"rows": rows, "totals": [{"currency": c, "kind": k, **v} for (c, k), v in sorted(totals.items())]}


def credit_aging(conn: sqlite3.Connection, period: Period | None = None) -> dict[str, Any]:
    """Every customer account that owes or is owed, per currency, with what is owed by the age of
    the charges not yet paid (hub.customers.credit.aging: oldest charges settled first), as of
    today in the store's time zone, and the account's limit."""
    from hub.customers import credit

    today = credit.today_in(conn)
    limits = {(r[0], r[1]): r[2] for r in conn.execute("SELECT customer_id, currency, credit_limit FROM credit_limits")}
    rows = []
    for customer_id, currency, balance, name, phone in conn.execute(
            "SELECT l.customer_id, l.currency, sum(l.amount), c.name, c.phone FROM credit_ledger l"
            " JOIN customers c ON c.id = l.customer_id GROUP BY l.customer_id, l.currency"
            " HAVING sum(l.amount) != 0 ORDER BY c.name_key, l.currency").fetchall():
        buckets = credit.aging(conn, customer_id, currency, today)
        rows.append({"customer_id": customer_id, "customer": name, "phone": phone, "currency": currency,
                     "balance": balance, "current": buckets["current"], "days_30": buckets["30"],
                     "days_60": buckets["60"], "days_90": buckets["90+"],
                     "limit": limits.get((customer_id, currency), 0)})
    rows.sort(key=lambda r: (r["currency"], -r["days_90"], -r["balance"], r["customer"].casefold()))
    return {"rows": rows, "totals": _totals(rows, ("balance", "current", "days_30", "days_60", "days_90")),
            "as_of": today.isoformat()}
