"""Clean and unclean shutdowns: a marker written on a clean stop, counted at each start.

`<data_dir>/ops/clean-shutdown` is written when the hub stops cleanly and removed when it starts;
a start without it (after the first) was preceded by a power cut or a crash. `shutdowns.json`
keeps how many such starts followed the last clean stop, and when.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.backup import _files
from hub.clock import format_ts, utc_now

MARKER = "clean-shutdown"
STATE = "shutdowns.json"


def _dir(data_path: Path) -> Path:
    path = Path(data_path) / "ops"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def read(data_path: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(data_path) / "ops" / STATE).read_text())
    except (OSError, ValueError):
        return {"starts": 0, "unclean_since_clean": 0, "last_unclean_at": None, "last_clean_at": None}


def started(data_path: Path) -> dict[str, Any]:
    """Count this start (unclean when the marker is missing after an earlier start)."""
    folder = _dir(data_path)
    state = read(data_path)
    marker = folder / MARKER
    if marker.exists():
        state["unclean_since_clean"] = 0
        marker.unlink()
    elif state.get("starts", 0) > 0:
        state["unclean_since_clean"] = int(state.get("unclean_since_clean", 0)) + 1
        state["last_unclean_at"] = format_ts(utc_now())
    state["starts"] = int(state.get("starts", 0)) + 1
    _files.write_private(folder / STATE, json.dumps(state).encode())
    return state


def stopped(data_path: Path) -> None:
    """Write the clean-shutdown marker (the last thing a clean stop does)."""
    folder = _dir(data_path)
    state = read(data_path)
    state["last_clean_at"] = format_ts(utc_now())
    _files.write_private(folder / STATE, json.dumps(state).encode())
    _files.write_private(folder / MARKER, state["last_clean_at"].encode())
