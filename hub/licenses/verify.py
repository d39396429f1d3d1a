"""Reading and verifying a license file offline. Pure: no database, no clock, no network.

A license file is a small JSON text a store owner can e-mail:

    {"format": "soko-license/1", "key_id": "<16 hex>", "payload": "<base64>", "signature": "<base64>"}

`signature` is Ed25519 over the bytes that `payload` decodes to, made with the vendor key named
by `key_id` (hub.licenses.keys.key_id; a file without it is tried against every trusted key).
Those bytes are canonical JSON (sorted keys, no spaces, UTF-8) of: license_id, customer,
store_id (null: any store), seats, features (list of strings), issued_at and expires_at (ISO
8601 in UTC, e.g. 2027-01-31T00:00:00Z).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Sequence

import msgspec

from hub.clock import format_ts
from hub.errors import InvalidInputError
from hub.licenses.keys import key_id, load

FORMAT = "soko-license/1"
MAX_FILE_CHARS = 16_384

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Stamp = Annotated[str, msgspec.Meta(min_length=10, max_length=40)]


class Envelope(msgspec.Struct):
    format: Annotated[str, msgspec.Meta(max_length=40)]
    payload: Annotated[str, msgspec.Meta(max_length=MAX_FILE_CHARS)]
    signature: Annotated[str, msgspec.Meta(max_length=200)]
    key_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Payload(msgspec.Struct):
    license_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
    customer: Text
    seats: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    features: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]],
                        msgspec.Meta(max_length=100)]
    issued_at: Stamp
    expires_at: Stamp
    store_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


@dataclass(frozen=True)
class LicenseTerms:
    """What a verified license grants, with timestamps in the hub's format (hub.clock)."""

    license_id: str
    customer: str
    store_id: str | None
    seats: int
    features: list[str]
    issued_at: str
    expires_at: str


class LicenseFileError(InvalidInputError):
    """The file is not a license this hub accepts; `code` says why."""


def _utc(text: str, field: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise LicenseFileError(f"the license's {field} is not a date and time",
                               code="license_malformed") from err
    if moment.utcoffset() != dt.timedelta(0):
        raise LicenseFileError(f"the license's {field} is not in UTC", code="license_malformed")
    return format_ts(moment)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise LicenseFileError(f"the license's {what} is not base64", code="license_malformed") from err


def _check_signature(envelope: Envelope, message: bytes, trusted: Sequence[str]) -> None:
    from cryptography.exceptions import InvalidSignature  # here, so the hub starts without cryptography

    signature = _b64(envelope.signature, "signature")
    if envelope.key_id is not None:
        candidates = [k for k in trusted if key_id(k) == envelope.key_id]
        if not candidates:
            raise LicenseFileError(
                "this license was signed with a key this hub does not know; it may be for another "
                "product or need a newer hub", code="license_key_unknown")
    else:
        candidates = list(trusted)
    for public in candidates:
        try:
            load(public).verify(signature, message)
            return
        except InvalidSignature:
            continue
    raise LicenseFileError("the license's signature does not match: the file was changed or is not "
                           "genuine", code="license_signature_invalid")


def verify(text: str, trusted: Sequence[str], store_id: str | None) -> LicenseTerms:
    """The terms of a genuine license file for this store; LicenseFileError otherwise."""
    try:
        envelope = msgspec.json.decode(text.strip().encode(), type=Envelope)
    except msgspec.DecodeError as err:
        raise LicenseFileError(f"this is not a license file ({err})", code="license_malformed") from err
    if envelope.format != FORMAT:
        raise LicenseFileError(f"unknown license format {envelope.format!r} (expected {FORMAT})",
                               code="license_malformed")
    message = _b64(envelope.payload, "payload")
    _check_signature(envelope, message, trusted)
    try:
        payload = msgspec.json.decode(message, type=Payload)
    except msgspec.DecodeError as err:
        raise LicenseFileError(f"the license's contents are not valid ({err})",
                               code="license_malformed") from err
    issued_at, expires_at = _utc(payload.issued_at, "issued_at"), _utc(payload.expires_at, "expires_at")
    if expires_at <= issued_at:
        raise LicenseFileError("the license expires before it was issued", code="license_malformed")
    if payload.store_id is not None and payload.store_id != store_id:
        raise LicenseFileError(f"this license is for another store ({payload.store_id}); this hub's "
                               f"store is {store_id}", code="license_wrong_store")
    return LicenseTerms(license_id=payload.license_id, customer=payload.customer,
                        store_id=payload.store_id, seats=payload.seats,
                        features=list(dict.fromkeys(payload.features)),
                        issued_at=issued_at, expires_at=expires_at)


def canonical(payload: dict) -> bytes:
    """The bytes a license payload is signed as (for the vendor's issuing tool and tests)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
