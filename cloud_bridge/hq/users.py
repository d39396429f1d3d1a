"""HQ's own users (admin, analyst): passwords (Argon2id), sessions by cookie or bearer token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cloud_bridge.hq import clock
from cloud_bridge.hq.errors import ForbiddenError, InvalidError, UnauthenticatedError

ROLES = ("admin", "analyst")
SESSION_COOKIE = "soko_hq_session"
# Argon2id cost of HQ users' passwords (argon2-cffi's defaults); read at call time, tests shrink them.
PASSWORD_TIME_COST = 3
PASSWORD_MEMORY_KIB = 65536
_hashers: dict[tuple[int, int], Any] = {}


def hasher() -> Any:
    key = (PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB)
    if key not in _hashers:
        from argon2 import PasswordHasher

        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


@dataclass(frozen=True)
class HQUser:
    id: str
    username: str
    display_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ForbiddenError("Only an HQ admin may change this.")


def _check_new(username: str, password: str, role: str) -> None:
    errors = {}
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        errors["username"] = "1 to 64 letters, digits, dot, dash or underscore"
    if len(password) < 8 or len(password) > 256:
        errors["password"] = "8 to 256 characters"
    if role not in ROLES:
        errors["role"] = "admin or analyst"
    if errors:
        raise InvalidError(errors)


CREATE_SQL = """INSERT INTO hq_users (id, username, display_name, role, password_hash) VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (username) DO NOTHING RETURNING id"""


async def create_user(conn: Any, username: str, password: str, role: str, display_name: str = "") -> dict:
    _check_new(username, password, role)
    row = await (await conn.execute(CREATE_SQL, (str(uuid.uuid4()), username, display_name[:200], role,
                                                 hasher().hash(password)))).fetchone()
    if row is None:
        raise InvalidError({"username": "taken"}, status=409)
    return {"id": row["id"], "username": username, "display_name": display_name, "role": role}


def create_user_sync(dsn: str, username: str, password: str, role: str = "admin", display_name: str = "") -> str:
    """For `soko-hq user create` and tests: the new user's id."""
    import psycopg

    _check_new(username, password, role)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(CREATE_SQL, (str(uuid.uuid4()), username, display_name, role,
                                        hasher().hash(password))).fetchone()
        if row is None:
            raise InvalidError({"username": "taken"}, status=409)
        return row[0]


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def login(conn: Any, username: str, password: str, hours: int) -> tuple[str, HQUser, Any]:
    """(token, user, expiry) for a right password of an active user; 401 otherwise."""
    from argon2.exceptions import VerificationError

    row = await (await conn.execute("SELECT id, username, display_name, role, password_hash, active FROM hq_users"
                                    " WHERE username = %s", (username,))).fetchone()
    ok = False
    if row is not None and row["active"]:
        try:
            ok = hasher().verify(row["password_hash"], password)
        except (VerificationError, Exception):
            ok = False
    else:
        hasher().hash(password)  # the same work for an unknown name
    if not ok:
        raise UnauthenticatedError("Wrong username or password.", code="invalid_credentials")
    token = secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(hours=hours)
    await conn.execute("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (%s, %s, %s)",
                       (_hash(token), row["id"], expires))
    return token, HQUser(row["id"], row["username"], row["display_name"], row["role"]), expires


async def logout(conn: Any, token: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_hash = %s", (_hash(token),))


SESSION_SQL = """SELECT u.id, u.username, u.display_name, u.role FROM sessions s JOIN hq_users u ON u.id = s.user_id
    WHERE s.token_hash = %s AND s.expires_at > now() AND u.active"""


async def user_for_token(conn: Any, token: str | None) -> HQUser | None:
    if not token:
        return None
    row = await (await conn.execute(SESSION_SQL, (_hash(token),))).fetchone()
    return HQUser(row["id"], row["username"], row["display_name"], row["role"]) if row else None


def token_of(request: Any) -> str | None:
    header = request.headers.get("authorization") or ""
    if header.startswith("Bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


async def current_user(request: Any) -> HQUser:
    async with request.app.state.pool.connection() as conn:
        user = await user_for_token(conn, token_of(request))
        await conn.rollback()
    if user is None:
        raise UnauthenticatedError("Sign in to HQ first.", headers={"WWW-Authenticate": "Bearer"})
    return user
