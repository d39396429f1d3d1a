"""The audit log page: what an entry says, dates in the store's time zone, filters and paging."""

from __future__ import annotations

import re
import sqlite3
import zoneinfo

from hub.audit.portal import PAGE_SIZE, day_start, describe
from hub.db import audit
from tests.people import People, audit_entries
from tests.portal.client import Portal


def test_an_update_lists_the_fields_it_changed_and_hides_bookkeeping():
    summary = {"before": {"display_name": "A", "role": "cashier", "version": 1, "tills": None},
               "after": {"display_name": "B", "role": "cashier", "version": 2, "tills": ["t1"]}}
    assert describe(summary) == ['display_name: A → B', 'tills: (none) → ["t1"]']


def test_a_creation_names_the_record_and_details_are_listed():
    assert describe({"after": {"id": "x", "username": "rudo", "role": "supervisor", "version": 1}}) == [
        "username: rudo", "role: supervisor"]
    assert describe({"detail": {"revoked_tokens": 2, "family": None}}) == ["revoked_tokens: 2"]
    assert describe({"after": {"note": "y" * 200}})[0].endswith("…")


def test_a_day_in_the_store_starts_at_its_local_midnight():
    harare = zoneinfo.ZoneInfo("Africa/Harare")  # UTC+2, no daylight saving
    assert day_start("2026-11-25", harare) == "2026-11-24T22:00:00.000000Z"
    assert day_start("2026-11-25", harare, days_after=1) == "2026-11-25T22:00:00.000000Z"
    assert day_start("", harare) is None


def test_the_store_filters_entries_by_time(hub):
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        everything = audit.list_entries(conn, limit=500)
        middle = everything[len(everything) // 2]["at"]
        since = audit.list_entries(conn, limit=500, since=middle)
        until = audit.list_entries(conn, limit=500, until=middle)
    finally:
        conn.close()
    assert since and all(e["at"] >= middle for e in since)
    assert until and all(e["at"] < middle for e in until)
    assert len(since) + len(until) == len(everything)


def test_the_page_moves_to_older_entries_with_a_before_cursor_keeping_the_filters(hub):
    people = People(hub)
    for _ in range(PAGE_SIZE + 5):
        people.new_role()
    portal = Portal(hub)
    token = portal.token("admin")
    first = portal.call("GET", "/audit?action=role.created", token)
    seqs = [int(s) for s in re.findall(r'class="seq muted">#(\d+)', first.text)]
    assert len(seqs) == PAGE_SIZE and seqs == sorted(seqs, reverse=True)
    older = re.search(r'href="(/audit\?[^"]+)">Older', first.text)[1].replace("&amp;", "&")
    assert older == f"/audit?action=role.created&before={seqs[-1]}"
    second = portal.call("GET", older, token)
    rest = [int(s) for s in re.findall(r'class="seq muted">#(\d+)', second.text)]
    assert len(rest) == 5 and max(rest) < min(seqs)
    assert "Older" not in second.text and 'href="/audit?action=role.created">← Newest' in second.text
    created = [e["seq"] for e in audit_entries(hub) if e["action"] == "role.created"]
    assert sorted(seqs + rest) == created


def test_a_date_that_does_not_exist_is_ignored_not_a_crash(hub):
    portal = Portal(hub)
    r = portal.call("GET", "/audit?from=2026-02-31", portal.token("admin"))
    assert r.status_code == 200 and "store.created" in r.text
    assert portal.call("GET", "/audit?from=yesterday", portal.token("admin")).status_code == 400
