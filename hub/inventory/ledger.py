"""The one way stock moves: `move` (one line) and `post` (a document's lines), plus `rebuild` and
`check`, which prove that the projection equals the ledger.

Every feature that changes stock (opening balances, sales, voids, refunds, goods receipts, counts,
adjustments, supplier returns, transfers) calls `move` or `post` inside its own transaction: the
movement is appended, the product's level updated and a `stock_level` change row written for the
tills, all in that transaction. Nothing else writes stock_movements or stock_levels.

Negative stock is never refused (an offline sale must always land): the level goes below zero and
is flagged. What is refused is what is malformed: an unknown kind or product, a product that does
not track stock, a zero or unbounded quantity, a quantity whose sign the kind does not allow.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Iterable

from hub.clock import format_ts
from hub.db import stock
from hub.db.audit import Actor
from hub.db.changes import record_change, record_changes
from hub.errors import ConflictError, FieldErrors, NotFoundError
from hub.ids import new_id
from hub.inventory import projection
from hub.inventory.projection import Fact, Level

MAX_QUANTITY = 10**9  # thousandths in one movement: a million units
MAX_UNIT_COST = 10**12  # minor units per unit, as the catalogue's money bound
MAX_ON_HAND = 10**12  # thousandths a level may reach either side of zero
MAX_VALUE = 10**18  # minor units: a level's value stays well inside SQLite's 64-bit integers
MAX_NOTE = 500
MAX_SOURCE = 64
MAX_LINES = 5000  # lines in one posted document
SIGNS = {"in": "more than zero", "out": "less than zero", "any": "not zero", "level": "zero or more"}
LEVEL_ENTITY = "stock_level"  # on the change feed: what a till shows as on hand


class UnknownProductError(NotFoundError):
    code = "product_unknown"


class NotStockTrackedError(ConflictError):
    code = "not_stock_tracked"


class EventReusedError(ConflictError):
    code = "event_id_reused"


@dataclass(frozen=True, slots=True)
class Source:
    """The document a movement belongs to: its type (`product`, `goods_receipt`, `sale`, ...),
    id and line."""

    type: str
    id: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a document for `post`."""

    kind: str
    product_id: str
    quantity: int
    unit_cost: int | None = None
    note: str = ""
    occurred_at: str | dt.datetime | None = None  # default: the document's
    line: int | None = None  # default: its index in the document


def _sign_ok(direction: str, quantity: int) -> bool:
    return {"in": quantity > 0, "out": quantity < 0, "any": quantity != 0, "level": quantity >= 0}[direction]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _moment(value: str | dt.datetime | None, problems: list[tuple[str, str]]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)  # 2026-05-01T08:30:00Z, ...+02:00, ...
        except ValueError:
            problems.append(("occurred_at", "is not an ISO 8601 time like 2026-05-01T08:30:00Z"))
            return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        problems.append(("occurred_at", "needs a time zone (Z or +02:00)"))
        return None
    if not 2000 <= value.year <= 9998:
        problems.append(("occurred_at", "must be between the years 2000 and 9998"))
        return None
    return format_ts(value)


def problems(*, quantity: Any, unit_cost: Any, source: Source, note: str, event_id: str | None,
             direction: str | None, kind: str) -> list[tuple[str, str]]:
    """What is wrong with a movement before the database is asked (field, message)."""
    found: list[tuple[str, str]] = []
    if direction is None:
        found.append(("kind", f"there is no movement kind {kind!r}"))
    if not _is_int(quantity):
        found.append(("quantity", "must be a whole number of thousandths"))
    elif abs(quantity) > MAX_QUANTITY:
        found.append(("quantity", f"must be within ±{MAX_QUANTITY} thousandths"))
    elif direction is not None and not _sign_ok(direction, quantity):
        found.append(("quantity", f"a {kind} movement's quantity must be {SIGNS[direction]}"))
    if unit_cost is not None and (not _is_int(unit_cost) or not 0 <= unit_cost <= MAX_UNIT_COST):
        found.append(("unit_cost", f"must be a whole number of minor units from 0 to {MAX_UNIT_COST}"))
    if not source.type or len(source.type) > MAX_SOURCE:
        found.append(("source_type", f"must be 1 to {MAX_SOURCE} characters"))
    if source.id is not None and len(source.id) > MAX_SOURCE:
        found.append(("source_id", f"must be at most {MAX_SOURCE} characters"))
    if source.line is not None and (not _is_int(source.line) or not 0 <= source.line <= 10**6):
        found.append(("source_line", "must be a line number from 0"))
    if event_id is not None and not 1 <= len(event_id) <= MAX_SOURCE:
        found.append(("event_id", f"must be 1 to {MAX_SOURCE} characters"))
    if len(note) > MAX_NOTE:
        found.append(("note", f"must be at most {MAX_NOTE} characters"))
    return found


