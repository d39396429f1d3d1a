"""Rules for people: who may grant which role, who may touch whom, and the last administrator.

The `*_user` functions below each run as one `db.write` transaction: they check, change, and
append exactly one audit entry, or raise (and the transaction rolls back, changing nothing).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, Iterable

from hub.auth.passwords import WeakSecretError, check_password_rules, check_pin_rules
from hub.db import audit, roles, tokens, users
from hub.db.audit import Actor
from hub.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError

# Whoever holds this can repair every other permission, so one active holder must always remain.
ADMIN_PERMISSION = "roles.manage"


USERNAME_PATTERN = r"^[A-Za-z0-9._-]{3,32}$"
_USERNAME = re.compile(USERNAME_PATTERN)


def normalise_username(username: str) -> str:
    """The stored form of a username (lower case); InvalidInputError when it cannot be one."""
    name = username.strip()
    if not _USERNAME.match(name):
        raise InvalidInputError("a username is 3 to 32 letters, digits, dots, dashes or underscores",
                                code="invalid_username")
    return name.lower()


def normalise_tills(tills: Iterable[str] | None) -> list[str] | None:
    """Device ids without repeats, in the order given; None means every till."""
    return None if tills is None else list(dict.fromkeys(tills))


def check_secrets(password: str | None, pin: str | None) -> None:
    """Raise InvalidInputError when a given password or PIN breaks the rules."""
    try:
        if password is not None:
            check_password_rules(password)
    except WeakSecretError as err:
        raise InvalidInputError(str(err), code="weak_password") from err
    try:
        if pin is not None:
            check_pin_rules(pin)
    except WeakSecretError as err:
        raise InvalidInputError(str(err), code="weak_pin") from err


def check_can_grant(actor_permissions: frozenset[str], role: dict[str, Any]) -> None:
    """Nobody hands out a role holding a permission they do not hold themselves."""
    missing = sorted(set(role["permissions"]) - actor_permissions)
    if missing:
        raise PermissionDeniedError(
            f"the role {role['name']!r} holds permissions you do not hold: {', '.join(missing)}",
            code="privilege_escalation", extra={"missing": missing})


def check_can_manage(actor_permissions: frozenset[str], target: dict[str, Any],
                     target_permissions: frozenset[str]) -> None:
    """Nobody edits a user whose role holds a permission they do not hold (a manager vs an admin)."""
    missing = sorted(target_permissions - actor_permissions)
    if missing:
        raise PermissionDeniedError(
            f"{target['username']} holds permissions you do not hold: {', '.join(missing)}",
            code="privilege_escalation", extra={"missing": missing})


def check_admin_remains(conn: sqlite3.Connection, had_admin: bool) -> None:
    """Call after a change: refuse it when it left no active user holding roles.manage."""
    if had_admin and users.count_active_with_permission(conn, ADMIN_PERMISSION) == 0:
        raise ConflictError(
            f"this would leave no active user holding {ADMIN_PERMISSION}; give another user "
            "that permission first", code="last_admin")


def _role(conn: sqlite3.Connection, role_id: str) -> dict[str, Any]:
    role = roles.get_role(conn, role_id)
    if role is None:
        raise InvalidInputError(f"there is no role {role_id}", code="unknown_role")
    return role


def _target(conn: sqlite3.Connection, actor_permissions: frozenset[str],
            user_id: str) -> tuple[dict[str, Any], frozenset[str]]:
    user = users.get_user(conn, user_id)
    if user is None:
        raise NotFoundError(f"there is no user {user_id}")
    held = users.permissions_of(conn, user_id)
    check_can_manage(actor_permissions, user, held)
    return user, held


def create_user(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str], *,
                username: str, display_name: str, role_id: str, password_hash: str | None,
                pin_hash: str | None, tills: list[str] | None) -> dict[str, Any]:
    check_can_grant(actor_permissions, _role(conn, role_id))
    if users.get_user_by_username(conn, username) is not None:
        raise ConflictError(f"the username {username!r} is taken", code="username_taken")
    user = users.create_user(conn, username=username, display_name=display_name, role_id=role_id,
                             password_hash=password_hash, pin_hash=pin_hash, tills=tills)
    audit.append(conn, actor, "user.created", "user", user["id"], after=user)
    return user


def update_user(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str],
                user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply display_name / role_id / tills; a change that changes nothing writes nothing."""
    user, held = _target(conn, actor_permissions, user_id)
    changes = {k: v for k, v in changes.items() if user[k] != v}
    if not changes:
        return user
    if "role_id" in changes:
        check_can_grant(actor_permissions, _role(conn, changes["role_id"]))
    updated = users.update_user(conn, user_id, **changes)
    check_admin_remains(conn, user["active"] and ADMIN_PERMISSION in held)
    audit.append(conn, actor, "user.updated", "user", user_id, before=user, after=updated)
    return updated


def set_active(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str],
               user_id: str, active: bool) -> dict[str, Any]:
    """Activate or deactivate; deactivating revokes every token the user holds."""
    if not active and user_id == actor.user_id:
        raise ConflictError("you cannot deactivate yourself", code="self_deactivation")
    user, held = _target(conn, actor_permissions, user_id)
    if user["active"] == active:
        return user
    updated = users.update_user(conn, user_id, active=active)
    revoked = 0
    if not active:
        revoked = tokens.revoke_all_for_user(conn, user_id)
        check_admin_remains(conn, ADMIN_PERMISSION in held)
    audit.append(conn, actor, "user.activated" if active else "user.deactivated", "user", user_id,
                 before=user, after=updated, detail={"revoked_tokens": revoked} if revoked else None)
    return updated


def reset_secret(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str],
                 user_id: str, kind: str, new_hash: str) -> None:
    """Set another user's password (revoking their tokens) or PIN."""
    if user_id == actor.user_id:
        raise ConflictError(f"change your own {kind} with POST /api/v1/auth/me/{kind}, which asks "
                            "for your current password", code="self_reset")
    _target(conn, actor_permissions, user_id)
    users.update_user(conn, user_id, **{f"{kind}_hash": new_hash})
    revoked = tokens.revoke_all_for_user(conn, user_id) if kind == "password" else 0
    audit.append(conn, actor, f"user.{kind}_reset", "user", user_id,
                 detail={"revoked_tokens": revoked} if revoked else None)
