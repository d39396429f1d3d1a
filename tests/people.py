"""Test helpers for the people-and-permissions API: throwaway users and roles, audit counts."""

from __future__ import annotations

import itertools
import sqlite3
from typing import Any

import httpx

from tests.hubtest import Hub

ROLES = ("admin", "manager", "supervisor", "cashier")
ROOT = "matrix-root"
ROOT_PASSWORD = "root-password-1"
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial):04d}"


def audit_count(hub: Hub) -> int:
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()


def audit_entries(hub: Hub, after_seq: int = 0) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", (after_seq,))
        return [dict(r) for r in rows]
    finally:
        conn.close()


def query(hub: Hub, sql: str, *params: Any) -> list[tuple]:
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class People:
    """Makes users and roles through the API as a dedicated admin that no test signs out."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        # One client for calls that carry their own token: a new httpx client costs ~40 ms.
        self.http = hub.client()
        admin = hub.as_user("admin")
        self.roles = {r["name"]: r for r in admin.get("/api/v1/roles").json()}
        r = admin.post("/api/v1/users", json={"username": ROOT, "display_name": "Matrix Root",
                                              "role_id": self.roles["admin"]["id"],
                                              "password": ROOT_PASSWORD})
        assert r.status_code == 201, r.text
        self.root = hub.client(hub.login(ROOT, ROOT_PASSWORD)["access_token"])

    def role_id(self, name: str) -> str:
        return self.roles[name]["id"]

    def new_user(self, role: str = "cashier", *, password: str = "throwaway-pw-1",
                 active: bool = True) -> dict[str, Any]:
        r = self.root.post("/api/v1/users", json={
            "username": unique("user"), "display_name": "Throwaway", "role_id": self.role_id(role),
            "password": password, "pin": "1357"})
        assert r.status_code == 201, r.text
        user = r.json()
        if not active:
            r = self.root.post(f"/api/v1/users/{user['id']}/deactivate")
            assert r.status_code == 200, r.text
            user = r.json()
        user["password"] = password
        return user

    def new_role(self, permissions: list[str] | None = None) -> dict[str, Any]:
        r = self.root.post("/api/v1/roles", json={"name": unique("role"), "permissions": permissions or []})
        assert r.status_code == 201, r.text
        return r.json()

    def login(self, username: str, password: str | None = None) -> dict[str, Any]:
        password = password if password is not None else self.hub.credentials[username][0]
        r = self.http.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 201, r.text
        return r.json()

    def call(self, method: str, path: str, token: str | None, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, path, json=body, headers=headers)

    def client_as(self, username: str, password: str | None = None) -> httpx.Client:
        """A client with a fresh login of its own (one token family)."""
        return self.hub.client(self.hub.login(username, password)["access_token"])
