"""The HQ collector served by uvicorn on 127.0.0.1 (a free port) in a thread, against a fresh
database of a throwaway PostgreSQL cluster (hub.bench.pgcluster), for the tests and the store-day bench:

    with HQ(pg_cluster) as hq:
        code = hq.create_store("S001")           # the store, and an enrolment code for it
        hq.url                                   # what a hub is given as HQ's URL
        hq.sql("SELECT count(*) FROM facts")     # rows as tuples
        hq.admin                                 # an httpx client signed in as HQ's admin
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from hub.bench.pgcluster import _free_port as free_port

import cloud_bridge.hq.users

# HQ users' password hashing at a test's cost (the collector reads these at call time).
cloud_bridge.hq.users.PASSWORD_TIME_COST = 1
cloud_bridge.hq.users.PASSWORD_MEMORY_KIB = 64

ADMIN = ("hq-admin", "hq-admin-password")
ANALYST = ("hq-analyst", "hq-analyst-password")


class HQ:
    """A running collector with an admin and an analyst user."""

    def __init__(self, pg: Any, **settings: Any) -> None:
        self.pg = pg
        self.overrides = settings
        self.port = free_port()
        self.dsn = ""
        self.backups_dir: Path | None = None
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self._clients: list[httpx.Client] = []
        self._admin: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "HQ":
        from cloud_bridge.hq.app import create_app
        from cloud_bridge.hq.db import migrate_sync
        from cloud_bridge.hq.settings import HQSettings
        from cloud_bridge.hq.users import create_user_sync

        if isinstance(self.pg, str):
            self.dsn = self.pg
            migrate_sync(self.dsn)
            create_user_sync(self.dsn, *ADMIN, role="admin", display_name="HQ admin")
            create_user_sync(self.dsn, *ANALYST, role="analyst", display_name="HQ analyst")
        else:  # a copy of a migrated database with the users, made once per cluster
            if getattr(self.pg, "hq_template", None) is None:
                template = self.pg.create_database("hq_template")
                migrate_sync(template)
                create_user_sync(template, *ADMIN, role="admin", display_name="HQ admin")
                create_user_sync(template, *ANALYST, role="analyst", display_name="HQ analyst")
                self.pg.hq_template = "hq_template"
            self.dsn = self.pg.create_database(template=self.pg.hq_template)
            # each database its own feed epoch, as a real HQ database has
            self.sql("UPDATE meta SET value = replace(gen_random_uuid()::text, '-', '') WHERE key = 'epoch'")
        self.backups_dir = Path(tempfile.mkdtemp(prefix="soko-hq-backups-"))
        values = {"dsn": self.dsn, "backups_dir": str(self.backups_dir), "public_url": self.url, "pool_size": 8,
                  **self.overrides}
        app = create_app(HQSettings(**values))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, loop="asyncio", http="h11",
                                log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="test-hq-uvicorn", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HQ collector did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(15)
            assert not self.thread.is_alive(), "the HQ collector did not stop"
        if self.backups_dir is not None:
            shutil.rmtree(self.backups_dir, ignore_errors=True)

    def __enter__(self) -> "HQ":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    TABLES = ("facts", "fact_ids", "hub_epochs", "hubs", "enrolment_codes", "sales", "sale_lines", "voids",
              "refunds", "corrections", "stock_movements", "stock", "sale_costs", "store_products", "reference",
              "changes", "requests", "store_status", "backups", "stores")

    def reset(self) -> "HQ":
        """Empty every table but HQ's admin and analyst (a running collector reused by many tests)."""
        self.sql("TRUNCATE " + ", ".join(self.TABLES) + " RESTART IDENTITY CASCADE")
        self.sql("DELETE FROM meta WHERE key = 'trimmed_through'")
        self.sql("DELETE FROM sessions WHERE user_id IN (SELECT id FROM hq_users WHERE username NOT IN (%s, %s))",
                 ADMIN[0], ANALYST[0])
        self.sql("DELETE FROM hq_users WHERE username NOT IN (%s, %s)", ADMIN[0], ANALYST[0])
        if self.backups_dir is not None:
            for child in self.backups_dir.iterdir():
                shutil.rmtree(child, ignore_errors=True)
        return self

    # -- clients ---------------------------------------------------------------------------------
    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def login(self, username: str, password: str) -> str:
        r = self.client().post("/api/hq/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 201, r.text
        return r.json()["access_token"]

    @property
    def admin(self) -> httpx.Client:
        if self._admin is None:
            self._admin = self.client(self.login(*ADMIN))
        return self._admin

    def analyst(self) -> httpx.Client:
        return self.client(self.login(*ANALYST))

    def hub_client(self, token: str, hub_id: str) -> httpx.Client:
        """A client speaking as an enrolled hub (Authorization and X-Soko-Hub)."""
        return self.client(token, **{"X-Soko-Hub": hub_id})

    # -- fixtures --------------------------------------------------------------------------------
    def create_store(self, code: str, name: str | None = None, time_zone: str = "Africa/Harare",
                     currencies: tuple[str, ...] = ("USD", "ZWG")) -> str:
        """Make the store at HQ (once) and return a new enrolment code for it."""
        r = self.admin.post("/api/hq/v1/stores", json={"code": code, "name": name or f"Store {code}",
                                                       "time_zone": time_zone, "currencies": list(currencies)})
        assert r.status_code in (201, 409), r.text
        return self.enrolment_code(code)

    def enrolment_code(self, store_code: str) -> str:
        r = self.admin.post(f"/api/hq/v1/stores/{store_code}/enrolment")
        assert r.status_code == 201, r.text
        return r.json()["code"]

    def enrol(self, store_code: str, hub_id: str = "hub-1", epoch: str = "e1") -> dict[str, Any]:
        """Enrol a (pretend) hub directly: the enrolment answer (token, fence, ...)."""
        code = self.create_store(store_code)
        r = self.client().post("/api/hq/v1/enrol", json={"code": code, "hub_id": hub_id, "store_code": store_code,
                                                         "epoch": epoch, "hub_version": "test", "schema_version": 1})
        assert r.status_code == 201, r.text
        return r.json()

    def sql(self, query: str, *params: Any) -> list[tuple]:
        """Run one statement on HQ's database (committed); its rows, if any."""
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            cur = conn.execute(query, params or None)
            return cur.fetchall() if cur.description else []

    def scalar(self, query: str, *params: Any) -> Any:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None
