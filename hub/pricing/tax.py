"""Tax per class on the group's net, rounded once (section 4; ZIMRA FDMS taxes per tax)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from ._time import parse_instant
from .errors import PricingError
from .model import PricedLine
from .rounding import BP_SCALE, div_round

TAX_MODES = ("inclusive", "exclusive")


def rate_at(tax_class: Mapping, at: dt.datetime) -> int | None:
    """The latest `rates[i].rate_bp` whose `from ≤ at` (a later entry wins a tie), or None."""
    current = None
    for position, rate in enumerate(tax_class.get("rates") or ()):
        since = parse_instant(rate["from"])
        if since <= at and (current is None or (since, position) >= current[:2]):
            current = (since, position, rate["rate_bp"])
    return None if current is None else current[2]


def class_tax(net: int, rate_bp: int, tax_mode: str) -> int:
    """Tax on one class's net `N`: `N × r / (10000 + r)` inclusive, `N × r / 10000` exclusive."""
    if tax_mode == "inclusive":
        return div_round(net * rate_bp, BP_SCALE + rate_bp)
    if tax_mode == "exclusive":
        return div_round(net * rate_bp, BP_SCALE)
    raise _unknown_mode(tax_mode)


def _unknown_mode(tax_mode: str) -> PricingError:
    return PricingError("unknown_tax_mode", None, f"tax_mode {tax_mode!r}: not one of {TAX_MODES}")


def taxes(lines: Sequence[PricedLine], tax_classes: Mapping, at: dt.datetime,
          tax_mode: str) -> list[dict]:
    """One entry per tax class in the basket, ordered by tax class id."""
    if tax_mode not in TAX_MODES:
        raise _unknown_mode(tax_mode)
    nets: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for line in lines:
        nets[line.tax_class] = nets.get(line.tax_class, 0) + line.remaining
        first_line.setdefault(line.tax_class, line.line)
    summary = []
    for class_id in sorted(nets):
        net = nets[class_id]
        tax_class = tax_classes.get(class_id)
        if tax_class is None:
            raise PricingError("unknown_tax_class", first_line[class_id],
                               f"tax class {class_id!r} is not in the catalogue")
        if tax_class.get("exempt"):
            rate_bp, tax = None, 0
        else:
            rate_bp = rate_at(tax_class, at)
            if rate_bp is None:
                raise PricingError("no_tax_rate", first_line[class_id],
                                   f"tax class {class_id!r} has no rate in force")
            tax = class_tax(net, rate_bp, tax_mode)
        sales_with_tax = net + tax if tax_mode == "exclusive" else net
        summary.append({"tax_class": class_id, "rate_bp": rate_bp, "net": net, "tax": tax,
                        "sales_with_tax": sales_with_tax})
    return summary
