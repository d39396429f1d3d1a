"""The quotation pages over real HTTP: a draft from the form (customer by card, lines by SKU),
refusals beside their inputs with the typed values kept, edit, marks, conversion, the pipeline and
due-today list, the A4 print view."""

from __future__ import annotations

import datetime as dt

from tests.people import People, audit_entries, query
from tests.portal.client import Portal
from tests.quotations import recipes


def test_a_quotation_is_drafted_edited_marked_converted_and_printed(hub):
    people = People(hub)
    portal = Portal(hub)
    token = portal.token("supervisor")
    form = recipes.form(people)
    bad = {**form, "code_1": "NO-SUCH-SKU", "qty_1": "2", "valid_until": ""}
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", "/quotations", token, bad)
    assert r.status_code == 422, r.text
    assert 'value="NO-SUCH-SKU"' in r.text and 'id="e-code_1"' in r.text
    assert audit_entries(hub, seq) == [] and query(hub, "SELECT count(*) FROM quotations")[0][0] == 0
    r = portal.call("POST", "/quotations", token, {**form, "follow_up_on": dt.date.today().isoformat()})
    assert r.status_code == 303, r.text
    page_url = r.headers["location"]
    page = portal.call("GET", page_url, token).text
    assert "Q-1" in page and "Draft" in page
    listing = portal.call("GET", "/quotations", token).text
    assert "Follow up today" in listing and "Q-1" in listing.split("Follow up today")[1]
    edit = portal.call("GET", f"{page_url}/edit", token)
    assert edit.status_code == 200 and f'value="{form["code_0"]}"' in edit.text
    r = portal.call("POST", page_url, token, {**form, "qty_0": "5"})
    assert r.status_code == 303
    assert query(hub, "SELECT quantity FROM quotation_lines")[0][0] == 5000
    assert portal.call("POST", f"{page_url}/send", token).status_code == 303
    assert portal.call("POST", f"{page_url}/send", token).status_code == 409  # sent already
    r = portal.call("POST", f"{page_url}/convert", token, {"mode": "on_account"})
    assert r.status_code == 303
    page = portal.call("GET", page_url, token).text
    assert "Converted" in page and "On the customer&#39;s account" in page
    [(customer_id,)] = query(hub, "SELECT customer_id FROM quotations")
    assert "Q-1" in portal.call("GET", f"/customers/{customer_id}", token).text.split("Quotations</h2>")[1]
    printed = portal.call("GET", f"{page_url}/print", token).text
    assert "Quotation Q-1" in printed and "Valid until" in printed
    assert [e["action"] for e in audit_entries(hub, seq)] == [
        "quotation.created", "quotation.updated", "quotation.sent", "quotation.converted"]
    assert portal.call("GET", "/quotations", portal.token("cashier")).status_code == 403


def test_a_quotation_is_sold_in_the_portal_and_a_refusal_keeps_what_was_typed(hub):
    people = People(hub)
    portal = Portal(hub)
    token = portal.token("manager")
    r = portal.call("POST", "/quotations", token, recipes.form(people))
    page_url = r.headers["location"]
    page = portal.call("GET", page_url, token).text
    assert "Sell it here" in page and 'name="method"' in page
    seq = audit_entries(hub)[-1]["seq"]
    refused = portal.call("POST", f"{page_url}/sell", token, {"method": "cash", "reference": "DROP-7"})
    assert refused.status_code == 422 and 'value="DROP-7"' in refused.text and 'id="e-method"' in refused.text
    assert audit_entries(hub, seq) == [] and query(hub, "SELECT count(*) FROM sales")[0][0] == 0
    r = portal.call("POST", f"{page_url}/sell", token,
                    {"method": "mobile_money", "provider": "EcoCash", "reference": "MP2611.1"})
    assert r.status_code == 303, r.text
    [(sale_id, number)] = query(hub, "SELECT id, invoice_number FROM sales")
    assert r.headers["location"] == f"/sales/{sale_id}" and number.endswith("-BO-1")
    sale_page = portal.call("GET", f"/sales/{sale_id}", token).text
    assert number in sale_page and "MP2611.1" in sale_page
    page = portal.call("GET", page_url, token).text
    assert "In the portal" in page and "Sell it here" not in page
    assert [e["action"] for e in audit_entries(hub, seq)] == ["device.backoffice_created", "sale.recorded"]
