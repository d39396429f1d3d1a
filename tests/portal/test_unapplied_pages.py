"""The Unapplied documents pages over real HTTP: the banner and count while anything waits, the
list with its filters and reasons, a document's page with the failing lines marked, and the
resolve forms (map to a product picked by search, apply under one's authority, discard with a
reason), each refusal shown beside its input with nothing changed."""

from __future__ import annotations

import html

import pytest

from tests.catalogue.fixtures import admin, create, ids  # noqa: F401
from tests.inventory.test_unapplied_api import DOCS, adjustment_doc, ledger_agrees, on_hand, till  # noqa: F401
from tests.people import audit_entries
from tests.portal.client import Portal


@pytest.fixture
def portal(hub):
    return Portal(hub)


def made(admin, ids, **fields):  # noqa: F811
    return create(admin, ids, opening_stock={"quantity": 10000, "unit_cost": 150}, **fields)


def queued(till, who: str, lines: list[dict], **fields) -> str:  # noqa: F811
    r = till(who).post(DOCS, json=adjustment_doc(lines, **fields))
    assert r.status_code == 202, r.text
    return r.json()["id"]


def test_the_queue_shows_a_banner_and_the_reason_and_marks_the_failing_line(hub, portal, admin, ids, till):  # noqa: F811
    bread = made(admin, ids)
    token = portal.token("manager")
    assert "could not be applied and wait" not in portal.call("GET", "/stock", token).text
    doc = queued(till, "supervisor", [{"code": bread["sku"], "quantity": -1000},
                                      {"code": "MYSTERY-9", "quantity": -2000}])
    home = portal.call("GET", "/stock", token).text
    assert "1 inventory document from tills could not be applied and waits for a decision." in home
    assert 'href="/stock/unapplied"' in home
    assert "could not be applied" not in portal.call("GET", "/stock/takes", portal.token("cashier")).text

    page = portal.call("GET", "/stock/unapplied", token)
    assert page.status_code == 200
    assert "Unapplied documents (1)" in page.text and "A barcode or SKU matches no product" in page.text
    assert f'href="/stock/unapplied/{doc}"' in page.text
    empty = portal.call("GET", "/stock/unapplied?status=discarded", token).text
    assert f'href="/stock/unapplied/{doc}"' not in empty and "No document matches these filters" in empty

    detail = html.unescape(portal.call("GET", f"/stock/unapplied/{doc}", token).text)
    assert detail.count('class="attention failing"') == 1
    assert "No product has the barcode or SKU MYSTERY-9" in detail
    assert "Map an unknown code to a product" in detail and "Apply under my authority" in detail
    # one who may only view sees it without the resolve forms
    viewer = portal.call("GET", f"/stock/unapplied/{doc}", portal.token("supervisor")).text
    assert "Map and apply" not in viewer and "Discard" not in viewer


def test_map_by_searching_a_product_by_name_applies_the_document(hub, portal, admin, ids, till):  # noqa: F811
    bread, milk = made(admin, ids), made(admin, ids, name="Fresh milk 1L unapplied")
    doc = queued(till, "supervisor", [{"code": bread["sku"], "quantity": -1000},
                                      {"code": "MYSTERY-8", "quantity": -2000}])
    token = portal.token("manager")
    found = html.unescape(portal.call("GET", f"/stock/unapplied/{doc}?q=milk 1L unapplied", token).text)
    assert f'value="{milk["id"]}"' in found and "Fresh milk 1L unapplied" in found
    none = portal.call("GET", f"/stock/unapplied/{doc}?q=zzzz-nothing", token).text
    assert "No product matches" in none

    refused = portal.call("POST", f"/stock/unapplied/{doc}/map", token, {"code": "MYSTERY-8", "product": "NOPE-0"})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert 'id="e-product"' in text and "No product has the SKU or barcode NOPE-0" in text
    assert on_hand(admin, milk["id"]) == 10000

    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/stock/unapplied/{doc}/map", token, {"code": "MYSTERY-8", "product_id": milk["id"]})
    assert r.status_code == 303 and r.headers["location"] == f"/stock/unapplied/{doc}"
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "adjustment.posted" and entry["request_id"] == r.headers["x-request-id"]
    assert on_hand(admin, milk["id"]) == 8000 and on_hand(admin, bread["id"]) == 9000
    after = html.unescape(portal.call("GET", f"/stock/unapplied/{doc}", token).text)
    assert "Open the adjustment" in after and '<span class="badge ok">Applied</span>' in after
    assert "Map and apply" not in after
    ledger_agrees(hub)


def test_apply_under_my_authority_and_discard_with_a_reason(hub, portal, admin, ids, till):  # noqa: F811
    bread = made(admin, ids)
    doc = queued(till, "cashier", [{"product_id": bread["id"], "quantity": -1000}])  # may not adjust
    other = queued(till, "cashier", [{"product_id": bread["id"], "quantity": -3000}])
    token = portal.token("manager")
    again = portal.call("POST", f"/stock/unapplied/{doc}/apply", token, {"authority": "maker"})
    assert again.status_code == 303
    page = html.unescape(portal.call("GET", f"/stock/unapplied/{doc}", token).text)
    assert '<span class="badge warn">Waiting</span>' in page and "<dt>Tries</dt><dd>2</dd>" in page
    assert "cashier lacks the permission inventory.adjust" in page
    assert portal.call("POST", f"/stock/unapplied/{doc}/apply", token, {"authority": "mine"}).status_code == 303
    page = html.unescape(portal.call("GET", f"/stock/unapplied/{doc}", token).text)
    assert "under their own authority" in page and on_hand(admin, bread["id"]) == 9000

    blank = portal.call("POST", f"/stock/unapplied/{other}/discard", token, {"reason": "  "})
    assert blank.status_code == 422 and 'id="e-reason"' in blank.text
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/stock/unapplied/{other}/discard", token, {"reason": "Typed twice by mistake"})
    assert r.status_code == 303
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "unapplied_document.discarded" and entry["request_id"] == r.headers["x-request-id"]
    page = portal.call("GET", f"/stock/unapplied/{other}", token).text
    assert "Discarded" in page and "Typed twice by mistake" in page and on_hand(admin, bread["id"]) == 9000
    done = portal.call("POST", f"/stock/unapplied/{other}/apply", token, {"authority": "maker"})
    assert done.status_code == 409 and 'id="e-decision"' in done.text
    assert "could not be applied" not in portal.call("GET", "/stock", token).text  # nothing waits now
    ledger_agrees(hub)
