"""Faults around an upload: the hub failing mid-batch leaves nothing of the batch (one transaction),
and the till's resend then records every fact exactly once; a response lost after the commit is
answered again as duplicates; a user the hub does not know keeps the fact in quarantine."""

from __future__ import annotations

import pytest

from hub.sync import facts
from tests.people import query
from tests.sync.up_recipes import SyncTill


@pytest.fixture
def crashing_type():
    """A fact type whose handler fails like a hub dying mid-batch (not a refusal: a crash)."""
    calls = {"crash": True}

    def handler(conn, device, payload, ctx):
        if calls["crash"]:
            raise RuntimeError("the hub lost power")
        return None

    facts.register("test.crash", handler)
    yield calls
    facts._REGISTRY.pop("test.crash", None)


def test_a_failure_mid_batch_keeps_nothing_and_the_resend_records_everything_once(hub, crashing_type):
    till = SyncTill(hub)
    events = [till.event("sale", till.sale_payload()), till.event("test.crash", {}),
              till.event("sale", till.sale_payload())]
    r = till.send(events)
    assert r.status_code == 500
    ids = [events[0]["payload"]["id"], events[2]["payload"]["id"]]
    assert query(hub, "SELECT count(*) FROM sales WHERE id IN (?, ?)", *ids) == [(0,)]
    assert query(hub, "SELECT count(*) FROM sync_events WHERE device_id = ?", till.device_id) == [(0,)]
    crashing_type["crash"] = False  # the hub is back
    got = till.upload(events)
    assert [r["status"] for r in got["results"]] == ["applied"] * 3 and got["acked_through"] == 3
    lost = till.upload(events)  # the answer was lost after the commit: the till sends it all again
    assert [r["status"] for r in lost["results"]] == ["duplicate"] * 3
    assert query(hub, "SELECT count(*) FROM sales WHERE id IN (?, ?)", *ids) == [(2,)]


def test_a_fact_by_a_user_the_hub_does_not_know_is_quarantined(hub):
    till = SyncTill(hub)
    sale = till.sale_payload()
    till.upload([till.event("sale", sale)])
    got = till.upload([till.event("cash.movement", {"shift_id": "s", "kind": "pay_in", "currency": "USD",
                                                    "amount": 100, "reason_code": "other", "note": "x"},
                                  user="no-such-user")])
    assert got["results"][0]["reason"] == "user_unknown"
