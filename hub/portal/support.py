"""The vendor's support line, shown on the sign-in, About and error pages. Change it here only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SupportContact:
    name: str
    phone: str
    email: str
    hours: str

    @property
    def phone_uri(self) -> str:
        """`tel:` link target: the number without spaces."""
        return "tel:" + "".join(c for c in self.phone if c == "+" or c.isdigit())


SUPPORT_CONTACT = SupportContact(
    name="Soko POS support",
    phone="+263 242 770 770",
    email="support@sokopos.co.zw",
    hours="Monday to Saturday, 07:00 to 19:00 (CAT)",
)
