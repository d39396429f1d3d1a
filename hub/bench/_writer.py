"""The write load of `soko-hub bench lookup`: sale-sized transactions, committed nonstop.

Run as `python -m hub.bench._writer <hub.db> <counter file> [hold ms]` until terminated. Each
transaction is one sale header and 15 lines, committed with the hub's pragmas (WAL,
synchronous=FULL), so every commit waits for the disk as a real sale does. With `hold ms`, each
transaction also keeps the write lock that long before it commits, as a slow SD card's write
would: this machine's disk cannot be made slow, so the slowness is held, not spent. Scratch tables of its own stand in for the
sales tables (they come with the sales issue); the commit count is written to the counter file.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import sys
import time
import uuid
from pathlib import Path

LINES_PER_SALE = 15
COUNTER_EVERY_S = 0.05

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bench_sales (id TEXT PRIMARY KEY, at TEXT NOT NULL, total INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_sale_lines (sale_id TEXT NOT NULL, line INTEGER NOT NULL,"
    " product_id TEXT NOT NULL, quantity INTEGER NOT NULL, price INTEGER NOT NULL,"
    " PRIMARY KEY (sale_id, line)) WITHOUT ROWID",
)


def main(db_path: str, counter: str, hold_ms: float = 0.0) -> None:
    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    for statement in SCHEMA:
        conn.execute(statement)
    products = [r[0] for r in conn.execute("SELECT id FROM products LIMIT 5000")]
    rng = random.Random(1)
    commits, last = 0, 0.0
    out = Path(counter)
    while not stop:
        sale = str(uuid.uuid4())
        lines = [(sale, n, rng.choice(products), 1000 * rng.randint(1, 3), rng.randint(50, 2000))
                 for n in range(1, LINES_PER_SALE + 1)]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_sales (id, at, total) VALUES (?, ?, ?)",
                     (sale, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      sum(q // 1000 * p for _, _, _, q, p in lines)))
        conn.executemany("INSERT INTO bench_sale_lines VALUES (?, ?, ?, ?, ?)", lines)
        if hold_ms:
            time.sleep(hold_ms / 1000)
        conn.execute("COMMIT")
        commits += 1
        now = time.monotonic()
        if now - last > COUNTER_EVERY_S:
            _count(out, commits)
            last = now
    _count(out, commits)
    conn.close()


def _count(path: Path, commits: int) -> None:
    """Replace the counter file whole, so a reader never sees it half written."""
    partial = path.with_suffix(".partial")
    partial.write_text(str(commits))
    partial.replace(path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
