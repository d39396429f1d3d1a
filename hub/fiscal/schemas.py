"""Request bodies of /api/v1/fiscal (answers are the service's dicts, documented in docs/fiscal.md)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class CategoryFallback(msgspec.Struct, forbid_unknown_fields=True):
    """A category's fiscal fallback for lines without a tax mapping or a usable HS code."""

    tax_id: bounded_int(1, 2_147_483_647) | None = None  # type: ignore[valid-type]
    hs_code: Annotated[str, msgspec.Meta(max_length=8)] = ""


class SettingsUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    base_url: Annotated[str, msgspec.Meta(max_length=200)] | None = None  # https://fdmsapitest.zimra.co.zw ...
    ca_bundle: Annotated[str, msgspec.Meta(max_length=500)] | None = None  # a PEM file on the hub; "" the system's
    fallback_tax_id: bounded_int(1, 2_147_483_647) | None = None  # type: ignore[valid-type]
    fallback_hs_code: Annotated[str, msgspec.Meta(max_length=8)] | None = None
    # category id -> its fallback (the whole map; {} clears it): before the global fallback
    category_fallbacks: Annotated[dict[Annotated[str, msgspec.Meta(max_length=64)], CategoryFallback],
                                  msgspec.Meta(max_length=500)] | None = None
    auto_open_time: Annotated[str, msgspec.Meta(max_length=5)] | None = None  # "HH:MM" store-local; "" by hand
    auto_close_time: Annotated[str, msgspec.Meta(max_length=5)] | None = None
    day_end_warning_hours: bounded_int(0, 24) | None = None  # type: ignore[valid-type]  # else FDMS's
    certificate_renew_days: bounded_int(1, 365) | None = None  # type: ignore[valid-type]
    # signing pauses once the clock has gone unsynchronised longer than this (hub.fiscal.clocktrust)
    clock_max_unsynced_hours: bounded_int(1, 720) | None = None  # type: ignore[valid-type]


class DeviceCreate(msgspec.Struct, forbid_unknown_fields=True):
    till_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    fdms_device_id: bounded_int(1, 9_999_999_999)  # type: ignore[valid-type]
    serial_no: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    activation_key: Annotated[str, msgspec.Meta(min_length=8, max_length=8)]
    model_name: Text = "Server"
    model_version: Text = "v1"
    key_algorithm: Literal["ecdsa", "rsa"] = "ecdsa"


class TaxMap(msgspec.Struct, forbid_unknown_fields=True):
    tax_id: bounded_int(1, 2_147_483_647) | None  # type: ignore[valid-type]  # null: unmap
