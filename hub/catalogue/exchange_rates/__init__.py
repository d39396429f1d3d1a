"""Exchange rates: /api/v1/exchange-rates, an effective-from history per currency pair."""
