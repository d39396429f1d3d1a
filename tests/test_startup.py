"""Start-up stays lean: `serve` does not load what it does not need, nor read the database twice.

The time itself is a benchmark (`soko-hub bench startup`, BENCHMARKS.md), not a timed test.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from litestar.datastructures import State

from hub.cli import LAZY_COMMANDS


def python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def test_the_cli_imports_a_command_module_only_when_the_command_is_used():
    modules = sorted({where.split(":")[0] for where in LAZY_COMMANDS.values()})
    loaded = python("import sys, hub.cli; "
                    f"print(sorted(m for m in {modules!r} if m in sys.modules)); "
                    "hub.cli.main.commands['audit']; "
                    f"print(sorted(m for m in {modules!r} if m in sys.modules))")
    assert loaded.splitlines() == ["[]", "['hub.audit.cli']"]


def test_an_up_to_date_database_is_migrated_without_loading_sqlite_utils(demo_store, settings):
    out = python("import sys; from hub.db.connection import connect; from hub.db.migrations import migrate; "
                 f"conn = connect({str(settings.db_path)!r}); print(migrate(conn)); conn.close(); "
                 "print('sqlite_utils' in sys.modules, any(m.startswith('hub.db.migrations.m') for m in sys.modules))")
    assert out.splitlines() == ["[]", "False False"]


def test_the_database_subsystem_skips_quick_check_only_for_the_file_serve_just_checked(
        demo_store, settings, monkeypatch):
    import hub.subsystems

    checked = []
    monkeypatch.setattr(hub.subsystems, "quick_check", checked.append)

    async def start_and_stop(state: State) -> None:
        part = hub.subsystems.DatabaseSubsystem(settings)
        await part.start(state)
        await part.stop()

    asyncio.run(start_and_stop(State({"database_checked": settings.db_path})))
    assert checked == []
    asyncio.run(start_and_stop(State({"database_checked": settings.db_path.with_name("other.db")})))
    asyncio.run(start_and_stop(State({})))
    assert checked == [settings.db_path, settings.db_path]


def test_a_refused_serve_leaves_the_garbage_collector_as_it_was(tmp_path):
    import gc

    from click.testing import CliRunner

    from hub.cli import main

    (tmp_path / "hub.db").write_bytes(b"SQLite format 3\x00" + b"\x42" * 8192)
    frozen = gc.get_freeze_count()
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "serve"])
    assert result.exit_code == 1 and "backup restore" in result.output
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_the_event_emitter_refuses_an_event_without_listeners_and_serves_listeners_as_litestar_does():
    from litestar import Litestar, get
    from litestar.events import listener
    from litestar.exceptions import ImproperlyConfiguredException
    from litestar.testing import TestClient

    from hub.app import ListenersOnlyEmitter

    heard = []

    @listener("sold")
    async def on_sold(what: str) -> None:
        heard.append(what)

    @get("/emit/{event:str}", sync_to_thread=False)
    def emit(event: str, request: Any) -> str:
        try:
            request.app.emit(event, "bread")
        except ImproperlyConfiguredException:
            return "refused"
        return "sent"

    with TestClient(Litestar([emit], event_emitter_backend=ListenersOnlyEmitter, logging_config=None)) as client:
        assert client.get("/emit/sold").text == "refused"
    with TestClient(Litestar([emit], listeners=[on_sold], event_emitter_backend=ListenersOnlyEmitter,
                             logging_config=None)) as client:
        assert client.get("/emit/other").text == "refused"
        assert client.get("/emit/sold").text == "sent"
    assert heard == ["bread"]
