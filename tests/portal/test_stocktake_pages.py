"""The Stock takes pages over real HTTP: start a session, count with a typo refused beside its
input (typed values kept, nothing recorded), blind counting, review with variances and value,
approval above the threshold, posting, and a refusal in the wrong state."""

from __future__ import annotations

import re

import pytest

from tests.catalogue.fixtures import admin, create, ids  # noqa: F401
from tests.inventory.test_stocktake_moment import ledger_clean, on_hand
from tests.people import audit_entries
from tests.portal.client import Portal
from tests.portal.test_devices_pages import text_of


@pytest.fixture
def portal(hub):
    return Portal(hub)


def started(portal, token, **form) -> str:
    r = portal.call("POST", "/stock/takes", token, {"name": "Bakery count", "scope": "store", **form})
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/stock/takes/")[1]


def test_a_session_is_counted_with_a_typo_refused_inline_reviewed_and_posted(hub, portal, ids, admin):
    bread = create(admin, ids, name="Takes Bread", category_id=ids["bread"],
                   opening_stock={"quantity": 10000, "unit_cost": 100})
    token = portal.token("manager")
    r = portal.call("GET", "/stock/takes/new", token)
    assert r.status_code == 200 and "Uncounted means zero" in r.text
    r = portal.call("POST", "/stock/takes", token, {"name": "Bakery", "scope": "category", "category_id": ""})
    assert r.status_code == 422 and 'id="e-category_id"' in r.text and 'value="Bakery"' in r.text
    take = started(portal, token, scope="category", category_id=ids["food"])

    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/stock/takes/{take}/lines", token, {"code": bread["sku"] + "X", "quantity": "9"})
    assert r.status_code == 422 and 'id="e-code"' in r.text
    assert f"no product has the barcode or SKU {bread['sku']}X" in text_of(r.text)
    assert f'value="{bread["sku"]}X"' in r.text and 'value="9"' in r.text  # as typed
    assert audit_entries(hub, seq) == []
    r = portal.call("POST", f"/stock/takes/{take}/lines", token, {"code": bread["sku"], "quantity": "1.5"})
    assert r.status_code == 422 and 'id="e-quantity"' in r.text and "whole each" in text_of(r.text)

    r = portal.call("POST", f"/stock/takes/{take}/lines", token, {"code": bread["sku"], "quantity": "9"})
    assert r.status_code == 303 and r.headers["location"] == f"/stock/takes/{take}#count"
    page = text_of(portal.call("GET", f"/stock/takes/{take}", token).text)
    assert "Expected" in page and "USD -1.00" in page  # not blind: 9 counted, 10 expected, at 1.00

    assert portal.call("POST", f"/stock/takes/{take}/review", token).status_code == 303
    r = portal.call("POST", f"/stock/takes/{take}/post", token)
    assert r.status_code == 303, r.text
    assert on_hand(hub, bread["id"]) == 9000
    ledger_clean(hub)
    r = portal.call("POST", f"/stock/takes/{take}/cancel", token)
    assert r.status_code == 409 and 'id="e-status"' in r.text and "posted stock take cannot" in text_of(r.text)
    listed = text_of(portal.call("GET", "/stock/takes?status=posted", token).text)
    assert "Bakery count" in listed and "Posted" in listed


def test_a_blind_count_shows_counters_only_what_they_counted(hub, portal, ids, admin):
    bread = create(admin, ids, opening_stock={"quantity": 10000, "unit_cost": 100})
    manager, cashier = portal.token("manager"), portal.token("cashier")
    take = started(portal, manager, blind="on")
    assert portal.call("POST", f"/stock/takes/{take}/lines", cashier,
                       {"code": bread["sku"], "quantity": "7"}).status_code == 303
    page = portal.call("GET", f"/stock/takes/{take}", cashier).text
    assert "Expected" not in page and "A blind count" in text_of(page)
    assert portal.call("POST", f"/stock/takes/{take}/review", cashier).status_code == 303
    assert "Expected" not in portal.call("GET", f"/stock/takes/{take}", cashier).text
    assert "Expected" in portal.call("GET", f"/stock/takes/{take}", manager).text


def test_posting_above_the_threshold_waits_for_a_managers_approval(hub, portal, ids, admin):
    bread = create(admin, ids, opening_stock={"quantity": 100000, "unit_cost": 1000})
    supervisor, manager = portal.token("supervisor"), portal.token("manager")
    take = started(portal, supervisor)
    portal.call("POST", f"/stock/takes/{take}/lines", supervisor, {"code": bread["sku"], "quantity": "90"})
    portal.call("POST", f"/stock/takes/{take}/review", supervisor)
    page = portal.call("GET", f"/stock/takes/{take}", supervisor).text
    assert "Needs approval" in page and "Approve variances" not in page
    r = portal.call("POST", f"/stock/takes/{take}/post", supervisor)
    assert r.status_code == 409 and "inventory.approve" in text_of(r.text)
    assert portal.call("POST", f"/stock/takes/{take}/approve", supervisor).status_code == 403
    page = portal.call("GET", f"/stock/takes/{take}", manager).text
    assert "Approve variances" in page
    r = portal.call("POST", f"/stock/takes/{take}/approve", manager)
    assert r.status_code == 303
    assert portal.call("POST", f"/stock/takes/{take}/post", supervisor).status_code == 303
    assert on_hand(hub, bread["id"]) == 90000
    assert re.search(r"approved by manager", text_of(portal.call("GET", f"/stock/takes/{take}", manager).text))
