"""Projections of the facts HQ stores for the first time: sales, their lines, voids, refunds,
stock movements, stock on hand, cost of goods sold and the stores' own products (in the batch's
transaction)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cloud_bridge.hq import clock
from cloud_bridge.hq.bulk import insert_many, jsonb

COGS_KINDS = ("sale",)  # movements whose cost is the cost of goods a sale sold

SALE_COLUMNS = [("store_id", "text"), ("sale_id", "text"), ("business_date", "date"), ("currency", "text"),
                ("invoice_number", "text"), ("till_code", "text"), ("cashier_name", "text"),
                ("occurred_at", "timestamptz"), ("subtotal", "bigint"), ("discount_total", "bigint"),
                ("tax_total", "bigint"), ("total", "bigint"), ("voided", "boolean")]
LINE_COLUMNS = [("store_id", "text"), ("sale_id", "text"), ("line_no", "integer"), ("business_date", "date"),
                ("currency", "text"), ("product_id", "text"), ("code", "text"), ("name", "text"),
                ("category_id", "text"), ("quantity", "bigint"), ("net", "bigint"), ("tax", "bigint")]
VOID_COLUMNS = [("store_id", "text"), ("void_id", "text"), ("sale_id", "text")]
REFUND_COLUMNS = [("store_id", "text"), ("refund_id", "text"), ("sale_id", "text"), ("business_date", "date"),
                  ("currency", "text"), ("total", "bigint"), ("tax_total", "bigint")]
CORRECTION_COLUMNS = [("store_id", "text"), ("correction_id", "text"), ("sale_id", "text"),
                      ("business_date", "date"), ("currency", "text"), ("kind", "text"), ("total", "bigint"),
                      ("tax_total", "bigint")]
MOVEMENT_COLUMNS = [("store_id", "text"), ("movement_id", "text"), ("product_id", "text"), ("kind", "text"),
                    ("quantity", "bigint"), ("unit_cost", "bigint"), ("source_type", "text"), ("source_id", "text"),
                    ("occurred_at", "timestamptz")]
COST_COLUMNS = [("store_id", "text"), ("movement_id", "text"), ("sale_id", "text"), ("product_id", "text"),
                ("cost_thousandths", "bigint")]
STOCK_COLUMNS = [("store_id", "text"), ("product_id", "text"), ("on_hand", "bigint"), ("baseline_at", "timestamptz")]
PRODUCT_COLUMNS = [("store_id", "text"), ("product_id", "text"), ("version", "bigint"), ("sku", "text"),
                   ("name", "text"), ("short_name", "text"), ("category_id", "text"), ("unit", "text"),
                   ("tax_class", "text"), ("active", "boolean"), ("cost_price", "bigint"), ("cost_currency", "text"),
                   ("prices", "jsonb"), ("data", "jsonb"), ("event_id", "text"), ("changed_at", "timestamptz")]
# The highest version a store sent of each product wins, whatever order its facts arrive in.
PRODUCT_UPSERT = "ON CONFLICT (store_id, product_id) DO UPDATE SET " + ", ".join(
    f"{name} = excluded.{name}" for name, _type in PRODUCT_COLUMNS[2:]) + \
    ", updated_at = now() WHERE store_products.version < excluded.version"

# A sale whose void HQ holds (a void that came first, or the void of this batch) is voided.
VOIDED_SQL = """UPDATE sales SET voided = true WHERE store_id = %s AND NOT voided AND sale_id = ANY(%s)
    AND EXISTS (SELECT 1 FROM voids v WHERE v.store_id = sales.store_id AND v.sale_id = sales.sale_id)"""

STOCK_ROWS_SQL = """SELECT product_id, on_hand, baseline_at FROM stock
    WHERE store_id = %s AND product_id = ANY(%s) ORDER BY product_id FOR UPDATE"""

STOCK_UPSERT = """ON CONFLICT (store_id, product_id)
    DO UPDATE SET on_hand = excluded.on_hand, baseline_at = excluded.baseline_at, updated_at = now()"""

AFTER_COUNT_SQL = """SELECT coalesce(sum(quantity), 0)::bigint AS q FROM stock_movements
    WHERE store_id = %s AND product_id = %s AND kind <> 'count' AND occurred_at > %s"""


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _maybe_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def product_version(event_id: str, data: dict[str, Any]) -> int:
    """The version a `product_local` fact carries: its data's, else its event id's (`<id>:<version>`)."""
    if isinstance(data.get("version"), int) and not isinstance(data.get("version"), bool):
        return data["version"]
    tail = event_id.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def store_product(store_id: str, event_id: str, occurred_at: datetime, data: dict[str, Any]) -> tuple | None:
    """A row of `store_products` from a `product_local` fact (None without a product id)."""
    product = _text(data.get("id")) or event_id.rpartition(":")[0]
    if not product:
        return None
    prices = {c: p for c, p in (data.get("prices") or {}).items()
              if isinstance(c, str) and isinstance(p, int)} if isinstance(data.get("prices"), dict) else {}
    cost = data.get("cost_price")
    return (store_id, product, product_version(event_id, data), _text(data.get("sku")), _text(data.get("name")),
            _maybe_text(data.get("short_name")), _maybe_text(data.get("category_id")), _maybe_text(data.get("unit")),
            _maybe_text(data.get("tax_class")), data.get("active") is not False,
            cost if isinstance(cost, int) and not isinstance(cost, bool) else None,
            _maybe_text(data.get("cost_currency")), jsonb(prices), jsonb(data), event_id, occurred_at)


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
    sales, lines, voids, refunds, corrections, movements = [], [], [], [], [], []
    products: dict[str, tuple] = {}  # product id -> its row at the highest version in this batch
    for kind, event_id, occurred_at, data in facts:
        if kind == "product_local":
            row = store_product(hub.store_id, event_id, occurred_at, data)
            if row is not None and (row[1] not in products or products[row[1]][2] < row[2]):
                products[row[1]] = row
            continue
        if kind == "sale":
            if data.get("training"):
                continue  # a training sale counts nowhere (docs/sync.md)
            sale_id = _text(data.get("id")) or event_id
            day = business_date(data, occurred_at, hub.time_zone)
            currency = _text(data.get("currency"))
            sales.append((hub.store_id, sale_id, day, currency, _text(data.get("invoice_number")),
                          _text(data.get("till_code")), _text(data.get("cashier_name")), occurred_at,
                          _int(data.get("subtotal")), _int(data.get("discount_total")), _int(data.get("tax_total")),
                          _int(data.get("total")), data.get("status") == "voided"))
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
        elif kind == "correction":
            corrections.append((hub.store_id, _text(data.get("id")) or event_id, _text(data.get("sale_id")),
                                business_date(data, occurred_at, hub.time_zone), _text(data.get("currency")),
                                _text(data.get("kind")), _int(data.get("total")), _int(data.get("tax_total"))))
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
        await insert_many(cur, "voids", VOID_COLUMNS, voids)
        await insert_many(cur, "sales", SALE_COLUMNS, sales)
        await insert_many(cur, "sale_lines", LINE_COLUMNS, lines)
        if voids or sales:
            await cur.execute(VOIDED_SQL, (hub.store_id, [v[2] for v in voids] + [x[1] for x in sales]))
        await insert_many(cur, "refunds", REFUND_COLUMNS, refunds)
        await insert_many(cur, "corrections", CORRECTION_COLUMNS, corrections)
        if movements:
            await _stock(cur, hub.store_id, movements)
        await insert_many(cur, "store_products", PRODUCT_COLUMNS, [products[p] for p in sorted(products)],
                          suffix=PRODUCT_UPSERT)


async def _stock(cur: Any, store_id: str, movements: list[dict[str, Any]]) -> None:
    """Record the movements, then bring each product's stock up to date: a count newer than the
    baseline becomes it (plus what moved after it); any other movement after the baseline adds."""
    await insert_many(cur, "stock_movements", MOVEMENT_COLUMNS, [
        (store_id, m["id"], m["product_id"], m["kind"], m["quantity"], m["unit_cost"], m["source_type"],
         m["source_id"], m["occurred_at"]) for m in movements])
    costs = [(store_id, m["id"], m["source_id"], m["product_id"], -m["quantity"] * m["unit_cost"])
             for m in movements if m["kind"] in COGS_KINDS and m["unit_cost"] is not None and m["source_id"]]
    await insert_many(cur, "sale_costs", COST_COLUMNS, costs)
    by_product: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in movements:
        by_product[m["product_id"]].append(m)
    products = sorted(by_product)
    await insert_many(cur, "stock", STOCK_COLUMNS, [(store_id, p, 0, None) for p in products])
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
    await insert_many(cur, "stock", STOCK_COLUMNS, updates, suffix=STOCK_UPSERT)
