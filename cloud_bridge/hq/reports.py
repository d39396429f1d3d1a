"""The chain's figures from the projections, every one per currency (never summed across
currencies): sales by store and day, by product, by category, margin, stock, store health."""

from __future__ import annotations

from datetime import date
from typing import Any

LIVE = "NOT s.voided"

SALES_BY_DAY_SQL = f"""
WITH day AS (
    SELECT s.store_id, s.business_date, s.currency, count(*) AS sales, sum(s.total)::bigint AS total,
           sum(s.tax_total)::bigint AS tax
    FROM sales s WHERE {LIVE} AND s.business_date BETWEEN %(from)s AND %(to)s GROUP BY 1, 2, 3),
ref AS (
    SELECT r.store_id, r.business_date, r.currency, count(*) AS refunds, sum(r.total)::bigint AS refunded
    FROM refunds r WHERE r.business_date BETWEEN %(from)s AND %(to)s GROUP BY 1, 2, 3),
cor AS (
    SELECT c.store_id, c.business_date, c.currency,
           sum(CASE c.kind WHEN 'credit' THEN -c.total ELSE c.total END)::bigint AS corrected
    FROM corrections c WHERE c.business_date BETWEEN %(from)s AND %(to)s GROUP BY 1, 2, 3)
SELECT st.code AS store, coalesce(d.business_date, f.business_date, k.business_date) AS business_date,
       coalesce(d.currency, f.currency, k.currency) AS currency, coalesce(d.sales, 0) AS sales,
       coalesce(d.total, 0) AS total, coalesce(d.tax, 0) AS tax, coalesce(f.refunds, 0) AS refunds,
       coalesce(f.refunded, 0) AS refunded, coalesce(k.corrected, 0) AS corrected,
       coalesce(d.total, 0) - coalesce(f.refunded, 0) + coalesce(k.corrected, 0) AS net
FROM day d FULL JOIN ref f USING (store_id, business_date, currency)
FULL JOIN cor k USING (store_id, business_date, currency)
JOIN stores st ON st.id = coalesce(d.store_id, f.store_id, k.store_id)
WHERE %(store)s::text IS NULL OR st.code = %(store)s
ORDER BY 2 DESC, 1, 3"""

# A product HQ's catalogue lacks is named as its store named it (store_products, from the hub's
# `product_local` facts) and marked `store_product`; else as the sale lines named it.
BY_PRODUCT_SQL = f"""
SELECT coalesce(l.product_id, 'code:' || l.code) AS product_id, max(l.code) AS code,
       coalesce(max(sp.name) FILTER (WHERE rp.id IS NULL AND sp.name <> ''), max(l.name)) AS name,
       (bool_and(rp.id IS NULL) AND bool_or(sp.product_id IS NOT NULL)) AS store_product,
       l.currency, count(DISTINCT l.store_id) AS stores, sum(l.quantity)::bigint AS quantity, sum(l.net)::bigint AS net,
       sum(l.tax)::bigint AS tax
FROM sale_lines l JOIN sales s ON s.store_id = l.store_id AND s.sale_id = l.sale_id
JOIN stores st ON st.id = l.store_id
LEFT JOIN reference rp ON rp.entity = 'product' AND rp.id = l.product_id
LEFT JOIN store_products sp ON sp.store_id = l.store_id AND sp.product_id = l.product_id
WHERE {LIVE} AND l.business_date BETWEEN %(from)s AND %(to)s AND (%(store)s::text IS NULL OR st.code = %(store)s)
GROUP BY 1, l.currency ORDER BY l.currency, sum(l.net)::bigint DESC, 1 LIMIT 2000"""

# A category HQ's catalogue lacks (one a store made) is named as the store's products named it
# when they were last sent (`category` in their product_local facts), else shown by its id.
BY_CATEGORY_SQL = f"""
WITH g AS (
    SELECT l.category_id, l.currency, count(DISTINCT l.store_id) AS stores, sum(l.quantity)::bigint AS quantity,
           sum(l.net)::bigint AS net, sum(l.tax)::bigint AS tax
    FROM sale_lines l JOIN sales s ON s.store_id = l.store_id AND s.sale_id = l.sale_id
    JOIN stores st ON st.id = l.store_id
    WHERE {LIVE} AND l.business_date BETWEEN %(from)s AND %(to)s AND (%(store)s::text IS NULL OR st.code = %(store)s)
    GROUP BY 1, 2),
store_named AS (
    SELECT DISTINCT ON (category_id) category_id, data->>'category' AS name FROM store_products
    WHERE category_id IN (SELECT category_id FROM g) AND data->>'category' <> ''
    ORDER BY category_id, changed_at DESC)
SELECT coalesce(g.category_id, '') AS category_id,
       coalesce(c.data->>'name', n.name, g.category_id, 'Uncategorised') AS category,
       g.currency, g.stores, g.quantity, g.net, g.tax
FROM g LEFT JOIN reference c ON c.entity = 'category' AND c.id = g.category_id
LEFT JOIN store_named n ON n.category_id = g.category_id
ORDER BY g.currency, g.net DESC, 2"""

