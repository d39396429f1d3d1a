"""The HQ link's work, one cycle at a time (docs/cloud-bridge.md): push the outbox, pull HQ's
changes, post the status and answer HQ's requests.

`Worker.cycle()` does one round and returns how long to wait before the next: 0 while there is
more to send, the idle interval when all is sent, a backoff from 2 s doubling to 5 min with full
jitter after a failure (at least HQ's Retry-After). The subsystem (hub.bridge.subsystem) runs it
in a thread; `soko-hub hq push-now` runs it in the CLI. Time and randomness are injected, so a
test can run days of outage without waiting for them.

One log line when HQ becomes unreachable and one when it is back; `401 hub_replaced` stops the
worker for good (the portal shows it): another hub speaks for this store now.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from cloud_bridge.link import HQError, HQUnreachable, Link
from hub.bridge import apply, outbox, state
from hub.clock import format_ts, utc_now

log = logging.getLogger("hub.bridge")
IDLE_S = 5.0
STATUS_EVERY_S = 60.0
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 300.0
BATCHES_PER_CYCLE = 20
PULL_LIMIT = 500
SNAPSHOT_BATCH = 500
ERROR_REWRITE_S = 300.0


class Store:
    """How the worker reaches the database: `read(fn)` and `write(fn)` with fn(conn)."""

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        raise NotImplementedError

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        raise NotImplementedError


class HubStore(Store):
    """The running hub's Database: writes on its writer thread, reads on the worker's own
    read-only connection."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self._reader: sqlite3.Connection | None = None

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        from hub.db.connection import connect

        if self._reader is None:
            self._reader = connect(self.db.path, readonly=True)
        self._reader.execute("BEGIN")
        try:
            return fn(self._reader)
        finally:
            self._reader.execute("COMMIT")

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        return self.db.write_sync(fn)

    def close(self) -> None:
        if self._reader is not None:
            try:
                self._reader.close()
            except Exception:  # noqa: BLE001 (made on the worker's thread)
                pass
            self._reader = None


