"""Migration 0006 on a store made before the stock ledger: its pending opening stock becomes
`opening` movements (who entered it, when), the first levels, change rows and one audit entry."""

from __future__ import annotations

import json

from hub.catalogue.seed import seed_reference_data
from hub.db.audit import Actor, verify_chain
from hub.db.connection import connect, transaction
from hub.db.migrations import migrate
from hub.inventory import check

ENTERED = "2025-02-03T10:00:00.000000Z"


def _product(conn, product_id, sku):
    unit = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
    tax = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
    conn.execute("INSERT INTO products (id, sku, name, unit_id, tax_class_id, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (product_id, sku, sku, unit, tax, ENTERED, ENTERED))


def test_pending_opening_stock_is_posted_to_the_ledger_and_the_pending_table_goes(tmp_path):
    conn = connect(tmp_path / "hub.db")
    try:
        migrate(conn, target=5)
        with transaction(conn):
            seed_reference_data(conn, Actor.system("test"))
            conn.execute("INSERT INTO roles (id, name, created_at, updated_at) VALUES ('r1', 'admin', ?, ?)",
                         (ENTERED, ENTERED))
            conn.execute("INSERT INTO users (id, username, display_name, role_id, created_at, updated_at)"
                         " VALUES ('u1', 'grace', 'Grace', 'r1', ?, ?)", (ENTERED, ENTERED))
            _product(conn, "p-bread", "BREAD")
            _product(conn, "p-milk", "MILK")
            _product(conn, "p-none", "NONE")
            conn.execute("INSERT INTO opening_stock_pending (id, product_id, quantity, unit_cost, entered_by,"
                         " entered_at, note) VALUES ('o1', 'p-bread', 24000, 95, 'grace', ?, 'shelf count')",
                         (ENTERED,))
            conn.execute("INSERT INTO opening_stock_pending (id, product_id, quantity, unit_cost, entered_by,"
                         " entered_at) VALUES ('o2', 'p-milk', 1500, 333, 'import', ?)", (ENTERED,))
        migrate(conn)

        movements = [dict(r) for r in conn.execute(
            "SELECT kind, product_id, quantity, unit_cost, source_type, source_id, user_id, username,"
            " occurred_at, note FROM stock_movements ORDER BY product_id")]
        assert movements == [
            {"kind": "opening", "product_id": "p-bread", "quantity": 24000, "unit_cost": 95, "source_type": "product",
             "source_id": "p-bread", "user_id": "u1", "username": "grace", "occurred_at": ENTERED,
             "note": "shelf count"},
            {"kind": "opening", "product_id": "p-milk", "quantity": 1500, "unit_cost": 333, "source_type": "product",
             "source_id": "p-milk", "user_id": None, "username": "import", "occurred_at": ENTERED, "note": ""},
        ]
        levels = {r[0]: tuple(r[1:]) for r in conn.execute(
            "SELECT product_id, on_hand, avg_cost, value, version FROM stock_levels")}
        assert levels == {"p-bread": (24000, 95, 2280, 1), "p-milk": (1500, 333, 500, 1)}  # 499.5 rounds up
        assert check(conn) == []  # the migration's arithmetic is the projection's
        feed = [(r[0], json.loads(r[1])) for r in conn.execute(
            "SELECT entity_id, data FROM changes WHERE entity = 'stock_level' ORDER BY entity_id")]
        assert feed == [("p-bread", {"product_id": "p-bread", "on_hand": 24000}),
                        ("p-milk", {"product_id": "p-milk", "on_hand": 1500})]
        [entry] = conn.execute("SELECT username, action, summary FROM audit_log"
                               " WHERE action = 'stock.opening_posted'").fetchall()
        detail = json.loads(entry["summary"])["detail"]
        assert entry["username"] == "upgrade" and detail["products"] == 2
        assert {m["product_id"]: (m["quantity"], m["unit_cost"], m["entered_by"]) for m in detail["movements"]} == {
            "p-bread": (24000, 95, "grace"), "p-milk": (1500, 333, "import")}
        assert verify_chain(conn).ok
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'opening_stock_pending'").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_store_with_nothing_pending_gets_an_empty_ledger_and_no_audit_entry(tmp_path):
    conn = connect(tmp_path / "hub.db")
    try:
        migrate(conn)
        assert conn.execute("SELECT count(*) FROM stock_movements").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
        kinds = {r[0]: r[1] for r in conn.execute("SELECT kind, direction FROM stock_movement_kinds")}
        assert kinds["count"] == "level" and kinds["sale"] == "out" and kinds["opening"] == "in"
    finally:
        conn.close()
