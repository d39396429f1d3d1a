"""The store's pricing settings: /api/v1/settings/pricing (tax mode; the base currency, read-only)."""
