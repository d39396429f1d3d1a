"""The receipt page's refund and price-correction forms over real HTTP: the manager names the till
(one with an open shift) where the money moves, and the document is recorded through the API's
own service at that till and shift, at the hub's time. A partial refund restocks one line and
writes another off (stock through the API and the ledger's check); asking more than is left, a
fraction of an each unit, a write-off without a reason or no till are refused inline with the
typed values kept and nothing changed; the refund limit wants sales.refund_unlimited; a charge
moves the chosen shift's X report; the forms are hidden from those who may not use them and the
page says so when no till has an open shift."""

from __future__ import annotations

import datetime as dt
import re
import html

import pytest

from hub.db.audit import Actor
from hub.ids import new_id
from hub.inventory import Source, move
from tests.catalogue.fixtures import admin, create, ids, writing  # noqa: F401
from tests.people import audit_entries, query
from tests.portal.client import Portal
from tests.portal.test_sales_pages import ledger_clean
from tests.sales.build import line
from tests.sales.recipes import SALES, Till

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture
def portal(hub):
    return Portal(hub)


def text_of(response) -> str:
    return html.unescape(response.text)


def tracked(hub, admin, ids, name: str, price: int, unit: str | None = None) -> dict:  # noqa: F811
    product = create(admin, ids, name=name, prices={"USD": price}, **({"unit_id": ids[unit]} if unit else {}))
    hub.write("UPDATE products SET stock_tracked = 1 WHERE id = ?", product["id"])
    with writing(hub.db_path) as conn:
        move(conn, kind="receipt", product_id=product["id"], quantity=10000, unit_cost=100,
             occurred_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1), actor=Actor.system("test"),
             source=Source("goods_receipt", new_id(), 0))
    return product


def on_hand(admin, product: dict) -> int:  # noqa: F811
    return admin.get(f"/api/v1/inventory/levels/{product['id']}").json()["on_hand"]


def counts(hub) -> tuple:
    return (query(hub, "SELECT count(*) FROM sale_refunds")[0][0],
            query(hub, "SELECT count(*) FROM sale_corrections")[0][0],
            query(hub, "SELECT count(*) FROM stock_movements")[0][0])


def sold(hub, admin, ids):  # noqa: F811
    """A sale of 3 breads and 2 milks at the cashier's till, and the supervisor's till with its
    own open shift (whose clock runs an hour fast), where the manager pays money out."""
    bread = tracked(hub, admin, ids, "Refund bread", 150)
    milk = tracked(hub, admin, ids, "Refund milk", 99)
    front = Till(hub)
    sale = front.sell(lines=[line(150, 3000, product_id=bread["id"], tax_rate_bp=0),
                             line(99, 2000, product_id=milk["id"], tax_rate_bp=0)], shift_id=front.shift())
    back = Till(hub, "supervisor")
    hub.write("UPDATE devices SET clock_skew_ms = 3600000 WHERE id = ?", back.device_id)
    shift = back.shift()
    return sale, bread, milk, back, shift


