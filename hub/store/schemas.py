"""Wire structs of /api/v1/settings/store: the store's profile (what receipts and invoices print)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Text = Annotated[str, msgspec.Meta(max_length=120)]
Line = Annotated[str, msgspec.Meta(max_length=250)]
# ZIMRA: taxPayerTIN is 10 digits, vatNumber 9 (fiscal/ZIMRA-FDMS.md, verifyTaxpayerInformation).
Tin = Annotated[str, msgspec.Meta(pattern=r"^([0-9]{10})?$")]
VatNumber = Annotated[str, msgspec.Meta(pattern=r"^([0-9]{9})?$")]
StoreCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,8}$")]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ReceiptText = Annotated[str, msgspec.Meta(max_length=500)]
Email = Annotated[str, msgspec.Meta(max_length=120, pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")]
LogoBase64 = Annotated[str, msgspec.Meta(max_length=90_000)]  # ~64 KiB of PNG


class Address(msgspec.Struct, forbid_unknown_fields=True):
    house_no: Annotated[str, msgspec.Meta(max_length=30)] = ""
    street: Text = ""
    city: Text = ""
    province: Text = ""


class StoreProfile(msgspec.Struct):
    name: str
    legal_name: str
    code: str
    timezone: str
    address: Address
    phone: str
    email: str
    tin: str
    vat_number: str
    receipt_header: str
    receipt_footer: str
    has_logo: bool
    logo_width: int | None
    logo_height: int | None


class StoreProfileUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change. `logo_png` is base64 PNG; an empty string removes the logo."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    legal_name: Text | None = None
    code: StoreCode | None = None
    timezone: TimeZone | None = None
    address: Address | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    email: Email | None = None
    tin: Tin | None = None
    vat_number: VatNumber | None = None
    receipt_header: ReceiptText | None = None
    receipt_footer: ReceiptText | None = None
    logo_png: LogoBase64 | None = None
