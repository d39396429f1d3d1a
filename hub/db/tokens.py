"""Bearer tokens: only a SHA-256 of each is stored (tokens are 256-bit random, so no KDF)."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from typing import Any

from hub.ids import new_id

TOKEN_PREFIX = {"access": "sha_", "refresh": "shr_", "api": "shk_"}

# A token issued through a till dies with the till: revoking it revokes the tokens too, and the
# join refuses any that a concurrent sign-in issued while the revocation committed.
IDENTITY_SQL = """
SELECT t.id AS token_id, t.kind, t.device_id, t.expires_at,
       u.id AS user_id, u.username, u.display_name, u.role_id, r.name AS role, u.tills
FROM tokens t JOIN users u ON u.id = t.user_id JOIN roles r ON r.id = u.role_id
LEFT JOIN devices d ON d.id = t.device_id
WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND u.active = 1
  AND (t.expires_at IS NULL OR t.expires_at > :now) AND d.revoked_at IS NULL
"""
PERMISSIONS_SQL = "SELECT permission FROM role_permissions WHERE role_id = :role_id"
INSERT_SQL = """
INSERT INTO tokens (id, user_id, kind, token_hash, name, family, device_id, created_at, expires_at)
VALUES (:id, :user_id, :kind, :token_hash, :name, :family, :device_id, :created_at, :expires_at)
"""
API_TOKENS_SQL = """
SELECT id, name, created_at, expires_at, revoked_at, last_used_at FROM tokens
WHERE user_id = :user_id AND kind = 'api' AND (:all OR revoked_at IS NULL)
ORDER BY created_at DESC
"""
LIVE_API_TOKENS_SQL = """
SELECT count(*) FROM tokens WHERE user_id = :user_id AND kind = 'api' AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > :now)
"""
# A refresh token with its user, for rotation.
REFRESH_SQL = """
SELECT t.id, t.user_id, t.kind, t.family, t.device_id, t.expires_at, t.revoked_at,
       u.username, u.active, d.revoked_at AS device_revoked_at
FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN devices d ON d.id = t.device_id
WHERE t.token_hash = :hash
"""
# A rotated refresh token has a successor: a refresh token of its family issued when it was revoked.
SUCCESSOR_SQL = """
SELECT 1 FROM tokens
WHERE family = :family AND kind = 'refresh' AND id != :id AND created_at >= :revoked_at
LIMIT 1
"""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(conn: sqlite3.Connection, *, user_id: str, kind: str, expires_at: str | None,
          name: str | None = None, family: str | None = None,
          device_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """Create a token; returns (the secret, shown once, and its row without the hash)."""
    secret = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)
    row = {"id": new_id(), "user_id": user_id, "kind": kind, "token_hash": hash_token(secret),
           "name": name, "family": family, "device_id": device_id, "created_at": conn.stamp(),
           "expires_at": expires_at}
    conn.execute(INSERT_SQL, row)
    return secret, {k: v for k, v in row.items() if k != "token_hash"}


def identity_for(conn: sqlite3.Connection, token: str, now: str) -> dict[str, Any] | None:
    """The user behind a live token of an active user, with the role's permissions."""
    row = conn.execute(IDENTITY_SQL, {"hash": hash_token(token), "now": now}).fetchone()
    if row is None:
        return None
    ident = dict(row)
    ident["permissions"] = frozenset(
        r[0] for r in conn.execute(PERMISSIONS_SQL, {"role_id": ident["role_id"]})
    )
    return ident


def find(conn: sqlite3.Connection, token: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, user_id, kind, family, expires_at, revoked_at FROM tokens WHERE token_hash = ?",
        (hash_token(token),),
    ).fetchone()
    return dict(row) if row else None


def get(conn: sqlite3.Connection, token_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, user_id, kind, name, family, created_at, expires_at, revoked_at, last_used_at"
        " FROM tokens WHERE id = ?", (token_id,),
    ).fetchone()
    return dict(row) if row else None


def revoke(conn: sqlite3.Connection, token_id: str) -> int:
    """Revoke one token; returns 1 when it was live, 0 when already revoked."""
    cur = conn.execute("UPDATE tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
                       {"id": token_id, "now": conn.stamp()})
    return cur.rowcount


def revoke_family(conn: sqlite3.Connection, family: str) -> int:
    """Revoke every token of one login (its access and refresh tokens)."""
    cur = conn.execute("UPDATE tokens SET revoked_at = :now WHERE family = :f AND revoked_at IS NULL",
                       {"f": family, "now": conn.stamp()})
    return cur.rowcount


def revoke_all_for_device(conn: sqlite3.Connection, device_id: str) -> int:
    """Revoke every live token issued through a device (sign-ins on a till)."""
    cur = conn.execute("UPDATE tokens SET revoked_at = :now WHERE device_id = :d AND revoked_at IS NULL",
                       {"d": device_id, "now": conn.stamp()})
    return cur.rowcount


def revoke_all_for_user(conn: sqlite3.Connection, user_id: str, *, keep_family: str | None = None,
                        keep_token: str | None = None) -> int:
    """Revoke every live token of a user except one login (`keep_family`) or one token."""
    cur = conn.execute(
        "UPDATE tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL"
        " AND (:keep IS NULL OR family IS NOT :keep) AND (:keep_token IS NULL OR id != :keep_token)",
        {"u": user_id, "now": conn.stamp(), "keep": keep_family, "keep_token": keep_token},
    )
    return cur.rowcount


def list_api_tokens(conn: sqlite3.Connection, user_id: str, *,
                    include_revoked: bool = False) -> list[dict[str, Any]]:
    params = {"user_id": user_id, "all": int(include_revoked)}
    return [dict(r) for r in conn.execute(API_TOKENS_SQL, params)]


def count_live_api_tokens(conn: sqlite3.Connection, user_id: str, now: str) -> int:
    return int(conn.execute(LIVE_API_TOKENS_SQL, {"user_id": user_id, "now": now}).fetchone()[0])


def find_refresh(conn: sqlite3.Connection, token: str) -> dict[str, Any] | None:
    """The token row behind `token` with its user's name and state, or None."""
    row = conn.execute(REFRESH_SQL, {"hash": hash_token(token)}).fetchone()
    if row is None:
        return None
    found = dict(row)
    found["active"] = bool(found["active"])
    return found


def was_rotated(conn: sqlite3.Connection, token: dict[str, Any]) -> bool:
    """True when a revoked refresh token was replaced by a newer one (not merely logged out)."""
    if token["revoked_at"] is None or token["family"] is None:
        return False
    params = {"family": token["family"], "id": token["id"], "revoked_at": token["revoked_at"]}
    return conn.execute(SUCCESSOR_SQL, params).fetchone() is not None


def count_unrevoked(conn: sqlite3.Connection, user_id: str) -> int:
    """Tokens of a user not yet revoked (what a deactivation or reset will revoke)."""
    return int(conn.execute("SELECT count(*) FROM tokens WHERE user_id = ? AND revoked_at IS NULL",
                            (user_id,)).fetchone()[0])
