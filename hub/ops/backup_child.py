"""The hub's backups run in a child process (`python -m hub.ops.backup_child`).

Copying the database, checking the copy and verifying it by a scratch restore go through
SQLite's page cache and the table digests: ~10 MiB that glibc kept in the hub's heaps after every
backup even with malloc_trim (hub.memory). In a child it all goes back to the system when the
child exits, and the hub's own resident set does not move.

`run(settings, config, zone, trigger)` (in the hub, async) starts the child, hands it the
settings and the operations config as JSON on its stdin and reads JSON lines from its stdout:
`{"made": path}` for every file the run makes (hub.backup._files.announce: temp files as they
are made, the backup's name once linked), then `{"run": {...}}`, the Run that
hub.ops.backups.run_backup returned. The run counts only when the child exits with 0 after
saying it. `create(settings)` is the same for a bare hub.backup.service.create_backup (the
`POST /api/v1/backups` backup): its BackupInfo, or BackupError. A child that dies (killed, out of memory, a bug) is a failed Run whose error says how
it ended, and every file it made is removed: no half backup is left under a backup's name. When
the hub cancels the run (the hub stopping), the child gets SIGTERM, removes what it made and
exits; the cancellation goes on (nothing is recorded, as when the hub stops with no backup
running: the next start finds the backup due). The child also asks the kernel for SIGTERM if the
hub dies under it (PR_SET_PDEATHSIG), so a hub killed mid-backup leaves no half backup either.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import zoneinfo
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STOP_WAIT_S = 10.0  # how long a child told to stop may take to clean up before it is killed
ERROR_TAIL = 2000  # characters of the child's stderr kept for a failed run's error and the log


def child_command() -> list[str]:
    return [sys.executable, "-m", "hub.ops.backup_child"]


def discard(made: list[str], usb_path: str = "") -> None:
    """Remove the files a run made (temp files, a backup linked under its name, and what is
    named after it: manifest, identity archive, sealed bundle and its USB copy)."""
    from hub.backup.service import NAME_PATTERN
    from hub.ops import backups

    for name in made:
        path = Path(name)
        found = [path, path.with_name(path.name + "-journal")]
        if NAME_PATTERN.match(path.name):
            named = backups._files_of(path)
            found += named
            if usb_path:
                bundle = named[-1].name
                folder = Path(usb_path) / backups.USB_FOLDER
                found += [folder / f".{bundle}.tmp", folder / bundle]
        for each in found:
            try:
                each.unlink(missing_ok=True)
            except OSError as err:
                log.warning("could not remove %s after a failed backup: %s", each, err)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _failed(trigger: str, started_at: str, error: str) -> Any:
    from hub.clock import format_ts, utc_now
    from hub.ops.backups import Run

    return Run(trigger=trigger, started_at=started_at, name=f"failed-{started_at}", status="failed",
               error=error, finished_at=format_ts(utc_now()))


async def run(settings: Any, config: dict[str, Any], zone: zoneinfo.ZoneInfo, trigger: str) -> Any:
    """One backup run (hub.ops.backups.run_backup) in a child process; the Run, never raising for a
    failed backup (CancelledError passes through once the child has stopped and cleaned up)."""
    from hub.clock import format_ts, utc_now
    from hub.ops.backups import Run

    started_at = format_ts(utc_now())
    said, failure = await _in_child({"action": "run", "settings": settings, "config": config, "zone": zone.key,
                                     "trigger": trigger}, config.get("usb_path") or "")
    if said is None or "run" not in said:
        return _failed(trigger, started_at, failure)
    return Run(**said["run"])


async def create(settings: Any) -> Any:
    """hub.backup.service.create_backup (copy, check, manifest; no verify or copies) in a child
    process: its BackupInfo, or BackupError, also when the child dies (its files removed)."""
    import msgspec

    from hub.backup.service import BackupError, BackupInfo, Manifest

    said, failure = await _in_child({"action": "create", "settings": settings}, "")
    if said is None:
        raise BackupError(failure)
    if "error" in said:
        raise BackupError(said["error"])
    return BackupInfo(Path(said["path"]), msgspec.convert(said["manifest"], Manifest))


async def _in_child(request: dict[str, Any], usb_path: str) -> tuple[dict[str, Any] | None, str]:
    """Run `request` in a child; (what it said last, "") when it exited with 0 after saying it,
    else (None, why it failed) with every file it made removed."""
    import msgspec

    payload = msgspec.json.encode({**request, "settings": msgspec.to_builtins(request["settings"]),
                                   "parent": os.getpid()})
    scratch = tempfile.mkdtemp(prefix="hub-backup-run-")  # the child's TMPDIR: its verify scratch
    env = {**os.environ, "TMPDIR": scratch}
    made: list[str] = []
    result: dict[str, Any] | None = None
    errors = bytearray()

    def take(line: bytes) -> None:
        nonlocal result
        try:
            said = json.loads(line)
        except ValueError:
            return
        if "made" in said:
            made.append(said["made"])
        else:
            result = said

    async def out_lines(stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            take(line)

    async def err_bytes(stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(4096):
            errors.extend(chunk)
            del errors[:-ERROR_TAIL]

    try:
        proc = await asyncio.create_subprocess_exec(
            *child_command(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env)
    except OSError as err:
        _remove_tree(scratch)
        return None, f"could not start the backup process: {err}"
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        try:
            proc.stdin.write(payload)
            await proc.stdin.drain()
            proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died at once: its exit code says how
        await asyncio.gather(out_lines(proc.stdout), err_bytes(proc.stderr))
        code = await proc.wait()
    except asyncio.CancelledError:
        await _stop(proc)
        for line in (await proc.stdout.read()).splitlines():
            take(line)
        if not (proc.returncode == 0 and result is not None):
            discard(made, usb_path)
            log.warning("a backup was stopped half way (the hub is stopping); the files it made were removed")
        _remove_tree(scratch)
        raise
    _remove_tree(scratch)
    if code == 0 and result is not None:
        return result, ""
    discard(made, usb_path)
    tail = errors.decode(errors="replace").strip()
    how = (f"was killed by {_signal_name(code)}" if code < 0 else
           f"exited with code {code}" if code else "exited without reporting its result")
    last = tail.splitlines()[-1] if tail else ""
    log.error("the backup process %s; the files it made were removed%s", how, f":\n{tail}" if tail else "")
    return None, f"the backup process {how} before it finished; nothing was kept" + (f" ({last})" if last else "")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), STOP_WAIT_S)
    except ProcessLookupError:
        pass
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()


def _remove_tree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# ---- the child -------------------------------------------------------------------------------------

class Stopped(BaseException):
    """SIGTERM in the child: unwinds the run (its temp files go) without any handler taking it for a
    failed step."""


def _stopped(_signum: int, _frame: Any) -> None:
    raise Stopped()


def _die_with(parent: int) -> None:
    """SIGTERM when the hub dies (Linux); a hub already gone means nothing to do."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        raise Stopped()


