"""Each sale line keeps the category and the cost of the moment it was sold (migration 0028): a
product moved to another category later leaves its past sales where they were, and the margin
reads the cost the line's stock movement recorded, not today's cost price."""

from __future__ import annotations

from hub.db.connection import transaction
from hub.ids import new_id
from hub.reports import catalog
from tests.inventory.store import moved
from tests.reports.store import ingest, report_store, today
from tests.sales.build import cash, line, sale


def category(conn, name):
    cid = new_id()
    with transaction(conn):
        conn.execute("INSERT INTO categories (id, name, parent_id, version, created_at, updated_at)"
                     " VALUES (?, ?, NULL, 1, ?, ?)", (cid, name, conn.stamp(), conn.stamp()))
    return cid


def test_sales_stay_under_the_category_they_were_sold_in_and_keep_their_cost(tmp_path):
    conn, ids, (bread, milk, _) = report_store(tmp_path / "hub.db")
    bakery, dairy = category(conn, "Bakery"), category(conn, "Dairy")
    with transaction(conn):
        conn.execute("UPDATE products SET category_id = ? WHERE id = ?", (bakery, bread))
    ingest(conn, ids, [sale([line(250, 2000, product_id=bread)], [cash(500)], shift_id=ids["shift"])])
    with transaction(conn):  # the catalogue is reorganised after the sale
        conn.execute("UPDATE products SET category_id = ? WHERE id = ?", (dairy, bread))
    moved(conn, bread, "receipt", 1000, unit_cost=900)  # a dearer delivery after the sale
    ingest(conn, ids, [sale([line(250, 1000, product_id=bread), line(300, product_id=milk)],
                            [cash(550)], shift_id=ids["shift"], sequence=2)])
    rows = catalog.run(conn, "sales-by-category", today(conn))["rows"]
    assert {(r["category"], r["quantity"]) for r in rows} == {("Bakery", 2000), ("Dairy", 1000),
                                                              ("No category", 1000)}
    lines = conn.execute("SELECT l.sale_id, l.line_no, l.product_id, l.category_id, l.cost_thousandths"
                         " FROM sale_lines l JOIN sales s ON s.id = l.sale_id ORDER BY s.sequence, l.line_no").fetchall()
    assert [(r[2], r[3]) for r in lines] == [(bread, bakery), (bread, dairy), (milk, None)]
    ledger = {(r[0], r[1]): -r[2] * r[3] for r in conn.execute(
        "SELECT source_id, source_line, quantity, unit_cost FROM stock_movements WHERE source_type = 'sale'")}
    assert {(r[0], r[1]): r[4] for r in lines} == ledger
    assert lines[0][4] == 2000 * 100 and lines[2][4] == 1000 * 110  # the cost when each was sold
    margin = catalog.run(conn, "gross-margin", today(conn))
    assert sum(t["cost"] for t in margin["totals"]) == sum(ledger.values()) // 1000
