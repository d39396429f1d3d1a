"""The HQ collector for tests: hub.bench.hqcollector (shared with the store-day bench)."""

from hub.bench.hqcollector import ADMIN, ANALYST, HQ

__all__ = ["ADMIN", "ANALYST", "HQ"]
