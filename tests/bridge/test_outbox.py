"""The outbox (migration 24): triggers write one row per fact in the fact's own transaction,
the backfill finds the same facts, and each fact's data and hash are stable."""

from __future__ import annotations

import pytest

from cloud_bridge.link import fact_hash
from hub.bridge import outbox
from hub.db.connection import connect, transaction
from hub.db.migrations.m0024_bridge import backfill
from hub.db.migrations.m0030_bridge_product_local import backfill as backfill_products
from hub.sales.ingest import ingest_sale
from tests.hubtest import make_demo_store, make_settings
from tests.sales.build import cash, cashier, line, sale, till_store


@pytest.fixture
def store(tmp_path):
    conn, ids = till_store(tmp_path / "hub.db")
    yield conn, ids
    conn.close()


def rows(conn):
    return [dict(r) for r in conn.execute("SELECT seq, event_id, kind, ref FROM bridge_outbox ORDER BY seq")]


def test_a_sale_and_a_shift_each_write_their_outbox_rows_in_their_own_transaction(store):
    conn, ids = store
    before = rows(conn)
    assert [r["event_id"] for r in before] == [f"{ids['shift']}:open"]
    body = sale([line(1000)], [cash(1000)], shift_id=ids["shift"])
    with transaction(conn):
        ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
    after = rows(conn)
    assert [(r["kind"], r["event_id"]) for r in after[1:]] == [("sale", body["id"])]
    # A failed transaction leaves no outbox row behind.
    with pytest.raises(RuntimeError):
        with transaction(conn):
            ingest_sale(conn, sale([line(500)], [cash(500)], shift_id=ids["shift"], sequence=2),
                        device_id=ids["till"], caller=cashier(ids))
            raise RuntimeError("rolled back")
    assert rows(conn) == after
    with transaction(conn):
        conn.execute("UPDATE shifts SET status = 'closed', closed_at = updated_at WHERE id = ?", (ids["shift"],))
    assert rows(conn)[-1]["event_id"] == f"{ids['shift']}:closed"
    assert [r["seq"] for r in rows(conn)] == list(range(1, len(rows(conn)) + 1))  # contiguous


def test_a_training_sale_never_leaves_the_hub(store):
    conn, ids = store
    body = sale([line(1000)], [cash(1000)], shift_id=ids["shift"], training=True)
    with transaction(conn):
        ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
    assert body["id"] not in {r["event_id"] for r in rows(conn)}


def test_the_sale_fact_is_the_immutable_sale_and_its_hash_is_canonical(store):
    conn, ids = store
    body = sale([line(1000), line(250, 2000)], [cash(1500)], shift_id=ids["shift"])
    with transaction(conn):
        ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
    [fact] = [f for f in outbox.pending(conn, 0) if f["kind"] == "sale"]
    data = fact["data"]
    assert data["id"] == body["id"] and data["total"] == 1500 and data["currency"] == "USD"
    assert data["business_date"] == "2026-11-20" or len(data["business_date"]) == 10
    assert [ln["quantity"] for ln in data["lines"]] == [1000, 2000]
    assert data["tenders"][0]["amount"] == 1500
    assert "status" not in data and "body_hash" not in data
    assert fact["hash"] == fact_hash(data)
    # A void later does not change the sale's fact: it is a fact of its own.
    with transaction(conn):
        conn.execute("INSERT INTO sale_voids (id, sale_id, reason, occurred_at, recorded_at) VALUES "
                     "('v1', ?, 'test', ?, ?)", (body["id"], conn.stamp(), conn.stamp()))
    again = {f["event_id"]: f for f in outbox.pending(conn, 0)}
    assert again[body["id"]]["hash"] == fact["hash"]
    assert again["v1"]["kind"] == "void" and again["v1"]["data"]["sale_id"] == body["id"]


def test_batches_are_contiguous_and_bounded(store):
    conn, ids = store
    with transaction(conn):
        for n in range(30):
            ingest_sale(conn, sale([line(100)], [cash(100)], shift_id=ids["shift"], sequence=n + 1),
                        device_id=ids["till"], caller=cashier(ids))
    first = outbox.pending(conn, 0, limit=10)
    assert [f["seq"] for f in first] == list(range(1, 11))
    small = outbox.pending(conn, 0, max_bytes=1)
    assert len(small) == 1  # always at least one fact
    assert [f["seq"] for f in outbox.pending(conn, 25)] == list(range(26, 32))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("history") / "var")
    make_demo_store(settings, history=True)
    return settings.db_path


def test_the_backfill_finds_the_facts_the_triggers_wrote_and_every_kind_builds(history):
    conn = connect(history)
    try:
        by_trigger = {r["event_id"]: r["kind"] for r in conn.execute("SELECT event_id, kind FROM bridge_outbox")}
        kinds = set(by_trigger.values())
        assert {"sale", "void", "stock_movement", "shift", "cash_movement", "product_local"} <= kinds
        with transaction(conn):
            conn.execute("DELETE FROM bridge_outbox")
            conn.execute(backfill())
            conn.execute(backfill_products())  # migration 30: the store's products, each at its version
            by_backfill = {r["event_id"]: r["kind"] for r in conn.execute("SELECT event_id, kind FROM bridge_outbox")}
            facts = outbox.pending(conn, 0, limit=5000)
        assert by_backfill == by_trigger
        assert len(by_trigger) > 1000
        assert all("missing" not in f["data"] for f in facts)
        assert {f["kind"] for f in facts} <= kinds
        sold = conn.execute("SELECT count(*) FROM sales WHERE training = 0").fetchone()[0]
        assert sum(k == "sale" for k in by_trigger.values()) == sold
    finally:
        conn.close()


def test_every_fact_table_has_its_trigger_at_the_head_schema(history):
    conn = connect(history)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                            "AND name LIKE 'bridge_outbox_%'")}
    finally:
        conn.close()
    assert names == {f"bridge_outbox_{t}" for t in (
        "sales", "sale_voids", "sale_refunds", "sale_corrections", "stock_movements", "shifts",
        "cash_movements", "credit_ledger", "voucher_ledger", "shifts_status", "products_insert",
        "products_update")}
