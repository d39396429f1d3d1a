"""The loss-prevention report counts each cashier's till facts of the period (training ones and
those outside it count nowhere) beside their voids and refunds, with amounts per kind and
currency; credit aging lists every account that owes or is owed per currency with the buckets
of hub.customers.credit.aging, totals per currency never added across currencies."""

from __future__ import annotations

import datetime as dt

from hub.customers import credit
from hub.db import sync as sync_rows
from hub.db.connection import transaction
from hub.ids import new_id
from hub.reports import catalog
from tests.reports.store import report_store, today


def lp(conn, ids, kind, *, cashier=None, at=None, training=0, currency=None, amount=None, supervisor=None,
       seq=[0]):
    seq[0] += 1
    stamp = at or conn.stamp()
    row = {c: None for c in sync_rows.LP_COLUMNS} | {
        "id": new_id(), "device_id": ids["till"], "device_seq": seq[0], "kind": kind,
        "cashier_id": cashier or ids["cashier"], "cashier_name": "Mary", "supervisor_name": "",
        "supervisor_id": supervisor, "code": "", "name": "", "reason": "", "document": "", "currency": currency,
        "amount": amount, "training": training, "device_time": stamp, "occurred_at": stamp, "recorded_at": stamp}
    sync_rows.insert_lp(conn, row)


def test_loss_prevention_per_cashier(tmp_path):
    conn, ids, _ = report_store(tmp_path / "hub.db")
    other = new_id()
    with transaction(conn):
        for _ in range(3):
            lp(conn, ids, "line_deleted", currency="USD", amount=250)
        lp(conn, ids, "line_deleted", currency="ZWG", amount=5000)
        lp(conn, ids, "basket_cancelled", currency="USD", amount=1200, supervisor=ids["cashier"])
        lp(conn, ids, "no_sale")
        lp(conn, ids, "no_sale", cashier=other)
        lp(conn, ids, "no_sale", training=1)  # training: nowhere
        lp(conn, ids, "line_deleted", at="2020-01-01T08:00:00.000000Z", currency="USD", amount=99)  # long ago
    found = catalog.run(conn, "loss-prevention", today(conn))
    mine = next(r for r in found["rows"] if r["cashier_id"] == ids["cashier"])
    assert (mine["cashier"], mine["line_deleted"], mine["basket_cancelled"], mine["no_sale"], mine["approved"]) == \
        ("Mary", 4, 1, 1, 1)
    theirs = next(r for r in found["rows"] if r["cashier_id"] == other)
    assert theirs["no_sale"] == 1 and theirs["line_deleted"] == 0
    assert found["totals"] == [
        {"currency": "USD", "kind": "basket_cancelled", "count": 1, "amount": 1200},
        {"currency": "USD", "kind": "line_deleted", "count": 3, "amount": 750},
        {"currency": "ZWG", "kind": "line_deleted", "count": 1, "amount": 5000}]
    conn.close()


def test_credit_aging_per_account_and_currency(tmp_path):
    conn, ids, _ = report_store(tmp_path / "hub.db")
    zone_today = credit.today_in(conn)
    with transaction(conn):
        stamp = conn.stamp()
        people = {}
        for name in ("Tendai Moyo", "Chipo Ncube", "Paid Up"):
            people[name] = new_id()
            conn.execute("INSERT INTO customers (id, name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                         (people[name], name, name.lower(), stamp, stamp))

        def entry(who, currency, kind, amount, days_ago):
            at = (dt.datetime.combine(zone_today - dt.timedelta(days=days_ago), dt.time(10))
                  .replace(tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z"))
            conn.execute("INSERT INTO credit_ledger (customer_id, currency, kind, amount, source_type, source_id,"
                         " occurred_at, recorded_at) VALUES (?, ?, ?, ?, 'test', ?, ?, ?)",
                         (people[who], currency, kind, amount, new_id(), at, stamp))

        entry("Tendai Moyo", "USD", "sale", 10000, 95)
        entry("Tendai Moyo", "USD", "sale", 2500, 40)
        entry("Tendai Moyo", "USD", "payment", -4000, 10)
        entry("Tendai Moyo", "ZWG", "sale", 50000, 5)
        entry("Chipo Ncube", "USD", "sale", 700, 1)
        entry("Paid Up", "USD", "sale", 900, 50)
        entry("Paid Up", "USD", "payment", -900, 2)
        conn.execute("INSERT INTO credit_limits (customer_id, currency, credit_limit) VALUES (?, 'USD', 20000)",
                     (people["Tendai Moyo"],))
    found = catalog.run(conn, "credit-aging", today(conn))
    got = {(r["customer"], r["currency"]): (r["balance"], r["current"], r["days_30"], r["days_60"], r["days_90"],
                                            r["limit"]) for r in found["rows"]}
    assert got == {("Tendai Moyo", "USD"): (8500, 0, 2500, 0, 6000, 20000),
                   ("Tendai Moyo", "ZWG"): (50000, 50000, 0, 0, 0, 0),
                   ("Chipo Ncube", "USD"): (700, 700, 0, 0, 0, 0)}  # a settled account is not listed
    for (name, currency), v in got.items():
        assert credit.aging(conn, people[name], currency) == dict(zip(("current", "30", "60", "90+"), v[1:5]))
    assert {t["currency"]: t["balance"] for t in found["totals"]} == {"USD": 9200, "ZWG": 50000}
    conn.close()