def main() -> int:
    import msgspec

    from hub.backup import _files
    from hub.settings import Settings

    signal.signal(signal.SIGTERM, _stopped)
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # only this module writes to the hub's end
    made: list[str] = []
    usb_path = ""

    def say(**what: Any) -> None:
        channel.write(json.dumps(what) + "\n")
        channel.flush()

    def note(path: Path) -> None:
        made.append(str(path))
        say(made=str(path))

    try:
        request = json.loads(sys.stdin.buffer.read())
        _die_with(int(request["parent"]))
        settings = msgspec.convert(request["settings"], Settings)
        config = request.get("config") or {}
        usb_path = config.get("usb_path") or ""
        _files.announce = note
        if request["action"] == "create":
            from hub.backup import service

            try:
                info = service.create_backup(settings.db_path, settings.backup_path)
            except service.BackupError as err:
                say(error=str(err))  # it removed what it made
                return 0
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # it is done: a stop now must not undo it
            say(path=str(info.path), manifest=msgspec.to_builtins(info.manifest))
            return 0
        from hub.ops import backups

        done = backups.run_backup(settings, config, zoneinfo.ZoneInfo(request["zone"]), trigger=request["trigger"])
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # it is done: a stop now must not undo it
        say(run={**done.row(), "verified": done.verified})
        return 0
    except Stopped:
        discard(made, usb_path)
        return 128 + signal.SIGTERM
    except BaseException:
        discard(made, usb_path)
        raise


if __name__ == "__main__":
    sys.exit(main())
