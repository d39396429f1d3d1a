"""The sync monitor over real HTTP: each till's sync state (last seen, app and protocol version,
clock skew, what it reported, what was acknowledged, its last error), the quarantined facts with
accept and reject through the same service as the API (one audit entry of their own), a refusal
shown beside its form with nothing changed, the forms only for devices.manage; training sales
marked on the sales pages."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from tests.people import audit_entries, query
from tests.portal.client import Portal
from tests.sync.up_recipes import STATUS, SyncTill, revoked_till


@pytest.fixture
def portal(hub):
    return Portal(hub)


def text_of(response) -> str:
    return html.unescape(response.text)


def test_the_monitor_shows_each_tills_state_and_its_quarantined_facts(hub, portal):
    till = SyncTill(hub)
    till.upload([till.event("sale", till.sale_payload()) for _ in range(2)],
                device_time=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2))
    r = till.http.post(STATUS, json={"queue_depth": 4, "app_version": "1.7.2", "protocol_version": "1",
                                     "last_failed_request": "POST /api/v1/sync/events",
                                     "last_error": "connection reset by peer", "offline_seconds": 90})
    assert r.status_code == 200, r.text
    gone = revoked_till(hub)
    gone.upload([gone.event("lp.no_sale", {"reason": "Change"})])
    page = text_of(portal.call("GET", "/sync", portal.token("manager")))
    row = page.split(f'data-device="{till.device_id}"', 1)[1].split("</tr>", 1)[0]
    assert "1.7.2" in row and "protocol 1" in row
    assert "2 h 0 min ahead" in row and "skew-mark" in row
    assert ">4<" in row and "connection reset by peer" in row and "POST /api/v1/sync/events" in row
    assert "through 2" in row and "2 applied" in row
    assert "lp.no_sale" in page and "Sent by a revoked till" in page
    assert 'action="/sync/quarantine/' in page
    assert "/exceptions?kind=fact_quarantined" in page
    queue = text_of(portal.call("GET", "/exceptions?kind=fact_quarantined", portal.token("manager")))
    assert "uploaded a lp.no_sale (seq 1) kept in quarantine" in queue
    clocks = text_of(portal.call("GET", "/exceptions?kind=clock_skew", portal.token("manager")))
    assert "clock was 2 h 0 min ahead of the hub's" in clocks


def test_a_manager_accepts_and_rejects_from_the_page_each_audited_once(hub, portal):
    gone = revoked_till(hub)
    sale = gone.sale_payload()
    got = gone.upload([gone.event("sale", sale), gone.event("lp.reprint", {"document": "HRE1-T1-9"})])
    sale_q, reprint_q = (r["quarantine_id"] for r in got["results"])
    token = portal.token("manager")
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/sync/quarantine/{reprint_q}/reject", token, {"note": ""})
    assert r.status_code == 422
    page = text_of(r)
    assert f'id="e-reject-{reprint_q}-note"' in page and "It was not rejected" in page
    assert audit_entries(hub, seq) == []
    r = portal.call("POST", f"/sync/quarantine/{reprint_q}/reject", token, {"note": "Printer test"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sync")
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sync.fact_rejected"]
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/sync/quarantine/{sale_q}/accept", token, {"note": "Sold before it was revoked"})
    assert r.status_code == 303
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.recorded", "sync.fact_accepted"]
    assert query(hub, "SELECT count(*) FROM sales WHERE id = ?", sale["id"]) == [(1,)]
    assert 'action="/sync/quarantine/' not in text_of(portal.call("GET", "/sync", token))
    decided = text_of(portal.call("GET", "/sync?show=all", token))
    assert "Sold before it was revoked" in decided and "Printer test" in decided


def test_a_supervisor_sees_the_monitor_without_the_forms(hub, portal):
    gone = revoked_till(hub)
    gone.upload([gone.event("lp.no_sale", {})])
    page = text_of(portal.call("GET", "/sync", portal.token("supervisor")))
    assert "lp.no_sale" in page and 'action="/sync/quarantine/' not in page
    assert portal.call("GET", "/sync", portal.token("cashier")).status_code == 403


def test_training_sales_are_marked_and_left_out_of_the_takings(hub, portal):
    till = SyncTill(hub)
    training = till.sale_payload(training=True)
    till.upload([till.event("sale", training), till.event("sale", till.sale_payload())])
    token = portal.token("manager")
    listing = text_of(portal.call("GET", "/sales?period=all", token))
    assert listing.count("training-mark") == 1
    assert "1 training USD sale" in listing
    receipt = text_of(portal.call("GET", f"/sales/{training['id']}", token))
    assert "Training sale: recorded while the till was in training mode" in receipt