class ConnStore(Store):
    """One plain connection (the CLI)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        return fn(self.conn)

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        from hub.db.connection import transaction

        with transaction(self.conn):
            return fn(self.conn)


def _now() -> str:
    return format_ts(utc_now())


def _identity(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.db import meta
    from hub.db.migrations import current_version

    return {"hub_id": meta.get(conn, "hub_id"), "epoch": meta.get(conn, "epoch"),
            "schema": current_version(conn), **state.values(conn)}


class Worker:
    def __init__(self, store: Store, data_dir: Path | str, *, link_factory: Callable[..., Any] = Link,
                 rng: random.Random | None = None, monotonic: Callable[[], float] = time.monotonic,
                 idle_s: float = IDLE_S, timeout: float = 30.0, settings: Any = None) -> None:
        self.store = store
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.link_factory = link_factory
        self.rng = rng or random.Random()
        self.monotonic = monotonic
        self.idle_s = idle_s
        self.timeout = timeout
        self.failures = 0
        self.reachable: bool | None = None
        self.last_status: float | None = None
        self.link: Any = None
        self.link_key: tuple | None = None
        self.pushed_total = 0
        self.stopped_reason: str | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.cached: tuple[int, list[dict[str, Any]]] | None = None

    # -- the round ------------------------------------------------------------------------------
    def cycle(self) -> float:
        """One round; returns the seconds to wait before the next."""
        ident = self.store.read(_identity)
        if "hq_url" not in ident:
            return self.idle_s
        if ident.get("replaced"):
            self.stopped_reason = "hub_replaced"
            return self.idle_s * 12
        creds = state.read_credentials(self.data_dir)
        if not creds or not creds.get("token"):
            self._error("the HQ credentials file is missing: enrol again")
            return self.idle_s * 12
        link = self._link(ident, creds)
        try:
            more = self.push(link, ident)
            self.pull(link)
            more = self.send_backup(link) or more
            if more or self.last_status is None or self.monotonic() - self.last_status >= STATUS_EVERY_S:
                more = self.post_status(link, ident) or more
        except HQUnreachable as err:
            return self._failed(str(err), None, unreachable=True)
        except HQError as err:
            if err.code == "hub_replaced":
                self._replaced(err)
                return self.idle_s * 12
            return self._failed(str(err), err.retry_after, unreachable=False)
        except Exception as err:  # noqa: BLE001 (the worker never dies: log, back off, go on)
            log.exception("the HQ link's round failed")
            return self._failed(f"{type(err).__name__}: {err}", None, unreachable=False)
        self._succeeded()
        return 0.0 if more else self.idle_s

    def send_backup(self, link: Any) -> bool:
        """The oldest sealed backup queued for HQ, if any (hub.bridge.backups)."""
        from hub.bridge import backups

        folder = self.settings.backup_path if self.settings is not None else self.data_dir / "backups"
        try:
            return backups.send_one(self.store, link, folder, _now())
        except sqlite3.OperationalError as err:  # a database from before operations' migration
            if "ops_backups" in str(err):
                return False
            raise

    def _link(self, ident: dict[str, Any], creds: dict[str, Any]) -> Any:
        key = (ident["hq_url"], creds.get("token"), ident.get("hub_id"))
        if self.link is None or self.link_key != key:
            if self.link is not None:
                self.close()
            self.link = self.link_factory(ident["hq_url"], token=creds["token"], hub_id=ident.get("hub_id"),
                                          ca_pem=creds.get("ca_pem"), timeout=self.timeout)
            self.link_key = key
        return self.link

    def close(self) -> None:
        if self.link is not None:
            try:
                self.link.close()
            except Exception:  # noqa: BLE001
                pass
            self.link = None

    # -- outcomes -------------------------------------------------------------------------------
    def _succeeded(self) -> None:
        self.failures = 0
        if self.reachable is False:
            log.info("HQ is reachable again")
        was = self.reachable
        self.reachable = True
        if was is not True:
            self.store.write(lambda c: (state.put(c, "reachable", "1"), state.put(c, "last_contact_at", _now())))
        else:
            self.store.write(lambda c: state.put(c, "last_contact_at", _now()))

    def backoff(self) -> float:
        """Full jitter: uniform in [0, min(max, first * 2^failures)]."""
        cap = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * (2 ** min(self.failures, 20)))
        return self.rng.uniform(0, cap)

    def _failed(self, message: str, retry_after: float | None, *, unreachable: bool) -> float:
        delay = self.backoff()
        self.failures += 1
        if retry_after is not None:
            delay = max(delay, retry_after)
        if unreachable and self.reachable is not False:
            log.warning("HQ is unreachable: %s (retrying with backoff)", message)
        was = self.reachable
        if unreachable:
            self.reachable = False
        self._error(message, reachable=False if unreachable else None, changed=was != self.reachable)
        return delay

    def _error(self, message: str, *, reachable: bool | None = None, changed: bool = True) -> None:
        """Record the error; the same error again within ERROR_REWRITE_S writes nothing (a long
        outage is hundreds of failed rounds, each would be a durable write)."""
        now = self.monotonic()
        if (not changed and message == self.last_error
                and self.last_error_at is not None and now - self.last_error_at < ERROR_REWRITE_S):
            return
        self.last_error, self.last_error_at = message, now
        at = _now()

        def put(c: sqlite3.Connection) -> None:
            state.put(c, "last_error", message[:500])
            state.put(c, "last_error_at", at)
            if reachable is not None and changed:
                state.put(c, "reachable", "1" if reachable else "0")
        self.store.write(put)

    def _replaced(self, err: HQError) -> None:
        log.error("HQ says another hub now speaks for this store (hub_replaced): the HQ link stops; "
                  "enrol again only if this hub should take the store back")
        self.stopped_reason = "hub_replaced"
        self.store.write(lambda c: (state.put(c, "replaced", _now()), state.put(c, "last_error", str(err)),
                                    state.put(c, "last_error_at", _now())))

    # -- up -------------------------------------------------------------------------------------
    def push(self, link: Any, ident: dict[str, Any], *, batches: int = BATCHES_PER_CYCLE) -> bool:
        """Push up to `batches` batches; True when more facts are waiting."""
        after = self.store.read(state.acked_through)
        for _ in range(batches):
            facts = self._batch(after)
            if not facts:
                return False
            body = {"hub_id": ident["hub_id"], "epoch": ident["epoch"], "facts": facts}
            try:
                answer = link.push(body)
            except HQError as err:
                if err.status == 409 and err.code == "sequence_gap" and "resend_from" in err.body:
                    after = max(0, int(err.body["resend_from"]) - 1)
                    self.store.write(lambda c: _force_acked(c, after))
                    continue
                raise
            acked = int(answer.get("acked_through", facts[-1]["seq"]))
            self.pushed_total += len(facts)
            self.store.write(lambda c: (state.set_acked(c, acked), state.put(c, "last_push_at", _now())))
            after = acked
        return bool(self.store.read(lambda c: outbox.pending(c, after, limit=1)))

    def _batch(self, after: int) -> list[dict[str, Any]]:
        """The batch after `after`; a batch that failed to go is kept and sent again as it was
        (facts never change), so retrying through a long outage does not rebuild it each round."""
        if self.cached is not None and self.cached[0] == after:
            return self.cached[1]
        facts = self.store.read(lambda c: outbox.pending(c, after))
        self.cached = (after, facts) if facts else None
        return facts

    # -- down -----------------------------------------------------------------------------------
    def pull(self, link: Any) -> int:
        """Pull HQ's changes into the hub (a snapshot first when there is no cursor or HQ says
        410); returns how many changes were applied."""
        cursor = self.store.read(lambda c: state.get(c, "cursor"))
        applied = 0
        if not cursor:
            applied += self.load_snapshot(link)
            cursor = self.store.read(lambda c: state.get(c, "cursor"))
        for _ in range(100):
            try:
                answer = link.changes(cursor, limit=PULL_LIMIT)
            except HQError as err:
                if err.status == 410:
                    applied += self.load_snapshot(link)
                    cursor = self.store.read(lambda c: state.get(c, "cursor"))
                    continue
                raise
            changes = answer.get("changes") or []
            new_cursor = answer.get("cursor") or cursor

            def write(c: sqlite3.Connection, changes: list = changes, new_cursor: str = new_cursor) -> int:
                n = sum(apply.apply_change(c, ch) == "applied" for ch in changes)
                state.put(c, "cursor", new_cursor)
                state.put(c, "last_pull_at", _now())
                return n
            applied += self.store.write(write)
            cursor = new_cursor
            if not answer.get("more"):
                break
        return applied

    def load_snapshot(self, link: Any) -> int:
        header: dict[str, Any] = {}
        rows: list[dict[str, Any]] = []
        for row in link.snapshot():
            if "entity" not in row:
                header = row if "cursor" in row else header
                continue
            rows.append(row)
        applied = 0
        ordered = apply.order_for_apply(rows)
        for i in range(0, len(ordered), SNAPSHOT_BATCH):
            part = ordered[i:i + SNAPSHOT_BATCH]
            applied += self.store.write(lambda c, part=part: sum(apply.apply_change(c, r) == "applied" for r in part))
        cursor = header.get("cursor")
        self.store.write(lambda c: (state.put(c, "cursor", cursor), state.put(c, "last_pull_at", _now())))
        log.info("loaded HQ's snapshot: %d rows, %d applied", len(rows), applied)
        return applied

    # -- status and requests -------------------------------------------------------------------
    def post_status(self, link: Any, ident: dict[str, Any]) -> bool:
        """Post the status and answer HQ's requests; True when one asked for a resend."""
        body = self.store.read(lambda c: status_body(c))
        answer = link.status(body)
        self.last_status = self.monotonic()
        requests = answer.get("requests") or []
        for request in requests:
            self.answer_request(link, request)
        return any(r.get("kind") == "resend" for r in requests)

    def answer_request(self, link: Any, request: dict[str, Any]) -> None:
        kind, params = request.get("kind"), request.get("params") or {}
        try:
            if kind == "resend":
                from_seq = max(1, int(params.get("from_seq", 1)))
                self.store.write(lambda c: _force_acked(c, from_seq - 1))
                result = {"status": "done", "data": {"from_seq": from_seq}}
            elif kind == "report":
                result = {"status": "done", "data": self.store.read(lambda c: run_report(c, params))}
            elif kind == "doctor":
                result = {"status": "done", "data": self.store.read(lambda c: run_doctor(c, self.settings))}
            else:
                result = {"status": "failed", "error": f"unknown request kind {kind!r}"}
        except Exception as err:  # noqa: BLE001 (an answer HQ can read, whatever went wrong)
            result = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        link.request_result(str(request["id"]), result)


