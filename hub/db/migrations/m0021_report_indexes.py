"""0021 report_indexes: the indexes the reports read through (hub.reports, docs/reports.md).

A report reads one period of the history (at most 92 days) by when things happened, so each
document table gets an index on `occurred_at`; the sales one carries the figures the per-sale
reports add up (currency, training mark, totals, cashier, till, tax mode, and the id their lines
and voids are found by), so those reports never touch the
table's rows. The gross margin finds each sale line's cost through its stock movement
(source `sale`, the sale and its line), with the quantity and unit cost in the index. Indexes
only: no data changes, and a store of any size upgrades in one pass over each table.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    "CREATE INDEX sales_report ON sales (occurred_at, training, currency, total, tax_total, discount_total,"
    " cashier_id, device_id, tax_mode, id)",
    "CREATE INDEX sale_voids_occurred ON sale_voids (occurred_at)",
    "CREATE INDEX sale_refunds_occurred ON sale_refunds (occurred_at)",
    "CREATE INDEX sale_corrections_occurred ON sale_corrections (occurred_at)",
    "CREATE INDEX stock_movements_sale_line ON stock_movements (source_id, source_line, quantity, unit_cost)"
    " WHERE source_type = 'sale'",
    "CREATE INDEX shifts_closed ON shifts (closed_at) WHERE closed_at IS NOT NULL",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