def _same_fact(old: dict[str, Any], kind: str, product_id: str, quantity: int, unit_cost: int | None) -> bool:
    given_cost = unit_cost if unit_cost is not None else old["unit_cost"]  # a filled-in cost is ours
    return (old["kind"], old["product_id"], old["quantity"], old["unit_cost"]) == (
        kind, product_id, quantity, given_cost)


def _level_of(row: dict[str, Any] | None) -> Level:
    if row is None:
        return Level()
    return Level(on_hand=row["on_hand"], avg_cost=row["avg_cost"], baseline_id=row["baseline_id"],
                 baseline_at=row["baseline_at"])


def _check_bounds(after: Level) -> None:
    if abs(after.on_hand) > MAX_ON_HAND:
        raise FieldErrors([("quantity", f"would take on hand beyond ±{MAX_ON_HAND} thousandths")])
    if after.value is not None and abs(after.value) > MAX_VALUE:
        raise FieldErrors([("unit_cost", "would take the stock's value beyond what the ledger holds")])


@dataclass
class _Read:
    """What `post` read once for a whole document, so `move` need not read it line by line: the
    products it names, and the movements already recorded under its event id (None: not read)."""

    products: dict[str, dict[str, Any]]
    recorded: dict[int | None, dict[str, Any]] | None


def move(conn: sqlite3.Connection, *, kind: str, product_id: str, quantity: int, source: Source,
         actor: Actor, unit_cost: int | None = None, occurred_at: str | dt.datetime | None = None,
         event_id: str | None = None, note: str = "", announce: bool = True,
         _read: _Read | None = None) -> dict[str, Any]:
    """Append one movement and update the product's level, in the caller's transaction.

    Returns {movement, level, applied, duplicate}: `applied` is False for a movement that occurred
    at or before the product's latest count (the count already holds it) or an older count;
    `duplicate` is True when (event_id, source line) was recorded before: nothing is written and
    the earlier movement is returned. `unit_cost`, when not given, is recorded as the average
    cost at that moment (the cost the stock left or came back at). `announce=False` leaves out
    the level's change row: only for a caller that writes it once later (as `post` does)."""
    direction = stock.direction(conn, kind)
    found = problems(quantity=quantity, unit_cost=unit_cost, source=source, note=note,
                     event_id=event_id, direction=direction, kind=kind)
    when = _moment(occurred_at, found)
    if found:
        raise FieldErrors(found)
    if event_id is not None:
        if _read is not None and _read.recorded is not None:
            earlier = _read.recorded.get(source.line)
        else:
            earlier = stock.by_event(conn, event_id, source.line)
        if earlier is not None:
            if not _same_fact(earlier, kind, product_id, quantity, unit_cost):
                raise EventReusedError(f"event {event_id} was recorded with other contents",
                                       extra={"movement_id": earlier["id"]})
            return {"movement": earlier, "level": stock.level(conn, product_id), "applied": False,
                    "duplicate": True}
    item = _read.products.get(product_id) if _read is not None else stock.product(conn, product_id)
    if item is None:
        raise UnknownProductError(f"there is no product {product_id}", extra={"product_id": product_id})
    if not item["stock_tracked"]:
        raise NotStockTrackedError(f"{item['sku']} ({item['name']}) does not track stock",
                                   extra={"product_id": product_id})
    recorded_at = conn.stamp()  # type: ignore[attr-defined]
    when = min(when, recorded_at) if when else recorded_at  # nothing happens later than now
    before = _level_of(stock.level(conn, product_id))
    assert direction is not None
    fact = Fact(id=new_id(), direction=direction, quantity=quantity,
                unit_cost=unit_cost if unit_cost is not None else before.avg_cost, occurred_at=when)
    later = stock.later_sum(conn, product_id, when) if fact.is_count else 0
    after = projection.apply(before, fact, later)
    applied = projection.is_newer_count(before, fact) if fact.is_count else not projection.absorbed(before, fact)
    _check_bounds(after)
    movement = {"id": fact.id, "kind": kind, "product_id": product_id, "quantity": quantity,
                "unit_cost": fact.unit_cost, "source_type": source.type, "source_id": source.id,
                "source_line": source.line, "user_id": actor.user_id, "username": actor.username,
                "device_id": actor.device_id, "occurred_at": when, "recorded_at": recorded_at,
                "event_id": event_id, "note": note}
    movement["seq"] = stock.insert_movement(conn, movement)
    level = _save(conn, product_id, after, movement["seq"], recorded_at, recorded_at, announce=announce)
    return {"movement": movement, "level": level, "applied": applied, "duplicate": False}


