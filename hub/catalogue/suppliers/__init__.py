"""The store's suppliers: /api/v1/suppliers (contacts, payment terms, lead time)."""
