"""The registry of fact types a till uploads (docs/sync.md, "Up: facts"): type -> handler.

A feature that owns a fact registers its handler once, at import of its own module (its api.py,
which the app imports at start):

    from hub.sync.facts import Applied, register
    register("credit.payment", record_payment, permission="customers.manage")

`handler(conn, device, payload, ctx) -> Applied | None` runs inside the upload's transaction (a
savepoint of it): `device` is the till (`Device`: id, name, revoked), `payload` the decoded JSON
object as the till sent it, `ctx` the `FactContext` (the acting user as an audit `Actor`, their
permissions, the event's id, seq and device time, the hub's receive stamp). It calls the same
function the online API calls and returns what it made (`Applied(type, id, exceptions)`).
Raising a `hub.errors.HubError` undoes the handler's writes and quarantines the fact with the
reason `malformed` (a FieldErrors) or `refused` (anything else): the fact is kept, never lost.

`permission`: what the fact's user must hold at the hub (None: anyone, as a sale); a user
lacking it quarantines the fact (`permission_missing`). The built-in types are registered by
hub.sync._handlers, imported on first use so the hub starts without them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from hub.db.audit import Actor


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class FactContext:
    actor: Actor  # the fact's user at the till (or the manager who accepts it from quarantine)
    permissions: frozenset[str]
    event_id: str
    device_seq: int
    device_time: str  # the till's clock when the fact happened, as sent
    received_at: str  # the hub stamp the upload arrived at
    type: str = ""
    accepted_by_manager: bool = False


@dataclass(slots=True)
class Applied:
    """What a fact made: the document's type and id, and the exceptions it raised ({id, kind})."""

    type: str
    id: str
    exceptions: list[dict[str, Any]] = field(default_factory=list)


Handler = Callable[[Any, Device, dict[str, Any], FactContext], "Applied | None"]


@dataclass(frozen=True, slots=True)
class FactType:
    name: str
    handler: Handler
    permission: str | None = None


_REGISTRY: dict[str, FactType] = {}
_BUILTIN = "hub.sync._handlers"


def register(name: str, handler: Handler, *, permission: str | None = None) -> None:
    """Make `name` a fact type the hub applies with `handler`; registering a name twice replaces it."""
    _REGISTRY[name] = FactType(name, handler, permission)


def _load_builtin() -> None:
    importlib.import_module(_BUILTIN)


def fact_type(name: str) -> FactType | None:
    """The registered type, or None when no feature handles it on this hub."""
    _load_builtin()
    return _REGISTRY.get(name)


def known_types() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)
