"""Sign-in rules: issuing a login's token pair, rotating it, signing out, and the caller's own account.

The functions taking a connection each run as one `db.write` transaction and append exactly one
audit entry. Refusals that must still be recorded (a reused refresh token) return an outcome
instead of raising, because raising rolls the transaction back. They run on the writer thread,
where the request id context variable is not set, so callers pass it in.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.clock import format_ts, parse_ts
from hub.db import audit, devices, tokens, users
from hub.devices.service import check_till_allowed
from hub.db.audit import Actor
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.ids import new_id

INVALID_CREDENTIALS = "the username, password or PIN is wrong, or the account is deactivated"
# A user may hold this many live API tokens; revoke one to make another.
MAX_API_TOKENS = 20


def login_method(password: str | None, pin: str | None) -> tuple[str, str]:
    """('password' | 'pin', the secret): a login carries exactly one of the two."""
    if (password is None) == (pin is None):
        raise InvalidInputError("send either `password` or `pin`, not both and not neither",
                                code="invalid_credentials_shape")
    if password is not None:
        return "password", password
    assert pin is not None
    return "pin", pin


def expiry(now: str, seconds: int) -> str:
    return format_ts(parse_ts(now) + dt.timedelta(seconds=seconds))


def _actor(user: dict[str, Any], request_id: str | None, device_id: str | None = None) -> Actor:
    return Actor(user_id=user["id"], username=user["username"], device_id=device_id,
                 request_id=request_id)


def me(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """The user with the permissions of their role."""
    user = users.get_user(conn, user_id)
    if user is None:
        raise NotFoundError(f"there is no user {user_id}")
    return {**user, "permissions": sorted(users.permissions_of(conn, user_id))}


def _token_pair(conn: sqlite3.Connection, user_id: str, family: str,
                ttl: tuple[int, int], device_id: str | None = None) -> dict[str, Any]:
    now = conn.stamp()
    access, _ = tokens.issue(conn, user_id=user_id, kind="access", family=family,
                             expires_at=expiry(now, ttl[0]), device_id=device_id)
    refresh, row = tokens.issue(conn, user_id=user_id, kind="refresh", family=family,
                                expires_at=expiry(now, ttl[1]), device_id=device_id)
    return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
            "expires_at": expiry(now, ttl[0]), "refresh_expires_at": row["expires_at"],
            "user": me(conn, user_id)}


def login(conn: sqlite3.Connection, user_id: str, *, method: str, address: str | None,
          request_id: str | None, ttl: tuple[int, int],
          rehash: str | None = None, device_id: str | None = None) -> dict[str, Any] | None:
    """Issue a new login's token pair (one family, bound to till `device_id`); None if deactivated meanwhile."""
    user = users.get_user(conn, user_id)
    if user is None or not user["active"]:
        return None
    check_till_allowed(user, devices.get_device(conn, device_id) if device_id else None)
    if rehash is not None:
        users.update_user(conn, user_id, **{f"{method}_hash": rehash})
    family = new_id()
    session = _token_pair(conn, user_id, family, ttl, device_id)
    audit.append(conn, _actor(user, request_id, device_id), "auth.login", "user", user_id,
                 detail={"method": method, "address": address, "family": family,
                         "rehashed": rehash is not None})
    return session


def login_failed(conn: sqlite3.Connection, *, username: str, user_id: str | None, reason: str,
                 method: str, address: str | None, request_id: str | None,
                 device_id: str | None = None) -> None:
    """Record a refused login; the reason is for the audit log only, never for the caller."""
    audit.append(conn, Actor(request_id=request_id, device_id=device_id), "auth.login_failed", "user", user_id,
                 detail={"username": username, "reason": reason, "method": method, "address": address})


