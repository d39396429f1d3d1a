"""The Transfers pages over real HTTP between two hubs: an out transfer typed with a wrong row
refused beside it and nothing kept, posted and listed in transit with its age, its file uploaded at
the other store, an unmatched line refused at posting until it is mapped, short quantities shown,
the receipt confirmation uploaded back; a file for another store or imported twice is refused."""

from __future__ import annotations

import json

import pytest

from tests.catalogue.fixtures import admin, ean13, ids, reference  # noqa: F401
from tests.inventory.test_transfers_api import branch, counts, level, no_differences, stock  # noqa: F401
from tests.people import audit_entries
from tests.portal.client import CSRF, Portal
from tests.portal.test_devices_pages import text_of


@pytest.fixture
def portal(hub):
    return Portal(hub)


def upload(portal: Portal, token: str, path: str, name: str, data: bytes):
    try:
        return portal.http.post(path, data={"_csrf_token": CSRF, "text": ""},
                                files={"file": (name, data, "application/json")},
                                headers={"Cookie": f"soko_session={token}; soko_csrf={CSRF}"}, follow_redirects=False)
    finally:
        portal.http.cookies.clear()


def located(r) -> str:
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_a_transfer_is_sent_received_and_confirmed_through_the_pages(hub, portal, admin, ids, branch):
    b_admin = branch.as_user("admin")
    b_ids = reference(b_admin)
    tea = stock(admin, ids, "TEA", 30000, 120, ean13("600200000001"), pack=(ean13("600200000002"), 10000))
    stock(admin, ids, "JAM", 8000, 90)
    b_tea = stock(b_admin, b_ids, "TEA", 0, 0)
    b_jam = stock(b_admin, b_ids, "JAM-BYO", 0, 0)
    token = portal.token("manager")

    before = counts(hub)
    form = {"other_store_code": "byo", "lines[0].code": ean13("600200000002"), "lines[0].quantity": "2",
            "lines[1].code": "NO-SUCH", "lines[1].quantity": "1", "lines[2].code": "JAM", "lines[2].quantity": "x"}
    r = portal.call("POST", "/stock/transfers", token, form)
    assert r.status_code == 422, r.text
    assert 'id="e-lines[2].quantity"' in r.text and 'value="NO-SUCH"' in r.text
    r = portal.call("POST", "/stock/transfers", token, {**form, "lines[2].quantity": "3"})
    assert r.status_code == 422 and 'id="e-lines[1].code"' in r.text and "The transfer was not saved" in r.text
    assert counts(hub) == before

    transfer_id = located(portal.call("POST", "/stock/transfers", token, {
        **form, "lines[1].code": "", "lines[1].quantity": "", "lines[2].quantity": "3"}))
    page = text_of(portal.call("GET", f"/stock/transfers/{transfer_id}", token).text)
    assert "Draft" in page and "20" in page and "BYO" in page
    seq = audit_entries(hub)[-1]["seq"]
    assert portal.call("POST", f"/stock/transfers/{transfer_id}/post", token).status_code == 303
    assert [e["action"] for e in audit_entries(hub, seq)] == ["transfer.posted"]
    assert level(hub, tea["id"]) == (10000, 120)
    listed = portal.call("GET", "/stock/transfers?status=in_transit", token).text
    assert "in-transit" in listed and "In transit under an hour" in text_of(listed)
    r = portal.call("POST", f"/stock/transfers/{transfer_id}", token, {"other_store_code": "MUT"})
    assert r.status_code == 409 and "never is" in text_of(r.text)  # a posted transfer is never edited
    assert "Print" in portal.call("GET", f"/stock/transfers/{transfer_id}", token).text
    assert "Stock transfer out" in portal.call("GET", f"/stock/transfers/{transfer_id}/print", token).text
    file = portal.call("GET", f"/stock/transfers/{transfer_id}/file", token)
    assert file.status_code == 200 and json.loads(file.text)["to"]["store_code"] == "BYO"

    b_portal = Portal(branch)
    b_token = b_portal.token("manager")
    r = upload(b_portal, b_token, "/stock/transfers/receive", "wrong.json",
               json.dumps({**json.loads(file.text), "to": {"store_code": "MUT"}}).encode())
    assert r.status_code == 422 and 'id="e-file"' in r.text and "MUT" in r.text
    in_id = located(upload(b_portal, b_token, "/stock/transfers/receive", "t.json", file.content))
    r = upload(b_portal, b_token, "/stock/transfers/receive", "t.json", file.content)
    assert r.status_code == 409 and "imported before" in r.text

    page = b_portal.call("GET", f"/stock/transfers/{in_id}", b_token).text
    assert "No match" in page and 'name="lines[1].code"' in page
    b_before = counts(branch)
    r = b_portal.call("POST", f"/stock/transfers/{in_id}/receive", b_token,
                      {"lines[0].received": "15", "lines[1].received": "3"})
    assert r.status_code == 422 and 'id="e-lines[1].code"' in r.text and 'value="15"' in r.text
    assert counts(branch) == b_before
    r = b_portal.call("POST", f"/stock/transfers/{in_id}/receive", b_token,
                      {"lines[0].received": "15", "lines[1].received": "3", "lines[1].code": "JAM-BYO"})
    assert r.status_code == 303, r.text
    assert level(branch, b_tea["id"]) == (15000, 120) and level(branch, b_jam["id"]) == (3000, 90)
    shown = text_of(b_portal.call("GET", f"/stock/transfers/{in_id}", b_token).text)
    assert "Short 5" in shown and "Download receipt confirmation" in shown
    receipt = b_portal.call("GET", f"/stock/transfers/{in_id}/confirmation", b_token)
    assert receipt.status_code == 200

    r = upload(portal, token, "/stock/transfers/confirm", "r.json", receipt.content)
    assert located(r) == transfer_id
    shown = text_of(portal.call("GET", f"/stock/transfers/{transfer_id}", token).text)
    assert "Received" in shown and "Short 5" in shown and "Confirmed received" in shown
    r = upload(portal, token, "/stock/transfers/confirm", "r.json", receipt.content)
    assert r.status_code == 409
    no_differences(hub)
    no_differences(branch)