def _force_acked(conn: sqlite3.Connection, through: int) -> None:
    from hub.db import meta

    state.put(conn, "acked_epoch", meta.get(conn, "epoch") or "")
    state.put(conn, "acked_through", max(0, through))


def status_body(conn: sqlite3.Connection) -> dict[str, Any]:
    import hub
    from hub.db import meta
    from hub.db.migrations import current_version

    info = state.bridge_status(conn)
    fiscal: dict[str, Any] = {}
    try:
        row = conn.execute("""SELECT (SELECT count(*) FROM fiscal_devices WHERE status = 'registered'),
                                     (SELECT count(*) FROM fiscal_receipts WHERE status = 'queued'),
                                     (SELECT min(created_at) FROM fiscal_receipts WHERE status = 'queued')""").fetchone()
        fiscal = {"devices": row[0], "queue": row[1], "oldest_unsent_at": row[2], "day_status": None}
    except sqlite3.Error:
        pass
    tills = conn.execute("SELECT count(*) FROM devices WHERE revoked_at IS NULL").fetchone()[0]
    return {"hub_id": meta.get(conn, "hub_id"), "epoch": meta.get(conn, "epoch"), "hub_time": _now(),
            "versions": {"hub": hub.__version__, "schema": current_version(conn)},
            "backlog": info["backlog"], "oldest_unsent_at": info["oldest_unsent_at"],
            "last_error": info["last_error"], "cursor": info["cursor"], "fiscal": fiscal, "tills": tills}


def run_report(conn: sqlite3.Connection, params: dict[str, Any]) -> Any:
    """One of the hub's reports as JSON (hub.reports), for HQ's request."""
    from hub.reports.api import known, read_report

    name = str(params.get("name"))
    known(name)
    return read_report(conn, name, "custom", str(params.get("from") or ""), str(params.get("to") or ""))


def run_doctor(conn: sqlite3.Connection, settings: Any = None) -> Any:
    """The doctor's findings (hub.ops.doctor), when this hub has the doctor."""
    try:
        from hub.ops import doctor
    except ImportError:
        return {"findings": [], "note": "this hub has no doctor"}
    facts = doctor.read_facts(conn, integrity=False)
    if settings is None:
        return {"facts": {k: v for k, v in facts.items() if k != "config"}}
    return doctor.report(doctor.examine(settings, facts))
