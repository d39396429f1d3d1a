"""Tax classes and their rate history: /api/v1/tax-classes."""
