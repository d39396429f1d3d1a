"""The API controllers of this feature (being built; none yet)."""

from __future__ import annotations

from typing import Any

CONTROLLERS: list[Any] = []