def test_a_partial_refund_restocks_a_line_writes_another_off(hub, portal, admin, ids):  # noqa: F811
    sale, bread, milk, back, shift = sold(hub, admin, ids)
    token = portal.token("manager")
    page = text_of(portal.call("GET", f"/sales/{sale['id']}", token))
    assert "Refund goods" in page and "Correct the price" in page
    assert f'<option value="{shift}"' in page and "still refundable 3" in page
    seq = audit_entries(hub)[-1]["seq"]
    done = portal.call("POST", f"/sales/{sale['id']}/refund", token, {
        "till": shift, "qty-0": "1", "fate-0": "restock", "qty-1": "2", "fate-1": "write_off",
        "why-1": "Leaking cartons", "refund_to": "original", "r_reason": "Customer returned them"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/sales/{sale['id']}#refunds"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.refunded"]
    [(device, shift_id, total, occurred)] = query(
        hub, "SELECT device_id, shift_id, total, occurred_at FROM sale_refunds WHERE sale_id = ?", sale["id"])
    assert (device, shift_id, total) == (back.device_id, shift, 150 + 198)
    # at the hub's time, not the chosen till's clock less its hour of skew
    stamp = dt.datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    assert abs(stamp - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)

    assert on_hand(admin, bread) == 10000 - 3000 + 1000  # one bread restocked
    assert on_hand(admin, milk) == 10000 - 2000  # the milk written off
    detail = admin.get(f"{SALES}/{sale['id']}").json()
    assert [(ln["refunded"], ln["refundable"]) for ln in detail["lines"]] == [(1000, 2000), (2000, 0)]
    assert [(t["method"], t["currency"], t["amount"]) for t in detail["refunds"][0]["tenders"]] == [
        ("cash", "USD", 348)]
    ledger_clean(hub)

    after = text_of(portal.call("GET", f"/sales/{sale['id']}", token))
    assert "Refund USD 3.48" in after and "Customer returned them" in after
    assert "written off (Leaking cartons)" in after and "back to stock" in after
    assert "Nothing left to refund on this line." in after and "still refundable 2" in after


def test_a_refund_beyond_what_is_left_is_refused_inline(hub, portal, admin, ids):  # noqa: F811
    sale, bread, milk, back, shift = sold(hub, admin, ids)
    token = portal.token("manager")
    seq, before = audit_entries(hub)[-1]["seq"], counts(hub)
    url = f"/sales/{sale['id']}/refund"

    over = portal.call("POST", url, token, {"till": shift, "qty-0": "5", "r_reason": "Returned"})
    assert over.status_code == 409
    text = text_of(over)
    assert 'id="e-qty-0"' in text and "Only 3 still refundable (5 asked)" in text
    assert 'value="5"' in text and "The refund was not recorded" in text

    typed = portal.call("POST", url, token, {"till": shift, "qty-0": "1.5", "qty-1": "1", "fate-1": "write_off",
                                             "r_reason": ""})
    assert typed.status_code == 422
    text = text_of(typed)
    assert 'id="e-qty-0"' in text and "takes no decimals" in text and 'value="1.5"' in text
    assert 'id="e-why-1"' in text and 'id="e-r_reason"' in text

    no_till = portal.call("POST", url, token, {"qty-0": "1", "r_reason": "Returned"})
    assert no_till.status_code == 422 and 'id="e-till"' in no_till.text
    nothing = portal.call("POST", url, token, {"till": shift, "r_reason": "Returned"})
    assert nothing.status_code == 422 and 'id="e-lines"' in nothing.text
    hub.write("UPDATE shifts SET status = 'closed', closed_at = '2026-01-02T00:00:00.000000Z' WHERE id = ?", shift)
    closed = portal.call("POST", url, token, {"till": shift, "qty-0": "1", "r_reason": "Returned"})
    assert closed.status_code == 422 and "no longer open" in text_of(closed)

    assert audit_entries(hub, seq) == [] and counts(hub) == before
    assert on_hand(admin, bread) == 7000
    ledger_clean(hub)


def test_the_refund_limit_wants_refund_unlimited_and_forms_hide_by_permission(hub, portal, admin, ids):  # noqa: F811
    bread = tracked(hub, admin, ids, "Limit bread", 150)
    front = Till(hub)
    sale = front.sell(lines=[line(150, 3000, product_id=bread["id"], tax_rate_bp=0)])  # no shift anywhere
    manager = portal.token("manager")
    bare = text_of(portal.call("GET", f"/sales/{sale['id']}", manager))
    assert "No till has an open shift" in bare and "Record the refund" not in bare

    shift = front.shift()
    r = admin.put("/api/v1/settings/refunds", json={"limits": {"USD": 200}})
    assert r.status_code == 200, r.text
    supervisor = portal.token("supervisor")  # sales.refund, not refund_unlimited nor correct
    page = text_of(portal.call("GET", f"/sales/{sale['id']}", supervisor))
    assert "Record the refund" in page and "Correct the price" not in page
    seq, before = audit_entries(hub)[-1]["seq"], counts(hub)
    form = {"till": shift, "qty-0": "2", "r_reason": "Returned"}
    limited = portal.call("POST", f"/sales/{sale['id']}/refund", supervisor, form)
    assert limited.status_code == 403
    assert "above the limit of USD 2.00" in text_of(limited) and 'value="2"' in limited.text
    assert audit_entries(hub, seq) == [] and counts(hub) == before
    assert portal.call("POST", f"/sales/{sale['id']}/correction", supervisor, {}).status_code == 403
    cashier = portal.token("cashier")
    assert portal.call("POST", f"/sales/{sale['id']}/refund", cashier, form).status_code == 403

    done = portal.call("POST", f"/sales/{sale['id']}/refund", manager, {**form, "refund_to": "store_credit"})
    assert done.status_code == 303, done.text
    [refund] = admin.get(f"{SALES}/{sale['id']}").json()["refunds"]
    assert refund["total"] == 300 and [t["method"] for t in refund["tenders"]] == ["store_credit"]
    assert on_hand(admin, bread) == 10000 - 1000
    ledger_clean(hub)


def test_a_correction_charge_moves_the_chosen_shifts_x_report(hub, portal, admin, ids):  # noqa: F811
    sale, bread, milk, back, shift = sold(hub, admin, ids)
    manager_api = hub.as_user("manager")
    report = f"/api/v1/shifts/{shift}/x-report"

    def cash_usd() -> int:
        got = manager_api.get(report)
        assert got.status_code == 200, got.text
        return {(t["method"], t["currency"]): t["amount"] for t in got.json()["tenders"]}.get(("cash", "USD"), 0)

    before_cash = cash_usd()
    token = portal.token("manager")
    url = f"/sales/{sale['id']}/correction"
    seq, before = audit_entries(hub)[-1]["seq"], counts(hub)
    bad = portal.call("POST", url, token, {"c_till": shift, "kind": "charge", "target": "line-0", "amount": "0.5x",
                                           "method": "cash", "currency": "USD", "c_reason": ""})
    assert bad.status_code == 422
    text = text_of(bad)
    assert 'id="e-amount"' in text and 'value="0.5x"' in text and 'id="e-c_reason"' in text
    assert audit_entries(hub, seq) == [] and counts(hub) == before

    done = portal.call("POST", url, token, {"c_till": shift, "kind": "charge", "target": "line-0", "amount": "0.50",
                                            "method": "cash", "currency": "USD", "c_reason": "Rung at the old price"})
    assert done.status_code == 303, done.text
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.corrected"]
    assert cash_usd() == before_cash + 50
    [corr] = admin.get(f"{SALES}/{sale['id']}").json()["corrections"]
    assert (corr["kind"], corr["total"], corr["shift_id"], corr["device_id"]) == ("charge", 50, shift, back.device_id)
    page = text_of(portal.call("GET", f"/sales/{sale['id']}", token))
    assert "Price correction: charge USD 0.50" in page and "Rung at the old price" in page

    # paid by mobile money: the provider and its reference are kept on the tender
    long = portal.call("POST", url, token, {"c_till": shift, "kind": "charge", "target": "line-0", "amount": "0.20",
                                            "method": "mobile_money", "currency": "USD", "provider": "EcoCash",
                                            "reference": "R" * 65, "c_reason": "Short-charged"})
    assert long.status_code == 422 and 'id="e-reference"' in text_of(long) and 'value="EcoCash"' in text_of(long)
    paid = portal.call("POST", url, token, {"c_till": shift, "kind": "charge", "target": "line-0", "amount": "0.20",
                                            "method": "mobile_money", "currency": "USD", "provider": " EcoCash ",
                                            "reference": "MP240601.1234.A5", "c_reason": "Short-charged"})
    assert paid.status_code == 303, paid.text
    latest = admin.get(f"{SALES}/{sale['id']}").json()["corrections"][-1]
    assert [(t["method"], t["provider"], t["reference"]) for t in latest["tenders"]] == [
        ("mobile_money", "EcoCash", "MP240601.1234.A5")]
    ledger_clean(hub)


def test_a_form_sent_twice_records_one_refund_and_one_correction(hub, portal, admin, ids):  # noqa: F811
    """Each form carries the id it was rendered with (a double click, or a resend after a dropped
    reply, is the same document), and a refused form keeps it."""
    sale, bread, milk, back, shift = sold(hub, admin, ids)
    token = portal.token("manager")
    page = portal.call("GET", f"/sales/{sale['id']}", token).text
    refund_id, correction_id = re.findall(r'name="doc_id" value="([0-9a-f-]{36})"', page)
    assert refund_id != correction_id
    again = re.findall(r'name="doc_id" value="([0-9a-f-]{36})"', portal.call("GET", f"/sales/{sale['id']}", token).text)
    assert refund_id not in again  # a new page is a new document

    refused = portal.call("POST", f"/sales/{sale['id']}/refund", token,
                          {"doc_id": refund_id, "till": shift, "qty-0": "1", "r_reason": ""})
    assert refused.status_code == 422 and f'value="{refund_id}"' in refused.text

    form = {"doc_id": refund_id, "till": shift, "qty-0": "1", "refund_to": "original", "r_reason": "Returned"}
    seq, before = audit_entries(hub)[-1]["seq"], counts(hub)
    for _ in range(2):
        r = portal.call("POST", f"/sales/{sale['id']}/refund", token, form)
        assert r.status_code == 303, r.text
    correction = {"doc_id": correction_id, "c_till": shift, "kind": "charge", "target": "line-0", "amount": "0.10",
                  "method": "cash", "currency": "USD", "c_reason": "Old price"}
    for _ in range(2):
        r = portal.call("POST", f"/sales/{sale['id']}/correction", token, correction)
        assert r.status_code == 303, r.text
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.refunded", "sale.corrected"]
    assert counts(hub)[:2] == (before[0] + 1, before[1] + 1)
    assert query(hub, "SELECT id FROM sale_refunds WHERE sale_id = ?", sale["id"]) == [(refund_id,)]
    assert on_hand(admin, bread) == 10000 - 3000 + 1000  # restocked once
    ledger_clean(hub)
