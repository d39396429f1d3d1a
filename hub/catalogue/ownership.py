"""Field ownership between HQ and the store, from the committed `ownership.toml`.

Once the hub is enrolled with HQ (meta `hq_enrolled` = "1", set by the cloud bridge), a local
change to an HQ-owned field is refused with 409 `hq_owned`; before enrolment the store owns all.
Rows that HQ created carry `source` = 'hq' where a table distinguishes them (promotions, rates):
callers pass `row_from_hq` for those.
"""

from __future__ import annotations

import sqlite3
import tomllib
from functools import cache
from importlib import resources
from typing import Iterable

from hub.db import meta
from hub.errors import ConflictError


@cache
def table() -> dict[str, dict[str, str]]:
    """entity -> field -> 'hq' | 'store'."""
    text = resources.files("hub.catalogue").joinpath("ownership.toml").read_text()
    return tomllib.loads(text)


def hq_fields(entity: str, fields: Iterable[str]) -> list[str]:
    owners = table().get(entity, {})
    if owners.get("all") == "hq":
        return sorted(fields)
    return sorted(f for f in fields if owners.get(f) == "hq")


def is_enrolled(conn: sqlite3.Connection) -> bool:
    return meta.get(conn, "hq_enrolled") == "1"


def _singular(entity: str) -> str:
    """`tax_classes` -> `tax class`, `categories` -> `category` (for messages)."""
    name = entity.replace("_", " ")
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") else name


def require_store_owned(conn: sqlite3.Connection, entity: str, fields: Iterable[str], *,
                        row_from_hq: bool = True) -> None:
    """Refuse (409 `hq_owned`) a local change to HQ-owned fields of an enrolled hub."""
    if not row_from_hq or not is_enrolled(conn):
        return
    owned = hq_fields(entity, fields)
    if owned:
        raise ConflictError(
            f"HQ owns {', '.join(owned)} of this {_singular(entity)}; change it at HQ "
            "(or set the store's own override where there is one)",
            code="hq_owned", extra={"fields": owned})
