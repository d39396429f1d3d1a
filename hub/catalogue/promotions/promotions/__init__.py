"""Promotions: the rules of docs/pricing.md that the tills apply identically, kept and validated here."""
