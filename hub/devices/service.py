"""Device rules: one-time pairing codes, pairing a till, renaming and revoking it, which tills a user may use.

The functions taking a connection each run as one `db.write` transaction and append exactly one
audit entry, or raise and change nothing. They run on the writer thread, where the request id
context variable is not set, so a caller without an Actor passes the request id in.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
from typing import Any, Sequence

from hub.clock import format_ts, parse_ts
from hub.db import audit, devices, meta, tokens, users
from hub.db.audit import Actor
from hub.errors import (AuthenticationError, ConflictError, GoneError, InvalidInputError, NotFoundError,
                        PermissionDeniedError)
from hub.licenses.service import seat_for_new_device

# Read at call time, so tests can shrink it.
PAIRING_CODE_TTL_S = 600
# No 0/O, 1/I/L: a code read off a screen is typed without guessing.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s-]+")


def new_code() -> str:
    """A fresh pairing code in its stored form: 8 characters, about 40 bits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    """A code as people read and type it: XXXX-XXXX."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str | None:
    """The stored form of a typed code (no dash, upper case), or None when it cannot be a code."""
    code = _SEPARATORS.sub("", text).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def normalise_name(name: str) -> str:
    """A till's name without surrounding blanks; InvalidInputError when nothing is left."""
    if not name.strip():
        raise InvalidInputError("give the till a name people recognise, such as 'Front till'",
                                code="invalid_name")
    return name.strip()


def check_till_allowed(user: dict[str, Any], device: dict[str, Any] | None) -> None:
    """Refuse a sign-in on a till that is not in the user's `tills` list (null: any till)."""
    if device is None or user["tills"] is None or device["id"] in user["tills"]:
        return
    raise PermissionDeniedError(f"{user['username']} may not sign in on the till {device['name']!r}; "
                                "a manager can add it to their tills", code="till_not_allowed")


def create_pairing_code(conn: sqlite3.Connection, actor: Actor) -> dict[str, Any]:
    """A single-use code valid for PAIRING_CODE_TTL_S; the returned `code` is shown once."""
    code = new_code()
    while devices.find_code(conn, code) is not None:  # an old code must never come back to life
        code = new_code()
    now = conn.stamp()
    expires_at = format_ts(parse_ts(now) + dt.timedelta(seconds=PAIRING_CODE_TTL_S))
    row = devices.create_code(conn, code, created_by=actor.user_id, created_at=now, expires_at=expires_at)
    audit.append(conn, actor, "device.pairing_code_created", "pairing_code", row["id"],
                 detail={"expires_at": expires_at})
    return {**row, "code": shown(code), "hub_id": meta.get(conn, "hub_id"),
            "store_id": meta.get(conn, "store_id")}


def _usable_code(conn: sqlite3.Connection, code: str | None, now: str) -> dict[str, Any]:
    found = devices.find_code(conn, code) if code else None
    if found is None:
        raise AuthenticationError("this pairing code is not known; check it, or ask a manager for a new one",
                                  code="pairing_code_invalid")
    if found["used_at"] is not None:
        raise GoneError("this pairing code was used already; ask a manager for a new one",
                        code="pairing_code_used")
    if found["expires_at"] <= now:
        raise GoneError("this pairing code has expired; ask a manager for a new one",
                        code="pairing_code_expired")
    return found


def pair(conn: sqlite3.Connection, code: str | None, *, name: str, platform: str, app_version: str,
         serial: str | None, address: str | None, request_id: str | None,
         demo_seatless: bool = False) -> dict[str, Any]:
    """Pair a till with a code; returns its id and token (shown once) and the hub's identity.
    `demo_seatless`: pair without a license seat, only in a demo store (its history shows three
    tills beside the trial's two, hub.sales.demo_history); a real store's till always takes one."""
    now = conn.stamp()
    found = _usable_code(conn, code, now)
    if demo_seatless and not meta.is_demo(conn):
        raise PermissionDeniedError("only a demo store pairs a till without a license seat")
    license_id = None if demo_seatless else seat_for_new_device(conn, now)
    secret, device = devices.create_device(
        conn, name=normalise_name(name), platform=platform, app_version=app_version, serial=serial,
        paired_by=found["created_by"], license_id=license_id, address=address)
    devices.use_code(conn, found["id"], device["id"])
    # The manager who made the code authorised this pairing; the till did it.
    manager = users.get_user(conn, found["created_by"]) if found["created_by"] else None
    actor = Actor(user_id=found["created_by"], username=manager["username"] if manager else None,
                  device_id=device["id"], request_id=request_id)
    audit.append(conn, actor, "device.paired", "device", device["id"], after=device,
                 detail={"pairing_code_id": found["id"], "address": address})
    return {"device_id": device["id"], "device_token": secret, "name": device["name"],
            "license_id": license_id, "hub_id": meta.get(conn, "hub_id"),
            "store_id": meta.get(conn, "store_id")}


def _device(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    device = devices.get_device(conn, device_id)
    if device is None:
        raise NotFoundError(f"there is no device {device_id}")
    return device


def rename(conn: sqlite3.Connection, actor: Actor, device_id: str, name: str) -> dict[str, Any]:
    device, name = _device(conn, device_id), normalise_name(name)
    if device["name"] == name:
        return device
    updated = devices.update_device(conn, device_id, name=name)
    audit.append(conn, actor, "device.updated", "device", device_id,
                 before={"name": device["name"]}, after={"name": name})
    return updated


def revoke(conn: sqlite3.Connection, actor: Actor, device_id: str) -> dict[str, Any]:
    """Revoke a device and every user token issued through it; its next request is refused."""
    device = _device(conn, device_id)
    if device["revoked_at"] is not None:
        raise ConflictError(f"the device {device['name']!r} was revoked on {device['revoked_at'][:10]}",
                            code="device_already_revoked")
    revoked_tokens = tokens.revoke_all_for_device(conn, device_id)
    updated = devices.update_device(conn, device_id, revoked_at=conn.stamp(), revoked_by=actor.user_id)
    audit.append(conn, actor, "device.revoked", "device", device_id,
                 before={"name": device["name"], "license_id": device["license_id"]},
                 detail={"revoked_tokens": revoked_tokens, "pending_uploads": device["pending_uploads"]})
    return {**updated, "revoked_tokens": revoked_tokens}


def pairing_payload(*, hub_id: str | None, store_id: str | None, code: str, key_pin: str | None,
                    scheme: str, addresses: Sequence[str], port: int | None) -> dict[str, Any]:
    """What the QR code holds: see hub.devices.api.DeviceController.create_pairing_code."""
    return {"type": "soko-hub-pairing", "version": 1, "hub_id": hub_id, "store_id": store_id,
            "code": code, "key_pin": key_pin, "scheme": scheme,
            "addresses": list(dict.fromkeys(addresses)), "port": port}
