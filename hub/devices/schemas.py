"""Wire structs of /api/v1/devices. A device token and a pairing code each appear in one response only."""

from __future__ import annotations

from typing import Annotated

import msgspec

DeviceName = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Platform = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
AppVersion = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Serial = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
CodeText = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
MAX_PAGE = 200


class Device(msgspec.Struct):
    id: str
    name: str
    kind: str
    platform: str
    app_version: str
    serial: str | None
    license_id: str | None
    paired_at: str
    paired_by: str | None  # the user who made the pairing code
    paired_by_username: str | None
    last_seen_at: str | None
    last_address: str | None
    pending_uploads: int  # facts the till last reported it still holds
    revoked_at: str | None
    revoked_by: str | None
    version: int
    created_at: str
    updated_at: str


class DevicePage(msgspec.Struct):
    items: list[Device]
    next_after: str | None  # pass as `after` for the next page; null on the last page


class DeviceCreate(msgspec.Struct, forbid_unknown_fields=True):
    """What a till sends to pair: the code a manager gave it and what it is."""

    code: CodeText
    name: DeviceName
    platform: Platform
    app_version: AppVersion
    serial: Serial | None = None


class DeviceCreated(msgspec.Struct):
    device_id: str
    device_token: str  # send as `X-Device-Token` on every call; shown in this response only
    name: str
    license_id: str | None
    hub_id: str | None
    store_id: str | None
    key_pin: str | None  # base64 SHA-256 of the hub's TLS public key (SPKI); null over plain HTTP


class DeviceUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: DeviceName


class DeviceRevoked(Device):
    revoked_tokens: int  # user sign-ins made on this till that were revoked with it


class DeviceLicenseUpdate(msgspec.Struct, forbid_unknown_fields=True):
    license_id: Id | None  # null: take the device off its license


class PairingCode(msgspec.Struct):
    id: str
    code: str  # XXXX-XXXX; shown in this response only
    expires_at: str
    qr_svg: str  # an SVG QR code of the pairing payload (see POST /pairing-codes)
