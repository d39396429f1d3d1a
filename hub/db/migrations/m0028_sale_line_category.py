"""0028 sale_line_category: each sale line keeps its category and its cost from the moment of the sale.

- `sale_lines.category_id`: the product's category when the line was recorded, so "sales by
  category" shows last year's sales under last year's categories after the catalogue is
  reorganised. Lines recorded before this migration take their product's category at upgrade
  time (the best the hub knows); a line of an unknown product has none.
- `sale_lines.cost_thousandths`: the cost of the stock the line took, the sum over its sale
  movements of quantity (thousandths) times unit cost (base-currency minor units), so in
  thousandths of a minor unit: exact, and rounded once when a report shows it. NULL while no
  movement with a known cost is recorded for the line (untracked goods, no cost price): the
  gross margin counts such lines apart, never at zero cost. Before this the margin report
  looked every line's cost up through the stock ledger (2 s over 92 days of a busy store).

Both are filled by triggers, so every path that records a sale line or its stock movement (the
API, till uploads, quotations converted, the history generator) fills them the same way and
none can forget. The ledger writes a sale's movements after its lines, in the same
transaction; a movement recorded later (an unapplied document applied) still adds its cost.
The history is filled in this migration, one pass over each table.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    "ALTER TABLE sale_lines ADD COLUMN category_id TEXT",
    "ALTER TABLE sale_lines ADD COLUMN cost_thousandths INTEGER",
    """UPDATE sale_lines SET category_id = (SELECT p.category_id FROM products p WHERE p.id = sale_lines.product_id)
       WHERE product_id IS NOT NULL""",
    """UPDATE sale_lines SET cost_thousandths = (
           SELECT -sum(m.quantity * m.unit_cost) FROM stock_movements m
           WHERE m.source_type = 'sale' AND m.source_id = sale_lines.sale_id AND m.source_line = sale_lines.line_no)""",
    """CREATE TRIGGER sale_lines_category AFTER INSERT ON sale_lines
       WHEN NEW.product_id IS NOT NULL AND NEW.category_id IS NULL
       BEGIN
           UPDATE sale_lines SET category_id = (SELECT p.category_id FROM products p WHERE p.id = NEW.product_id)
           WHERE sale_id = NEW.sale_id AND line_no = NEW.line_no;
       END""",
    """CREATE TRIGGER stock_movements_sale_cost AFTER INSERT ON stock_movements
       WHEN NEW.source_type = 'sale' AND NEW.unit_cost IS NOT NULL AND NEW.source_line IS NOT NULL
       BEGIN
           UPDATE sale_lines SET cost_thousandths = coalesce(cost_thousandths, 0) - NEW.quantity * NEW.unit_cost
           WHERE sale_id = NEW.source_id AND line_no = NEW.source_line;
       END""",
    # The margin no longer reads the ledger per line; nothing else reads through this index, and
    # every sale paid for it on each movement it wrote.
    "DROP INDEX stock_movements_sale_line",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
