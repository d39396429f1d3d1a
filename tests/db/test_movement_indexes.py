"""The stock ledger's reads go through an index, and the movement indexes nothing reads are gone
(m0031): every sale line pays for each index on stock_movements."""

from __future__ import annotations

import re

import pytest

from hub.db import products, purchasing, sales, stock, stock_takes
from hub.db.connection import connect
from hub.db.migrations import migrate

KEPT = {"stock_movements_product_time", "stock_movements_product_seq", "stock_movements_source",
        "stock_movements_event"}
# Each read of the ledger by key: a product's, an event's, a source document's movements.
KEYED_READS = {
    "later movements of a product (projection)": stock.LATER_SUM_SQL,
    "a product's opening movement": stock.OPENING_SQL,
    "whether a product has moved": stock.MOVED_SQL,
    "one line of an event (idempotent post)": stock.EVENT_SQL,
    "every line of an event": stock.EVENT_LINES_SQL,
    "a product's facts up to a count": stock_takes.FACTS_UNTIL_SQL,
    "what a sale moved (voids)": sales.STOCK_MOVED_SQL,
    "sold since, per product (reorder)": purchasing.REORDER_SQL,
    "the product document's opening": products.DOCUMENT_SQL,
    "the product list's opening": products.LIST_SQL,
}


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    conn = connect(tmp_path_factory.mktemp("indexes") / "hub.db")
    migrate(conn)
    yield conn
    conn.close()


def _movement_steps(conn, sql):
    params = {name: None for name in re.findall(r":(\w+)", sql)}
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    return [step for step in plan if re.search(r"\b(SCAN|SEARCH) (stock_movements|m)\b", step)]


def test_stock_movements_keeps_only_the_indexes_queries_use(conn):
    names = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stock_movements'"
        " AND name NOT LIKE 'sqlite_autoindex_%'")}
    assert names == KEPT


@pytest.mark.parametrize("what", sorted(KEYED_READS))
def test_each_keyed_read_of_the_ledger_searches_an_index(conn, what):
    steps = _movement_steps(conn, KEYED_READS[what])
    assert steps, f"{what}: the plan does not read stock_movements"
    for step in steps:
        assert step.startswith("SEARCH") and "INDEX" in step, f"{what}: {step}"
