"""The store profile: one setting per field in the `settings` table, validated, audited as one change."""

from __future__ import annotations

import base64
import binascii
import sqlite3
import struct
import zoneinfo
from typing import Any

from hub.db import audit
from hub.db.settings import get_setting, put_setting
from hub.errors import InvalidInputError

# Field -> settings key. Each is reference data, published on the change feed by put_setting.
KEYS = {
    "name": "store.name", "legal_name": "store.legal_name", "code": "store.code",
    "timezone": "store.timezone", "address": "store.address", "phone": "store.phone",
    "email": "store.email", "tin": "store.tin", "vat_number": "store.vat_number",
    "receipt_header": "receipt.header", "receipt_footer": "receipt.footer", "logo_png": "store.logo_png",
}
DEFAULTS: dict[str, Any] = {
    "legal_name": "", "address": {"house_no": "", "street": "", "city": "", "province": ""},
    "phone": "", "email": "", "tin": "", "vat_number": "", "receipt_header": "", "receipt_footer": "",
    "logo_png": "",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_LOGO_BYTES = 64 * 1024
MAX_LOGO_WIDTH = 576  # dots across an 80 mm receipt printer's paper


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; InvalidInputError when it is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise InvalidInputError("the logo must be a PNG image", code="invalid_logo")
    return struct.unpack(">II", data[16:24])


def decode_logo(text: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidInputError("the logo is not valid base64", code="invalid_logo") from err
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInputError(f"the logo is over {MAX_LOGO_BYTES // 1024} KiB", code="invalid_logo")
    width, _height = png_size(data)
    if width > MAX_LOGO_WIDTH:
        raise InvalidInputError(f"the logo is {width} pixels wide; receipts fit {MAX_LOGO_WIDTH}",
                                code="invalid_logo")
    return data


def _raw(conn: sqlite3.Connection) -> dict[str, Any]:
    return {field: get_setting(conn, key, DEFAULTS.get(field, "")) for field, key in KEYS.items()}


def get_profile(conn: sqlite3.Connection) -> dict[str, Any]:
    """The profile as the API shows it (the logo as dimensions, not bytes)."""
    raw = _raw(conn)
    logo = raw.pop("logo_png")
    width = height = None
    if logo:
        width, height = png_size(base64.b64decode(logo))
    return {**raw, "has_logo": bool(logo), "logo_width": width, "logo_height": height}


def get_logo(conn: sqlite3.Connection) -> bytes | None:
    logo = get_setting(conn, KEYS["logo_png"], "")
    return base64.b64decode(logo) if logo else None


def _check(changes: dict[str, Any]) -> None:
    if "timezone" in changes:
        try:
            zoneinfo.ZoneInfo(changes["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
            raise InvalidInputError(f"unknown time zone {changes['timezone']!r}", code="invalid_timezone") from err
    if changes.get("logo_png"):
        decode_logo(changes["logo_png"])
    if "name" in changes and not changes["name"].strip():
        raise InvalidInputError("the store needs a name", code="invalid_name")


def update_profile(conn: sqlite3.Connection, actor: audit.Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the changed fields; one audit entry for the whole change, none when nothing changed."""
    _check(changes)
    before = _raw(conn)
    changed = {k: v for k, v in changes.items() if before.get(k) != v}
    if not changed:
        return get_profile(conn)
    for field, value in changed.items():
        put_setting(conn, KEYS[field], value)
    # The logo's bytes would bloat every entry; record that it changed.
    shown = {k: ("<logo>" if k == "logo_png" and v else v) for k, v in changed.items()}
    was = {k: ("<logo>" if k == "logo_png" and before[k] else before[k]) for k in changed}
    audit.append(conn, actor, "settings.store_updated", "settings", "store", before=was, after=shown)
    return get_profile(conn)
