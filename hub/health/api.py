"""GET /api/v1/health: is the hub up, which hub and store is it, is its database usable."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get

import hub
from hub.auth.access import public


class DatabaseHealth(msgspec.Struct):
    ok: bool
    detail: str | None = None


class ClockHealth(msgspec.Struct):
    ok: bool
    behind_floor_s: float
    floor: str | None


class TlsHealth(msgspec.Struct):
    enabled: bool
    key_pin: str | None  # base64 SHA-256 of the key's SubjectPublicKeyInfo; tills pin it


class Health(msgspec.Struct):
    status: str
    version: str
    hub_id: str | None
    store_id: str | None
    epoch: str | None
    demo: bool
    uptime_s: float
    database: DatabaseHealth
    clock: ClockHealth
    tls: TlsHealth


def _ping(conn) -> None:
    conn.execute("SELECT 1 FROM meta LIMIT 1").fetchone()


class HealthController(Controller):
    path = "/api/v1/health"
    tags = ["health"]

    @get(opt=public(), summary="Hub status, identity and database health (no auth)")
    async def health(self, request: Request) -> Health:
        state = request.app.state
        db_health = DatabaseHealth(ok=True)
        try:
            await state.db.read(_ping)
        except Exception as err:  # health reports the failure instead of raising it
            db_health = DatabaseHealth(ok=False, detail=str(err))
        behind = state.db.floor.behind_by().total_seconds()
        ident = state.identity
        return Health(
            status="ok" if db_health.ok else "degraded",
            version=hub.__version__,
            hub_id=ident.get("hub_id"),
            store_id=ident.get("store_id"),
            epoch=ident.get("epoch"),
            demo=ident.get("demo") == "1",
            uptime_s=round(state.uptime.seconds(), 3),
            database=db_health,
            clock=ClockHealth(ok=behind == 0, behind_floor_s=round(behind, 3), floor=state.db.floor.value),
            tls=TlsHealth(enabled=getattr(state, "tls_enabled", False), key_pin=getattr(state, "tls_pin", None)),
        )