def _announce(conn: sqlite3.Connection, product_id: str, version: int, on_hand: int) -> None:
    """The level's change row: what a till shows as on hand (no cost)."""
    record_change(conn, LEVEL_ENTITY, product_id, version, "upsert", {"product_id": product_id, "on_hand": on_hand})


def _save(conn: sqlite3.Connection, product_id: str, level: Level, last_seq: int,
          last_recorded_at: str, now: str, *, announce: bool = True) -> dict[str, Any]:
    row = {"product_id": product_id, "on_hand": level.on_hand, "avg_cost": level.avg_cost,
           "value": level.value, "baseline_id": level.baseline_id, "baseline_at": level.baseline_at,
           "last_seq": last_seq, "last_recorded_at": last_recorded_at, "now": now}
    row["version"] = stock.save_level(conn, row)
    if announce:
        _announce(conn, product_id, row["version"], level.on_hand)
    return {k: row[k] for k in stock.LEVEL_COLUMNS if k != "updated_at"} | {"updated_at": row["now"]}


def post(conn: sqlite3.Connection, lines: Iterable[Line], *, source_type: str, source_id: str | None,
         actor: Actor, occurred_at: str | dt.datetime | None = None,
         event_id: str | None = None) -> list[dict[str, Any]]:
    """Move every line of one document (in the caller's transaction); a refusal names the line
    as `lines[i].field` and nothing of the document is kept (the caller's transaction rolls back).
    Each product the document moved gets one change row, at its level after the last of its lines,
    however many lines it has: a till needs the level, not each step to it."""
    listed = list(lines)
    if len(listed) > MAX_LINES:
        raise FieldErrors([("lines", f"at most {MAX_LINES} lines in one document")])
    done = []
    levels: dict[str, dict[str, Any]] = {}  # product -> its level after its last line that moved it
    # One read of the document's products and of what its event recorded before, not one a line;
    # a movement this document adds goes into `recorded` too, as a line read afterwards would see it.
    read = _Read(stock.products(conn, (line.product_id for line in listed)),
                 stock.by_event_lines(conn, event_id) if event_id is not None else None)
    batch = _post_batch(conn, listed, source_type=source_type, source_id=source_id, actor=actor,
                        occurred_at=occurred_at, event_id=event_id, read=read)
    if batch is not None:
        return batch
    for i, line in enumerate(listed):
        try:
            done.append(move(conn, kind=line.kind, product_id=line.product_id, quantity=line.quantity,
                             unit_cost=line.unit_cost, note=line.note, actor=actor, event_id=event_id,
                             occurred_at=line.occurred_at or occurred_at, announce=False, _read=read,
                             source=Source(source_type, source_id, line.line if line.line is not None else i)))
        except FieldErrors as err:
            raise FieldErrors([(f"lines[{i}].{e['field']}", e["message"]) for e in err.errors]) from err
        if not done[-1]["duplicate"]:
            levels[line.product_id] = done[-1]["level"]
            if read.recorded is not None:
                read.recorded[done[-1]["movement"]["source_line"]] = done[-1]["movement"]
    for product_id, level in levels.items():
        _announce(conn, product_id, level["version"], level["on_hand"])
    return done


