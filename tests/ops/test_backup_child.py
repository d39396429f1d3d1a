"""The running hub takes its backups in a child process (hub.ops.backup_child): the hub's own
process never copies or verifies; a child that dies is a failed backup and leaves no files."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import zoneinfo
from pathlib import Path

import pytest

from hub.db import audit
from hub.db.connection import connect

WAIT_S = 60  # an upper bound on waiting for the child; never reached when all is well


def _in_child_with(monkeypatch, prelude: str) -> None:
    """Run the child as `python -c`, with `prelude` (Python) run in it before backup_child.main."""
    from hub.ops import backup_child

    script = f"import os, signal, sys, time\nfrom hub.ops import backup_child, backups\n{prelude}\n" \
             "sys.exit(backup_child.main())\n"
    monkeypatch.setattr(backup_child, "child_command", lambda: [sys.executable, "-c", script])


def _runs_and_actions(db_path: Path) -> tuple[list[dict], list[str]]:
    from hub.db import ops as rows

    conn = connect(db_path, readonly=True)
    try:
        entries = audit.list_entries(conn)
        return rows.backups(conn), [e["action"] for e in entries if e["action"].startswith("backup.")]
    finally:
        conn.close()


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def test_the_hubs_backup_runs_in_another_process(ops_hub, monkeypatch):
    from hub.db.audit import Actor
    from hub.ops import backups

    def not_here(*_args, **_kwargs):
        raise AssertionError("the hub's own process took the backup")

    monkeypatch.setattr(backups, "_run_backup", not_here)
    ops = ops_hub.server.app.state.ops

    r = ops_hub.as_user("admin").post("/api/v1/ops/backups")
    run = ops.call_threadsafe(ops.backup_now(Actor.system("scheduler"), trigger="scheduled"), timeout=WAIT_S)

    assert r.status_code == 201, r.text
    assert r.json()["verified"] and run.status == "ok" and run.verified
    assert run.pid not in (0, os.getpid())
    runs, actions = _runs_and_actions(ops_hub.db_path)
    assert [(x["trigger"], x["status"]) for x in runs] == [("scheduled", "ok"), ("manual", "ok")]
    assert actions == ["backup.created", "backup.created"]
    backup_dir = ops_hub.server.settings.backup_path
    assert {x["name"] for x in runs} <= set(_files(backup_dir))
    assert not [n for n in _files(backup_dir) if n.startswith(".")]


def test_a_child_killed_half_way_is_a_failed_backup_and_leaves_nothing(ops_hub, monkeypatch):
    # Killed once the copy is linked under its name and its manifest written, before verifying.
    _in_child_with(monkeypatch, "backups.verify_backup = lambda path: os.kill(os.getpid(), signal.SIGKILL)")

    r = ops_hub.as_user("admin").post("/api/v1/ops/backups")

    assert r.status_code == 500 and r.json()["code"] == "backup_failed"
    assert "killed by SIGKILL" in r.json()["detail"]
    runs, actions = _runs_and_actions(ops_hub.db_path)
    assert [(x["status"], x["verified"]) for x in runs] == [("failed", 0)]
    assert "SIGKILL" in runs[0]["error"] and actions == ["backup.failed"]
    assert _files(ops_hub.server.settings.backup_path) == []


def test_a_child_that_fails_or_says_nothing_is_a_failed_backup(ops_hub, monkeypatch):
    _in_child_with(monkeypatch, "backups.verify_backup = lambda path: 1 / 0")
    admin = ops_hub.as_user("admin")

    crashed = admin.post("/api/v1/ops/backups")
    _in_child_with(monkeypatch, "sys.exit(0)")  # exits well without its result
    silent = admin.post("/api/v1/ops/backups")

    assert crashed.status_code == silent.status_code == 500
    assert "exited with code 1" in crashed.json()["detail"] and "ZeroDivisionError" in crashed.json()["detail"]
    assert "without reporting its result" in silent.json()["detail"]
    runs, actions = _runs_and_actions(ops_hub.db_path)
    assert [x["status"] for x in runs] == ["failed", "failed"] and actions == ["backup.failed", "backup.failed"]
    assert _files(ops_hub.server.settings.backup_path) == []


def test_a_backup_stopped_with_the_hub_leaves_no_half_backup(settings, demo_store, monkeypatch, tmp_path):
    from hub.ops import backup_child, config

    marker = tmp_path / "verifying"
    _in_child_with(monkeypatch, f"backups.verify_backup = lambda path: (open({str(marker)!r}, 'w').close(), "
                                "time.sleep(600))")
    conn = connect(settings.db_path, readonly=True)
    try:
        cfg = {**config.load(conn), "hq_copies": False}
    finally:
        conn.close()

    async def stopped_half_way() -> None:
        task = asyncio.create_task(backup_child.run(settings, cfg, zoneinfo.ZoneInfo("Africa/Harare"), "scheduled"))
        deadline = time.monotonic() + WAIT_S
        while not marker.exists() and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert marker.exists(), "the child never reached verification"
        assert any(n.endswith(".db") for n in _files(settings.backup_path))  # linked under its name by now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(stopped_half_way())

    assert _files(settings.backup_path) == []


def test_a_backup_taken_through_the_backups_api_is_copied_in_another_process(ops_hub, monkeypatch):
    from hub.backup import service

    def not_here(*_args, **_kwargs):
        raise AssertionError("the hub's own process took the backup")

    monkeypatch.setattr(service, "create_backup", not_here)
    admin = ops_hub.as_user("admin")

    made = admin.post("/api/v1/backups")
    _in_child_with(monkeypatch, "from hub.backup import service\n"
                                "service.examine = lambda conn: os.kill(os.getpid(), signal.SIGKILL)")
    killed = admin.post("/api/v1/backups")
    _in_child_with(monkeypatch, "from hub.backup import service\n"
                                "service.examine = lambda conn: {'integrity': ['page 3 is never used']}")
    refused = admin.post("/api/v1/backups")

    assert made.status_code == 201, made.text
    assert killed.status_code == refused.status_code == 500
    assert "killed by SIGKILL" in killed.json()["detail"] and "page 3 is never used" in refused.json()["detail"]
    name = made.json()["name"]
    assert _files(ops_hub.server.settings.backup_path) == [name, name.removesuffix(".db") + ".json"]
    assert _runs_and_actions(ops_hub.db_path)[1] == ["backup.created"]
