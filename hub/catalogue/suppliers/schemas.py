"""Wire structs of /api/v1/suppliers."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.catalogue._common import ZERO_FLOOR

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Text = Annotated[str, msgspec.Meta(max_length=120)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Email = Annotated[str, msgspec.Meta(max_length=120, pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")]
Address = Annotated[str, msgspec.Meta(max_length=250)]
# ZIMRA TIN: 10 digits (fiscal/ZIMRA-FDMS.md, verifyTaxpayerInformation), or empty.
Tin = Annotated[str, msgspec.Meta(pattern=r"^([0-9]{10})?$")]
Days = Annotated[int, msgspec.Meta(ge=0, le=365, extra_json_schema=ZERO_FLOOR)]
Notes = Annotated[str, msgspec.Meta(max_length=2000)]


class Supplier(msgspec.Struct):
    id: str
    name: str
    contact_name: str
    phone: str
    email: str
    address: str
    tin: str
    payment_terms_days: int  # days the store has to pay an invoice (0: on delivery)
    lead_time_days: int  # days from order to delivery
    notes: str
    active: bool
    version: int
    created_at: str
    updated_at: str


class SupplierCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    contact_name: Text = ""
    phone: Phone = ""
    email: Email = ""
    address: Address = ""
    tin: Tin = ""
    payment_terms_days: Days = 0
    lead_time_days: Days = 0
    notes: Notes = ""


class SupplierUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; `active: false` archives the supplier."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    contact_name: Text | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET
    address: Address | msgspec.UnsetType = msgspec.UNSET
    tin: Tin | msgspec.UnsetType = msgspec.UNSET
    payment_terms_days: Days | msgspec.UnsetType = msgspec.UNSET
    lead_time_days: Days | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class SupplierPage(msgspec.Struct):
    items: list[Supplier]
    next_after: str | None  # pass as `after` for the next page; null on the last page
