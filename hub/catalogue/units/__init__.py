"""Units of measure: /api/v1/units (how many decimals a quantity of each may have)."""
