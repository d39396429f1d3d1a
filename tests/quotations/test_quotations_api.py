"""/api/v1/quotations over real HTTP: drafts priced by the pricing engine at the customer's tier,
edit, sent / accepted / expired, due-today list, pipeline, conversion into a basket a till sells."""

from __future__ import annotations

import datetime as dt

from tests.catalogue import seed
from tests.people import audit_entries

URL = "/api/v1/quotations"
LATER = (dt.date.today() + dt.timedelta(days=30)).isoformat()
TODAY = dt.date.today().isoformat()


def _customer(manager, **fields) -> str:
    r = manager.post("/api/v1/customers", json={"name": "Quote Customer", **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _body(customer_id: str, **extra) -> dict:
    return {"customer_id": customer_id, "currency": "USD", "valid_until": LATER,
            "lines": [{"product_id": "bread", "quantity": 3000}, {"product_id": "milk", "quantity": 1000}], **extra}


def test_a_quotation_is_priced_by_the_engine_at_the_customer_tier(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    plain = _customer(manager)
    r = manager.post(URL, json=_body(plain, follow_up_on=TODAY, note="Delivery Friday"))
    assert r.status_code == 201, r.text
    q = r.json()
    quote = manager.post("/api/v1/pricing/quote", json={"currency": "USD", "lines": [
        {"product": "bread", "quantity": 3000}, {"product": "milk", "quantity": 1000}]}).json()
    assert (q["status"], q["label"], q["total"], q["tax_total"]) == ("draft", "Q-1", quote["total"], quote["tax_total"])
    assert [(ln["name"], ln["unit_price"], ln["net"]) for ln in q["lines"]] == [
        (ln_name, got["unit_price"], got["net"]) for ln_name, got in zip(("bread", "milk"), quote["lines"])]
    tier = manager.post("/api/v1/pricing-tiers", json={"name": "Trade", "percent_off_bp": 1000}).json()
    trade = _customer(manager, tier_id=tier["id"])
    cheaper = manager.post(URL, json=_body(trade)).json()
    tiered = manager.post("/api/v1/pricing/quote", json={"currency": "USD", "tier": tier["id"], "lines": [
        {"product": "bread", "quantity": 3000}, {"product": "milk", "quantity": 1000}]}).json()
    assert cheaper["total"] == tiered["total"] < q["total"] and cheaper["tier_id"] == tier["id"]


def test_refusals_name_the_field(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    c = _customer(manager)
    r = manager.post(URL, json=_body(c, lines=[{"product_id": "nope", "quantity": 1000}]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines[0].product"
    r = manager.post(URL, json=_body("nobody"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id"
    r = manager.post(URL, json=_body(c, currency="EUR"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "currency"
    assert manager.post(URL, json=_body(c, lines=[])).status_code == 400
    assert hub.as_user("cashier").post(URL, json=_body(c)).status_code == 403


def test_edit_marks_due_today_pipeline_and_one_audit_entry_each(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    c = _customer(manager)
    seq = audit_entries(hub)[-1]["seq"]
    q = manager.post(URL, json=_body(c, follow_up_on=TODAY)).json()
    r = manager.put(f"{URL}/{q['id']}", json=_body(c, lines=[{"product_id": "bread", "quantity": 1000}],
                                                 follow_up_on=TODAY))
    assert r.status_code == 200 and len(r.json()["lines"]) == 1 and r.json()["total"] == 150
    assert manager.post(f"{URL}/{q['id']}/accept").json()["status"] == "accepted"
    assert manager.post(f"{URL}/{q['id']}/send").status_code == 409  # accepted is past sent
    assert manager.put(f"{URL}/{q['id']}", json=_body(c)).status_code == 409  # no edits once accepted
    due = manager.get(f"{URL}?due=today").json()["items"]
    assert [d["id"] for d in due] == [q["id"]]
    other = manager.post(URL, json=_body(c)).json()
    assert manager.post(f"{URL}/{other['id']}/send").json()["status"] == "sent"
    assert manager.post(f"{URL}/{other['id']}/expire").json()["status"] == "expired"
    pipe = {s["status"]: s for s in manager.get(f"{URL}/pipeline").json()["statuses"]}
    assert (pipe["accepted"]["count"], pipe["accepted"]["totals"]) == (1, {"USD": 150})
    assert pipe["expired"]["count"] == 1 and pipe["draft"]["count"] == 0
    assert [e["action"] for e in audit_entries(hub, seq)] == [
        "quotation.created", "quotation.updated", "quotation.accepted", "quotation.created", "quotation.sent",
        "quotation.expired"]


def test_a_converted_quotation_is_a_basket_a_till_sells_on_account(hub):
    from tests.customers import recipes

    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    c = _customer(manager)
    q = manager.post(URL, json=_body(c)).json()
    assert hub.as_user("cashier").get(f"{URL}/basket?number=Q-{q['number']}").status_code == 404
    r = manager.post(f"{URL}/{q['id']}/convert", json={"mode": "on_account"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["conversion"]) == ("converted", "on_account")
    assert manager.post(f"{URL}/{q['id']}/convert", json={"mode": "pay_at_till"}).status_code == 409
    basket = hub.as_user("cashier").get(f"{URL}/basket?number=q-{q['number']}").json()
    assert (basket["tender"], basket["customer_id"], basket["total"]) == ("credit_account", c, q["total"])
    till = recipes.till(hub)
    sale = till.sell(body=recipes.credit_sale(till, c, basket["total"]))
    r = till.http.post(f"{URL}/{q['id']}/sale", json={"sale_id": sale["id"]})
    assert r.status_code == 200 and r.json()["sale_id"] == sale["id"]
    assert till.http.post(f"{URL}/{q['id']}/sale", json={"sale_id": sale["id"]}).status_code == 200
    assert manager.get(f"/api/v1/customers/{c}/account").json()["currencies"][0]["balance"] == q["total"]


def test_a_quotation_past_its_valid_until_day_is_not_converted(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    c = _customer(manager)
    q = manager.post(URL, json=_body(c, valid_until="2020-01-01")).json()
    r = manager.post(f"{URL}/{q['id']}/convert", json={"mode": "pay_at_till"})
    assert r.status_code == 409 and r.json()["code"] == "quotation_expired"


def test_a_quotation_is_sold_in_the_portal_on_the_back_office_till(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    c = _customer(manager, registered_name="Quote Traders", tin="2000123456")
    manager.put(f"/api/v1/customers/{c}/credit-limits", json={"limits": {"USD": 1_000_000}})
    q = manager.post(URL, json=_body(c)).json()
    seq = audit_entries(hub)[-1]["seq"]
    cash = manager.post(f"{URL}/{q['id']}/sell", json={"method": "cash"})
    assert cash.status_code == 422 and cash.json()["errors"][0]["field"] == "method"
    assert audit_entries(hub, seq) == []  # nothing changed, not even the back-office till
    r = manager.post(f"{URL}/{q['id']}/sell", json={"method": "bank_transfer", "reference": "FBC-991"})
    assert r.status_code == 201, r.text
    sold = r.json()
    assert (sold["quotation"]["status"], sold["quotation"]["sale_id"]) == ("converted", sold["sale_id"])
    assert sold["invoice_number"].endswith("-BO-1")
    sale = manager.get(f"/api/v1/sales/{sold['sale_id']}").json()
    assert (sale["customer_id"], sale["total"], sale["shift_id"]) == (c, q["total"], None)
    assert [(t["method"], t["reference"], t["amount"]) for t in sale["tenders"]] == [
        ("bank_transfer", "FBC-991", q["total"])]
    assert [(ln["product_id"], ln["quantity"], ln["unit_price"]) for ln in sale["lines"]] == [
        (ln["product_id"], ln["quantity"], ln["unit_price"]) for ln in q["lines"]]
    assert sale["tax_total"] == q["tax_total"]
    assert {e["kind"] for e in sale["exceptions"]} == {"negative_stock"}  # none on stock: no shift is asked
    entries = audit_entries(hub, seq)
    assert [e["action"] for e in entries] == ["device.backoffice_created", "sale.recorded"]
    assert f'"quotation":"{q["label"]}"' in entries[-1]["summary"]
    again = manager.post(f"{URL}/{q['id']}/sell", json={"method": "bank_transfer"})
    assert again.status_code == 409 and again.json()["code"] == "quotation_state"
    # a second quotation goes on account, on the same back-office till, next number
    q2 = manager.post(URL, json=_body(c)).json()
    r = manager.post(f"{URL}/{q2['id']}/sell", json={"method": "credit_account"})
    assert r.status_code == 201 and r.json()["invoice_number"].endswith("-BO-2")
    assert r.json()["quotation"]["conversion"] == "on_account"
    assert manager.get(f"/api/v1/customers/{c}/account").json()["currencies"][0]["balance"] == q2["total"]
    tills = manager.get("/api/v1/devices").json()["items"]
    assert [d["name"] for d in tills if d["platform"] == "backoffice"] == ["Back office"]
