"""Which entry of an effective-from history is in force at a moment (exchange and tax rates).

Instants are the hub's UTC stamps (`2026-11-25T21:52:54.123456Z`, hub.clock.format_ts): fixed
width, so comparing the text compares the times.
"""

from __future__ import annotations

from typing import Any, Iterable, Literal, Mapping, TypeVar

Entry = TypeVar("Entry", bound=Mapping[str, Any])
Status = Literal["scheduled", "in_force", "superseded"]


def in_force(entries: Iterable[Entry], at: str) -> Entry | None:
    """The entry with the latest `effective_from` <= `at`; of entries starting together, the one
    recorded last (`created_at`, then `id`) wins, since a correction is a new entry. None when
    nothing had started by `at`."""
    best: Entry | None = None
    for entry in entries:
        if entry["effective_from"] > at:
            continue
        if best is None or _order(entry) > _order(best):
            best = entry
    return best


def _order(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    return entry["effective_from"], entry.get("created_at") or "", entry.get("id") or ""


def status(entry: Mapping[str, Any], current: Mapping[str, Any] | None, now: str) -> Status:
    """`scheduled` (starts after now), `in_force` (it is `current`) or `superseded`."""
    if entry["effective_from"] > now:
        return "scheduled"
    if current is not None and current.get("id") == entry.get("id"):
        return "in_force"
    return "superseded"