def refresh(conn: sqlite3.Connection, token: str, *, address: str | None, request_id: str | None,
            ttl: tuple[int, int]) -> dict[str, Any]:
    """Rotate a refresh token: {"session": ...} or {"error": code}; reuse revokes the family."""
    found = tokens.find_refresh(conn, token)
    if found is None or found["kind"] != "refresh":
        return {"error": "invalid_token"}
    user = {"id": found["user_id"], "username": found["username"]}
    if found["revoked_at"] is not None:
        if not tokens.was_rotated(conn, found):  # signed out or deactivated: simply dead
            return {"error": "invalid_token"}
        # A rotated token came back: the client or a thief holds a copy, and we cannot tell which.
        revoked = tokens.revoke_family(conn, found["family"])
        audit.append(conn, _actor(user, request_id), "auth.refresh_reused", "user", user["id"],
                     detail={"family": found["family"], "revoked_tokens": revoked, "address": address})
        return {"error": "refresh_token_reused"}
    expired = found["expires_at"] is not None and found["expires_at"] <= conn.stamp()
    if not found["active"] or expired or found["device_revoked_at"] is not None:
        return {"error": "invalid_token"}
    tokens.revoke(conn, found["id"])
    # The new pair stays bound to the till the login was made on, so revoking the till ends it.
    session = _token_pair(conn, user["id"], found["family"], ttl, found["device_id"])
    audit.append(conn, _actor(user, request_id, found["device_id"]), "auth.refresh", "user", user["id"],
                 detail={"family": found["family"], "address": address})
    return {"session": session}


def logout(conn: sqlite3.Connection, actor: Actor, token_id: str) -> None:
    """Revoke the caller's login (its token family), or the API token it called with."""
    token = tokens.get(conn, token_id)
    assert token is not None
    family = token["family"]
    revoked = tokens.revoke_family(conn, family) if family else tokens.revoke(conn, token_id)
    audit.append(conn, actor, "auth.logout", "user", actor.user_id,
                 detail={"family": family, "token_id": token_id, "revoked_tokens": revoked})


def update_me(conn: sqlite3.Connection, actor: Actor, user_id: str, display_name: str) -> dict[str, Any]:
    user = users.get_user(conn, user_id)
    assert user is not None
    if user["display_name"] != display_name:
        updated = users.update_user(conn, user_id, display_name=display_name)
        audit.append(conn, actor, "user.updated", "user", user_id, before=user, after=updated)
    return me(conn, user_id)


def change_password(conn: sqlite3.Connection, actor: Actor, user_id: str, new_hash: str, *,
                    keep_token_id: str) -> None:
    """Set the caller's password and revoke every other login and API token they hold."""
    keep = tokens.get(conn, keep_token_id)
    assert keep is not None
    users.update_user(conn, user_id, password_hash=new_hash)
    revoked = tokens.revoke_all_for_user(
        conn, user_id, keep_family=keep["family"], keep_token=None if keep["family"] else keep_token_id)
    audit.append(conn, actor, "user.password_changed", "user", user_id,
                 detail={"revoked_tokens": revoked})


def change_pin(conn: sqlite3.Connection, actor: Actor, user_id: str, new_hash: str) -> None:
    users.update_user(conn, user_id, pin_hash=new_hash)
    audit.append(conn, actor, "user.pin_changed", "user", user_id)


def create_api_token(conn: sqlite3.Connection, actor: Actor, user_id: str, name: str,
                     expires_in_days: int | None) -> dict[str, Any]:
    """A named API token; the returned row carries the secret under `token`, shown once."""
    now = conn.stamp()
    if tokens.count_live_api_tokens(conn, user_id, now) >= MAX_API_TOKENS:
        raise ConflictError(f"you hold {MAX_API_TOKENS} live API tokens; revoke one first",
                            code="too_many_tokens")
    expires_at = expiry(now, expires_in_days * 86400) if expires_in_days else None
    secret, row = tokens.issue(conn, user_id=user_id, kind="api", expires_at=expires_at, name=name)
    audit.append(conn, actor, "token.created", "token", row["id"],
                 after={"name": name, "user_id": user_id, "expires_at": expires_at})
    return {**row, "token": secret, "last_used_at": None}


def revoke_api_token(conn: sqlite3.Connection, actor: Actor, user_id: str, token_id: str) -> None:
    """Revoke one of the caller's own live API tokens; any other id is not found."""
    token = tokens.get(conn, token_id)
    if token is None or token["user_id"] != user_id or token["kind"] != "api" or token["revoked_at"]:
        raise NotFoundError(f"you hold no live API token {token_id}")
    tokens.revoke(conn, token_id)
    audit.append(conn, actor, "token.revoked", "token", token_id,
                 before={"name": token["name"], "user_id": user_id})
