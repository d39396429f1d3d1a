"""Purchase orders: drafted, sent, received by goods receipts (part-received, closed when all has
come), closed by hand with a reason or cancelled while nothing came; and reorder suggestions from
the ledger's sales that become a draft order."""
