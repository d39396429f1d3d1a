"""The till's own database: feed batches, the snapshot swap, the outbox, offline sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher

from reftill.store import LocalStore
from reftill.sync import stamp
from reftill.till import LoginError, Till, utc_now

PRODUCT = {"id": "p1", "name": "Bread", "sku": "BRD-1", "active": True, "archived_at": None,
           "barcodes": [{"code": "600100", "pack_quantity": 1000}, {"code": "600112", "pack_quantity": 12000}],
           "effective_prices": {"USD": 100}, "tax_class_id": None}


def change(entity, id_, data, op="upsert", version=1):
    return {"entity": entity, "id": id_, "version": version, "op": op, "data": data}


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "till.db")
    yield s
    s.close()


def test_a_feed_batch_applies_with_its_cursor_and_keeps_the_code_index_current(store):
    store.apply_changes([change("product", "p1", PRODUCT)], {"cursor": "e1:5"})
    assert store.product_for_code("600112") == (PRODUCT, 12000)
    assert store.product_for_code("BRD-1")[1] == 1000
    renamed = {**PRODUCT, "barcodes": [{"code": "600200", "pack_quantity": 1000}], "version": 2}
    store.apply_changes([change("product", "p1", renamed, version=2)], {"cursor": "e1:6"})
    assert store.product_for_code("600112") is None and store.product_for_code("600200")[0]["version"] == 2
    store.apply_changes([change("product", "p1", None, op="delete", version=3)], {"cursor": "e1:7"})
    assert store.product_for_code("600200") is None and store.get("cursor") == "e1:7"


def test_a_batch_that_fails_half_way_changes_nothing(store):
    store.apply_changes([change("product", "p1", PRODUCT)], {"cursor": "e1:5"})
    with pytest.raises(KeyError):
        store.apply_changes([change("product", "p2", {**PRODUCT, "id": "p2", "sku": "X"}), {"entity": "product"}],
                            {"cursor": "e1:9"})
    assert store.row("product", "p2") is None and store.get("cursor") == "e1:5"


def test_a_snapshot_is_swapped_in_whole_or_not_at_all(store):
    store.apply_changes([change("product", "p1", PRODUCT)], {"cursor": "e1:5"})

    def cut_off():
        yield change("product", "p9", {**PRODUCT, "id": "p9", "sku": "NEW"})
        raise ConnectionError("the download broke")

    with pytest.raises(ConnectionError):
        store.replace_reference(cut_off(), {"cursor": "e2:1"})
    assert store.row("product", "p1") is not None and store.row("product", "p9") is None
    assert store.get("cursor") == "e1:5" and store.product_for_code("BRD-1")
    store.replace_reference(iter([change("product", "p9", {**PRODUCT, "id": "p9", "sku": "NEW", "barcodes": []})]),
                            {"cursor": "e2:1"})
    assert store.row("product", "p1") is None and store.product_for_code("NEW")[0]["id"] == "p9"
    assert store.product_for_code("BRD-1") is None and store.get("cursor") == "e2:1"


def paired_till(tmp_path) -> Till:
    """A till as pairing leaves it (the hub's answer written to its store), with no hub to call."""
    store = LocalStore(tmp_path / "till" / "till.db")
    for key, value in {"hub_url": "https://127.0.0.1:9", "key_pin": "x", "device_id": "d1",
                       "device_token": "t", "device_name": "Till 1"}.items():
        store.set(key, value)
    verifier = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("2468")
    store.apply_changes([
        change("role", "r1", {"id": "r1", "permissions": ["sales.sell"]}),
        change("role", "r2", {"id": "r2", "permissions": ["inventory.count"]}),
        change("user", "u1", {"id": "u1", "username": "mary", "role_id": "r1", "pin": {"verifier": verifier}}),
        change("user", "u2", {"id": "u2", "username": "tom", "role_id": "r2", "pin": {"verifier": verifier}}),
        change("product", "p1", PRODUCT),
    ], {"cursor": "e1:9"})
    store.close()
    return Till(tmp_path / "till")


def test_offline_sign_in_checks_the_pin_against_the_verifier_and_the_role(tmp_path):
    till = paired_till(tmp_path)
    try:
        with pytest.raises(LoginError):
            till.login_offline("mary", "1357")
        with pytest.raises(LoginError):
            till.login_offline("tom", "2468")  # may not sell
        with pytest.raises(LoginError):
            till.login_offline("nobody", "2468")
        assert till.login("mary", "2468") == "offline"  # the hub does not answer
        till.store.apply_changes([change("user", "u1", None, op="delete")], {"cursor": "e1:10"})  # deactivated
        till.logout()
        with pytest.raises(LoginError):
            till.login_offline("mary", "2468")
    finally:
        till.close()


def test_facts_are_gap_free_durable_and_wait_for_the_hubs_acknowledgement(tmp_path):
    till = paired_till(tmp_path)
    try:
        till.login_offline("mary", "2468")
        shift = till.open_shift({"USD": 1000})
        sales = [till.sell([("600100", None)]), till.sell([("600112", None)], method="card")]
        facts = till.store.facts_from(1, 10)
        assert [(f["device_seq"], f["type"]) for f in facts] == [(1, "shift.open"), (2, "sale"), (3, "sale")]
        assert {f["user_id"] for f in facts} == {"u1"} and {f["shift_id"] for f in facts} == {shift}
        assert [s["sequence"] for s in sales] == [1, 2] and sales[1]["total"] == 1200
        assert till.expected_cash(shift) == {"USD": 1100}
        assert till.store.unacked() == (3, 1)
        till.store.mark_acked(2, stamp(utc_now()), {})
        assert till.store.unacked() == (1, 3)
        assert till.store.reopen_from(2) == 2 and till.store.unacked() == (2, 2)
        assert till.prune() == 0  # acknowledged just now: kept for a hub restored from a backup
        assert till.prune(dt.timedelta(0)) == 0  # all of the open shift
        till.close_shift()
        assert till.prune(dt.timedelta(0)) == 1 and till.store.first_seq() == 2  # the acknowledged one
        assert till.store.facts("shift.close")[0]["payload"]["counted"] == [{"currency": "USD", "amount": 1100}]
    finally:
        till.close()
    again = Till(tmp_path / "till")  # a restart keeps the queue and the invoice counter
    try:
        assert again.store.unacked()[0] == 3 and again.store.get("invoice_seq") == 2 and again.shift_id is None
    finally:
        again.close()
