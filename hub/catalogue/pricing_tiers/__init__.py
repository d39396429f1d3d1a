"""Pricing tiers: named price structures (wholesale, staff, ...) with per-product prices or a rule."""
