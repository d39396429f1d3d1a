"""The shelf-label queue: products whose price changed and whose shelf label needs reprinting."""
