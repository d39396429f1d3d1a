"""Clock skew, the till's status report and shift digests through the real hub."""

from __future__ import annotations

import datetime as dt

from hub.ids import new_id
from tests.people import query
from tests.sync.up_recipes import DIGESTS, STATUS, SyncTill
from hub.sync.status import ids_hash


def test_a_till_days_ahead_is_recorded_flagged_and_its_sale_stands_at_the_hub_time(hub):
    till = SyncTill(hub)
    now = dt.datetime.now(dt.timezone.utc)
    till.clock = now + dt.timedelta(days=3)  # the till's clock runs three days ahead
    sale = till.sale_payload()
    got = till.upload([till.event("sale", sale)], device_time=till.clock)
    assert abs(got["skew_ms"] - 3 * 86_400_000) < 60_000
    assert abs(query(hub, "SELECT clock_skew_ms FROM devices WHERE id = ?", till.device_id)[0][0]
               - 3 * 86_400_000) < 60_000
    [(occurred, recorded)] = query(hub, "SELECT occurred_at, recorded_at FROM sales WHERE id = ?", sale["id"])
    assert occurred <= recorded  # never later than received, and not three days out
    assert abs(dt.datetime.fromisoformat(occurred.replace("Z", "+00:00")) - now) < dt.timedelta(minutes=1)
    flagged = query(hub, "SELECT kind, detail FROM exceptions WHERE kind = 'clock_skew' AND device_id = ?",
                    till.device_id)
    assert len(flagged) == 1 and "3 days" in flagged[0][1]
    till.upload([till.event("sale", till.sale_payload())], device_time=till.clock)  # once a day, not per call
    assert query(hub, "SELECT count(*) FROM exceptions WHERE kind = 'clock_skew' AND device_id = ?",
                 till.device_id) == [(1,)]


def test_a_till_days_behind_orders_nothing_by_its_clock(hub):
    till = SyncTill(hub)
    till.clock = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=5)
    first, second = till.sale_payload(), till.sale_payload()
    second["device_clock"] = (till.clock - dt.timedelta(days=1)).isoformat()  # an earlier clock reading, later seq
    second["id"] = new_id()
    got = till.upload([till.event("sale", first), till.event("sale", second)], device_time=till.clock)
    assert got["skew_ms"] < -4 * 86_400_000
    seqs = query(hub, "SELECT device_seq FROM sync_events WHERE device_id = ? ORDER BY hub_seq", till.device_id)
    assert [r[0] for r in seqs] == [1, 2]  # the hub's order is its receive order, whatever the clocks said
    stamps = query(hub, "SELECT occurred_at FROM sales WHERE id IN (?, ?) ORDER BY id", first["id"], second["id"])
    now = dt.datetime.now(dt.timezone.utc)
    for (stamp,) in stamps:  # five days behind, corrected by the skew: within the last day, not a week ago
        assert now - dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) < dt.timedelta(days=1, minutes=1)


def test_a_small_skew_is_recorded_without_a_flag(hub):
    till = SyncTill(hub)
    r = till.http.post(STATUS, json={"queue_depth": 0, "device_time": (dt.datetime.now(dt.timezone.utc)
                                                                       + dt.timedelta(seconds=5)).isoformat()})
    assert r.status_code == 200, r.text
    assert 3000 < r.json()["skew_ms"] < 60_000 and r.json()["hub_time"]
    assert query(hub, "SELECT count(*) FROM exceptions WHERE device_id = ?", till.device_id) == [(0,)]


def test_the_status_report_is_kept_and_feeds_pending_uploads(hub):
    till = SyncTill(hub)
    till.upload([till.event("sale", till.sale_payload())])
    body = {"queue_depth": 7, "oldest_unsent_seq": 2, "oldest_unsent_at": "2026-11-20T09:00:00+02:00",
            "last_failed_request": "POST /api/v1/sync/events", "last_error": "timed out after 30 s",
            "last_failed_at": "2026-11-20T09:05:00+02:00", "app_version": "1.6.0", "protocol_version": "1",
            "offline_seconds": 3600, "device_time": dt.datetime.now(dt.timezone.utc).isoformat()}
    r = till.http.post(STATUS, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["acked_through"] == 1
    assert query(hub, "SELECT pending_uploads FROM devices WHERE id = ?", till.device_id) == [(7,)]
    row = query(hub, "SELECT queue_depth, last_error, app_version, protocol_version, offline_seconds"
                     " FROM sync_devices WHERE device_id = ?", till.device_id)
    assert row == [(7, "timed out after 30 s", "1.6.0", "1", 3600)]
    assert till.http.post(STATUS, json={"queue_depth": -1}).status_code == 400


def test_a_shift_digest_lists_what_the_hub_holds_so_the_till_resends_the_rest(hub):
    till = SyncTill(hub)
    shift_id = new_id()
    opened = till.event("shift.open", {"id": shift_id, "floats": []})
    sales = [till.sale_payload(shift_id=shift_id) for _ in range(3)]
    events = [opened] + [till.event("sale", s) for s in sales]
    till.upload(events[:3])  # the last sale never arrived
    mine = [e["event_id"] for e in events]
    body = {"shift_id": shift_id, "count": 4, "totals": [{"currency": "USD", "total": 450}],
            "event_ids_sha256": ids_hash(mine), "device_time": dt.datetime.now(dt.timezone.utc).isoformat()}
    r = till.http.post(DIGESTS, json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["match"] is False and got["hub"]["count"] == 3
    assert got["hub"]["totals"] == [{"currency": "USD", "total": 300}]
    missing = set(mine) - set(got["event_ids"])
    assert missing == {events[3]["event_id"]}
    till.upload(events[3:])
    again = till.http.post(DIGESTS, json=body).json()
    assert again["match"] is True and again["hub"]["event_ids_sha256"] == ids_hash(mine)
