"""What the catalogue's controllers and services share: instants from requests, given fields,
paging, and refusals that name their field."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Sequence, TypeVar

import msgspec

from hub.clock import format_ts
from hub.errors import ConflictError, FieldErrors, NotFoundError

T = TypeVar("T")
MAX_PAGE = 200
DEFAULT_PAGE = 50
# Litestar leaves a bound of 0 out of an optional integer's OpenAPI schema (it tests the value's
# truth); `msgspec.Meta(ge=0, ..., extra_json_schema=ZERO_FLOOR)` states it again.
ZERO_FLOOR = {"extra": {"minimum": 0}}


def given(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sent (UNSET ones left out)."""
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


def instant(field: str, text: str) -> str:
    """An ISO 8601 instant with an offset (`2026-01-01T00:00:00+02:00`, `...Z`) as a hub stamp."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldErrors([(field, "is not a date and time (ISO 8601, such as "
                                   "2026-01-01T00:00:00Z)")]) from None
    if moment.tzinfo is None:
        raise FieldErrors([(field, "needs a time zone offset, such as Z or +02:00")])
    # Checked before converting: 9999-12-31T23:00-05:00 would overflow on its way to UTC.
    if not 2000 <= moment.year <= 9998:
        raise FieldErrors([(field, "must be between the years 2000 and 9998")])
    return format_ts(moment)


def now(conn: Any) -> str:
    """The current hub stamp on any connection (a reader's too: it persists nothing)."""
    floor = getattr(conn, "floor", None)
    return floor.stamp() if floor is not None else format_ts(dt.datetime.now(dt.timezone.utc))


def conflict(field: str, message: str, code: str) -> ConflictError:
    """409 for a rule about the store's data, naming the field like FieldErrors does."""
    return ConflictError(f"{field}: {message}", code=code,
                         extra={"errors": [{"field": field, "message": message}]})


def found(row: T | None, what: str) -> T:
    if row is None:
        raise NotFoundError(f"there is no {what}")
    return row


def page(rows: Sequence[T], limit: int, cursor: Callable[[T], str]) -> tuple[list[T], str | None]:
    """Rows fetched with `limit + 1`: the page, and the `next_after` cursor (None on the last)."""
    items = list(rows[:limit])
    return items, cursor(items[-1]) if len(rows) > limit and items else None


def update_action(entity: str, changes: dict[str, Any]) -> str:
    """`<entity>.archived` / `.restored` when a change only flips `active`, else `.updated`."""
    if set(changes) == {"active"}:
        return f"{entity}.{'restored' if changes['active'] else 'archived'}"
    return f"{entity}.updated"


def check_after(exists: bool) -> None:
    """Refuse a paging cursor that names no row of the list."""
    if not exists:
        raise FieldErrors([("after", "is not an item of this list; pass next_after of the last page")])
