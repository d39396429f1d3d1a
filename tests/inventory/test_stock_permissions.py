"""The stock permissions reach the built-in roles of a store made before they existed, once."""

from __future__ import annotations

import json

from hub.auth.permissions import PERMISSIONS
from hub.db import meta, roles
from hub.db.connection import connect, transaction

STOCK = {"inventory.view", "inventory.adjust", "inventory.receive", "inventory.count", "inventory.approve",
         "inventory.transfer", "purchasing.manage"}


def test_a_store_from_before_the_ledger_gets_the_stock_permissions_on_upgrade(settings, demo_store):
    assert STOCK <= set(PERMISSIONS)
    conn = connect(settings.db_path)
    try:
        with transaction(conn):  # as a store made before this release was
            for name in ("admin", "manager", "supervisor", "cashier"):
                role = roles.get_role_by_name(conn, name)
                roles.update_role(conn, role["id"], permissions=set(role["permissions"]) - STOCK)
            meta.put(conn, roles.KNOWN_PERMISSIONS_KEY, json.dumps(sorted(set(PERMISSIONS) - STOCK)))
        with transaction(conn):
            granted = roles.introduce_new_permissions(conn)
        assert set(granted["admin"]) == set(granted["manager"]) == STOCK
        assert set(granted["supervisor"]) == {"inventory.view", "inventory.adjust", "inventory.receive",
                                              "inventory.count"}
        assert granted["cashier"] == ["inventory.count"]
        with transaction(conn):
            assert roles.introduce_new_permissions(conn) == {}  # once
    finally:
        conn.close()
