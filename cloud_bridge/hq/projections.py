"""Projections of the facts HQ stores for the first time: sales, their lines, voids, refunds,
stock movements, stock on hand and cost of goods sold (in the batch's transaction)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cloud_bridge.hq import clock

COGS_KINDS = ("sale",)  # movements whose cost is the cost of goods a sale sold

SALE_SQL = """INSERT INTO sales (store_id, sale_id, business_date, currency, invoice_number, till_code,
    cashier_name, occurred_at, subtotal, discount_total, tax_total, total, voided)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
            %s OR EXISTS (SELECT 1 FROM voids v WHERE v.store_id = %s AND v.sale_id = %s))
    ON CONFLICT (store_id, sale_id) DO NOTHING"""

LINE_SQL = """INSERT INTO sale_lines (store_id, sale_id, line_no, business_date, currency, product_id, code,
    name, category_id, quantity, net, tax) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT DO NOTHING"""

MOVEMENT_SQL = """INSERT INTO stock_movements (store_id, movement_id, product_id, kind, quantity, unit_cost,
    source_type, source_id, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"""

STOCK_ROWS_SQL = """SELECT product_id, on_hand, baseline_at FROM stock
    WHERE store_id = %s AND product_id = ANY(%s) ORDER BY product_id FOR UPDATE"""

STOCK_UPSERT_SQL = """INSERT INTO stock (store_id, product_id, on_hand, baseline_at, updated_at)
    VALUES (%s, %s, %s, %s, now()) ON CONFLICT (store_id, product_id)
    DO UPDATE SET on_hand = excluded.on_hand, baseline_at = excluded.baseline_at, updated_at = now()"""

AFTER_COUNT_SQL = """SELECT coalesce(sum(quantity), 0)::bigint AS q FROM stock_movements
    WHERE store_id = %s AND product_id = %s AND kind <> 'count' AND occurred_at > %s"""


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def business_date(data: dict[str, Any], occurred_at: datetime, zone: str) -> date:
    """The fact's business date: the hub's when it sends one, else its moment in the store's zone."""
    given = data.get("business_date")
    if isinstance(given, str):
        try:
            return date.fromisoformat(given[:10])
        except ValueError:
            pass
    try:
        return occurred_at.astimezone(ZoneInfo(zone)).date()
    except Exception:  # an unknown zone name: UTC
        return occurred_at.date()


def line_money(line: dict[str, Any], tax_mode: str) -> tuple[int, int]:
    """(net, tax) of a sale line: the hub's `net` and `tax` when sent, else from its total."""
    tax = _int(line.get("tax"), _int(line.get("tax_amount")))
    if isinstance(line.get("net"), int):
        return line["net"], tax
    total = _int(line.get("total"))
    return (total - tax if tax_mode == "inclusive" else total), tax


async def apply(conn: Any, hub: Any, facts: list[tuple[str, str, datetime, dict[str, Any]]]) -> None:
    sales, lines, voids, refunds, movements = [], [], [], [], []
    for kind, event_id, occurred_at, data in facts:
        if kind == "sale":
            if data.get("training"):
                continue  # a training sale counts nowhere (docs/sync.md)
            sale_id = _text(data.get("id")) or event_id
            day = business_date(data, occurred_at, hub.time_zone)
            currency = _text(data.get("currency"))
            sales.append((hub.store_id, sale_id, day, currency, _text(data.get("invoice_number")),
                          _text(data.get("till_code")), _text(data.get("cashier_name")), occurred_at,
                          _int(data.get("subtotal")), _int(data.get("discount_total")), _int(data.get("tax_total")),
                          _int(data.get("total")), data.get("status") == "voided", hub.store_id, sale_id))
            for n, line in enumerate(data.get("lines") or [], start=1):
                if not isinstance(line, dict):
                    continue
                net, tax = line_money(line, _text(data.get("tax_mode")))
                lines.append((hub.store_id, sale_id, _int(line.get("line_no"), n), day, currency,
                              line.get("product_id") if isinstance(line.get("product_id"), str) else None,
                              _text(line.get("code")), _text(line.get("name")),
                              line.get("category_id") if isinstance(line.get("category_id"), str) else None,
                              _int(line.get("quantity")), net, tax))
        elif kind == "void":
            sale_id = _text(data.get("sale_id"))
            if sale_id:
                voids.append((hub.store_id, _text(data.get("id")) or event_id, sale_id))
        elif kind == "refund":
            sale_id = _text(data.get("sale_id"))
            refunds.append((hub.store_id, _text(data.get("id")) or event_id, sale_id,
                            business_date(data, occurred_at, hub.time_zone), _text(data.get("currency")),
                            _int(data.get("total")), _int(data.get("tax_total"))))
        elif kind == "stock_movement":
            product = _text(data.get("product_id"))
            if not product:
                continue
            when = occurred_at
            if isinstance(data.get("occurred_at"), str):
                try:
                    when = clock.parse(data["occurred_at"])
                except ValueError:
                    pass
            movements.append({"id": _text(data.get("id")) or event_id, "product_id": product,
                              "kind": _text(data.get("kind")), "quantity": _int(data.get("quantity")),
                              "unit_cost": data.get("unit_cost") if isinstance(data.get("unit_cost"), int) else None,
                              "source_type": _text(data.get("source_type")),
                              "source_id": data.get("source_id") if isinstance(data.get("source_id"), str) else None,
                              "occurred_at": when})
    async with conn.cursor() as cur:
        if voids:
            await cur.executemany("INSERT INTO voids (store_id, void_id, sale_id) VALUES (%s, %s, %s)"
                                  " ON CONFLICT DO NOTHING", voids)
        if sales:
            await cur.executemany(SALE_SQL, sales)
        if lines:
            await cur.executemany(LINE_SQL, lines)
        if voids:
            await cur.executemany("UPDATE sales SET voided = true WHERE store_id = %s AND sale_id = %s",
                                  [(s, sale) for s, _v, sale in voids])
        if refunds:
            await cur.executemany("INSERT INTO refunds (store_id, refund_id, sale_id, business_date, currency,"
                                  " total, tax_total) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                                  refunds)
        if movements:
            await _stock(cur, hub.store_id, movements)


async def _stock(cur: Any, store_id: str, movements: list[dict[str, Any]]) -> None:
    """Record the movements, then bring each product's stock up to date: a count newer than the
    baseline becomes it (plus what moved after it); any other movement after the baseline adds."""
    await cur.executemany(MOVEMENT_SQL, [
        (store_id, m["id"], m["product_id"], m["kind"], m["quantity"], m["unit_cost"], m["source_type"],
         m["source_id"], m["occurred_at"]) for m in movements])
    costs = [(store_id, m["id"], m["source_id"], m["product_id"], -m["quantity"] * m["unit_cost"])
             for m in movements if m["kind"] in COGS_KINDS and m["unit_cost"] is not None and m["source_id"]]
    if costs:
        await cur.executemany("INSERT INTO sale_costs (store_id, movement_id, sale_id, product_id, cost_thousandths)"
                              " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", costs)
    by_product: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in movements:
        by_product[m["product_id"]].append(m)
    products = sorted(by_product)
    await cur.executemany("INSERT INTO stock (store_id, product_id, on_hand) VALUES (%s, %s, 0) ON CONFLICT DO NOTHING",
                          [(store_id, p) for p in products])
    await cur.execute(STOCK_ROWS_SQL, (store_id, products))
    current = {r["product_id"]: (r["on_hand"], r["baseline_at"]) for r in await cur.fetchall()}
    updates = []
    for product in products:
        on_hand, baseline = current[product]
        counts = [m for m in by_product[product] if m["kind"] == "count"]
        newest = max(counts, key=lambda m: m["occurred_at"]) if counts else None
        if newest is not None and (baseline is None or newest["occurred_at"] >= baseline):
            baseline = newest["occurred_at"]
            await cur.execute(AFTER_COUNT_SQL, (store_id, product, baseline))
            on_hand = newest["quantity"] + (await cur.fetchone())["q"]
        else:
            on_hand += sum(m["quantity"] for m in by_product[product]
                           if m["kind"] != "count" and (baseline is None or m["occurred_at"] > baseline))
        updates.append((store_id, product, on_hand, baseline))
    await cur.executemany(STOCK_UPSERT_SQL, updates)
