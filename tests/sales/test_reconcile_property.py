"""For any mix of sales (receipt currencies, tenders of every method in either currency, change in
either currency, shifts), money per tender per currency reconciles with what was handed over and
back, each sale's converted tenders meet its total within the documented slack, and stock equals
the ledger."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.db.connection import transaction
from hub.ids import new_id
from hub.inventory import ledger
from hub.sales import money
from hub.sales.ingest import ingest_sale
from hub.sales.totals import CurrencyTotal, TenderTotal, shift_sales, shift_tenders
from tests.inventory.store import add_product, moved
from tests.sales.build import cashier, line, sale, till_store

RATES = {"USD": {"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000},
         "ZWG": {"currency": "USD", "rate": 37_736, "rate_scale": 1_000_000}}
OTHER = {"USD": "ZWG", "ZWG": "USD"}
PROVIDERS = {"cash": "", "card": "ZimSwitch", "mobile_money": "EcoCash", "bank_transfer": "CBZ",
             "credit_account": "", "voucher": "", "store_credit": ""}
_serial = itertools.count(1)

part = st.tuples(st.sampled_from(money.METHODS), st.booleans(), st.integers(1, 100))  # method, other currency?, weight
sale_plan = st.fixed_dictionaries({
    "currency": st.sampled_from(["USD", "ZWG"]),
    "lines": st.lists(st.tuples(st.integers(0, 2), st.integers(1, 5000), st.integers(1, 5000)), min_size=1,
                      max_size=3),
    "parts": st.lists(part, min_size=1, max_size=3),
    "over": st.integers(0, 3000),  # cash handed over beyond the total
    "over_other": st.booleans(),  # ... in the other currency
    "change_other": st.booleans(),  # change given in the other currency
    "shift": st.sampled_from(["mine", "mine", "other", None]),
})


def other_amount(receipt_amount: int, currency: str) -> int:
    """`receipt_amount` (receipt minor units) in the other currency, as the till would ask for it."""
    r = RATES[currency]
    return max(1, money.from_receipt(receipt_amount, r["rate"], r["rate_scale"], 2, 2))


def build(plan, products, shifts):
    cur, oth = plan["currency"], OTHER[plan["currency"]]
    lines = [line(price, qty, product_id=products[p], tax_rate_bp=0) for p, qty, price in plan["lines"]]
    total = sum(ln["total"] for ln in lines)
    weights = [w for _, _, w in plan["parts"]]
    shares = [total * w // sum(weights) for w in weights]
    shares[-1] += total - sum(shares)
    tenders = []
    for (method, in_other, _), share in zip(plan["parts"], shares):
        if share <= 0:
            continue
        amount = other_amount(share, cur) if in_other else share
        tenders.append({"method": method, "currency": oth if in_other else cur, "amount": amount,
                        "provider": PROVIDERS[method], "reference": f"R{next(_serial)}"})
    change = []
    if plan["over"]:
        over = plan["over"]
        tenders.append({"method": "cash", "currency": oth if plan["over_other"] else cur,
                        "amount": other_amount(over, cur) if plan["over_other"] else over})
        due = over
        if plan["change_other"]:
            back = money.from_receipt(due, RATES[cur]["rate"], RATES[cur]["rate_scale"], 2, 2) - 1  # never more
            if back > 0:
                change.append({"currency": oth, "amount": back})
        else:
            change.append({"currency": cur, "amount": due})
    if not tenders:
        tenders.append({"method": "cash", "currency": cur, "amount": max(total, 1)})
    return sale(lines, tenders, currency=cur, rates=[RATES[cur]], change=change,
                shift_id=shifts[plan["shift"]] if plan["shift"] else None, sequence=next(_serial))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store for every example (a migrated store per example would be slow): each example
    has its own shifts and reads stock relative to where it started."""
    conn, ids = till_store(tmp_path_factory.mktemp("store") / "hub.db")
    products = [add_product(conn) for _ in range(3)]
    yield conn, ids, products
    conn.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(sale_plan, min_size=1, max_size=8))
def test_money_per_tender_and_currency_and_stock_reconcile(store, plans):
    conn, ids, products = store
    for p in products:
        moved(conn, p, "receipt", 20000, unit_cost=100)
    start = {p: conn.execute("SELECT on_hand FROM stock_levels WHERE product_id = ?", (p,)).fetchone()[0]
             for p in products}
    mine_shift, other_shift = new_id(), new_id()
    with transaction(conn):
        conn.execute("UPDATE shifts SET status = 'closed', closed_at = opened_at WHERE status = 'open'")
        conn.execute("INSERT INTO shifts (id, device_id, cashier_id, status, opened_at, created_at, updated_at)"
                     " VALUES (?, ?, ?, 'open', 'x', 'x', 'x')", (mine_shift, ids["till"], ids["cashier"]))
        conn.execute("INSERT INTO shifts (id, device_id, cashier_id, status, opened_at, closed_at, created_at,"
                     " updated_at) VALUES (?, ?, ?, 'closed', 'x', 'x', 'x', 'x')",
                     (other_shift, ids["till"], ids["cashier"]))
    shifts = {"mine": mine_shift, "other": other_shift}
    bodies = [build(plan, products, shifts) for plan in plans]
    for body in bodies:
        with transaction(conn):
            ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))

    for shift_id in shifts.values():
        mine = [b for b in bodies if b["shift_id"] == shift_id]
        expected: dict[tuple[str, str, str], int] = {}
        for b in mine:
            for t in b["tenders"]:
                key = (t["method"], t.get("provider", "") if t["method"] != "cash" else "", t["currency"])
                expected[key] = expected.get(key, 0) + t["amount"]
            for c in b["change"]:
                expected[("cash", "", c["currency"])] = expected.get(("cash", "", c["currency"]), 0) - c["amount"]
        assert shift_tenders(conn, shift_id) == [TenderTotal(*k, v) for k, v in sorted(expected.items())]
        by_currency: dict[str, list[int]] = {}
        for b in mine:
            entry = by_currency.setdefault(b["currency"], [0, 0, 0])
            entry[0] += 1
            entry[1] += b["total"]
            entry[2] += b["tax_total"]
        assert shift_sales(conn, shift_id) == [CurrencyTotal(c, *v) for c, v in sorted(by_currency.items())]

    for b in bodies:  # each sale's converted money meets its total within the slack
        row = conn.execute("SELECT paid, total FROM sales WHERE id = ?", (b["id"],)).fetchone()
        back = conn.execute("SELECT coalesce(sum(amount_receipt), 0) FROM sale_change WHERE sale_id = ?",
                            (b["id"],)).fetchone()[0]
        foreign = [e for e in b["tenders"] + b["change"] if e["currency"] != b["currency"]]
        rate = RATES[b["currency"]]  # one minor unit (the coin here) of the other currency, rounded up
        slack = len(foreign) * -(-rate["rate_scale"] // rate["rate"])
        assert row["total"] - slack <= row["paid"] - back

    assert ledger.check(conn) == []
    for i, p in enumerate(products):
        sold = sum(ln["quantity"] for b in bodies for ln in b["lines"] if ln["product_id"] == p)
        on_hand = conn.execute("SELECT on_hand FROM stock_levels WHERE product_id = ?", (p,)).fetchone()[0]
        assert on_hand == start[p] - sold
        assert on_hand == conn.execute("SELECT sum(quantity) FROM stock_movements WHERE product_id = ?",
                                       (p,)).fetchone()[0]