def _post_batch(conn: sqlite3.Connection, listed: list[Line], *, source_type: str, source_id: str | None,
                actor: Actor, occurred_at: str | dt.datetime | None, event_id: str | None,
                read: _Read) -> list[dict[str, Any]] | None:
    """`post` for the common document (a sale, a receipt): no count, nothing recorded before under
    its event, every line valid. It reads the levels of all its products in one query, stamps once,
    works out each line's level in memory as `move` would, then writes the movements in one
    statement, each product's final level once (at the version its lines reached) and returns what
    the line-by-line path returns. None (having written nothing) for any other document: the
    line-by-line path moves it, or names what is wrong with it."""
    if not listed or read.recorded:
        return None  # a repeated event: the line-by-line path sorts duplicates from reuse
    numbers = {line.line if line.line is not None else i for i, line in enumerate(listed)}
    if event_id is not None and len(numbers) < len(listed):
        return None  # a line number twice under one event: the second is a duplicate of the first
    moments: dict[Any, str | None] = {}  # a line's time as given -> as recorded (most share the document's)
    prepared = []
    for i, line in enumerate(listed):
        direction = stock.direction(conn, line.kind)
        if direction is None or direction == projection.LEVEL:
            return None
        source = Source(source_type, source_id, line.line if line.line is not None else i)
        found = problems(quantity=line.quantity, unit_cost=line.unit_cost, source=source, note=line.note,
                         event_id=event_id, direction=direction, kind=line.kind)
        given = line.occurred_at or occurred_at
        key = given if isinstance(given, str) or given is None else ("dt", given)
        if key not in moments:
            moments[key] = _moment(given, found)
        if found:
            return None
        item = read.products.get(line.product_id)
        if item is None or not item["stock_tracked"]:
            return None
        prepared.append((line, direction, source, moments[key]))
    stored = stock.levels(conn, (line.product_id for line in listed))
    recorded_at = conn.stamp()  # type: ignore[attr-defined]
    running: dict[str, tuple[Level, int]] = {}  # product -> its level and version after its latest line
    done = []
    for line, direction, source, when in prepared:
        when = min(when, recorded_at) if when else recorded_at
        pid = line.product_id
        if pid in running:
            before, version = running[pid]
        else:
            row = stored.get(pid)
            before, version = _level_of(row), (row["version"] if row else 0)
        fact = Fact(id=new_id(), direction=direction, quantity=line.quantity,
                    unit_cost=line.unit_cost if line.unit_cost is not None else before.avg_cost, occurred_at=when)
        after = projection.apply(before, fact)
        try:
            _check_bounds(after)
        except FieldErrors:
            return None
        running[pid] = (after, version + 1)
        movement = {"id": fact.id, "kind": line.kind, "product_id": pid, "quantity": line.quantity,
                    "unit_cost": fact.unit_cost, "source_type": source.type, "source_id": source.id,
                    "source_line": source.line, "user_id": actor.user_id, "username": actor.username,
                    "device_id": actor.device_id, "occurred_at": when, "recorded_at": recorded_at,
                    "event_id": event_id, "note": line.note}
        level = {"product_id": pid, "on_hand": after.on_hand, "avg_cost": after.avg_cost, "value": after.value,
                 "baseline_id": after.baseline_id, "baseline_at": after.baseline_at, "last_seq": None,
                 "last_recorded_at": recorded_at, "version": version + 1, "updated_at": recorded_at}
        done.append({"movement": movement, "level": level, "applied": not projection.absorbed(before, fact),
                     "duplicate": False})
    seqs = stock.insert_movements(conn, [d["movement"] for d in done])
    final: dict[str, dict[str, Any]] = {}  # product -> its level after its last line (first-moved order)
    for d in done:
        d["movement"]["seq"] = d["level"]["last_seq"] = seqs[d["movement"]["id"]]
        final[d["movement"]["product_id"]] = d["level"]
    stock.save_levels(conn, list(final.values()))
    record_changes(conn, LEVEL_ENTITY, [(pid, level["version"], {"product_id": pid, "on_hand": level["on_hand"]})
                                        for pid, level in final.items()])
    return done


