"""Bounded integers that both msgspec (decoding) and Litestar's OpenAPI (the contract) see.

Litestar 2 writes no `minimum` of 0 (it skips falsy bounds) and no bounds at all for an integer
inside a dict or a list (`{"USD": 150}`, `[1, 7]`), so a contract built from `msgspec.Meta` alone
shows money and weekdays unbounded, and clients (and tests/test_api_fuzz.py) cannot see the
limits the hub enforces. `bounded_int` states the bounds three ways: `msgspec.Meta` (what is
enforced), its `extra_json_schema` (a struct field's schema) and a Litestar `KwargDefinition`
(an item's schema).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.params import KwargDefinition


class _FrozenDict(dict):
    """A dict that can sit in `Annotated` metadata inside a union (which hashes its arguments)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


def bounded_int(ge: int, le: int, description: str | None = None) -> Any:
    """`Annotated[int, ...]` accepting `ge <= n <= le`, with both bounds in the OpenAPI schema."""
    bounds = _FrozenDict(minimum=ge, maximum=le)
    meta: dict[str, Any] = {"ge": ge, "le": le, "extra_json_schema": {"extra": dict(bounds)}}
    if description:
        meta["description"] = description
    return Annotated[int, msgspec.Meta(**meta),
                     KwargDefinition(ge=ge, le=le, description=description, schema_extra=bounds)]
