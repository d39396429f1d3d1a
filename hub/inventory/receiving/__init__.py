"""Goods receipts (GRNs): goods from a supplier, optionally against a purchase order, drafted then
posted into stock through the ledger in one transaction, and reversed (at most once) by a new
document."""
