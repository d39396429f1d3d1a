"""Stock takes: count sessions whose lines become `count` baselines in the stock ledger at the
moment each product was counted (docs/inventory.md, "Stock takes")."""
