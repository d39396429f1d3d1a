"""The stock ledger on a real database: append-only movements, one function that moves stock, a
projection kept in the same transaction, duplicates ignored, negative stock allowed and flagged,
counts as baselines, and rebuild/check proving the projection against the movements."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hub.db.connection import transaction
from hub.errors import FieldErrors
from hub.inventory import Line, Source, check, move, post, rebuild
from hub.inventory.ledger import EventReusedError, NotStockTrackedError, UnknownProductError
from tests.inventory.store import CLERK, TILL, add_product, moved, on_hand, open_store

T0 = "2024-03-01T08:00:00.000000Z"
T1 = "2024-03-01T09:00:00.000000Z"
T2 = "2024-03-01T10:00:00.000000Z"
T3 = "2024-03-01T11:00:00.000000Z"


@pytest.fixture
def conn(tmp_path):
    connection = open_store(tmp_path / "hub.db")
    yield connection
    connection.close()


def level(conn, product_id):
    return dict(conn.execute("SELECT * FROM stock_levels WHERE product_id = ?", (product_id,)).fetchone())


def test_a_movement_is_appended_with_who_when_and_its_source_and_the_level_follows(conn):
    product = add_product(conn)
    done = moved(conn, product, "receipt", 12000, unit_cost=150, actor=TILL,
                 source=Source("goods_receipt", "grn-1", 3), note="first delivery", occurred_at=T1)
    row = dict(conn.execute("SELECT * FROM stock_movements").fetchone())
    assert row["kind"] == "receipt" and row["quantity"] == 12000 and row["unit_cost"] == 150
    assert (row["source_type"], row["source_id"], row["source_line"]) == ("goods_receipt", "grn-1", 3)
    assert (row["user_id"], row["username"], row["device_id"]) == ("user-2", "cashier", "till-1")
    assert row["occurred_at"] == T1 and row["recorded_at"] >= T1 and row["note"] == "first delivery"
    assert done["applied"] and not done["duplicate"] and done["movement"]["id"] == row["id"]
    assert level(conn, product)["on_hand"] == 12000 and level(conn, product)["value"] == 1800
    feed = conn.execute("SELECT entity, entity_id, version, data FROM changes WHERE entity = 'stock_level'").fetchall()
    assert [(f[0], f[1], f[2], json.loads(f[3])) for f in feed] == [
        ("stock_level", product, 1, {"product_id": product, "on_hand": 12000})]  # no cost for tills


def test_movements_refuse_update_and_delete(conn):
    product = add_product(conn)
    moved(conn, product, "opening", 5000, unit_cost=100)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE stock_movements SET quantity = 9000")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM stock_movements")
    assert conn.execute("SELECT quantity FROM stock_movements").fetchone()[0] == 5000


def test_negative_stock_is_allowed_and_flagged(conn):
    product = add_product(conn)
    moved(conn, product, "opening", 2000, unit_cost=100)
    done = moved(conn, product, "sale", -5000, actor=TILL)
    assert done["level"]["on_hand"] == -3000 and done["level"]["value"] == -300
    assert done["movement"]["unit_cost"] == 100  # it left at the average cost
    flagged = conn.execute("SELECT product_id FROM stock_levels INDEXED BY stock_levels_negative"
                           " WHERE on_hand < 0").fetchall()
    assert [r[0] for r in flagged] == [product]


def test_a_duplicate_event_is_a_no_op_and_a_reused_one_is_refused(conn):
    product = add_product(conn)
    first = moved(conn, product, "sale", -1000, actor=TILL, event_id="ev-1", source=Source("sale", "s-1", 0))
    again = moved(conn, product, "sale", -1000, actor=TILL, event_id="ev-1", source=Source("sale", "s-1", 0))
    assert again["duplicate"] and again["movement"]["id"] == first["movement"]["id"]
    other_line = moved(conn, product, "sale", -1000, actor=TILL, event_id="ev-1", source=Source("sale", "s-1", 1))
    assert not other_line["duplicate"]  # the same fact's next line is a movement of its own
    assert on_hand(conn, product) == -2000
    assert conn.execute("SELECT count(*) FROM stock_movements").fetchone()[0] == 2
    with pytest.raises(EventReusedError):
        moved(conn, product, "sale", -4000, actor=TILL, event_id="ev-1", source=Source("sale", "s-1", 0))
    with pytest.raises(sqlite3.IntegrityError):  # the database holds the rule too
        with transaction(conn):
            conn.execute("INSERT INTO stock_movements (id, kind, product_id, quantity, source_type, occurred_at,"
                         " recorded_at, event_id, source_line) SELECT 'x', kind, product_id, quantity,"
                         " source_type, occurred_at, recorded_at, event_id, source_line FROM stock_movements"
                         " LIMIT 1")


@pytest.mark.parametrize("kind, quantity, field", [
    ("sale", 1000, "quantity"),  # a sale takes stock out
    ("receipt", -1000, "quantity"),
    ("adjustment", 0, "quantity"),
    ("count", -1, "quantity"),
    ("receipt", 10**9 + 1, "quantity"),
    ("receipt", 1.5, "quantity"),
    ("teleport", 1000, "kind"),
])
def test_malformed_movements_are_refused_naming_the_field_and_write_nothing(conn, kind, quantity, field):
    product = add_product(conn)
    with pytest.raises(FieldErrors) as err:
        moved(conn, product, kind, quantity)
    assert field in [e["field"] for e in err.value.errors]
    assert conn.execute("SELECT count(*) FROM stock_movements").fetchone()[0] == 0


def test_unknown_and_untracked_products_and_bad_costs_and_times_are_refused(conn):
    with pytest.raises(UnknownProductError):
        moved(conn, "no-such-product", "receipt", 1000)
    with pytest.raises(NotStockTrackedError):
        moved(conn, add_product(conn, tracked=False), "receipt", 1000)
    product = add_product(conn)
    with pytest.raises(FieldErrors, match="unit_cost"):
        moved(conn, product, "receipt", 1000, unit_cost=-5)
    with pytest.raises(FieldErrors, match="occurred_at"):
        moved(conn, product, "receipt", 1000, occurred_at="yesterday")
    assert conn.execute("SELECT count(*) FROM stock_movements").fetchone()[0] == 0


def test_a_time_ahead_of_the_hub_is_recorded_as_the_hub_time(conn):
    product = add_product(conn)
    done = moved(conn, product, "receipt", 1000, occurred_at="2999-01-01T00:00:00.000000Z")
    assert done["movement"]["occurred_at"] == done["movement"]["recorded_at"] < "2999"


def test_the_average_cost_is_weighted_and_rounded_half_up(conn):
    product = add_product(conn)
    moved(conn, product, "opening", 7000, unit_cost=250)
    moved(conn, product, "receipt", 5000, unit_cost=300)  # (7 x 250 + 5 x 300) / 12 = 270.83
    assert (level(conn, product)["avg_cost"], level(conn, product)["value"]) == (271, 3252)
    moved(conn, product, "sale", -12000)  # outbound: the average stays
    moved(conn, product, "sale", -1000)
    moved(conn, product, "receipt", 4000, unit_cost=400)  # from below zero: the new cost
    assert (level(conn, product)["on_hand"], level(conn, product)["avg_cost"]) == (3000, 400)
    moved(conn, product, "refund", 1000)  # no cost given: back at the average, which stays
    assert level(conn, product)["avg_cost"] == 400


def test_a_count_is_a_baseline_late_movements_before_it_do_not_move_stock_twice(conn):
    product = add_product(conn)
    moved(conn, product, "opening", 10000, unit_cost=100, occurred_at=T0)
    moved(conn, product, "sale", -1000, actor=TILL, occurred_at=T2)  # after the count below
    counted = moved(conn, product, "count", 6000, occurred_at=T1)
    assert counted["applied"] and on_hand(conn, product) == 5000  # 6 counted, 1 sold since
    late = moved(conn, product, "sale", -2000, actor=TILL, occurred_at="2024-03-01T08:30:00.000000Z")
    assert not late["applied"] and on_hand(conn, product) == 5000  # sold before the count: counted already
    older = moved(conn, product, "count", 9000, occurred_at=T0)
    assert not older["applied"] and on_hand(conn, product) == 5000
    moved(conn, product, "receipt", 3000, unit_cost=100, occurred_at=T3)
    assert on_hand(conn, product) == 8000
    assert check(conn) == []


def test_post_moves_every_line_of_a_document_or_names_the_bad_line(conn):
    a, b = add_product(conn), add_product(conn)
    with transaction(conn):
        done = post(conn, [Line("receipt", a, 2000, 100), Line("receipt", b, 3000, 200)],
                    source_type="goods_receipt", source_id="grn-7", actor=CLERK)
    assert [d["movement"]["source_line"] for d in done] == [0, 1]
    with pytest.raises(FieldErrors) as err:
        with transaction(conn):
            post(conn, [Line("receipt", a, 1000, 100), Line("receipt", b, 0, 100)],
                 source_type="goods_receipt", source_id="grn-8", actor=CLERK)
    assert err.value.errors[0]["field"] == "lines[1].quantity"
    assert (on_hand(conn, a), on_hand(conn, b)) == (2000, 3000)  # the whole document rolled back


def test_a_document_writes_one_change_row_per_product_at_its_final_level(conn):
    a, b = add_product(conn), add_product(conn)
    with transaction(conn):  # a on three lines (three shelves of a delivery), b on one
        post(conn, [Line("receipt", a, 2000, 100), Line("receipt", b, 3000, 200), Line("receipt", a, 1000, 100),
                    Line("receipt", a, 4000, 100)], source_type="goods_receipt", source_id="grn-9", actor=CLERK,
             event_id="0190a000-0000-7000-8000-000000000009")
    feed = [(r[0], r[1], json.loads(r[2])) for r in conn.execute(
        "SELECT entity_id, version, data FROM changes WHERE entity = 'stock_level' ORDER BY seq")]
    assert feed == [(a, level(conn, a)["version"], {"product_id": a, "on_hand": 7000}),
                    (b, level(conn, b)["version"], {"product_id": b, "on_hand": 3000})]
    assert level(conn, a)["version"] == 3  # the level still moved three times
    with transaction(conn):  # the same document again: nothing moves, nothing is announced
        again = post(conn, [Line("receipt", a, 2000, 100), Line("receipt", b, 3000, 200)],
                     source_type="goods_receipt", source_id="grn-9", actor=CLERK,
                     event_id="0190a000-0000-7000-8000-000000000009")
    assert all(d["duplicate"] for d in again)
    assert conn.execute("SELECT count(*) FROM changes WHERE entity = 'stock_level'").fetchone()[0] == 2
    assert check(conn) == []


def test_check_finds_a_tampered_projection_and_rebuild_restores_it(conn):
    a, b, c = add_product(conn), add_product(conn), add_product(conn)
    moved(conn, a, "opening", 5000, unit_cost=120)
    moved(conn, a, "sale", -2000)
    moved(conn, b, "opening", 1000, unit_cost=80)
    assert check(conn) == []
    with transaction(conn):
        conn.execute("UPDATE stock_levels SET on_hand = 99000 WHERE product_id = ?", (a,))
        conn.execute("UPDATE stock_levels SET avg_cost = 1, value = 1 WHERE product_id = ?", (b,))
        conn.execute("INSERT INTO stock_levels (product_id, on_hand, last_seq, last_recorded_at, updated_at)"
                     " VALUES (?, 4000, 1, ?, ?)", (c, T0, T0))
    found = {(d.product_id, d.field) for d in check(conn)}
    assert found == {(a, "on_hand"), (b, "avg_cost"), (b, "value"), (c, "level")}
    versions = {r[0]: r[1] for r in conn.execute("SELECT product_id, version FROM stock_levels")}
    with transaction(conn):
        report = rebuild(conn)
    assert sorted(report["changed"]) == sorted([a, b, c]) and report["movements"] == 3
    assert check(conn) == []
    assert (on_hand(conn, a), level(conn, b)["avg_cost"], on_hand(conn, c)) == (3000, 80, None)
    assert level(conn, a)["version"] == versions[a] + 1  # tills hear of the corrected level
    with transaction(conn):
        assert rebuild(conn)["changed"] == []  # nothing left to correct


def test_a_level_equals_a_rebuild_after_every_movement(conn):
    product = add_product(conn)
    for kind, quantity, cost in (("opening", 4000, 90), ("sale", -1500, None), ("receipt", 6000, 110),
                                 ("adjustment", -250, None), ("count", 7000, None), ("transfer_in", 500, 130),
                                 ("supplier_return", -1000, 110), ("void", 1500, None)):
        moved(conn, product, kind, quantity, unit_cost=cost)
        before = level(conn, product)
        with transaction(conn):
            assert rebuild(conn)["changed"] == []
        assert level(conn, product) == before


def test_a_document_moves_stock_as_its_lines_would_one_by_one(tmp_path):
    """`post` works a plain document out in memory and writes it at once; what it records and
    returns is what `move` gives line by line: levels, versions, costs, the feed, and a line
    the latest count already holds."""
    stores = {name: open_store(tmp_path / f"{name}.db") for name in ("document", "lines")}
    got = {}
    for name, conn in stores.items():
        a, b, c = add_product(conn), add_product(conn), add_product(conn)
        moved(conn, a, "opening", 5000, unit_cost=120, occurred_at=T0)
        moved(conn, c, "count", 4000, occurred_at=T2)
        lines = [Line("receipt", a, 2000, 150), Line("sale", b, -1500), Line("sale", a, -3000, line=7),
                 Line("receipt", a, 1000, 90, note="second shelf"), Line("sale", c, -500, occurred_at=T1),
                 Line("void", b, 500)]
        with transaction(conn):
            if name == "document":
                done = post(conn, lines, source_type="goods_receipt", source_id="doc-2", actor=TILL,
                            occurred_at=T3, event_id="0190a000-0000-7000-8000-00000000000a")
            else:
                done = [move(conn, kind=ln.kind, product_id=ln.product_id, quantity=ln.quantity,
                             unit_cost=ln.unit_cost, note=ln.note, actor=TILL, occurred_at=ln.occurred_at or T3,
                             event_id="0190a000-0000-7000-8000-00000000000a",
                             source=Source("goods_receipt", "doc-2", ln.line if ln.line is not None else i))
                        for i, ln in enumerate(lines)]
        names = {a: "a", b: "b", c: "c"}
        stamps = ("id", "baseline_id", "recorded_at", "last_recorded_at", "updated_at")  # differ by store
        got[name] = {
            "done": [({k: names.get(v, v) for k, v in d["movement"].items() if k not in stamps},
                      {k: names.get(v, v) for k, v in d["level"].items() if k not in stamps},
                      d["applied"], d["duplicate"]) for d in done],
            "levels": [tuple(names.get(v, v) for v in r) for r in conn.execute(
                "SELECT product_id, on_hand, avg_cost, value, baseline_at, last_seq, version FROM stock_levels")],
            "feed": [(names[r[0]], r[1], r[2].replace(r[0], names[r[0]])) for r in conn.execute(
                "SELECT entity_id, version, data FROM changes WHERE entity = 'stock_level' ORDER BY seq")],
        }
        assert check(conn) == []
    document, one_by_one = got["document"], got["lines"]
    assert document["done"] == one_by_one["done"] and document["levels"] == one_by_one["levels"]
    assert [d[2] for d in document["done"]] == [True, True, True, True, False, True]  # c's line: the count holds it
    assert document["done"][2][0]["unit_cost"] == 129 and document["done"][2][0]["source_line"] == 7
    # The document announces each product once, at its final level; line by line announces every step.
    assert document["feed"][-3:] == [one_by_one["feed"][i] for i in (-3, -1, -2)]
    for conn in stores.values():
        conn.close()
