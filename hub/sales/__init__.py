"""Sales: the sale document, tenders and currencies, the one ingest function, voids, refunds, corrections."""
