"""The fault-injecting proxy between a hub and HQ: hub.bench.faultproxy (shared with the store-day bench)."""

from hub.bench.faultproxy import FaultProxy

__all__ = ["FaultProxy"]