# Cost is in the store's cost currency (its first); the margin is shown only where the sales'
# currency is that one, and revenue in another currency stands beside its cost unconverted.
MARGIN_SQL = f"""
WITH rev AS (
    SELECT l.store_id, l.currency, sum(l.net)::bigint AS revenue FROM sale_lines l
    JOIN sales s ON s.store_id = l.store_id AND s.sale_id = l.sale_id
    WHERE {LIVE} AND l.business_date BETWEEN %(from)s AND %(to)s GROUP BY 1, 2),
cost AS (
    SELECT s.store_id, s.currency, sum(c.cost_thousandths)::bigint AS cost_thousandths FROM sale_costs c
    JOIN sales s ON s.store_id = c.store_id AND s.sale_id = c.sale_id
    WHERE {LIVE} AND s.business_date BETWEEN %(from)s AND %(to)s GROUP BY 1, 2)
SELECT st.code AS store, r.currency, st.currencies[1] AS cost_currency, r.revenue,
       round(coalesce(c.cost_thousandths, 0) / 1000.0)::bigint AS cost
FROM rev r LEFT JOIN cost c USING (store_id, currency) JOIN stores st ON st.id = r.store_id
WHERE %(store)s::text IS NULL OR st.code = %(store)s
ORDER BY 1, 2"""

STOCK_SQL = """
SELECT st.code AS store, k.product_id, coalesce(p.data->>'sku', sp.sku, '') AS sku,
       coalesce(p.data->>'name', nullif(sp.name, ''),
                (SELECT l.name FROM sale_lines l WHERE l.store_id = k.store_id
                 AND l.product_id = k.product_id LIMIT 1), '') AS name,
       (p.id IS NULL AND sp.product_id IS NOT NULL) AS store_product, k.on_hand, k.updated_at
FROM stock k JOIN stores st ON st.id = k.store_id
LEFT JOIN reference p ON p.entity = 'product' AND p.id = k.product_id
LEFT JOIN store_products sp ON sp.store_id = k.store_id AND sp.product_id = k.product_id
WHERE %(store)s::text IS NULL OR st.code = %(store)s
ORDER BY 1, 4, 2 LIMIT 5000"""

HEALTH_SQL = """
SELECT st.code AS store, st.name, st.fence, h.hub_id, h.enrolled_at, ss.received_at AS last_contact, ss.backlog,
       ss.oldest_unsent_at, ss.body->'versions' AS versions, ss.body->'fiscal' AS fiscal,
       ss.body->>'last_error' AS last_error, ss.body->'tills' AS tills,
       (SELECT max(e.acked_through) FROM hub_epochs e WHERE e.store_id = st.id AND e.hub_id = h.hub_id) AS acked_through,
       (SELECT count(*) FROM requests r WHERE r.store_id = st.id AND r.status IN ('queued', 'sent')) AS open_requests
FROM stores st
LEFT JOIN hubs h ON h.store_id = st.id AND h.fence = st.fence
LEFT JOIN store_status ss ON ss.store_id = st.id
ORDER BY st.code"""

REQUESTS_SQL = """
SELECT r.id, st.code AS store, r.kind, r.params, r.status, r.created_at, r.created_by, r.sent_at, r.answered_at,
       r.result, r.error
FROM requests r JOIN stores st ON st.id = r.store_id ORDER BY r.created_at DESC LIMIT 200"""


def _params(start: date, end: date, store: str | None) -> dict[str, Any]:
    return {"from": start, "to": end, "store": store or None}


async def _rows(conn: Any, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [dict(r) for r in await (await conn.execute(sql, params)).fetchall()]


async def sales_by_day(conn: Any, start: date, end: date, store: str | None = None) -> list[dict[str, Any]]:
    return await _rows(conn, SALES_BY_DAY_SQL, _params(start, end, store))


async def by_product(conn: Any, start: date, end: date, store: str | None = None) -> list[dict[str, Any]]:
    return await _rows(conn, BY_PRODUCT_SQL, _params(start, end, store))


async def by_category(conn: Any, start: date, end: date, store: str | None = None) -> list[dict[str, Any]]:
    return await _rows(conn, BY_CATEGORY_SQL, _params(start, end, store))


async def margin(conn: Any, start: date, end: date, store: str | None = None) -> list[dict[str, Any]]:
    rows = await _rows(conn, MARGIN_SQL, _params(start, end, store))
    for r in rows:
        same = r["currency"] == r["cost_currency"]
        r["margin"] = r["revenue"] - r["cost"] if same else None
        r["margin_bp"] = (r["margin"] * 10000 // r["revenue"]) if same and r["revenue"] else None
    return rows


async def stock(conn: Any, store: str | None = None) -> list[dict[str, Any]]:
    return await _rows(conn, STOCK_SQL, {"store": store or None})


async def health(conn: Any) -> list[dict[str, Any]]:
    return await _rows(conn, HEALTH_SQL)


async def requests(conn: Any) -> list[dict[str, Any]]:
    return await _rows(conn, REQUESTS_SQL)


def totals_by_currency(rows: list[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    """The rows' sums per currency (one line per currency, never one across them)."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = out.setdefault(r["currency"], {"currency": r["currency"], **{f: 0 for f in fields}})
        for f in fields:
            t[f] += r[f] or 0
    return [out[c] for c in sorted(out)]
