"""The demo store's sales history (hub.sales.demo_history): three tills trading for three weeks
through the sale, shift, void and receiving features, the same for a seed; the shifts' cash,
the stock ledger and the audit chain all reconcile; only a demo store takes it."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from hub.auth.passwords import SecretHasher
from hub.db.audit import verify_chain
from hub.db.connection import connect
from hub.inventory import ledger
from hub.sales.demo_history import DemoHistoryError, load_demo_history
from hub.setup import create_database
from hub.shifts import service as shifts
from tests.hubtest import FAST_KDF, make_demo_store, make_settings

TODAY = dt.date(2026, 10, 31)  # a Saturday at month-end, in the past whenever the tests run
DAYS = 21
SEED = 7
ZONE = zoneinfo.ZoneInfo("Africa/Harare")


def _local(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).astimezone(ZONE)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("history"))
    make_demo_store(settings, catalogue=True)
    started = time.perf_counter()
    counts = load_demo_history(settings.db_path, seed=SEED, days=DAYS, today=TODAY)
    print(f"\ndemo history: {DAYS} days loaded in {time.perf_counter() - started:.2f} s: {counts}")
    conn = connect(settings.db_path)
    yield conn, counts
    conn.close()


def _fingerprint(path: Path) -> list:
    conn = connect(path)
    try:
        sales = [tuple(r) for r in conn.execute(
            "SELECT s.invoice_number, s.currency, s.total, s.occurred_at, group_concat(t.method || t.provider"
            " || t.currency || t.amount || t.reference) FROM sales s JOIN sale_tenders t ON t.sale_id = s.id"
            " GROUP BY s.id ORDER BY s.occurred_at")]
        closes = [tuple(r) for r in conn.execute(
            "SELECT sh.opened_at, l.method, l.provider, l.currency, l.expected, l.counted FROM shift_close_lines l"
            " JOIN shifts sh ON sh.id = l.shift_id ORDER BY sh.opened_at, l.method, l.provider, l.currency")]
        levels = [tuple(r) for r in conn.execute(
            "SELECT p.sku, l.on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id ORDER BY p.sku")]
        return [sales, closes, levels]
    finally:
        conn.close()


def test_the_same_seed_gives_the_same_history(tmp_path):
    made = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        settings = make_settings(tmp_path / name)
        make_demo_store(settings, catalogue=True)
        load_demo_history(settings.db_path, seed=seed, days=3, today=TODAY)
        made.append(_fingerprint(settings.db_path))
    assert made[0][0] and made[0] == made[1]
    assert made[2] != made[0]


def test_three_tills_trade_every_day_in_both_currencies(store):
    conn, counts = store
    tills = {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM devices WHERE revoked_at IS NULL")}
    assert sorted(tills.values()) == ["T1", "T2", "T3"]
    assert counts["tills"] == 3
    sales = [dict(r) for r in conn.execute("SELECT * FROM sales")]
    assert len(sales) == counts["sales"] > 300
    assert {tills[s["device_id"]] for s in sales} == {"T1", "T2", "T3"}
    days = {_local(s["occurred_at"]).date() for s in sales}
    assert days == {TODAY - dt.timedelta(days=n) for n in range(DAYS)}
    assert {s["currency"] for s in sales} == {"USD", "ZWG"}
    for s in sales:  # trading hours in the store's time zone
        local = _local(s["occurred_at"]).time()
        assert dt.time(7, 30) <= local <= dt.time(19, 0), s["occurred_at"]
    per_day = Counter(_local(s["occurred_at"]).date() for s in sales)
    quiet = [n for d, n in per_day.items() if d.weekday() in (0, 1, 2) and d.day < 25]
    busy = [n for d, n in per_day.items() if d.weekday() in (4, 5) and d != TODAY]
    assert sum(busy) / len(busy) > sum(quiet) / len(quiet)
    # The sales invoice numbers follow each till's sequence; no duplicates raised.
    assert len({s["invoice_number"] for s in sales}) == len(sales)


def test_tenders_voids_discounts_exceptions_and_weighed_items(store):
    conn, _ = store
    tenders = [dict(r) for r in conn.execute(
        "SELECT t.*, s.currency AS receipt FROM sale_tenders t JOIN sales s ON s.id = t.sale_id")]
    assert {t["method"] for t in tenders} == {"cash", "card", "mobile_money"}
    assert {t["provider"] for t in tenders if t["method"] == "mobile_money"} == {"EcoCash", "OneMoney", "InnBucks"}
    assert all(t["reference"] for t in tenders if t["method"] != "cash")
    assert {(t["currency"], t["method"]) for t in tenders} >= {("USD", "mobile_money"), ("ZWG", "mobile_money"),
                                                               ("USD", "cash"), ("ZWG", "cash")}
    foreign = [t for t in tenders if t["method"] == "cash" and t["currency"] != t["receipt"]]
    assert foreign
    assert conn.execute("SELECT count(*) FROM sale_change c JOIN sales s ON s.id = c.sale_id"
                        " WHERE c.currency != s.currency").fetchone()[0] > 0
    voids = [dict(r) for r in conn.execute("SELECT * FROM sale_voids")]
    assert voids and all(v["reason"] for v in voids)
    supervisor = conn.execute("SELECT id FROM users WHERE username = 'supervisor'").fetchone()[0]
    approved = conn.execute("SELECT count(*) FROM sale_line_discounts WHERE approved_by = ?",
                            (supervisor,)).fetchone()[0]
    assert approved > 0
    kinds = {r[0] for r in conn.execute("SELECT kind FROM exceptions")}
    assert {"price_mismatch", "unapproved_discount"} <= kinds
    assert "unknown_shift" not in kinds and "closed_shift" not in kinds
    weighed = conn.execute("SELECT count(*) FROM sale_lines l JOIN products p ON p.id = l.product_id"
                           " WHERE p.sold_by_weight = 1 AND l.quantity % 1000 != 0").fetchone()[0]
    assert weighed > 0
    # ZWG receipts are priced at the catalogue's exchange rate: no price mismatch but the overrides.
    mismatched = conn.execute("SELECT count(*) FROM exceptions WHERE kind = 'price_mismatch'").fetchone()[0]
    assert mismatched < 0.05 * conn.execute("SELECT count(*) FROM sales").fetchone()[0]


def test_shifts_are_closed_except_todays(store):
    conn, counts = store
    rows = [dict(r) for r in conn.execute("SELECT s.*, d.name AS till FROM shifts s JOIN devices d"
                                          " ON d.id = s.device_id")]
    assert len(rows) == counts["shifts"]
    for row in rows:
        opened = _local(row["opened_at"]).date()
        assert row["status"] == ("open" if opened == TODAY else "closed"), row
    assert {r["till"] for r in rows if r["status"] == "open"} == {"T1", "T2", "T3"}
    assert conn.execute("SELECT count(*) FROM sales WHERE shift_id IS NULL").fetchone()[0] == 0
    moves = Counter(r[0] for r in conn.execute("SELECT kind FROM cash_movements"))
    assert moves["pay_out"] > 0 and moves["safe_drop"] > 0


def test_each_shifts_expected_cash_is_its_float_cash_sales_and_movements(store):
    conn, _ = store
    variances = []
    for shift in [dict(r) for r in conn.execute("SELECT id, status FROM shifts")]:
        want: dict[str, int] = defaultdict(int)
        for currency, amount in conn.execute("SELECT currency, amount FROM shift_floats WHERE shift_id = ?",
                                             (shift["id"],)):
            want[currency] += amount
        for currency, amount in conn.execute(
                "SELECT t.currency, t.amount FROM sale_tenders t JOIN sales s ON s.id = t.sale_id WHERE"
                " s.shift_id = ? AND t.method = 'cash' AND s.id NOT IN (SELECT sale_id FROM sale_voids)",
                (shift["id"],)):
            want[currency] += amount
        for currency, amount in conn.execute(
                "SELECT c.currency, c.amount FROM sale_change c JOIN sales s ON s.id = c.sale_id WHERE"
                " s.shift_id = ? AND s.id NOT IN (SELECT sale_id FROM sale_voids)", (shift["id"],)):
            want[currency] -= amount
        for kind, currency, amount in conn.execute(
                "SELECT kind, currency, amount FROM cash_movements WHERE shift_id = ?", (shift["id"],)):
            want[currency] += amount if kind == "pay_in" else -amount
        if shift["status"] == "closed":
            report = shifts.close_report(conn, shift["id"])
            lines = [ln for ln in report["close_lines"] if ln["method"] == "cash"]
            variances += [ln["variance"] for ln in lines]
            assert all(ln["counted"] - ln["expected"] == ln["variance"] for ln in lines)
        else:
            report = shifts.x_report(conn, shift["id"])
        expected = {line["currency"]: line["expected"] for line in report["cash"]}
        assert expected == {c: v for c, v in want.items() if c in expected}, shift
        assert all(v == 0 for c, v in want.items() if c not in expected)
        assert all(v >= 0 for v in expected.values())
    assert any(variances) and all(abs(v) <= 1000 for v in variances)  # small, realistic variances


def test_stock_reconciles_and_stays_mostly_positive(store):
    conn, counts = store
    assert ledger.check(conn) == []
    assert counts["goods_receipts"] >= 2
    assert conn.execute("SELECT count(*) FROM goods_receipts WHERE status = 'posted'").fetchone()[0] \
        == counts["goods_receipts"]
    sold = conn.execute("SELECT count(DISTINCT product_id) FROM stock_movements WHERE kind = 'sale'").fetchone()[0]
    negative = conn.execute("SELECT count(*) FROM stock_levels WHERE on_hand < 0").fetchone()[0]
    assert sold > 100 and negative <= sold // 20
    assert conn.execute("SELECT count(*) FROM exceptions WHERE kind = 'negative_stock'").fetchone()[0] \
        <= counts["sales"] // 20


def test_the_audit_chain_verifies_and_the_time_floor_is_back(store):
    conn, _ = store
    report = verify_chain(conn)
    assert report.ok, report
    floor = conn.execute("SELECT value FROM meta WHERE key = 'time_floor'").fetchone()[0]
    latest = conn.execute("SELECT max(at) FROM audit_log").fetchone()[0]
    assert floor >= latest
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'sales.demo_history_loaded'").fetchone()[0] == 1


def test_refuses_a_real_store_and_a_second_load(tmp_path, store):
    path = tmp_path / "real" / "hub.db"
    create_database(path, store_name="Real Store", store_code="REAL", timezone="Africa/Harare",
                    hasher=SecretHasher(FAST_KDF["kdf_time_cost"], FAST_KDF["kdf_memory_kib"]),
                    admin_username="owner", admin_password="a-long-enough-Passw0rd!")
    with pytest.raises(DemoHistoryError, match="demo store"):
        load_demo_history(path, seed=1, days=2, today=TODAY)
    conn = connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM devices").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0
    finally:
        conn.close()
    loaded, _ = store
    with pytest.raises(DemoHistoryError, match="already"):
        load_demo_history(loaded, seed=1, days=2, today=TODAY)
    empty = make_settings(tmp_path / "empty")
    make_demo_store(empty)
    with pytest.raises(DemoHistoryError, match="catalogue first"):
        load_demo_history(empty.db_path, seed=1, days=2, today=TODAY)
    with pytest.raises(DemoHistoryError, match="later"):
        load_demo_history(empty.db_path, seed=1, days=2, today=dt.date.today() + dt.timedelta(days=3))


def test_only_a_demo_store_pairs_a_till_without_a_license_seat(tmp_path):
    from hub.db import users as user_rows
    from hub.db.audit import Actor
    from hub.db.connection import transaction
    from hub.devices import service as devices
    from hub.errors import PermissionDeniedError

    path = tmp_path / "real" / "hub.db"
    create_database(path, store_name="Real Store", store_code="REAL", timezone="Africa/Harare",
                    hasher=SecretHasher(FAST_KDF["kdf_time_cost"], FAST_KDF["kdf_memory_kib"]),
                    admin_username="owner", admin_password="a-long-enough-Passw0rd!")
    conn = connect(path)
    try:
        owner = user_rows.get_user_by_username(conn, "owner")
        with pytest.raises(PermissionDeniedError, match="only a demo store"), transaction(conn):
            code = devices.create_pairing_code(conn, Actor(user_id=owner["id"], username="owner"))["code"]
            devices.pair(conn, devices.normalise_code(code), name="Till", platform="android", app_version="1",
                         serial=None, address=None, request_id=None, demo_seatless=True)
        assert conn.execute("SELECT count(*) FROM devices").fetchone()[0] == 0
    finally:
        conn.close()
