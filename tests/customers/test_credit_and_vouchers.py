"""Credit accounts and vouchers over real HTTP: credit sales post to the ledger at ingest (beyond the
limit: accepted, one exception), payments, statements, aging; vouchers issued, redeemed (a second
redemption raises an exception), expired; a refund's store credit; voids give credit back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hub.customers import credit
from hub.db.connection import connect
from hub.ids import new_id
from hub.inventory import ledger
from tests.customers import recipes
from tests.people import audit_entries, query
from tests.portal.client import Portal


OURS = ("credit_limit_exceeded", "unknown_customer", "voucher_redeemed_again", "voucher_invalid")


def _exceptions(hub, sale_id: str) -> list[str]:
    """The customer and voucher exceptions of a sale (its lines name no product: unknown_product too)."""
    return [r[0] for r in query(hub, "SELECT kind FROM exceptions WHERE sale_id = ? ORDER BY kind", sale_id)
            if r[0] in OURS]


def test_a_credit_sale_beyond_the_limit_is_accepted_and_raises_exactly_one_exception(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Moyo Hardware"}).json()
    r = manager.put(f"/api/v1/customers/{c['id']}/credit-limits", json={"limits": {"USD": 5_000, "ZWG": 0}})
    assert r.status_code == 200, r.text
    till = recipes.till(hub)
    first = till.sell(body=recipes.credit_sale(till, c["id"], 4_000))
    assert _exceptions(hub, first["id"]) == []
    body = recipes.credit_sale(till, c["id"], 2_000)
    second = till.sell(body=body)
    assert _exceptions(hub, second["id"]) == ["credit_limit_exceeded"]
    assert [e["kind"] for e in second["exceptions"] if e["kind"] in OURS] == ["credit_limit_exceeded"]
    again = till.http.post("/api/v1/sales", json=body)  # a replay changes nothing
    assert again.status_code == 200 and _exceptions(hub, second["id"]) == ["credit_limit_exceeded"]
    account = manager.get(f"/api/v1/customers/{c['id']}/account").json()
    usd = next(x for x in account["currencies"] if x["currency"] == "USD")
    assert (usd["limit"], usd["balance"], usd["available"]) == (5_000, 6_000, -1_000)
    assert usd["aging"] == {"current": 6_000, "30": 0, "60": 0, "90+": 0}
    detail = manager.get(f"/api/v1/exceptions?sale={second['id']}").json()["items"][0]["detail"]
    assert detail["currencies"]["USD"] == {"limit": 5_000, "balance": 6_000, "charged": 2_000}
    feed = query(hub, "SELECT data FROM changes WHERE entity = 'customer' AND entity_id = ? ORDER BY seq DESC"
                      " LIMIT 1", c["id"])
    assert '"balance":6000' in feed[0][0]


def test_a_credit_sale_with_no_known_customer_is_kept_and_flagged(hub):
    till = recipes.till(hub)
    sale = till.sell(body=recipes.credit_sale(till, None, 700))
    assert _exceptions(hub, sale["id"]) == ["unknown_customer"]
    sale = till.sell(body=recipes.credit_sale(till, new_id(), 700))
    assert _exceptions(hub, sale["id"]) == ["unknown_customer"]


def test_payments_statement_and_receipts(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Chiedza Shop"}).json()
    manager.put(f"/api/v1/customers/{c['id']}/credit-limits", json={"limits": {"USD": 50_000}})
    till = recipes.till(hub)
    sale = till.sell(body=recipes.credit_sale(till, c["id"], 3_000))
    seq = audit_entries(hub)[-1]["seq"]
    pid = new_id()
    body = {"id": pid, "currency": "USD", "amount": 1_200, "method": "mobile_money", "provider": "EcoCash",
            "reference": "MP123"}
    r = manager.post(f"/api/v1/customers/{c['id']}/payments", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["number"], r.json()["amount"], r.json()["received_by_name"]) == (1, 1_200, "Demo Manager")
    assert manager.post(f"/api/v1/customers/{c['id']}/payments", json=body).json()["id"] == pid  # once
    assert manager.post(f"/api/v1/customers/{c['id']}/payments", json={**body, "amount": 5}).status_code == 409
    assert [e["action"] for e in audit_entries(hub, seq)] == ["credit.payment_recorded"]
    st = manager.get(f"/api/v1/customers/{c['id']}/statement?currency=USD").json()
    assert [(e["kind"], e["amount"], e["balance"]) for e in st["entries"]] == [("sale", 3_000, 3_000),
                                                                               ("payment", -1_200, 1_800)]
    assert st["entries"][0]["reference"] == sale["invoice_number"] and st["closing"] == 1_800
    assert st["entries"][1]["reference"] == "P1"
    assert manager.post(f"/api/v1/customers/{c['id']}/payments",
                        json={"currency": "EUR", "amount": 1, "method": "cash"}).status_code == 422
    assert hub.as_user("supervisor").post(f"/api/v1/customers/{c['id']}/payments", json=body).status_code == 403
    rows = manager.get("/api/v1/customers/credit-accounts").json()
    assert [(r_["name"], r_["currency"], r_["balance"]) for r_ in rows] == [("Chiedza Shop", "USD", 1_800)]


def test_aging_settles_the_oldest_charges_first(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Aging"}).json()
    stamp = "2026-01-{:02d}T10:00:00.000000Z"
    for i, (day, amount, kind) in enumerate(((1, 1_000, "sale"), (20, 500, "sale"), (25, -1_200, "payment"))):
        hub.write("INSERT INTO credit_ledger (customer_id, currency, kind, amount, source_type, source_id,"
                  " occurred_at, recorded_at) VALUES (?, 'USD', ?, ?, 'test', ?, ?, ?)",
                  c["id"], kind, amount, str(i), stamp.format(day), stamp.format(day))
    conn = connect(hub.db_path)
    try:
        buckets = credit.aging(conn, c["id"], "USD", today=dt.date(2026, 3, 15))
    finally:
        conn.close()
    # 1 Jan's 1,000 is paid first; 200 of 20 Jan's 500 is paid, 300 left at 54 days
    assert buckets == {"current": 0, "30": 300, "60": 0, "90+": 0}


def test_a_voided_credit_sale_comes_off_the_account(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Void Me"}).json()
    till = recipes.till(hub)
    sale = till.sell(body=recipes.credit_sale(till, c["id"], 900))
    assert manager.post(f"/api/v1/sales/{sale['id']}/void", json={"reason": "Rung up twice"}).status_code in (200, 201)
    st = manager.get(f"/api/v1/customers/{c['id']}/statement?currency=USD").json()
    assert [(e["kind"], e["amount"]) for e in st["entries"]] == [("sale", 900), ("void", -900)]
    assert st["closing"] == 0
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


def test_a_voucher_is_issued_redeemed_once_and_a_second_redemption_raises_an_exception(hub):
    manager = hub.as_user("manager")
    seq = audit_entries(hub)[-1]["seq"]
    v = manager.post("/api/v1/vouchers", json={"currency": "USD", "amount": 500, "code": "GIFT-500"}).json()
    assert (v["code"], v["balance"], v["kind"]) == ("GIFT-500", 500, "voucher")
    assert [e["action"] for e in audit_entries(hub, seq)] == ["voucher.issued"]
    assert manager.post("/api/v1/vouchers", json={"currency": "USD", "amount": 5, "code": "gift-500"}).status_code == 422
    till = recipes.till(hub)
    tender = [{"method": "voucher", "currency": "USD", "amount": 500, "reference": "GIFT-500"}]
    first = till.sell(body=recipes.tendered_sale(till, 500, tender))
    assert _exceptions(hub, first["id"]) == []
    cashier = hub.as_user("cashier")
    assert cashier.get("/api/v1/vouchers/lookup?code=gift-500").json()["balance"] == 0
    second = till.sell(body=recipes.tendered_sale(till, 500, tender))
    assert _exceptions(hub, second["id"]) == ["voucher_redeemed_again"]
    entries = manager.get(f"/api/v1/vouchers/{v['id']}").json()["entries"]
    assert [(e["kind"], e["amount"]) for e in entries] == [("issue", 500), ("redeem", -500), ("redeem", -500)]
    unknown = till.sell(body=recipes.tendered_sale(till, 100, [{**tender[0], "amount": 100, "reference": "NOPE"}]))
    assert _exceptions(hub, unknown["id"]) == ["voucher_invalid"]


def test_a_voucher_expires_and_a_late_redemption_is_flagged(hub):
    manager = hub.as_user("manager")
    v = manager.post("/api/v1/vouchers", json={"currency": "USD", "amount": 800}).json()
    r = manager.post(f"/api/v1/vouchers/{v['id']}/expire")
    assert r.status_code == 200 and (r.json()["balance"], r.json()["expired"]) == (0, True)
    assert manager.post(f"/api/v1/vouchers/{v['id']}/expire").status_code == 409
    till = recipes.till(hub)
    sale = till.sell(body=recipes.tendered_sale(till, 300, [{"method": "voucher", "currency": "USD",
                                                             "amount": 300, "reference": v["code"]}]))
    assert _exceptions(hub, sale["id"]) == ["voucher_invalid"]


def test_a_refund_to_store_credit_lands_on_the_customer_and_is_spent_later(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Store Credit"}).json()
    till = recipes.till(hub)
    sale = till.sell(body=recipes.tendered_sale(till, 1_000, [{"method": "cash", "currency": "USD",
                                                               "amount": 1_000}], customer_id=c["id"]))
    refund = {"id": new_id(), "device_clock": "2026-11-20T11:00:00+00:00", "reason": "Wrong size",
              "shift_id": till.shift_id, "refund_to": "store_credit", "lines": [{"line_no": 0, "quantity": 1000}]}
    supervisor = recipes.selling.Till(hub, "supervisor")
    r = supervisor.http.post(f"/api/v1/sales/{sale['id']}/refunds", json=refund)
    assert r.status_code == 201, r.text
    [credit_] = manager.get(f"/api/v1/vouchers?customer_id={c['id']}").json()["items"]
    assert (credit_["kind"], credit_["balance"], credit_["currency"]) == ("store_credit", 1_000, "USD")
    spend = till.sell(body=recipes.tendered_sale(till, 600, [{"method": "store_credit", "currency": "USD",
                                                              "amount": 600}], customer_id=c["id"]))
    assert _exceptions(hub, spend["id"]) == []
    assert manager.get(f"/api/v1/vouchers/{credit_['id']}").json()["balance"] == 400
    over = till.sell(body=recipes.tendered_sale(till, 600, [{"method": "store_credit", "currency": "USD",
                                                             "amount": 600}], customer_id=c["id"]))
    assert _exceptions(hub, over["id"]) == ["voucher_invalid"]


def test_a_refund_of_a_voucher_sale_puts_the_money_back_on_the_voucher(hub):
    manager = hub.as_user("manager")
    v = manager.post("/api/v1/vouchers", json={"currency": "USD", "amount": 800}).json()
    till = recipes.till(hub)
    sale = till.sell(body=recipes.tendered_sale(till, 800, [{"method": "voucher", "currency": "USD", "amount": 800,
                                                             "reference": v["code"]}]))
    supervisor = recipes.selling.Till(hub, "supervisor")
    refund = {"id": new_id(), "device_clock": "2026-11-20T11:00:00+00:00", "reason": "Changed mind",
              "lines": [{"line_no": 0, "quantity": 1000}]}
    r = supervisor.http.post(f"/api/v1/sales/{sale['id']}/refunds", json=refund)
    assert r.status_code == 201, r.text
    entries = manager.get(f"/api/v1/vouchers/{v['id']}").json()["entries"]
    assert [(e["kind"], e["amount"], e["source_type"]) for e in entries] == [
        ("issue", 800, "manual"), ("redeem", -800, "sale"), ("issue", 800, "sale_refund")]


def test_a_voided_voucher_sale_gives_the_redemption_back(hub):
    manager = hub.as_user("manager")
    v = manager.post("/api/v1/vouchers", json={"currency": "USD", "amount": 400}).json()
    till = recipes.till(hub)
    sale = till.sell(body=recipes.tendered_sale(till, 400, [{"method": "voucher", "currency": "USD", "amount": 400,
                                                             "reference": v["code"]}]))
    assert manager.get(f"/api/v1/vouchers/{v['id']}").json()["balance"] == 0
    assert manager.post(f"/api/v1/sales/{sale['id']}/void", json={"reason": "Wrong customer"}).status_code in (200, 201)
    again = manager.get(f"/api/v1/vouchers/{v['id']}").json()
    assert again["balance"] == 400 and [e["source_type"] for e in again["entries"]] == ["manual", "sale", "sale_void"]


def test_the_statement_reads_a_period_of_store_days_with_its_opening_balance(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Tatenda Hardware"}).json()
    manager.put(f"/api/v1/customers/{c['id']}/credit-limits", json={"limits": {"USD": 90_000}})
    till = recipes.till(hub)
    till.sell(body=recipes.credit_sale(till, c["id"], 4_000))
    manager.post(f"/api/v1/customers/{c['id']}/payments",
                 json={"currency": "USD", "amount": 1_000, "method": "cash"})
    url = f"/api/v1/customers/{c['id']}/statement"
    today = dt.datetime.now(ZoneInfo("Africa/Harare")).date().isoformat()  # the demo store's day
    st = manager.get(url, params={"currency": "USD", "date_from": today, "date_to": today}).json()
    assert (st["opening"], len(st["entries"]), st["closing"]) == (0, 2, 3_000)
    later = manager.get(url, params={"currency": "USD", "date_from": "2099-01-01"}).json()
    assert (later["opening"], later["entries"], later["closing"]) == (3_000, [], 3_000)
    earlier = manager.get(url, params={"currency": "USD", "date_to": "2000-01-01"}).json()
    assert (earlier["opening"], earlier["entries"], earlier["closing"]) == (0, [], 0)
    r = manager.get(url, params={"currency": "USD", "date_from": "2026-11-20", "date_to": "2026-11-19"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["date_to"]
    portal = Portal(hub)
    token = portal.token("manager")
    page = portal.call("GET", f"/customers/{c['id']}/statement?currency=USD&date_from=2099-01-01", token)
    assert page.status_code == 200 and "opening balance" in page.text and "in this period" in page.text
    refused = portal.call("GET", f"/customers/{c['id']}/statement?currency=USD&date_from=2026-11-20"
                                 "&date_to=2026-11-19", token)
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert 'value="2026-11-19"' in refused.text  # what was typed stays
