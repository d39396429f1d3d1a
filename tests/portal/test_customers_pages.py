"""The customer, credit account and voucher pages over real HTTP: every page renders, forms change
through the services (one audit entry each), a refused form keeps what was typed and names the
field with the error's status, print views carry the buyer's and seller's data."""

from __future__ import annotations

import html

from tests.customers import recipes
from tests.people import People, audit_entries, query
from tests.portal.client import Portal


def _sign_in(hub, who: str = "manager") -> tuple[Portal, str]:
    portal = Portal(hub)
    return portal, portal.token(who)


def test_a_customer_is_added_found_edited_and_warned_of_as_a_duplicate(hub):
    portal, token = _sign_in(hub)
    r = portal.call("POST", "/customers", token, recipes.customer_form(name="Rufaro Mhlanga", phone="0779998888"))
    assert r.status_code == 303, r.text
    first = r.headers["location"]
    r = portal.call("POST", "/customers", token, recipes.customer_form(name="Rufaro Mhlanga", phone="+263779998888"))
    assert r.status_code == 303
    page = portal.call("GET", r.headers["location"], token)
    assert page.status_code == 200 and "same phone" in page.text
    listed = portal.call("GET", "/customers?q=rufaro", token)
    assert listed.text.count("Rufaro Mhlanga") == 2
    edit = portal.call("GET", f"{first}/edit", token)
    assert edit.status_code == 200 and 'value="Rufaro Mhlanga"' in edit.text
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", first, token, recipes.customer_form(name="Rufaro M.", email="bad"))
    assert r.status_code == 422 and 'value="Rufaro M."' in r.text and 'id="e-email"' in r.text
    assert audit_entries(hub, seq) == []
    r = portal.call("POST", first, token, recipes.customer_form(name="Rufaro M.", tin="2000111222",
                                                                  registered_name="Rufaro Traders"))
    assert r.status_code == 303
    assert [e["action"] for e in audit_entries(hub, seq)] == ["customer.updated"]


def test_limits_payments_receipt_statement_and_accounts(hub):
    people = People(hub)
    cid, sale_id = recipes.customer_with_sale(people)  # owes USD 15.00
    portal, token = _sign_in(hub)
    r = portal.call("POST", f"/customers/{cid}/limits", token, {"limit_USD": "12.5x"})
    assert r.status_code == 422 and 'value="12.5x"' in r.text
    assert portal.call("POST", f"/customers/{cid}/limits", token, {"limit_USD": "10.00"}).status_code == 303
    page = portal.call("GET", f"/customers/{cid}", token).text
    assert "Over limit" in page and "USD 15.00" in page
    till = recipes.till(hub, paired_by=recipes._tills(people))
    over = till.sell(body=recipes.credit_sale(till, cid, 100))
    [record] = query(hub, "SELECT id FROM exceptions WHERE sale_id = ? AND kind = 'credit_limit_exceeded'", over["id"])
    shown = html.unescape(portal.call("GET", f"/exceptions/{record[0]}", token).text)
    assert "Credit limit exceeded" in shown and "USD 16.00 owed against a limit of USD 10.00" in shown
    r = portal.call("POST", f"/customers/{cid}/payments", token, {"currency": "USD", "amount": "", "method": "cash"})
    assert r.status_code == 422 and 'id="e-pay-amount"' in r.text
    r = portal.call("POST", f"/customers/{cid}/payments", token,
                    {"currency": "USD", "amount": "6.00", "method": "mobile_money", "provider": "EcoCash",
                     "reference": "MP1", "payment_id": "01a2169e-17e2-785f-91a2-a16aa4b38500"})
    assert r.status_code == 303 and r.headers["location"].endswith("/receipt")
    again = portal.call("POST", f"/customers/{cid}/payments", token,
                        {"currency": "USD", "amount": "6.00", "method": "mobile_money", "provider": "EcoCash",
                         "reference": "MP1", "payment_id": "01a2169e-17e2-785f-91a2-a16aa4b38500"})
    assert again.status_code == 303  # a resend records one payment
    assert query(hub, "SELECT count(*) FROM credit_payments WHERE customer_id = ?", cid)[0][0] == 1
    receipt = portal.call("GET", r.headers["location"], token).text
    assert "Payment receipt P1" in receipt and "USD 6.00" in receipt and "USD 10.00" in receipt
    statement = portal.call("GET", f"/customers/{cid}/statement?currency=USD", token).text
    assert "Credit sale" in statement and "Payment" in statement and "USD 10.00" in statement
    accounts = portal.call("GET", "/customers/accounts", token).text
    assert "USD 10.00" in accounts
    invoice = portal.call("GET", f"/customers/{cid}/invoices/{sale_id}", token)
    assert invoice.status_code == 200
    assert "Portal Trading (Pvt) Ltd" in invoice.text and "TIN 2000999888" in invoice.text
    assert "Tax invoice" in invoice.text
    cashier = portal.token("cashier")
    assert portal.call("GET", f"/customers/{cid}/invoices/{sale_id}", cashier).status_code == 403
    other = recipes.customer(people)
    assert portal.call("GET", f"/customers/{other}/invoices/{sale_id}", token).status_code == 404


def test_merge_from_the_customer_page(hub):
    people = People(hub)
    keep = recipes.customer(people, name="Farai Chikomo", phone="0771234000")
    gone = recipes.customer(people, name="Farai Chikomo", phone="0771234000")
    portal, token = _sign_in(hub)
    page = portal.call("GET", f"/customers/{keep}", token).text
    assert f'value="{gone}"' in page
    r = portal.call("POST", f"/customers/{keep}/merge", token, {"merge_id": ""})
    assert r.status_code == 422 and "choose the customer" in r.text
    assert portal.call("POST", f"/customers/{keep}/merge", token, {"merge_id": gone}).status_code == 303
    assert "merged into" in portal.call("GET", f"/customers/{gone}", token).text


def test_vouchers_are_issued_shown_and_expired(hub):
    portal, token = _sign_in(hub)
    r = portal.call("POST", "/vouchers", token, {"currency": "USD", "amount": "abc", "code": "GIFT-1"})
    assert r.status_code == 422 and 'value="GIFT-1"' in r.text
    r = portal.call("POST", "/vouchers", token, {"currency": "USD", "amount": "20.00", "code": "GIFT-1"})
    assert r.status_code == 303
    page = portal.call("GET", r.headers["location"], token).text
    assert "GIFT-1" in page and "USD 20.00" in page
    assert "GIFT-1" in portal.call("GET", "/vouchers?q=gift-1", token).text
    assert portal.call("POST", r.headers["location"] + "/expire", token).status_code == 303
    assert "Expired" in portal.call("GET", r.headers["location"], token).text
    again = portal.call("POST", r.headers["location"] + "/expire", token)
    assert again.status_code == 409 and "nothing left to expire" in again.text
    cashier = portal.token("cashier")
    assert portal.call("POST", "/vouchers", cashier, {"currency": "USD", "amount": "1"}).status_code == 403
    assert portal.call("GET", "/vouchers", cashier).status_code == 200
