"""Wire structs of the till's upload side of sync (docs/sync.md): events, status, shift digests,
the quarantine."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from hub.bounds import bounded_int

MAX_EVENTS = 200  # events in one upload (the body is bounded by max_body_bytes too)
MAX_SEQ = 2**53  # far beyond any till's life, inside every JSON reader's exact integers
MAX_DIGEST_IDS = 20_000  # event ids of one shift in a digest's answer

Uuid = Annotated[str, msgspec.Meta(
    pattern="^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    description="A UUID (the till makes a UUIDv7 per fact)")]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Seq = bounded_int(1, MAX_SEQ, "The till's gap-free sequence number, from 1")
Clock = Annotated[dt.datetime, msgspec.Meta(tz=True, description="A clock reading with its offset")]
FactType = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_.]*$")]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]
Text = Annotated[str, msgspec.Meta(max_length=500)]
Count = bounded_int(0, 10**9)


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    event_id: Uuid
    device_seq: Seq
    type: FactType
    device_time: Clock  # the till's clock when the fact happened
    payload_hash: Sha256
    payload: dict[str, Any]
    user_id: Id | None = None  # who was signed in at the till (the cashier of a sale)


class EventBatch(msgspec.Struct, forbid_unknown_fields=True):
    events: Annotated[list[EventIn], msgspec.Meta(min_length=1, max_length=MAX_EVENTS)]
    device_time: Clock | None = None  # the till's clock when it sent this


class AppliedRef(msgspec.Struct):
    type: str
    id: str


class RaisedException(msgspec.Struct):
    id: str
    kind: str


class EventResult(msgspec.Struct):
    event_id: str
    device_seq: int
    status: str  # applied, duplicate, quarantined
    reason: str | None = None
    quarantine_id: str | None = None
    applied: AppliedRef | None = None
    exceptions: list[RaisedException] = []


class UploadAnswer(msgspec.Struct):
    acked_through: int
    hub_time: str
    skew_ms: int | None
    results: list[EventResult]


class StatusReport(msgspec.Struct, forbid_unknown_fields=True):
    queue_depth: Count  # facts the till holds not yet acknowledged
    app_version: Annotated[str, msgspec.Meta(max_length=40)] = ""
    protocol_version: Annotated[str, msgspec.Meta(max_length=20)] = ""
    oldest_unsent_seq: Seq | None = None
    oldest_unsent_at: Clock | None = None  # the till's clock when its oldest unsent fact happened
    last_failed_request: Text = ""  # e.g. "POST /api/v1/sync/events"
    last_error: Text = ""
    last_failed_at: Clock | None = None
    offline_seconds: Count = 0
    device_time: Clock | None = None


class StatusAnswer(msgspec.Struct):
    hub_time: str
    skew_ms: int | None
    acked_through: int


class CurrencyTotal(msgspec.Struct, forbid_unknown_fields=True):
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
    total: bounded_int(-10**15, 10**15, "Minor units")  # type: ignore[valid-type]


class ShiftDigest(msgspec.Struct, forbid_unknown_fields=True):
    shift_id: Id
    count: Count
    event_ids_sha256: Sha256
    totals: Annotated[list[CurrencyTotal], msgspec.Meta(max_length=16)] = []
    device_time: Clock | None = None


class DigestSide(msgspec.Struct):
    count: int
    totals: list[CurrencyTotal]
    event_ids_sha256: str


class DigestAnswer(msgspec.Struct):
    hub_time: str
    shift_id: str
    match: bool
    hub: DigestSide
    event_ids: list[str]
    acked_through: int
    resend_from: int


class QuarantinedFact(msgspec.Struct):
    id: str
    device_id: str
    device_name: str | None
    device_seq: int
    event_id: str
    type: str
    user_id: str | None
    username: str | None
    device_time: str
    payload_hash: str
    payload: dict[str, Any]
    reason: str
    detail: str
    status: str  # pending, accepted, rejected
    exception_id: str | None
    received_at: str
    decided_by: str | None
    decided_by_name: str | None
    decided_at: str | None
    note: str
    applied_type: str | None
    applied_id: str | None
    version: int


class QuarantinePage(msgspec.Struct):
    items: list[QuarantinedFact]
    next_after: str | None


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""  # required to reject: why
