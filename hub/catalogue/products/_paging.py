"""Opaque list cursors and search patterns shared by the product and label lists."""

from __future__ import annotations

import base64
import binascii
import json

from hub.errors import FieldErrors

LIKE_ESCAPE = "\\"


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def decode_cursor(text: str | None, size: int, field: str = "after") -> tuple[str, ...] | None:
    """The parts of a cursor this API made; 422 naming `field` for anything else."""
    if text is None:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        parts = None
    if not (isinstance(parts, list) and len(parts) == size and all(isinstance(p, str) for p in parts)):
        raise FieldErrors([(field, "is not a cursor from this list")])
    return tuple(parts)


def like_pattern(q: str) -> str:
    """`%q%` with LIKE's wildcards escaped, so "50%" finds 50%."""
    escaped = (q.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
               .replace("_", LIKE_ESCAPE + "_"))
    return f"%{escaped}%"
