"""The store's currencies: /api/v1/currencies (exactly one base currency; archived, never deleted)."""
