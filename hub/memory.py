"""The C allocator's settings for a long-running hub (glibc's malloc; elsewhere nothing changes).

Two of glibc's defaults cost a small computer tens of MiB that the hub never uses again:

- The mmap threshold moves. A block of 128 KiB or more is mapped on its own and given back when
  freed, but freeing one raises the threshold to that block's size, so the next ones of that
  size come from the heap, and heap memory above the trim threshold (twice the mmap threshold)
  is kept. Each password or PIN check (Argon2id, 19 MiB of working memory) then left 19 MiB
  resident, once per thread that ran one: 130 MiB after four tills signed in, from 91 MiB.
  A fixed threshold keeps every such block mapped and returned when freed (a page fault per
  page on the next check, a few milliseconds beside the KDF's own time).
- Every thread that allocates while another is allocating gets its own arena (up to eight per
  core), each keeping its own free memory and its own partly used pages. The hub's threads
  (database writer, readers, the thread pool, workers) allocate little outside Python's own
  allocator and SQLite's page caches, so one arena serves them: after a 240 s soak at 20 sales/s
  it held 26.8 MiB of heap for 25.7 MiB in use, where two held 28.7 MiB for the same, and the
  hub's RSS ended ~2 MiB lower, with sale commits (30 tills) and lookups no slower within the
  noise of a shared machine.

`tune()` is called by `serve` before it starts any thread: M_ARENA_MAX only binds arenas not yet
made. Setting MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_ in the environment overrides either.

`trim()` hands the free memory inside the heaps back after a job that allocates much and briefly
(a backup: copying, checking and verifying the database through SQLite left 10 MiB resident in
a hub that had been at 87 MiB; free, but kept by the allocator).
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger(__name__)

# glibc's mallopt parameters (malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

MMAP_THRESHOLD_BYTES = 256 * 1024
ARENA_MAX = 1


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, the C library's among them
        libc.mallopt, libc.malloc_trim  # noqa: B018
        libc.gnu_get_libc_version  # noqa: B018 - musl has mallopt as a stub; glibc alone has this
    except (OSError, AttributeError):
        return None
    return libc


def tune() -> dict[str, int]:
    """Fix glibc's mmap threshold and cap its arenas; returns what was set (nothing off glibc)."""
    libc = _glibc()
    if libc is None:
        return {}
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    wanted = {"MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
              "MALLOC_ARENA_MAX": (M_ARENA_MAX, ARENA_MAX)}
    done = {}
    for env, (param, value) in wanted.items():
        if env in os.environ:  # the operator's own setting, already read by glibc at start
            continue
        if mallopt(param, value) == 1:
            done[env] = value
        else:
            log.warning("mallopt(%d, %d) refused", param, value)
    return done


def trim() -> bool:
    """Return the heaps' free pages to the system (glibc's malloc_trim); True if any went."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(libc.malloc_trim(0))
