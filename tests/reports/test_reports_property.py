"""For any mix of sales, voids, refunds and price corrections (made through the real ingest, void,
refund and correction functions), every report moves by exactly what the documents and the ledger
say: sums computed here from the sale bodies, the document rows and the stock movements, never
from the reports' own queries. Training sales change nothing."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from hub.db.connection import transaction
from hub.errors import ConflictError
from hub.ids import new_id
from hub.inventory import ledger
from hub.reports import catalog
from hub.sales.ingest import ingest_sale
from tests.reports.store import report_store, today
from tests.sales.build import cashier
from tests.sales.test_documents_property import _apply, action
from tests.sales.test_reconcile_property import build, sale_plan


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    conn, ids, products = report_store(tmp_path_factory.mktemp("prop") / "hub.db")
    yield conn, ids, products
    conn.close()


def snapshot(conn) -> dict[str, dict]:
    period = today(conn)
    return {name: catalog.run(conn, name, period) for name in catalog.REPORTS}


def keyed(found: dict, key: tuple[str, ...], fields: tuple[str, ...]) -> Counter:
    out: Counter = Counter()
    for row in found["rows"]:
        for f in fields:
            out[(*(row[k] for k in key), f)] += row[f] or 0
    return out


def delta(before: dict, after: dict, name: str, key: tuple[str, ...], fields: tuple[str, ...]) -> dict:
    got = keyed(after[name], key, fields)
    got.subtract(keyed(before[name], key, fields))
    return {k: v for k, v in got.items() if v}


def clean(counter: dict) -> dict:
    return {k: v for k, v in counter.items() if v}


# No shrinking: every example grows the one store, so a shrink replays against a bigger one for long.
@settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(sale_plan, min_size=1, max_size=5), actions=st.lists(action, max_size=8),
       training=st.lists(st.booleans(), min_size=5, max_size=5))
def test_every_report_moves_by_what_the_documents_and_the_ledger_say(store, plans, actions, training):
    conn, ids, products = store
    mine, other = new_id(), new_id()
    with transaction(conn):
        conn.execute("UPDATE shifts SET status = 'closed', closed_at = opened_at WHERE status = 'open'")
        for shift_id, status in ((mine, "open"), (other, "closed")):
            conn.execute("INSERT INTO shifts (id, device_id, cashier_id, status, opened_at, closed_at, created_at,"
                         " updated_at) VALUES (?, ?, ?, ?, 'x', ?, 'x', 'x')",
                         (shift_id, ids["till"], ids["cashier"], status, None if status == "open" else "x"))
    shifts = {"mine": mine, "other": other}
    before = snapshot(conn)
    movements_before = conn.execute("SELECT max(seq) FROM stock_movements").fetchone()[0]
    for plan in plans:
        plan["shift"] = plan["shift"] or "mine"
    bodies = [build(plan, products, shifts) for plan in plans]
    trained = set()
    for body, is_training in zip(bodies, training):
        with transaction(conn):
            ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
            if is_training:  # a training sale (the till marks it; m0017): counts in no report
                conn.execute("UPDATE sales SET training = 1 WHERE id = ?", (body["id"],))
                trained.add(body["id"])
    sale_ids = [b["id"] for b in bodies]
    for act in actions:
        sale_id = sale_ids[act["sale"] % len(sale_ids)]
        act["line"] %= conn.execute("SELECT count(*) FROM sale_lines WHERE sale_id = ?", (sale_id,)).fetchone()[0]
        try:
            with transaction(conn):
                _apply(conn, ids, act, sale_id, shifts)
        except ConflictError:
            pass
    after = snapshot(conn)
    assert ledger.check(conn) == []

    voided = {r[0] for r in conn.execute(
        f"SELECT sale_id FROM sale_voids WHERE sale_id IN ({','.join('?' * len(sale_ids))})", sale_ids)}
    live = [b for b in bodies if b["id"] not in voided and b["id"] not in trained]
    counted = [b for b in bodies if b["id"] not in trained]
    marks = ",".join("?" * len(counted))
    counted_ids = [b["id"] for b in counted]
    refunds = [dict(r) for r in conn.execute(f"SELECT * FROM sale_refunds WHERE sale_id IN ({marks})", counted_ids)]
    corrections = [dict(r) for r in conn.execute(f"SELECT * FROM sale_corrections WHERE sale_id IN ({marks})",
                                                 counted_ids)]
    currency_of = {b["id"]: b["currency"] for b in bodies}

    # by currency: sales, tax, refunds, corrections, net
    expected: Counter = Counter()
    for b in live:
        expected[(b["currency"], "count")] += 1
        expected[(b["currency"], "total")] += b["total"]
        expected[(b["currency"], "tax")] += b["tax_total"]
    for f in refunds:
        expected[(f["currency"], "refunds")] += f["total"]
    for c in corrections:
        expected[(c["currency"], "corrections")] += c["total"] if c["kind"] == "charge" else -c["total"]
    for (cur, f), v in list(expected.items()):
        if f in ("total", "corrections"):
            expected[(cur, "net")] += v
        elif f == "refunds":
            expected[(cur, "net")] -= v
    fields = ("count", "total", "tax", "refunds", "corrections", "net")
    assert delta(before, after, "sales-by-currency", ("currency",), fields) == clean(expected)
    assert delta(before, after, "sales-by-day", ("currency",), fields) == clean(expected)
    assert delta(before, after, "sales-by-hour", ("currency",), ("count", "total", "tax")) == clean(
        {k: v for k, v in expected.items() if k[1] in ("count", "total", "tax")})
    assert delta(before, after, "sales-by-till", ("currency",), ("count", "total", "tax")) == clean(
        {k: v for k, v in expected.items() if k[1] in ("count", "total", "tax")})
    assert delta(before, after, "sales-by-cashier", ("currency",), ("count", "total", "refunds")) == clean(
        {k: v for k, v in expected.items() if k[1] in ("count", "total", "refunds")})

    # by product: quantity and line totals sold, refunded quantity and amount (the refund lines)
    product: Counter = Counter()
    for b in live:
        for ln in b["lines"]:
            product[(ln["product_id"], b["currency"], "quantity")] += ln["quantity"]
            product[(ln["product_id"], b["currency"], "total")] += ln["total"]
    for r in conn.execute(f"SELECT rl.product_id, rl.quantity, rl.amount, rl.sale_id FROM sale_refund_lines rl"
                          f" WHERE rl.sale_id IN ({marks})", counted_ids):
        product[(r[0], currency_of[r[3]], "refunds")] += r[2]
    assert delta(before, after, "sales-by-product", ("product_id", "currency"), ("quantity", "total", "refunds")) \
        == clean(product)

    # tenders: what was handed over less change, refunded and corrected, per tender currency
    tender: Counter = Counter()
    for b in live:
        for t in b["tenders"]:
            tender[(t["method"], "" if t["method"] == "cash" else t.get("provider", ""), t["currency"], "net")] += \
                t["amount"]
        for c in b["change"]:
            tender[("cash", "", c["currency"], "net")] -= c["amount"]
    for r in conn.execute(f"SELECT t.method, t.provider, t.currency, t.amount FROM sale_refund_tenders t JOIN"
                          f" sale_refunds f ON f.id = t.refund_id WHERE f.sale_id IN ({marks})", counted_ids):
        tender[(r[0], r[1], r[2], "net")] -= r[3]
    for r in conn.execute(f"SELECT t.method, t.provider, t.currency, CASE c.kind WHEN 'charge' THEN t.amount ELSE"
                          f" -t.amount END FROM sale_correction_tenders t JOIN sale_corrections c ON"
                          f" c.id = t.correction_id WHERE c.sale_id IN ({marks})", counted_ids):
        tender[(r[0], r[1], r[2], "net")] += r[3]
    assert delta(before, after, "sales-by-tender", ("method", "provider", "currency"), ("net",)) == clean(tender)

    # tax per rate: the lines' tax less the refund lines' plus the correction lines' (signed)
    taxes: Counter = Counter()
    for b in live:
        for ln in b["lines"]:
            taxes[(ln["tax_code"], ln["tax_rate_bp"], b["currency"], "net_tax")] += ln["tax_amount"]
    for r in conn.execute(f"SELECT tax_code, tax_rate_bp, tax_amount, sale_id FROM sale_refund_lines"
                          f" WHERE sale_id IN ({marks})", counted_ids):
        taxes[(r[0], r[1], currency_of[r[3]], "net_tax")] -= r[2]
    for r in conn.execute(f"SELECT cl.tax_code, cl.tax_rate_bp, CASE c.kind WHEN 'charge' THEN cl.tax_amount ELSE"
                          f" -cl.tax_amount END, c.sale_id FROM sale_correction_lines cl JOIN sale_corrections c"
                          f" ON c.id = cl.correction_id WHERE c.sale_id IN ({marks})", counted_ids):
        taxes[(r[0], r[1], currency_of[r[3]], "net_tax")] += r[2]
    assert delta(before, after, "tax", ("tax_code", "tax_rate_bp", "currency"), ("net_tax",)) == clean(taxes)

    # voids, refunds and corrections: count and amount per kind and currency
    docs: Counter = Counter()
    for b in counted:
        if b["id"] in voided:
            docs[(b["currency"], "void", "count")] += 1
            docs[(b["currency"], "void", "amount")] += b["total"]
    for f in refunds:
        docs[(f["currency"], "refund", "count")] += 1
        docs[(f["currency"], "refund", "amount")] += f["total"]
    for c in corrections:
        docs[(c["currency"], c["kind"], "count")] += 1
        docs[(c["currency"], c["kind"], "amount")] += c["total"]
    got: Counter = Counter()
    for side, sign in ((after, 1), (before, -1)):
        for t in side["voids-refunds"]["totals"]:
            for f in ("count", "amount"):
                got[(t["currency"], t["kind"], f)] += sign * t[f]
    assert clean(got) == clean(docs)

    # gross margin: the cost of the live lines is what their sale movements took out of the ledger
    cost = 0
    for b in live:
        for r in conn.execute("SELECT quantity, unit_cost FROM stock_movements WHERE source_type = 'sale'"
                              " AND source_id = ? AND seq > ?", (b["id"], movements_before)):
            cost += -r[0] * r[1]
    margin_cost = sum(t["cost"] for t in after["gross-margin"]["totals"]) - \
        sum(t["cost"] for t in before["gross-margin"]["totals"])
    assert abs(margin_cost - cost / 1000) <= max(1, len(products) * 2)  # rounded to the minor unit per product

    # movers: what each product sold less what came back
    sold: Counter = Counter()
    for b in live:
        for ln in b["lines"]:
            sold[ln["product_id"]] += ln["quantity"]
    for r in conn.execute(f"SELECT product_id, quantity FROM sale_refund_lines WHERE sale_id IN ({marks})",
                          counted_ids):
        sold[r[0]] -= r[1]
    fast_after = {r["product_id"]: r["quantity"] for r in after["movers"]["rows"] if r["list"] == "fast"}
    fast_before = {r["product_id"]: r["quantity"] for r in before["movers"]["rows"] if r["list"] == "fast"}
    for p in products:
        if p in fast_after:
            assert fast_after[p] - fast_before.get(p, 0) == sold[p]
