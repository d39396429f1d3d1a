"""File moves that survive a power cut: private temp files, fsync, no-clobber names."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

COPY_CHUNK = 1 << 20


def _ignore(path: Path) -> None:
    pass


# Told of every file a backup makes (a temp file as it is made, a backup's final name as it is
# linked): a backup run in a child process reports them, so the hub can remove them if the child
# dies half way (hub.ops.backup_child). Nothing by default.
announce: Callable[[Path], None] = _ignore


def private_temp(directory: Path, prefix: str) -> Path:
    """An empty file readable by its owner only, in `directory` (so a rename stays atomic)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)  # mode 0600
    os.close(fd)
    announce(Path(name))
    return Path(name)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make renames and links in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def candidates(directory: Path, stem: str, suffix: str):
    """stem+suffix, then stem-2+suffix, stem-3+suffix, ..."""
    for n in itertools.count(1):
        yield directory / f"{stem}{'' if n == 1 else f'-{n}'}{suffix}"


def link_unique(source: Path, directory: Path, stem: str, suffix: str, *, also_free: str = "") -> Path:
    """Give `source` the first free name of `candidates`; never replaces an existing file.

    os.link fails if the name exists, so two processes naming a file in the same second both
    succeed under different names. `also_free` skips a name whose sibling with that suffix
    exists (a manifest left behind).
    """
    for path in candidates(directory, stem, suffix):
        if also_free and path.with_suffix(also_free).exists():
            continue
        try:
            os.link(source, path)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: exclusive create, then copy
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            announce(path)
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            return path
        announce(path)  # only once it is ours: a name taken by another process is never reported
        return path
    raise AssertionError("unreachable")


def copy_private(source: Path, target: Path) -> None:
    """Copy bytes into an existing private file and fsync it."""
    with open(source, "rb") as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out, COPY_CHUNK)
        out.flush()
        os.fsync(out.fileno())


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically (temp file, fsync, rename), readable by its owner only."""
    tmp = private_temp(path.parent, "." + path.name + ".")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