def test_a_draft_is_discarded_and_the_pages_need_their_permissions(hub, portal, admin, ids):
    stock(admin, ids, "OIL", 5000, 200)
    token = portal.token("manager")
    transfer_id = located(portal.call("POST", "/stock/transfers", token, {
        "other_store_code": "BYO", "lines[0].code": "OIL", "lines[0].quantity": "1"}))
    edit = portal.call("GET", f"/stock/transfers/{transfer_id}/edit", token)
    assert edit.status_code == 200 and 'value="OIL"' in edit.text
    assert located(portal.call("POST", f"/stock/transfers/{transfer_id}", token, {
        "other_store_code": "GWE", "lines[0].code": "OIL", "lines[0].quantity": "2"})) == transfer_id
    assert portal.call("POST", f"/stock/transfers/{transfer_id}/discard", token).status_code == 303
    assert "Discarded" in text_of(portal.call("GET", f"/stock/transfers/{transfer_id}", token).text)
    r = portal.call("POST", "/stock/transfers", token, {"other_store_code": "DEMO", "lines[0].code": "OIL",
                                                        "lines[0].quantity": "1"})
    assert r.status_code == 422 and 'id="e-other_store_code"' in r.text
    r = portal.call("POST", "/stock/transfers/receive", token, {"text": "not json"})
    assert r.status_code == 422 and 'id="e-file"' in r.text and "not json" in r.text
    supervisor = portal.token("supervisor")  # sees transfers, does not send them
    assert portal.call("GET", "/stock/transfers", supervisor).status_code == 200
    assert "New transfer" not in portal.call("GET", "/stock/transfers", supervisor).text
    assert portal.call("GET", "/stock/transfers/new", supervisor).status_code == 403
