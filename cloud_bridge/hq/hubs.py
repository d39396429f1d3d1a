"""Stores' hubs: enrolment codes, enrolment (fence, token) and authenticating a hub's call."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cloud_bridge.hq import clock
from cloud_bridge.hq.errors import ConflictError, ForbiddenError, GoneError, HQError, NotFoundError, UnauthenticatedError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone
CODE_LENGTH = 12
CODE_VALID = timedelta(hours=24)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch not in " -")


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class HubIdentity:
    """The hub a call comes from, after its token was checked."""

    store_id: str
    store_code: str
    time_zone: str
    currencies: list[str]
    hub_id: str
    fence: int


async def create_code(conn: Any, store_id: str, created_by: str | None) -> dict[str, Any]:
    moment = clock.now()
    code = new_code()
    await conn.execute(
        "INSERT INTO enrolment_codes (code, store_id, created_at, expires_at, created_by)"
        " VALUES (%s, %s, %s, %s, %s)", (code, store_id, moment, moment + CODE_VALID, created_by))
    return {"code": code, "expires_at": clock.iso(moment + CODE_VALID)}


ENROL_SQL = """SELECT c.code, c.store_id, c.expires_at, c.used_at, s.code AS store_code, s.name
    FROM enrolment_codes c JOIN stores s ON s.id = c.store_id WHERE c.code = %s FOR UPDATE OF c"""


async def enrol(conn: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Use an enrolment code: the store's fence grows, a token is made for this hub (older hubs
    of the store are refused from now on: hub_replaced)."""
    code = normalise_code(body["code"])
    row = await (await conn.execute(ENROL_SQL, (code,))).fetchone()
    moment = clock.now()
    if row is None:
        raise NotFoundError("No such enrolment code.", code="code_unknown")
    if row["used_at"] is not None:
        raise ConflictError("This enrolment code was used already.", code="code_used")
    if row["expires_at"] <= moment:
        raise GoneError("This enrolment code has expired: ask HQ for a new one.", code="code_expired")
    if row["store_code"] != body["store_code"]:
        raise HQError(f"This code enrols store {row['store_code']}, not {body['store_code']}.",
                      code="store_mismatch", status=422)
    fence = (await (await conn.execute(
        "UPDATE stores SET fence = fence + 1 WHERE id = %s RETURNING fence", (row["store_id"],))).fetchone())["fence"]
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    await conn.execute(
        "INSERT INTO hubs (store_id, fence, hub_id, token_hash, enrolled_at, hub_version, schema_version)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (row["store_id"], fence, body["hub_id"], token_hash(token), moment, body.get("hub_version"),
         body.get("schema_version")))
    await conn.execute("UPDATE enrolment_codes SET used_at = %s, used_by_hub = %s WHERE code = %s",
                       (moment, body["hub_id"], code))
    return {"store_id": row["store_id"], "store_code": row["store_code"], "store_name": row["name"],
            "token": token, "fence": fence, "hq_time": clock.iso(moment)}


AUTH_SQL = """SELECT h.store_id, h.hub_id, h.fence, s.fence AS store_fence, s.code, s.time_zone, s.currencies
    FROM hubs h JOIN stores s ON s.id = h.store_id WHERE h.token_hash = %s"""


async def authenticate(conn: Any, authorization: str | None, hub_header: str | None) -> HubIdentity:
    """The hub behind `Authorization: Bearer <token>` (and `X-Soko-Hub`); 401 otherwise, and
    401 hub_replaced when a newer hub was enrolled for its store."""
    if not authorization or not authorization.startswith("Bearer "):
        raise UnauthenticatedError("A hub's bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    row = await (await conn.execute(AUTH_SQL, (token_hash(authorization[7:].strip()),))).fetchone()
    if row is None:
        raise UnauthenticatedError("Unknown token.", headers={"WWW-Authenticate": "Bearer"})
    if row["fence"] < row["store_fence"]:
        raise UnauthenticatedError("Another hub was enrolled for this store: this hub no longer speaks for it.",
                                   code="hub_replaced")
    if hub_header is not None and hub_header != row["hub_id"]:
        raise ForbiddenError("X-Soko-Hub does not name the hub this token was given to.", code="hub_mismatch")
    return HubIdentity(row["store_id"], row["code"], row["time_zone"], list(row["currencies"]),
                       row["hub_id"], row["fence"])
