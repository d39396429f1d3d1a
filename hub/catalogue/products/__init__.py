"""Products: the catalogue's items, their prices, barcodes, suppliers, the till's lookup, import,
export and bulk price changes. `apply_due_prices` applies scheduled price changes."""

from hub.catalogue.products.prices import apply_due_prices

__all__ = ["apply_due_prices"]
