"""Stock adjustments (reason codes, approval above a value threshold) and supplier returns:
documents that move stock through hub.inventory.ledger."""
