"""The till's side of docs/sync.md: pull reference data down, push facts up, report status.

- Down: `pull` reads `GET /api/v1/sync/changes` from the stored cursor (long-polling with
  `wait`) and applies each answer in one local transaction; a `410` (the hub's epoch changed, or
  the cursor is older than the feed keeps) loads `GET /api/v1/sync/snapshot` into fresh tables
  and swaps them in. A new epoch means the hub was restored or re-created: every fact the till
  still holds is sent again (the hub answers `duplicate` for those it has).
- Up: `upload` sends the outbox from its oldest unacknowledged fact in contiguous batches; a fact
  counts as delivered only when `acked_through` covers it; `409 sequence_gap` resends from
  `resend_from`. No answer (cut off, refused, timed out) leaves the facts queued for the next try.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from reftill.facts import digest_of_events
from reftill.http import APP_VERSION, PROTOCOL_VERSION, HubClient, HubRefusedError, HubUnreachableError
from reftill.store import LocalStore

BATCH_EVENTS = 100  # facts per upload (the hub takes at most 200)
CHANGES_LIMIT = 2000
EVENTS_PATH = "/api/v1/sync/events"
CHANGES_PATH = "/api/v1/sync/changes"
SNAPSHOT_PATH = "/api/v1/sync/snapshot"
STATUS_PATH = "/api/v1/sync/status"
DIGESTS_PATH = "/api/v1/sync/shift-digests"


class SnapshotIncompleteError(Exception):
    """The snapshot download ended without its closing line, or with another row count."""


class SequenceError(Exception):
    """The hub wants facts the till no longer holds, or says it holds more than the till made."""


def stamp(moment: dt.datetime) -> str:
    """RFC 3339 with microseconds and the offset the moment carries."""
    return moment.isoformat(timespec="microseconds")


class Sync:
    """Pull and push for one till (its store, its client, its clock)."""

    def __init__(self, store: LocalStore, client: HubClient, clock) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.last_error: str | None = None
        self.last_failed_request: str | None = None
        self.last_failed_at: str | None = None
        self.offline_since: float | None = None
        self.skew_ms: int | None = None
        self.counts = {"uploads": 0, "acked": 0, "duplicates": 0, "quarantined": 0, "applied": 0,
                       "sequence_gaps": 0, "snapshots": 0, "new_epochs": 0, "resent": 0}

    # ---- bookkeeping --------------------------------------------------------------------------

    def _failed(self, request: str, err: Exception) -> None:
        self.last_error = str(err)[:500]
        self.last_failed_request = request
        self.last_failed_at = stamp(self.clock())
        if isinstance(err, HubUnreachableError) and self.offline_since is None:
            self.offline_since = time.monotonic()

    def _reached(self, answer: Any) -> None:
        self.offline_since = None
        if isinstance(answer, dict) and answer.get("skew_ms") is not None:
            self.skew_ms = int(answer["skew_ms"])

    def offline_seconds(self) -> int:
        return 0 if self.offline_since is None else int(time.monotonic() - self.offline_since)

    # ---- down -----------------------------------------------------------------------------------

    def pull(self, wait: int = 0) -> int:
        """Apply what changed since the stored cursor; the number of changes applied."""
        cursor = self.store.get("cursor")
        if cursor is None:
            return self.load_snapshot()
        applied = 0
        while True:
            try:
                _, answer = self.client.call("GET", CHANGES_PATH, params={
                    "cursor": cursor, "limit": CHANGES_LIMIT, "wait": wait}, timeout=wait + 15)
            except HubRefusedError as err:
                if err.status == 410:
                    return applied + self.load_snapshot()
                self._failed(f"GET {CHANGES_PATH}", err)
                raise
            except HubUnreachableError as err:
                self._failed(f"GET {CHANGES_PATH}", err)
                raise
            self._reached(answer)
            cursor = answer["cursor"]
            applied += self.store.apply_changes(answer.get("changes") or [], {"cursor": cursor})
            if not answer.get("more"):
                return applied
            wait = 0

    def load_snapshot(self) -> int:
        """Download the snapshot, load it aside and swap it in; a new epoch resends the outbox."""
        header: dict[str, Any] = {}

        def rows():
            lines = self.client.stream_lines(SNAPSHOT_PATH)
            header.update(next(lines))
            n = 0
            for line in lines:
                if line.get("end"):
                    if line.get("count") != n:
                        raise SnapshotIncompleteError(f"the snapshot says {line.get('count')} rows, {n} came")
                    return
                n += 1
                yield line
            raise SnapshotIncompleteError("the snapshot ended without its closing line")

        try:
            loaded = self.store.replace_reference(rows(), {})
        except (HubUnreachableError, HubRefusedError, SnapshotIncompleteError) as err:
            self._failed(f"GET {SNAPSHOT_PATH}", err)
            raise
        known_epoch = self.store.get("epoch")
        with self.store.transaction() as conn:
            self.store.set("cursor", header["cursor"], conn)
            self.store.set("epoch", header["epoch"], conn)
        self.counts["snapshots"] += 1
        self._reached(header)
        if known_epoch is not None and known_epoch != header["epoch"]:
            self.new_epoch()
        return loaded

    def new_epoch(self) -> None:
        """The hub's database is not the one that acknowledged our facts: offer them all again."""
        first = self.store.first_seq()
        if first is not None:
            self.counts["resent"] += self.store.reopen_from(first)
        self.counts["new_epochs"] += 1

    # ---- up ---------------------------------------------------------------------------------

    def _envelope(self, fact: dict[str, Any]) -> dict[str, Any]:
        return {"event_id": fact["event_id"], "device_seq": fact["device_seq"], "type": fact["type"],
                "device_time": fact["device_time"], "user_id": fact["user_id"],
                "payload_hash": fact["payload_hash"], "payload": fact["payload"]}

    def upload(self, max_batches: int | None = None) -> int:
        """Send every unacknowledged fact; how many the hub acknowledged in this call."""
        acked_total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            waiting, start = self.store.unacked()
            if not waiting:
                break
            facts = self.store.facts_from(start, BATCH_EVENTS)
            body = {"device_time": stamp(self.clock()), "events": [self._envelope(f) for f in facts]}
            try:
                _, answer = self.client.call("POST", EVENTS_PATH, json_body=body)
            except HubRefusedError as err:
                self._failed(f"POST {EVENTS_PATH}", err)
                if err.status == 409 and err.code == "sequence_gap":
                    self.counts["sequence_gaps"] += 1
                    self._resend_from(int(err.problem["resend_from"]))
                    batches += 1
                    continue
                raise
            except HubUnreachableError as err:
                self._failed(f"POST {EVENTS_PATH}", err)
                raise
            self._reached(answer)
            batches += 1
            self.counts["uploads"] += 1
            through = int(answer["acked_through"])
            statuses = {int(r["device_seq"]): r["status"] for r in answer.get("results") or []}
            for status in statuses.values():
                if status in ("applied", "duplicate", "quarantined"):
                    self.counts[{"applied": "applied", "duplicate": "duplicates"}.get(status, status)] += 1
            before, _ = self.store.unacked()
            self.store.mark_acked(through, answer.get("hub_time") or stamp(self.clock()), statuses)
            after, _ = self.store.unacked()
            acked_total += before - after
            self.counts["acked"] += before - after
            if before == after:  # the hub acknowledged nothing new: do not spin
                self._failed(f"POST {EVENTS_PATH}", SequenceError(
                    f"acked_through {through} covers none of the facts from {start}"))
                break
        return acked_total

    def _resend_from(self, resend_from: int) -> None:
        first, last = self.store.first_seq(), self.store.last_seq()
        if resend_from > last + 1:
            raise SequenceError(f"the hub expects seq {resend_from} but this till has made only {last}")
        if first is None or resend_from < first:
            raise SequenceError(f"the hub wants facts from seq {resend_from}; this till keeps them from {first}")
        self.counts["resent"] += self.store.reopen_from(resend_from)

    # ---- status and digests --------------------------------------------------------------------

    def report_status(self) -> dict[str, Any]:
        waiting, oldest = self.store.unacked()
        body = {"queue_depth": waiting, "oldest_unsent_seq": oldest,
                "oldest_unsent_at": self.store.oldest_unacked_time(),
                "last_failed_request": self.last_failed_request or "", "last_error": (self.last_error or "")[:500],
                "last_failed_at": self.last_failed_at, "app_version": APP_VERSION,
                "protocol_version": str(PROTOCOL_VERSION), "offline_seconds": self.offline_seconds(),
                "device_time": stamp(self.clock())}
        _, answer = self.client.call("POST", STATUS_PATH, json_body=body)
        self._reached(answer)
        return answer

    def shift_digest(self, shift_id: str) -> dict[str, Any]:
        """Tell the hub what the shift holds; facts it lacks are queued again (the answer)."""
        facts = self.store.facts_of_shift(shift_id)
        totals: dict[str, int] = {}
        for f in facts:
            if f["type"] == "sale" and not f["payload"].get("training"):
                totals[f["payload"]["currency"]] = totals.get(f["payload"]["currency"], 0) + f["payload"]["total"]
        body = {"shift_id": shift_id, "device_time": stamp(self.clock()), "count": len(facts),
                "totals": [{"currency": c, "total": t} for c, t in sorted(totals.items())],
                "event_ids_sha256": digest_of_events([f["event_id"] for f in facts])}
        _, answer = self.client.call("POST", DIGESTS_PATH, json_body=body)
        self._reached(answer)
        if not answer.get("match"):
            held = set(answer.get("event_ids") or [])
            lacking = [f["device_seq"] for f in facts if f["event_id"] not in held]
            start = answer.get("resend_from")
            candidates = [s for s in [start, *lacking] if s is not None]
            if candidates:
                self._resend_from(min(int(s) for s in candidates))
        return answer
