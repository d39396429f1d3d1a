"""Shifts over real HTTP: open and resume at a paired till, one open shift per till and cashier,
pay-ins, pay-outs and safe drops with reasons, the X report's expected cash per currency, closing
with counted cash (a total or by denomination) and the providers' reported totals, who may close
whose shift, and a closed shift that refuses anything more."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hub.db.audit import Actor
from hub.db.connection import connect
from hub.inventory import ledger
from hub.sales.ingest import ingest_sale
from tests.sales import build
from tests.people import People, audit_entries, query
from tests.shifts import recipes
from tests.shifts.recipes import SHIFTS


@pytest.fixture
def people(hub):
    return People(hub)


def till_as(people, who="cashier"):
    return recipes.at_till(people, who)


def opened(client, floats=recipes.FLOATS):
    r = client.post(SHIFTS, json={"floats": floats})
    assert r.status_code == 201, r.text
    return r.json()


def codes(r):
    return r.status_code, r.json().get("code")


def fields(r):
    assert r.status_code == 422, r.text
    return {e["field"]: e["message"] for e in r.json()["errors"]}


def test_opening_twice_at_the_same_till_resumes_the_open_shift(hub, people):
    till = till_as(people)
    seq = audit_entries(hub)[-1]["seq"]
    shift = opened(till)
    assert shift["status"] == "open" and shift["resumed"] is False and shift["cashier"] == "cashier"
    assert shift["floats"] == recipes.FLOATS and shift["number"] >= 1
    again = till.post(SHIFTS, json={"floats": [{"currency": "USD", "amount": 99999}]})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == shift["id"] and again.json()["resumed"] is True
    assert again.json()["floats"] == recipes.FLOATS  # a resume ignores the floats given
    assert query(hub, "SELECT count(*) FROM shifts WHERE id = ?", shift["id"]) == [(1,)]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["shift.opened", "shift.resumed"]
    # the till learns of its own open shift through the change feed
    [(data,)] = query(hub, "SELECT data FROM changes WHERE entity = 'shift' AND entity_id = ?", shift["id"])
    assert json.loads(data)["status"] == "open" and json.loads(data)["device_id"] == shift["device_id"]


def test_one_open_shift_per_till_and_cashier(hub, people):
    t = recipes.tills(people)
    till = t.pair()

    def signed_in(who):
        token = t.login(till["device_token"], who, hub.credentials[who][0]).json()["access_token"]
        return t.as_till(till["device_token"], token)

    first = opened(signed_in("cashier"))
    other_cashier = opened(signed_in("supervisor"))  # another cashier at the same till: their own shift
    other_till = opened(till_as(people))  # the same cashier at another till
    assert len({first["id"], other_cashier["id"], other_till["id"]}) == 3
    assert first["device_id"] == other_cashier["device_id"] != other_till["device_id"]
    assert query(hub, "SELECT count(*) FROM shifts WHERE device_id = ? AND status = 'open'",
                 till["device_id"]) == [(2,)]
    with pytest.raises(sqlite3.IntegrityError):  # the database holds the rule too
        conn = sqlite3.connect(hub.db_path)
        try:
            conn.execute("INSERT INTO shifts (id, device_id, cashier_id, opened_at, created_at, updated_at)"
                         " SELECT 'x', device_id, cashier_id, opened_at, created_at, updated_at FROM shifts"
                         " WHERE id = ?", (first["id"],))
        finally:
            conn.close()


def test_a_shift_is_opened_at_a_paired_till_with_the_stores_currencies(hub, people):
    manager = hub.as_user("manager")
    r = manager.post(SHIFTS, json={"floats": []})  # a sign-in made away from any till
    assert codes(r) == (422, "till_required")
    till = till_as(people)
    errors = fields(till.post(SHIFTS, json={"floats": [{"currency": "EUR", "amount": 100},
                                                       {"currency": "USD", "amount": 1},
                                                       {"currency": "USD", "amount": 2}]}))
    assert "store's currencies" in errors["floats[0].currency"] and "twice" in errors["floats[2].currency"]
    r = till.post(SHIFTS, json={"floats": [{"currency": "USD", "amount": -1}]})
    assert r.status_code in (400, 422)
    assert query(hub, "SELECT count(*) FROM shifts") == [(0,)]


def test_cash_movements_and_the_x_report_per_currency(hub, people):
    till = till_as(people)
    shift = opened(till)
    moves = [("pay_in", "USD", 2000, "float_top_up", ""), ("pay_out", "USD", 1200, "supplier_paid", "Bread"),
             ("safe_drop", "ZWG", 15000, "too_much_cash", ""), ("pay_out", "ZWG", 300, "expenses", "Airtime")]
    seq = audit_entries(hub)[-1]["seq"]
    for kind, currency, amount, reason, note in moves:
        r = till.post(f"{SHIFTS}/{shift['id']}/cash-movements", json={
            "kind": kind, "currency": currency, "amount": amount, "reason_code": reason, "note": note})
        assert r.status_code == 201, r.text
        assert r.json()["username"] == "cashier" and r.json()["device_id"] == shift["device_id"]
    assert [e["action"] for e in audit_entries(hub, seq)] == [
        "cash.pay_in", "cash.pay_out", "cash.safe_drop", "cash.pay_out"]
    report = hub.as_user("supervisor").get(f"{SHIFTS}/{shift['id']}/x-report")
    assert report.status_code == 200, report.text
    cash = {c["currency"]: c for c in report.json()["cash"]}
    assert cash["USD"] | {"cash_sales": 0} == {"currency": "USD", "float": 5000, "cash_sales": 0, "pay_in": 2000,
                                               "pay_out": 1200, "safe_drop": 0, "expected": 5000 + 2000 - 1200}
    assert cash["ZWG"]["expected"] == 20000 - 15000 - 300
    assert [m["reason"] for m in report.json()["movements"]] == [
        "Change float top-up", "Supplier paid", "Too much cash in the drawer", "Store expenses"]
    with pytest.raises(sqlite3.IntegrityError, match="facts"):  # a movement is never edited
        conn = sqlite3.connect(hub.db_path)
        try:
            conn.execute("UPDATE cash_movements SET amount = 1")
        finally:
            conn.close()


def test_a_cash_movement_needs_a_reason_of_its_kind(hub, people):
    till = till_as(people)
    shift = opened(till)
    url = f"{SHIFTS}/{shift['id']}/cash-movements"
    body = {"kind": "pay_out", "currency": "USD", "amount": 100}
    assert till.post(url, json=body).status_code in (400, 422)  # no reason at all
    assert "reason" in fields(till.post(url, json=body | {"reason_code": "too_much_cash"}))["reason_code"]
    assert fields(till.post(url, json=body | {"reason_code": "other"}))["note"] == "say what the cash was for"
    assert "store's currencies" in fields(till.post(url, json=body | {"reason_code": "expenses",
                                                                      "currency": "GBP"}))["currency"]
    assert till.post(url, json=body | {"reason_code": "expenses", "amount": 0}).status_code in (400, 422)
    assert till.post(url, json=body | {"reason_code": "other", "note": "Cleaning"}).status_code == 201
    reasons = till.get(f"{SHIFTS}/cash-reasons").json()
    assert {"supplier_paid", "expenses", "float_top_up"} <= {r["code"] for r in reasons if r["kind"] == "pay_out"}


def test_a_retried_cash_movement_is_recorded_once(hub, people):
    till = till_as(people)
    shift = opened(till)
    url = f"{SHIFTS}/{shift['id']}/cash-movements"
    body = {"id": "01a2aaaa-0000-7000-8000-000000000001", "kind": "safe_drop", "currency": "USD",
            "amount": 3000, "reason_code": "scheduled"}
    first, again = till.post(url, json=body), till.post(url, json=body)
    assert first.status_code == 201 and again.status_code == 201 and first.json() == again.json()
    assert query(hub, "SELECT count(*) FROM cash_movements WHERE shift_id = ?", shift["id"]) == [(1,)]
    assert codes(till.post(url, json=body | {"amount": 3001})) == (409, "movement_id_reused")


def test_only_the_cashier_or_a_shift_manager_moves_cash_or_closes_a_shift(hub, people):
    shift = opened(till_as(people))  # the demo cashier's
    someone = people.new_user("cashier")
    t = recipes.tills(people)
    till = t.pair()
    token = t.login(till["device_token"], someone["username"], someone["password"]).json()["access_token"]
    other = t.as_till(till["device_token"], token)
    move = {"kind": "pay_out", "currency": "USD", "amount": 100, "reason_code": "expenses"}
    assert codes(other.post(f"{SHIFTS}/{shift['id']}/cash-movements", json=move)) == (403, "not_your_shift")
    assert codes(other.post(f"{SHIFTS}/{shift['id']}/close", json=recipes.close_body())) == (403, "not_your_shift")
    assert codes(other.post(SHIFTS, json={"cashier_id": shift["cashier_id"]})) == (403, "not_your_shift")
    supervisor = hub.as_user("supervisor")  # holds shifts.manage
    assert supervisor.post(f"{SHIFTS}/{shift['id']}/cash-movements", json=move).status_code == 201
    seq = audit_entries(hub)[-1]["seq"]
    r = supervisor.post(f"{SHIFTS}/{shift['id']}/close", json=recipes.close_body())
    assert r.status_code == 200, r.text
    assert r.json()["shift"]["closed_by_name"] == "supervisor" and r.json()["shift"]["cashier"] == "cashier"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["shift.closed"]


def test_a_shift_manager_resumes_another_cashiers_open_shift_at_the_till(hub, people):
    t = recipes.tills(people)
    till = t.pair()

    def signed_in(who):
        token = t.login(till["device_token"], who, hub.credentials[who][0]).json()["access_token"]
        return t.as_till(till["device_token"], token)

    shift = opened(signed_in("cashier"))
    supervisor = signed_in("supervisor")
    r = supervisor.post(SHIFTS, json={"cashier_id": shift["cashier_id"]})
    assert r.status_code == 200 and r.json()["id"] == shift["id"] and r.json()["resumed"] is True
    nobody = people.new_user("cashier")
    assert codes(supervisor.post(SHIFTS, json={"cashier_id": nobody["id"]}))[0] == 404  # resumes, never opens


def test_closing_counts_cash_per_currency_and_reconciles_reported_tenders(hub, people):
    till = till_as(people)
    shift = opened(till)
    till.post(f"{SHIFTS}/{shift['id']}/cash-movements", json={
        "kind": "pay_out", "currency": "USD", "amount": 1200, "reason_code": "supplier_paid"})
    url = f"{SHIFTS}/{shift['id']}/close"
    errors = fields(till.post(url, json={"counted": [{"currency": "USD", "amount": 3800}]}))
    assert errors["counted"] == "count the ZWG cash too (0 if there is none)"
    errors = fields(till.post(url, json={"counted": [
        {"currency": "USD", "amount": 3800},
        {"currency": "ZWG", "denominations": [{"kind": "note", "value": 300, "quantity": 1}]}]}))
    assert errors["counted[1].denominations[0].value"] == "is not a ZWG note"
    errors = fields(till.post(url, json={"counted": [
        {"currency": "USD", "amount": 3800, "denominations": [{"kind": "note", "value": 2000, "quantity": 1}]},
        {"currency": "ZWG", "amount": 0}], "reported": [{"method": "cash", "currency": "USD", "amount": 1}]}))
    assert "add up to 2000" in errors["counted[0].amount"] and "counted" in errors["reported[0].method"]
    assert query(hub, "SELECT status FROM shifts WHERE id = ?", shift["id"]) == [("open",)]  # nothing changed

    r = till.post(url, json={"note": "Short a dollar", "counted": [
        {"currency": "USD", "amount": 3700},
        {"currency": "ZWG", "denominations": [{"kind": "note", "value": 10000, "quantity": 1},
                                               {"kind": "note", "value": 5000, "quantity": 1},
                                               {"kind": "coin", "value": 50, "quantity": 10},
                                               {"kind": "note", "value": 200, "quantity": 0}]}],
        "reported": [{"method": "mobile_money", "provider": "EcoCash", "currency": "USD", "amount": 250}]})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["shift"]["status"] == "closed" and report["shift"]["close_note"] == "Short a dollar"
    lines = {(l["method"], l["provider"], l["currency"]): (l["expected"], l["counted"], l["variance"])
             for l in report["close_lines"]}
    assert lines[("cash", "", "USD")] == (3800, 3700, -100)
    assert lines[("cash", "", "ZWG")] == (20000, 15500, -4500)
    assert lines[("mobile_money", "EcoCash", "USD")] == (0, 250, 250)  # reported, but no sale took it
    assert [(c["label"], c["quantity"]) for c in report["counts"]] == [
        ("ZiG 100", 1), ("ZiG 50", 1), ("50 cents", 10)]  # a count of none is not kept
    again = hub.as_user("manager").get(f"{SHIFTS}/{shift['id']}/close-report")
    assert again.status_code == 200 and again.json()["close_lines"] == report["close_lines"]
    [(data,)] = query(hub, "SELECT data FROM changes WHERE entity = 'shift' AND entity_id = ? ORDER BY seq DESC"
                           " LIMIT 1", shift["id"])
    assert json.loads(data)["status"] == "closed"


def test_a_closed_shift_refuses_cash_movements_and_a_second_close(hub, people):
    till = till_as(people)
    shift = opened(till)
    manager = hub.as_user("manager")
    assert codes(manager.get(f"{SHIFTS}/{shift['id']}/close-report")) == (409, "shift_open")
    assert till.post(f"{SHIFTS}/{shift['id']}/close", json=recipes.close_body()).status_code == 200
    seq = audit_entries(hub)[-1]["seq"]
    r = till.post(f"{SHIFTS}/{shift['id']}/cash-movements", json={
        "kind": "pay_in", "currency": "USD", "amount": 100, "reason_code": "float_top_up"})
    assert codes(r) == (409, "shift_closed") and "was closed at" in r.json()["detail"]
    assert codes(manager.post(f"{SHIFTS}/{shift['id']}/close", json=recipes.close_body())) == (409, "shift_closed")
    assert audit_entries(hub, seq) == []
    resumed = till.post(SHIFTS, json={"floats": recipes.FLOATS})  # opening again starts a new shift
    assert resumed.status_code == 201 and resumed.json()["id"] != shift["id"]


def test_the_shift_list_filters_and_pages(hub, people):
    first = opened(till_as(people))
    second = opened(till_as(people, "supervisor"))
    third = opened(till_as(people))
    manager = hub.as_user("manager")
    manager.post(f"{SHIFTS}/{first['id']}/close", json=recipes.close_body())

    def ids(**params):
        r = manager.get(SHIFTS, params=params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["items"]]

    assert ids() == [third["id"], second["id"], first["id"]]
    assert ids(status="open") == [third["id"], second["id"]]
    assert ids(status="closed") == [first["id"]]
    assert ids(cashier=second["cashier_id"]) == [second["id"]]
    assert ids(till=third["device_id"]) == [third["id"]]
    today = first["opened_at"][:10]  # Harare is UTC+2: a test run near midnight UTC may straddle days
    assert set(ids(date=today)) <= {first["id"], second["id"], third["id"]}
    assert ids(date="2001-01-01") == []
    page = manager.get(SHIFTS, params={"limit": 2}).json()
    assert [s["id"] for s in page["items"]] == [third["id"], second["id"]] and page["next_after"]
    rest = manager.get(SHIFTS, params={"limit": 2, "after": page["next_after"]}).json()
    assert [s["id"] for s in rest["items"]] == [first["id"]] and rest["next_after"] is None
    assert manager.get(SHIFTS, params={"after": "nonsense"}).status_code == 422
    assert manager.get(f"{SHIFTS}/nope").status_code == 404
    assert hub.as_user("cashier").get(SHIFTS).status_code == 403  # shifts.view


def test_denominations_are_rows_per_currency(hub):
    cashier = hub.as_user("cashier")
    zwg = cashier.get(f"{SHIFTS}/denominations", params={"currency": "ZWG"}).json()
    assert [d["label"] for d in zwg][:2] == ["ZiG 200", "ZiG 100"] and {d["currency"] for d in zwg} == {"ZWG"}
    usd = cashier.get(f"{SHIFTS}/denominations", params={"currency": "USD"}).json()
    assert {(d["kind"], d["value"]) for d in usd} >= {("note", 10000), ("note", 100), ("coin", 100), ("coin", 1)}


ZWG_RATE = {"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000}  # 1 USD = 26.50 ZWG
USD_RATE = {"currency": "USD", "rate": 37736, "rate_scale": 1_000_000}


def ingest(hub, shift, body):
    """A sale rung up in `shift`, through the sale feature's one ingest function on the hub's writer."""
    actor = Actor(user_id=shift["cashier_id"], username=shift["cashier"], device_id=shift["device_id"])
    body = body | {"shift_id": shift["id"]}
    return hub.server.app.state.db.write_sync(
        lambda conn: ingest_sale(conn, body, device_id=shift["device_id"], caller=actor))


def test_expected_cash_and_variance_per_currency_and_tender_with_real_sales(hub, people):
    till = till_as(people)
    shift = opened(till)  # floats USD 50.00, ZWG 200.00
    ecocash = {"method": "mobile_money", "provider": "EcoCash", "reference": "MP1", "currency": "USD", "amount": 500}
    ingest(hub, shift, build.sale([build.line(1000)], [build.cash(2000)], change=[{"currency": "USD", "amount": 1000}]))
    ingest(hub, shift, build.sale([build.line(500), build.line(250)], [ecocash, build.cash(250)], sequence=2))
    # A USD sale of 10.00 paid with ZWG 300.00 notes (11.32 USD): 1.32 USD change from the USD drawer.
    ingest(hub, shift, build.sale([build.line(1000)], [build.cash(30000, "ZWG")], rates=[ZWG_RATE], sequence=3,
                                  change=[{"currency": "USD", "amount": 132}]))
    ingest(hub, shift, build.sale([build.line(26500)], [{"method": "card", "provider": "ZimSwitch", "reference": "A1",
                                                         "currency": "ZWG", "amount": 26500}],
                                  currency="ZWG", rates=[USD_RATE], sequence=4))
    url = f"{SHIFTS}/{shift['id']}"
    for kind, currency, amount, reason in (("pay_out", "USD", 1200, "supplier_paid"),
                                           ("safe_drop", "ZWG", 40000, "too_much_cash")):
        r = till.post(f"{url}/cash-movements", json={"kind": kind, "currency": currency, "amount": amount,
                                                     "reason_code": reason})
        assert r.status_code == 201, r.text

    manager = hub.as_user("manager")
    report = manager.get(f"{url}/x-report").json()
    cash = {c["currency"]: c for c in report["cash"]}
    assert cash["USD"]["cash_sales"] == 2000 - 1000 + 250 - 132
    assert cash["USD"]["expected"] == 5000 + (2000 - 1000 + 250 - 132) - 1200 == 4918
    assert cash["ZWG"]["cash_sales"] == 30000 and cash["ZWG"]["expected"] == 20000 + 30000 - 40000 == 10000
    assert [(s["currency"], s["count"], s["total"]) for s in report["sales"]] == [("USD", 3, 2750), ("ZWG", 1, 26500)]
    assert {(t["method"], t["provider"], t["currency"]): t["amount"] for t in report["tenders"]} == {
        ("cash", "", "USD"): 1118, ("cash", "", "ZWG"): 30000, ("mobile_money", "EcoCash", "USD"): 500,
        ("card", "ZimSwitch", "ZWG"): 26500}

    r = till.post(f"{url}/close", json={
        "counted": [{"currency": "USD", "amount": 4900},
                    {"currency": "ZWG", "denominations": [{"kind": "note", "value": 10000, "quantity": 1}]}],
        "reported": [{"method": "card", "provider": "ZimSwitch", "currency": "ZWG", "amount": 26500},
                     {"method": "mobile_money", "provider": "EcoCash", "currency": "USD", "amount": 450}]})
    assert r.status_code == 200, r.text
    lines = {(l["method"], l["provider"], l["currency"]): (l["expected"], l["counted"], l["variance"])
             for l in r.json()["close_lines"]}
    assert lines == {("cash", "", "USD"): (4918, 4900, -18), ("cash", "", "ZWG"): (10000, 10000, 0),
                     ("card", "ZimSwitch", "ZWG"): (26500, 26500, 0),
                     ("mobile_money", "EcoCash", "USD"): (500, 450, -50)}
    closed = {c["currency"]: c for c in r.json()["cash"]}
    assert closed["USD"]["cash_sales"] == 1118 and closed["ZWG"]["safe_drop"] == 40000
    # a sale that arrives late naming the closed shift is accepted, and the close stays as recorded
    late = build.sale([build.line(700)], [build.cash(700)], sequence=5)
    ingest(hub, shift, late)
    assert ("closed_shift",) in query(hub, "SELECT kind FROM exceptions WHERE sale_id = ?", late["id"])
    later = manager.get(f"{url}/close-report").json()
    assert later["close_lines"] == r.json()["close_lines"]
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


def test_a_sale_posted_by_the_till_and_then_voided_leaves_the_expected_cash(hub, people):
    till = till_as(people)
    shift = opened(till)
    body = build.sale([build.line(1500)], [build.cash(2000)], change=[{"currency": "USD", "amount": 500}]) | {
        "shift_id": shift["id"]}
    r = till.post("/api/v1/sales", json=body)
    assert r.status_code == 201, r.text
    manager = hub.as_user("manager")

    def expected_usd():
        report = manager.get(f"{SHIFTS}/{shift['id']}/x-report").json()
        return next(c["expected"] for c in report["cash"] if c["currency"] == "USD")

    assert expected_usd() == 5000 + 1500
    r = manager.post(f"/api/v1/sales/{body['id']}/void", json={"reason": "Rang up twice"})
    assert r.status_code == 200, r.text
    assert expected_usd() == 5000  # the void hands the cash back out of this shift's drawer
