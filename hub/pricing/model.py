"""The engine's working model: a basket line being priced, and a promotion's target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .rounding import QUANTITY_SCALE


@dataclass(slots=True)
class PricedLine:
    """One basket line: its price, and the discounts given to it so far."""

    index: int  # position in the basket: allocation ties and output order follow it
    line: int
    product: str
    quantity: int
    unit_price: int
    gross: int
    tax_class: str
    categories: frozenset[str]  # the product's category and all its ancestors
    remaining: int
    discounts: list[tuple[str, int]] = field(default_factory=list)
    locked: bool = False

    @property
    def units(self) -> int:
        """Whole units, as unit-counting promotions see them: `floor(quantity / 1000)`."""
        return self.quantity // QUANTITY_SCALE


@dataclass(frozen=True, slots=True)
class Target:
    """`{"products": [...]}`, `{"categories": [...]}` or `{"basket": true}`."""

    products: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    basket: bool = False

    @classmethod
    def parse(cls, raw: Mapping | None) -> Target:
        raw = raw or {}
        return cls(
            products=frozenset(raw.get("products") or ()),
            categories=frozenset(raw.get("categories") or ()),
            basket=bool(raw.get("basket")),
        )

    def matches(self, line: PricedLine) -> bool:
        """A category target includes every descendant category."""
        return (self.basket or line.product in self.products
                or not self.categories.isdisjoint(line.categories))


def category_path(categories: Mapping, category: str | None) -> frozenset[str]:
    """`category` and all its ancestors (a cycle in the tree stops the walk, never loops)."""
    path: set[str] = set()
    while category is not None and category not in path:
        path.add(category)
        category = (categories.get(category) or {}).get("parent")
    return frozenset(path)
