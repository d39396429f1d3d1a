"""Quotations: drafts priced for a customer, sent, accepted or expired, converted to a sale."""
