"""End of day over real HTTP: a day with two tills, one shift left open, exceptions and no
deposit or backup, whose steps say exactly what blocks closing; then everything is put right and
the day is closed once, with its record; deposits are facts corrected by reversals; late sales of
a closed day are warned of, never refused."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from hub.db.connection import connect
from hub.ids import new_id
from hub.inventory import ledger
from tests.endofday import recipes
from tests.endofday.recipes import EOD
from tests.people import audit_entries, query


def states(day: dict) -> dict[str, str]:
    return {s["key"]: s["state"] for s in day["steps"]}


def step(day: dict, key: str) -> dict:
    [found] = [s for s in day["steps"] if s["key"] == key]
    return found


def ledger_clean(hub) -> None:
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


@pytest.fixture
def admin(hub):
    return hub.as_user("admin")


def test_a_day_is_walked_through_put_right_and_closed_once(hub, admin):
    till_a, shift_a = recipes.open_till(hub, "cashier")
    till_b, shift_b = recipes.open_till(hub, "supervisor")
    recipes.sell(till_a, shift_a, 150)
    recipes.sell(till_a, shift_a, 2650, "ZWG")
    recipes.sell(till_b, shift_b, 300)
    recipes.close_shift(admin, shift_a, {"USD": 5150, "ZWG": 22650})

    day = admin.get(EOD).json()
    assert day["status"] == "open" and day["can_close"] is False and day["sale_count"] == 3
    assert states(day) == {"shifts": "needs_action", "tills": "done", "exceptions": "needs_action",
                           "fiscal": "not_applicable", "cashup": "needs_action", "deposit": "needs_action",
                           "backup": "needs_action"}
    assert day["blocking"] == ["shifts", "exceptions", "cashup", "deposit", "backup"]
    [open_shift] = step(day, "shifts")["items"]
    assert open_shift["link"] == f"/shifts/{shift_b}" and "supervisor" in open_shift["label"].lower()
    till_b_name = query(hub, "SELECT name FROM devices WHERE id = ?", till_b.device_id)[0][0]
    assert till_b_name in open_shift["label"]
    assert len(step(day, "exceptions")["items"]) == 3 and step(day, "exceptions")["link"].startswith("/exceptions")
    assert "not set up on this hub" in step(day, "fiscal")["explanation"]
    # the closed shift's figures, per currency, never added together
    usd, zwg = day["currencies"]
    assert (usd["currency"], usd["float"], usd["cash_sales"], usd["expected"], usd["counted"], usd["variance"]) == (
        "USD", 5000, 150, 5150, 5150, 0)
    assert (zwg["currency"], zwg["float"], zwg["cash_sales"], zwg["expected"], zwg["counted"]) == (
        "ZWG", 20000, 2650, 22650, 22650)
    assert "USD and ZWG" in step(day, "deposit")["explanation"]

    refused = admin.post(f"{EOD}/close", json={"date": day["date"]})
    assert refused.status_code == 409 and refused.json()["code"] == "day_not_ready", refused.text
    assert [b["step"] for b in refused.json()["blocking"]] == day["blocking"]
    assert query(hub, "SELECT count(*) FROM trading_days") == [(0,)]

    # put it right: the other shift closed (short by 0.50), exceptions resolved, deposits, a backup
    recipes.close_shift(admin, shift_b, {"USD": 5250, "ZWG": 20000})
    assert recipes.resolve_all(admin) == 3
    recipes.deposit(admin, currency="USD", amount=10400)
    wrong = recipes.deposit(admin, currency="ZWG", amount=4265)
    r = admin.post(f"{EOD}/deposits/{wrong}/reverse", json={"reason": "Typed the wrong amount"})
    assert r.status_code == 201 and r.json()["kind"] == "reversal" and r.json()["reverses"] == wrong, r.text
    day = admin.get(EOD).json()
    assert step(day, "deposit")["state"] == "needs_action"  # ZWG deposited less its reversal is nothing
    recipes.deposit(admin, currency="ZWG", amount=42650)
    day = admin.get(EOD).json()
    assert step(day, "deposit")["state"] == "done" and step(day, "backup")["state"] == "needs_action"
    assert {f["currency"]: f["deposited"] for f in day["currencies"]} == {"USD": 10400, "ZWG": 42650}
    assert {f["currency"]: f["variance"] for f in day["currencies"]} == {"USD": -50, "ZWG": 0}
    r = admin.post("/api/v1/backups")
    assert r.status_code == 201, r.text
    day = admin.get(EOD).json()
    assert day["blocking"] == [] and day["can_close"] is True, day["steps"]
    assert step(day, "backup")["items"][0]["label"] == r.json()["name"]

    seq = audit_entries(hub)[-1]["seq"]
    closed = admin.post(f"{EOD}/close", json={"date": day["date"]})
    assert closed.status_code == 200, closed.text
    record = closed.json()["closed"]
    assert closed.json()["status"] == "closed" and closed.json()["can_close"] is False
    assert record["closed_by_name"] == "admin" and {s["key"]: s["state"] for s in record["steps"]}["fiscal"] == \
        "not_applicable"
    assert [(f["currency"], f["counted"], f["deposited"]) for f in record["figures"]["currencies"]] == [
        ("USD", 10400, 10400), ("ZWG", 42650, 42650)]
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "endofday.closed" and entry["entity_id"] == day["date"]
    again = admin.post(f"{EOD}/close", json={"date": day["date"]})
    assert again.status_code == 409 and again.json()["code"] == "day_closed", again.text
    assert audit_entries(hub, seq) == [entry]

    # a late sale for the closed day is accepted; the day's page warns of it
    late = recipes.sell(till_a, shift_a, 150)
    assert {e["kind"] for e in late["exceptions"]} >= {"closed_shift"}
    day = admin.get(EOD).json()
    assert day["status"] == "closed" and any("arrived after it was closed" in w for w in day["warnings"])
    assert day["closed"]["figures"] == record["figures"]  # the record keeps the figures as they were

    # nor do its deposits change once it is closed
    deposits = admin.get(f"{EOD}/deposits", params={"date": day["date"]}).json()
    late_deposit = admin.post(f"{EOD}/deposits", json=recipes.deposit_body(day["date"]))
    reversal = admin.post(f"{EOD}/deposits/{deposits['items'][0]['id']}/reverse", json={"reason": "Late"})
    for r in (late_deposit, reversal):
        assert r.status_code == 409 and r.json()["code"] == "day_closed", r.text
    assert admin.get(f"{EOD}/deposits", params={"date": day["date"]}).json() == deposits
    ledger_clean(hub)


def test_deposits_are_facts_reversed_once_with_a_reason(hub, admin):
    first = recipes.deposit(admin)
    r = admin.post(f"{EOD}/deposits/{first}/reverse", json={"reason": ""})
    assert r.status_code == 400, r.text  # the reason is required by the schema
    r = admin.post(f"{EOD}/deposits/{first}/reverse", json={"reason": "Counted twice"})
    assert r.status_code == 201, r.text
    reversal = r.json()["id"]
    again = admin.post(f"{EOD}/deposits/{first}/reverse", json={"reason": "Again"})
    assert again.status_code == 409 and again.json()["code"] == "deposit_state"
    of_reversal = admin.post(f"{EOD}/deposits/{reversal}/reverse", json={"reason": "Undo"})
    assert of_reversal.status_code == 409 and of_reversal.json()["code"] == "deposit_state"
    listed = admin.get(f"{EOD}/deposits").json()
    assert [d["kind"] for d in listed["items"]] == ["deposit", "reversal"]
    assert listed["items"][0]["reversed_by"] == reversal and listed["deposited"] == {"USD": 0}
    assert [e["action"] for e in audit_entries(hub)[-2:]] == ["deposit.recorded", "deposit.reversed"]
    conn = sqlite3.connect(hub.db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="never edited"):
            conn.execute("UPDATE bank_deposits SET amount = 1")
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            conn.execute("DELETE FROM bank_deposits")
    finally:
        conn.close()


def test_a_bad_deposit_names_each_field_and_records_nothing(hub, admin):
    day = recipes.today(admin)
    tomorrow = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).isoformat()
    r = admin.post(f"{EOD}/deposits", json=recipes.deposit_body(day, currency="EUR", bank=" ", reference="",
                                                               deposited_by="", deposited_at=future))
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"currency", "bank", "reference", "deposited_by",
                                                        "deposited_at"}
    r = admin.post(f"{EOD}/deposits", json=recipes.deposit_body(tomorrow))
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["date"]
    for bad in ({"amount": 0}, {"amount": 10**14}, {"deposited_at": "2026-01-01T10:00:00"}, {"extra": 1}):
        r = admin.post(f"{EOD}/deposits", json=recipes.deposit_body(day, **bad))
        assert r.status_code == 400, (bad, r.text)
    assert query(hub, "SELECT count(*) FROM bank_deposits") == [(0,)]


def test_a_future_day_is_refused_and_an_empty_day_has_nothing_to_do(hub, admin):
    day = recipes.today(admin)
    tomorrow = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    r = admin.get(EOD, params={"date": tomorrow})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date"
    long_ago = admin.get(EOD, params={"date": "2020-01-01"}).json()
    assert states(long_ago) == {"shifts": "not_applicable", "tills": "not_applicable", "exceptions": "done",
                                "fiscal": "not_applicable", "cashup": "not_applicable",
                                "deposit": "not_applicable", "backup": "not_applicable"}
    assert long_ago["can_close"] is True


def test_tills_that_may_hold_sales_are_named(hub, admin):
    till_a, shift_a = recipes.open_till(hub)
    till_b, _ = recipes.open_till(hub, "supervisor")
    recipes.sell(till_a, shift_a)
    assert step(admin.get(EOD).json(), "tills")["state"] == "done"
    hub.write("UPDATE devices SET pending_uploads = 4 WHERE id = ?", till_b.device_id)
    hub.write("UPDATE devices SET last_seen_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?", till_b.device_id)
    tills = step(admin.get(EOD).json(), "tills")
    assert tills["state"] == "needs_action"
    [named] = tills["items"]
    assert named["link"] == f"/devices/{till_b.device_id}" and "4 records" in named["detail"]
    hub.write("UPDATE devices SET pending_uploads = 0 WHERE id = ?", till_b.device_id)
    [named] = step(admin.get(EOD).json(), "tills")["items"]
    assert "not seen since 01 Jan 2020" in named["detail"]


def test_late_sales_of_a_closed_day_show_on_the_next_days_checks(hub, admin):
    till, shift = recipes.open_till(hub)
    day = dt.date.fromisoformat(recipes.today(admin))
    yesterday = (day - dt.timedelta(days=1)).isoformat()
    starts, ends = (admin.get(EOD, params={"date": yesterday}).json()[k] for k in ("starts_at", "ends_at"))
    hub.write("INSERT INTO trading_days (business_day, starts_at, ends_at, closed_at, steps, figures) "
              "VALUES (?, ?, ?, ?, '[]', '{}')", yesterday, starts, ends, ends)
    hub.write("UPDATE devices SET clock_skew_ms = 0 WHERE id = ?", till.device_id)  # trust its clock
    moment = dt.datetime.fromisoformat(starts.replace("Z", "+00:00")) + dt.timedelta(hours=12)
    body = till.body(shift_id=shift, clock=moment)
    sale = till.sell(body)
    assert sale["occurred_at"] < ends
    today = admin.get(EOD).json()
    assert any(yesterday in w and "after that day was closed" in w for w in today["warnings"])
    assert any("late sale of " + yesterday in i["detail"] for i in step(today, "exceptions")["items"])
    assert step(today, "exceptions")["state"] == "needs_action"
    closed = admin.get(EOD, params={"date": yesterday}).json()
    assert closed["status"] == "closed" and any("arrived after it was closed" in w for w in closed["warnings"])


def test_days_and_times_at_the_calendars_edges_are_refused_not_crashed_on(hub, admin):
    for day in ("0001-01-01", "1999-12-31", "9999-12-31"):
        r = admin.get(EOD, params={"date": day})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date", r.text
        r = admin.post(f"{EOD}/close", json={"date": day})
        assert r.status_code == 422, r.text
    for moment in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"):
        r = admin.post(f"{EOD}/deposits", json=recipes.deposit_body(recipes.PAST_DAY, deposited_at=moment))
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["deposited_at"], r.text
    r = admin.post(f"{EOD}/deposits", json=recipes.deposit_body("0001-01-01"))
    assert r.status_code == 422 and "date" in {e["field"] for e in r.json()["errors"]}
    assert query(hub, "SELECT count(*) FROM bank_deposits") == [(0,)]


def test_a_voided_sale_leaves_the_days_totals(hub, admin):
    till, shift = recipes.open_till(hub)
    kept = recipes.sell(till, shift, 150)
    voided = recipes.sell(till, shift, 300)
    r = admin.post(f"/api/v1/sales/{voided['id']}/void", json={"reason": "Rung up twice"})
    assert r.status_code in (200, 201), r.text
    day = admin.get(EOD).json()
    assert day["sale_count"] == 1 and day["sales"] == [{"currency": "USD", "count": 1, "total": kept["total"],
                                                         "tax": kept["tax_total"], "refunds": 0,
                                                         "corrections": 0, "net": kept["total"]}]


def test_a_supervisor_reads_the_day_and_a_cashier_does_not_and_neither_records(hub):
    supervisor, cashier = hub.as_user("supervisor"), hub.as_user("cashier")
    day = recipes.today(supervisor)  # sales.view reads the day
    assert supervisor.get(f"{EOD}/deposits").status_code == 200
    for client in (supervisor, cashier):
        r = client.post(f"{EOD}/deposits", json=recipes.deposit_body(day))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert client.post(f"{EOD}/close", json={"date": day}).status_code == 403
    assert cashier.get(EOD).status_code == 403
    assert query(hub, "SELECT count(*) FROM bank_deposits") == [(0,)]


def test_the_backup_must_follow_the_days_last_fact_and_verify(hub, admin):
    till, shift = recipes.open_till(hub)
    recipes.sell(till, shift)
    r = admin.post("/api/v1/backups")
    assert r.status_code == 201, r.text
    assert step(admin.get(EOD).json(), "backup")["state"] == "done"
    recipes.deposit(admin)  # a fact after the backup: it no longer holds the whole day
    backup = step(admin.get(EOD).json(), "backup")
    assert backup["state"] == "needs_action" and "made before" in backup["explanation"]
    r = admin.post("/api/v1/backups")
    assert step(admin.get(EOD).json(), "backup")["state"] == "done"
    path = hub.server.settings.backup_path / r.json()["name"]
    with open(path, "ab") as f:  # damaged after it was taken
        f.write(b"\0" * 16)
    backup = step(admin.get(EOD).json(), "backup")
    assert backup["state"] == "needs_action" and "does not verify" in backup["explanation"], backup


def test_refunds_and_corrections_made_in_the_day_show_beside_its_sales_with_the_net(hub, admin):
    till, shift = recipes.open_till(hub, "supervisor")  # a cashier may not refund
    recipes.sell(till, shift, 150)
    returned = recipes.sell(till, shift, 300)
    r = till.http.post(f"/api/v1/sales/{returned['id']}/refunds", json={
        "id": new_id(), "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(), "shift_id": shift,
        "reason": "Brought back", "lines": [{"line_no": 0, "quantity": 1000}]})
    assert r.status_code == 201, r.text
    day = admin.get(EOD).json()
    assert day["sales"] == [{"currency": "USD", "count": 2, "total": 450, "tax": 0, "refunds": 300,
                             "corrections": 0, "net": 150}]
