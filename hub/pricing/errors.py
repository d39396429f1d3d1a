"""The one way the pricing engine refuses a basket."""

from __future__ import annotations


class PricingError(Exception):
    """The basket cannot be priced; `code` says why and `line` names the basket line."""

    def __init__(self, code: str, line: int | None, message: str = "") -> None:
        super().__init__(message or f"{code} (line {line})")
        self.code = code
        self.line = line

    def as_result(self) -> dict:
        """The refused basket's result in the JSON shape of docs/pricing.md."""
        return {"error": {"code": self.code, "line": self.line}}
