"""hub.memory: `serve` fixes glibc's mmap threshold and caps its arenas, and leaves an operator's
own MALLOC_* settings alone. The memory itself is a benchmark (`soko-hub bench soak`), not a test."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")


def _tune(**env: str) -> dict[str, int]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", "import json, hub.memory; print(json.dumps(hub.memory.tune()))"],
                         capture_output=True, text=True, check=True, timeout=60, env={**environ, **env})
    return json.loads(out.stdout)


@glibc
def test_tune_fixes_the_mmap_threshold_and_caps_the_arenas():
    from hub import memory

    assert _tune() == {"MALLOC_MMAP_THRESHOLD_": memory.MMAP_THRESHOLD_BYTES, "MALLOC_ARENA_MAX": memory.ARENA_MAX}


@glibc
def test_an_operators_malloc_environment_wins():
    assert _tune(MALLOC_ARENA_MAX="4") == {"MALLOC_MMAP_THRESHOLD_": 262144}
    assert _tune(MALLOC_ARENA_MAX="4", MALLOC_MMAP_THRESHOLD_="65536") == {}


def test_serve_tunes_the_allocator_before_it_starts_a_thread(tmp_path, monkeypatch):
    """serve on a database that fails its check: tune() has run by then, and no thread before it."""
    import threading

    from click.testing import CliRunner

    from hub import memory
    from hub.cli import main

    calls = []
    monkeypatch.setattr(memory, "tune", lambda: calls.append(threading.active_count()) or {})
    (tmp_path / "hub.db").write_bytes(b"SQLite format 3\x00" + b"\x42" * 8192)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "serve"])
    assert result.exit_code == 1 and calls == [threading.active_count()]


@glibc
def test_trim_hands_free_heap_pages_back():
    from hub import memory

    assert isinstance(memory.trim(), bool)


def test_a_backup_run_trims_the_heaps_when_it_is_done(settings, demo_store, monkeypatch):
    import zoneinfo

    from hub import memory
    from hub.db.connection import connect
    from hub.ops import backups, config

    trims = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(True) or True)
    conn = connect(settings.db_path, readonly=True)
    try:
        cfg = {**config.load(conn), "hq_copies": False}
    finally:
        conn.close()
    run = backups.run_backup(settings, cfg, zoneinfo.ZoneInfo("Africa/Harare"))
    assert run.status == "ok" and trims == [True]