@dataclass
class Difference:
    """A product whose stored level is not what its movements say."""

    product_id: str
    field: str
    stored: Any
    ledger: Any


@dataclass
class Rebuilt:
    levels: dict[str, dict[str, Any]] = field(default_factory=dict)  # product_id -> the level its movements give
    set_on_hand: dict[str, int] = field(default_factory=dict)  # product_id -> on hand by the set formula
    movements: int = 0


COMPARED = ("on_hand", "avg_cost", "value", "baseline_id", "baseline_at", "last_seq", "last_recorded_at")


def _replayed(conn: sqlite3.Connection, product_id: str | None = None) -> Rebuilt:
    """Every product's level (or one's) from its movements, in the order they were recorded."""
    out = Rebuilt(set_on_hand=stock.set_on_hand(conn, product_id))
    current: str | None = None
    facts: list[Fact] = []
    last: sqlite3.Row | None = None

    def flush() -> None:
        if current is not None and last is not None:
            level = projection.replay(facts)
            out.levels[current] = {"on_hand": level.on_hand, "avg_cost": level.avg_cost, "value": level.value,
                                   "baseline_id": level.baseline_id, "baseline_at": level.baseline_at,
                                   "last_seq": last["seq"], "last_recorded_at": last["recorded_at"]}

    for row in stock.replay_rows(conn, product_id):
        if row["product_id"] != current:
            flush()
            current, facts = row["product_id"], []
        facts.append(Fact(id=row["id"], direction=row["direction"], quantity=row["quantity"],
                          unit_cost=row["unit_cost"], occurred_at=row["occurred_at"]))
        last = row
        out.movements += 1
    flush()
    return out


def check(conn: sqlite3.Connection, product_id: str | None = None) -> list[Difference]:
    """Every way the stored levels (of every product, or one) differ from the movements (empty
    when they agree): each field against a replay of the ledger, and on hand also against the set
    formula computed in SQL alone."""
    rebuilt = _replayed(conn, product_id)
    stored = stock.all_levels(conn, product_id)
    found: list[Difference] = []
    for product_id in sorted(set(stored) | set(rebuilt.levels)):
        want, have = rebuilt.levels.get(product_id), stored.get(product_id)
        if want is None:
            found.append(Difference(product_id, "level", "present", "no movements"))
            continue
        if have is None:
            found.append(Difference(product_id, "level", "missing", want["on_hand"]))
            continue
        found += [Difference(product_id, f, have[f], want[f]) for f in COMPARED if have[f] != want[f]]
        by_set = rebuilt.set_on_hand.get(product_id, 0)
        if want["on_hand"] != by_set:  # the replay and the set formula disagree: a projection bug
            found.append(Difference(product_id, "on_hand (set formula)", want["on_hand"], by_set))
    return found


def rebuild(conn: sqlite3.Connection) -> dict[str, Any]:
    """Recompute every level from the movements (in the caller's transaction); rewrite only those
    that differ, each with a new version and a change row. Returns {levels, changed, movements}."""
    rebuilt = _replayed(conn)
    stored = stock.all_levels(conn)
    now = conn.stamp()  # type: ignore[attr-defined]
    changed = []
    for product_id, want in sorted(rebuilt.levels.items()):
        have = stored.get(product_id)
        if have is not None and all(have[f] == want[f] for f in COMPARED):
            continue
        level = Level(on_hand=want["on_hand"], avg_cost=want["avg_cost"], baseline_id=want["baseline_id"],
                      baseline_at=want["baseline_at"])
        _save(conn, product_id, level, want["last_seq"], want["last_recorded_at"], now)
        changed.append(product_id)
    for product_id in sorted(set(stored) - set(rebuilt.levels)):  # a level no movement explains
        stock.delete_level(conn, product_id)
        record_change(conn, LEVEL_ENTITY, product_id, stored[product_id]["version"] + 1, "upsert",
                      {"product_id": product_id, "on_hand": 0})
        changed.append(product_id)
    return {"levels": len(rebuilt.levels), "changed": changed, "movements": rebuilt.movements}
