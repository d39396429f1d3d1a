"""`ingest_document` inside a caller's transaction, as till sync will call it (no server): an
applied document's movements and a queued one's row commit with the caller's own writes; a
document the service refuses part-way is queued whole, with nothing of the attempt left behind."""

from __future__ import annotations

import uuid

import pytest

from hub.db import roles, users
from hub.db import devices as device_rows
from hub.db.connection import transaction
from hub.errors import FieldErrors
from hub.inventory import ledger
from hub.inventory.unapplied.ingest import DocumentReusedError, ingest_document
from hub.inventory import Source, move
from tests.inventory.store import CLERK, add_product, moved, on_hand, open_store

CLOCK = "2026-03-02T09:15:00+02:00"


@pytest.fixture
def store(tmp_path):
    conn = open_store(tmp_path / "hub.db")
    with transaction(conn):
        role = roles.seed_builtin_roles(conn)["supervisor"]
        user = users.create_user(conn, username="sup", display_name="Sup", role_id=role["id"])
        _, device = device_rows.create_device(conn, name="Till 1", platform="android", app_version="1",
                                              serial=None, paired_by=None, license_id=None, address=None)
    yield conn, user["id"], device["id"]
    conn.close()


def doc(lines, **fields):
    return {"document_id": str(uuid.uuid4()), "kind": "adjustment", "device_clock": CLOCK,
            "reason_code": "damaged", "lines": lines, **fields}


def test_an_applied_document_commits_with_the_callers_own_writes(store):
    conn, user_id, device_id = store
    bread = add_product(conn)
    moved(conn, bread, "opening", 10000, unit_cost=100)
    with transaction(conn):
        move(conn, kind="adjustment", product_id=bread, quantity=-1000, actor=CLERK, source=Source("test", "batch"))
        out = ingest_document(conn, device_id=device_id, user_id=user_id,
                              document=doc([{"product_id": bread, "quantity": -2000}]))
    assert out["status"] == "applied" and out["applied_type"] == "adjustment"
    assert on_hand(conn, bread) == 7000
    assert ledger.check(conn) == []


def test_a_line_the_service_refuses_queues_the_whole_document_and_undoes_the_attempt(store):
    conn, user_id, device_id = store
    bread, milk = add_product(conn), add_product(conn)
    moved(conn, bread, "opening", 10000, unit_cost=100)
    moved(conn, milk, "opening", 10000, unit_cost=100)
    with transaction(conn):
        move(conn, kind="adjustment", product_id=milk, quantity=-1000, actor=CLERK, source=Source("test", "batch"))
        out = ingest_document(conn, device_id=device_id, user_id=user_id, document=doc([
            {"product_id": bread, "quantity": -2000},
            {"product_id": milk, "quantity": -1500}]))  # each is counted in whole units
    assert out["status"] == "queued" and out["reason"] == "line_refused"
    assert [f["line"] for f in out["failing"]] == [1] and "whole" in out["failing"][0]["message"]
    assert on_hand(conn, bread) == 10000 and on_hand(conn, milk) == 9000  # the caller's own move stands
    assert conn.execute("SELECT count(*) FROM adjustments").fetchone()[0] == 0
    assert conn.execute("SELECT status FROM device_documents").fetchall()[0][0] == "queued"
    assert ledger.check(conn) == []


def test_a_caller_rolling_back_takes_the_document_with_it_and_a_replay_then_applies(store):
    conn, user_id, device_id = store
    bread = add_product(conn)
    moved(conn, bread, "opening", 10000, unit_cost=100)
    body = doc([{"product_id": bread, "quantity": -1000}])
    with pytest.raises(RuntimeError):
        with transaction(conn):
            ingest_document(conn, device_id=device_id, user_id=user_id, document=body)
            raise RuntimeError("the batch failed later")
    assert on_hand(conn, bread) == 10000
    assert conn.execute("SELECT count(*) FROM device_documents").fetchone()[0] == 0
    with transaction(conn):
        assert ingest_document(conn, device_id=device_id, user_id=user_id, document=body)["replayed"] is False
    with transaction(conn):
        assert ingest_document(conn, device_id=device_id, user_id=user_id, document=body)["replayed"] is True
        with pytest.raises(DocumentReusedError):
            ingest_document(conn, device_id=device_id, user_id=user_id,
                            document={**body, "lines": [{"product_id": bread, "quantity": -9000}]})
    assert on_hand(conn, bread) == 9000
    with pytest.raises(FieldErrors):
        ingest_document(conn, device_id=device_id, user_id=user_id, document={**body, "lines": []})


def test_a_refusal_after_the_service_wrote_leaves_nothing_of_the_attempt(store, monkeypatch):
    """The attempt runs in a savepoint: a refusal raised after the adjustment and its movements
    were written (here, by reading it back) rolls all of them back, and the document is queued."""
    conn, user_id, device_id = store
    bread = add_product(conn)
    moved(conn, bread, "opening", 10000, unit_cost=100)
    from hub.errors import ConflictError
    from hub.inventory.adjustments import service as adjustments

    def refuse(*args, **kwargs):
        raise ConflictError("refused at the last step")

    monkeypatch.setattr(adjustments, "_shown", refuse)  # runs after the document and its movements
    with transaction(conn):
        out = ingest_document(conn, device_id=device_id, user_id=user_id,
                              document=doc([{"product_id": bread, "quantity": -2000}]))
    assert out["status"] == "queued" and out["reason"] == "refused" and "last step" in out["detail"]
    assert on_hand(conn, bread) == 10000
    assert conn.execute("SELECT count(*) FROM adjustments").fetchone()[0] == 0
    assert ledger.check(conn) == []
